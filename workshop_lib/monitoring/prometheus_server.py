"""A real Prometheus server that scrapes the model service, and queries over its HTTP API.

``start_prometheus`` writes a scrape configuration (the targets every second, the alert rules of
``apps/prometheus/alerts.yml``) and starts Debian's ``prometheus`` with the workbook's
background-server helper on a free loopback port. ``query`` runs PromQL at one instant;
``query_range`` gives a series over time. Debian's build ships only the classic UI:
``/classic/graph`` and ``/classic/alerts``.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import httpx

from workshop_lib import paths
from workshop_lib.support.servers import BackgroundServer, free_port, start_server

RULES_FILE = paths.PROJECT_ROOT / "apps" / "prometheus" / "alerts.yml"
PROMETHEUS_DIR = paths.RUNTIME_DIR / "prometheus"


class PrometheusError(RuntimeError):
    """Prometheus is not installed, or a query failed (the message says which and why)."""


def write_config(
    targets: list[str], folder: Path, *, scrape_interval: str = "1s", rules: Path = RULES_FILE
) -> Path:
    """Write ``prometheus.yml`` scraping ``targets`` (``host:port``) as job ``model-api``."""
    if not targets:
        raise ValueError("give at least one target, e.g. ['127.0.0.1:8000']")
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": scrape_interval},
        "rule_files": [str(rules.resolve())],
        "scrape_configs": [{"job_name": "model-api", "static_configs": [{"targets": targets}]}],
    }
    path = folder / "prometheus.yml"
    path.write_text(json.dumps(config, indent=2))  # JSON is valid YAML
    return path


def start_prometheus(
    targets: list[str], *, folder: Path | None = None, scrape_interval: str = "1s"
) -> BackgroundServer:
    """Start Prometheus scraping ``targets``; returns once ``/-/ready`` answers."""
    binary = shutil.which("prometheus")
    if binary is None:
        raise PrometheusError(
            "prometheus is not installed: apt-get install prometheus (.ci/run and apt.txt do)"
        )
    folder = folder or PROMETHEUS_DIR
    config = write_config(targets, folder, scrape_interval=scrape_interval)
    port = free_port()
    data_dir = folder / f"data-{port}"
    command = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={data_dir}",
        "--web.listen-address={host}:{port}",
        "--storage.tsdb.retention.time=1h",
    ]
    server = start_server(command, name="prometheus", port=port, health_path="/-/ready")
    try:
        wait_for_first_scrape(server, len(targets))
    except BaseException:
        server.stop()
        raise
    return server


def wait_for_first_scrape(server: BackgroundServer, expected: int, timeout: float = 30.0) -> None:
    """Return once every target has been scraped successfully once.

    Prometheus is ready before it scrapes anything: its target discovery sends updates at most
    every 5 seconds, so a query right after start-up would find no series at all.
    """

    def scraped(active: list[dict]) -> bool:
        return sum(t.get("health") == "up" for t in active) >= expected

    _wait_for_targets(server, scraped, f"scrape its {expected} target(s)", timeout)


def wait_for_new_scrape(server: BackgroundServer, timeout: float = 10.0) -> None:
    """Return once every target has been scraped after this call: its counters are current."""
    called = time.time()

    def scraped_again(active: list[dict]) -> bool:
        return bool(active) and all(
            t.get("health") == "up" and _scraped_at(t) > called for t in active
        )

    _wait_for_targets(server, scraped_again, "scrape its targets again", timeout)


def _wait_for_targets(
    server: BackgroundServer, ready: Callable[[list[dict]], bool], what: str, timeout: float
) -> None:
    """Poll Prometheus' targets until ``ready``; else an error with their last scrape errors."""
    deadline = time.monotonic() + timeout
    errors: list[str] = []
    while time.monotonic() < deadline:
        active = _api(server, "targets", {})["activeTargets"]
        if ready(active):
            return
        errors = [f"{t['scrapeUrl']}: {t['lastError']}" for t in active if t.get("lastError")]
        time.sleep(0.25)
    raise PrometheusError(
        f"Prometheus did not {what} within {timeout:.0f} s"
        + (f": {'; '.join(errors)}" if errors else "")
    )


def _scraped_at(target: dict) -> float:
    """When Prometheus last scraped a target (its RFC 3339 time, nanoseconds cut to micro)."""
    stamp = re.sub(r"(\.\d{6})\d*", r"\1", target["lastScrape"]).replace("Z", "+00:00")
    return datetime.fromisoformat(stamp).timestamp()


def _api(server: BackgroundServer, endpoint: str, params: dict[str, str]) -> dict:
    response = httpx.get(f"{server.url}/api/v1/{endpoint}", params=params, timeout=10)
    body = response.json()
    if body.get("status") != "success":
        raise PrometheusError(f"{params.get('query')!r}: {body.get('error', response.text)}")
    return body["data"]


def query(server: BackgroundServer, promql: str, at: float | None = None) -> float:
    """The value of a PromQL expression returning one number (NaN when it has no result)."""
    params = {"query": promql, **({"time": str(at)} if at is not None else {})}
    result = _api(server, "query", params)["result"]
    if not result:
        return math.nan
    if len(result) > 1:
        raise PrometheusError(f"{promql!r} returned {len(result)} series; aggregate it to one")
    return float(result[0]["value"][1])


def query_range(
    server: BackgroundServer, promql: str, start: float, end: float, step: float = 1.0
) -> list[tuple[float, float]]:
    """``(unix time, value)`` pairs of a one-series PromQL expression between two instants."""
    params = {"query": promql, "start": str(start), "end": str(end), "step": str(step)}
    result = _api(server, "query_range", params)["result"]
    if not result:
        return []
    return [(float(t), float(v)) for t, v in result[0]["values"]]


def alerts(server: BackgroundServer) -> list[dict]:
    """The alerts Prometheus holds now (``state`` is ``pending`` or ``firing``)."""
    return _api(server, "alerts", {})["alerts"]


def wait_for_alert(server: BackgroundServer, name: str, timeout: float = 30.0) -> dict:
    """The alert ``name`` once it is firing; ``PrometheusError`` with its state if it never is."""
    deadline = time.monotonic() + timeout
    states: list[str] = []
    while time.monotonic() < deadline:
        held = [a for a in alerts(server) if a["labels"].get("alertname") == name]
        states = [a["state"] for a in held]
        firing = [a for a in held if a["state"] == "firing"]
        if firing:
            return firing[0]
        time.sleep(0.5)
    raise PrometheusError(f"alert {name} was not firing after {timeout:.0f} s (states: {states})")
