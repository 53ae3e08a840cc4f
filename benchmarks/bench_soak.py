"""Soak benchmark: the service under minutes of mixed load, with a model reload half-way.

Run with ``python -m benchmarks.bench_soak`` (5 minutes at concurrency 64; ``--quick`` runs 20 s
at concurrency 16 for a smoke test). One uvicorn worker serves a throw-away registry; the load
mixes good requests (``/predict``, ``/predict/batch``) with bad ones (out-of-range values, a
string for a number, a body that is not JSON). Half-way, a new version is promoted and the
service reloads it through ``/admin/reload``. It prints requests by kind and status, and checks:
no 5xx at all, no good request failed, and the server's resident memory grew at most 10 % from
the end of the warm-up (the first fifth of the run) to the end.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import numpy as np
import psutil

from benchmarks.bench_realtime import register_model
from workshop_lib import data, schema, training
from workshop_lib.registry import PRODUCTION
from workshop_lib.support.servers import start_uvicorn

TOKEN = "soak-admin-token"
MAX_GROWTH = 0.10
GOOD = schema.EXAMPLE_APPLICATION
GOOD_KINDS = ("good", "good batch")


@dataclass(frozen=True)
class Soak:
    seconds: float
    concurrency: int
    train_rows: int = 5_000


FULL = Soak(seconds=300, concurrency=64)
QUICK = Soak(seconds=20, concurrency=16, train_rows=3_000)


def request_mix(seed: int = 0) -> list[tuple[str, str, bytes]]:
    """(kind, path, body) of 100 requests: 85 good, 15 bad, in a seeded order."""
    batch = data.make_applications(10, seed=seed)[schema.FEATURES].to_dict("records")
    good = json.dumps(GOOD).encode()
    mix = [("good", "/predict", good)] * 75
    mix += [("good batch", "/predict/batch", json.dumps({"applications": batch}).encode())] * 10
    mix += [("out of range", "/predict", json.dumps({**GOOD, "credit_score": 10}).encode())] * 6
    mix += [("string number", "/predict", json.dumps({**GOOD, "age": "old"}).encode())] * 5
    mix += [("not JSON", "/predict", b"{this is not json")] * 4
    order = np.random.default_rng(seed).permutation(len(mix))
    return [mix[i] for i in order]


class MemorySampler(threading.Thread):
    """The server's resident memory (MB) once a second, with the time of each sample."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.samples: list[tuple[float, float]] = []
        self.done = threading.Event()

    def run(self) -> None:
        started = time.monotonic()
        while not self.done.is_set():
            tree = [self.process, *self.process.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in tree if p.is_running())
            self.samples.append((time.monotonic() - started, rss / 2**20))
            self.done.wait(1.0)


async def drive(url: str, soak: Soak, reload_at: float, reload: Any) -> Counter[tuple[str, str]]:
    """Closed-loop load with the mix for ``soak.seconds``; ``reload`` runs once at ``reload_at``."""
    outcomes: Counter[tuple[str, str]] = Counter()
    mix = itertools.cycle(request_mix())
    headers = {"Content-Type": "application/json"}
    deadline = time.monotonic() + soak.seconds
    reload_due = time.monotonic() + reload_at
    connector = aiohttp.TCPConnector(limit=soak.concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal reload_due
            while time.monotonic() < deadline:
                if time.monotonic() >= reload_due:
                    reload_due = float("inf")
                    outcomes[("reload", str(await asyncio.to_thread(reload)))] += 1
                kind, path, body = next(mix)
                try:
                    async with session.post(url + path, data=body, headers=headers) as response:
                        await response.read()
                        outcomes[(kind, str(response.status))] += 1
                except (aiohttp.ClientError, TimeoutError) as error:
                    outcomes[(kind, type(error).__name__)] += 1

        await asyncio.gather(*(worker() for _ in range(soak.concurrency)))
    return outcomes


def run(soak: Soak) -> dict[str, float]:
    """Serve, soak, reload half-way; print and return the figures."""
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as folder:
        registry = register_model(Path(folder) / "models", "gradient_boosting", soak.train_rows)
        env = {
            "MODEL_REGISTRY": str(registry.root),
            "PREDICTION_LOG": str(Path(folder) / "predictions.jsonl"),
            "ADMIN_TOKEN": TOKEN,
        }
        frame = data.make_applications(soak.train_rows, seed=7)
        holdout = data.make_applications(2_000, seed=8, first_id=soak.train_rows + 1)
        second = training.train(frame, holdout, "gradient_boosting")  # before the clock starts
        with start_uvicorn(env=env, name="bench-soak") as server:

            def reload() -> int:
                """Promote the second model and tell the service to load it."""
                version = registry.register(
                    second.model,
                    metrics=second.metrics,
                    data_fingerprint=data.fingerprint(frame),
                    kind="gradient_boosting",
                    threshold=second.threshold,
                )
                registry.promote(version, PRODUCTION, reason="soak: reload half-way")
                answer = httpx.post(
                    f"{server.url}/admin/reload",
                    headers={"Authorization": f"Bearer {TOKEN}"},
                    timeout=60,
                )
                return answer.status_code

            sampler = MemorySampler(server.process.pid)
            sampler.start()
            outcomes = asyncio.run(drive(server.url, soak, soak.seconds / 2, reload))
            sampler.done.set()
            sampler.join()
            served = httpx.get(f"{server.url}/model", timeout=10).json()["version"]
    return figures(outcomes, sampler.samples, soak, served)


def figures(
    outcomes: Counter[tuple[str, str]],
    samples: list[tuple[float, float]],
    soak: Soak,
    served: str,
) -> dict[str, float]:
    """The soak's verdict figures from its outcomes and memory samples."""
    warm = [mb for t, mb in samples if t <= soak.seconds / 5]
    after = [mb for t, mb in samples if t > soak.seconds / 5]
    warm_mb = warm[-1] if warm else samples[0][1]
    end_mb = max(after) if after else samples[-1][1]
    good = sum(n for (kind, _), n in outcomes.items() if kind in GOOD_KINDS)
    good_ok = sum(n for (kind, s), n in outcomes.items() if kind in GOOD_KINDS and s == "200")
    bad_kinds = {(kind, s): n for (kind, s), n in outcomes.items() if kind not in GOOD_KINDS}
    bad_kinds.pop(("reload", "200"), None)
    bad = sum(bad_kinds.values())
    bad_4xx = sum(n for (_, s), n in bad_kinds.items() if s.startswith("4"))
    results = {
        "requests": float(good + bad),
        "good": float(good),
        "good_failed": float(good - good_ok),
        "bad": float(bad),
        "bad_answered_4xx": float(bad_4xx),
        "server_errors_5xx": float(sum(n for (_, s), n in outcomes.items() if s.startswith("5"))),
        "reload_ok": float(outcomes.get(("reload", "200"), 0)),
        "rss_after_warmup_mb": warm_mb,
        "rss_end_max_mb": end_mb,
        "rss_growth": end_mb / warm_mb - 1,
    }
    print(f"soak: {soak.seconds:g} s at concurrency {soak.concurrency}, served {served} at the end")
    for (kind, status), count in sorted(outcomes.items()):
        print(f"  {kind:<14} {status:>18}: {count:,}")
    print(
        f"  5xx: {results['server_errors_5xx']:.0f}   good requests failed: "
        f"{results['good_failed']:.0f} of {good:,}   bad answered 4xx: {bad_4xx:,} of {bad:,}"
    )
    print(
        f"  memory: {warm_mb:.0f} MB after warm-up, at most {end_mb:.0f} MB later "
        f"({results['rss_growth']:+.1%}; target <= {MAX_GROWTH:.0%})"
    )
    met = (
        results["server_errors_5xx"] == 0
        and results["good_failed"] == 0
        and results["reload_ok"] == 1
        and results["rss_growth"] <= MAX_GROWTH
    )
    print(f"  [{'met' if met else 'NOT met'}] zero 5xx, zero failed good requests, reload, memory")
    return results


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 s at concurrency 16")
    parser.add_argument("--seconds", type=float, help="override the duration")
    args = parser.parse_args(argv)
    soak = QUICK if args.quick else FULL
    if args.seconds:
        soak = Soak(args.seconds, soak.concurrency, soak.train_rows)
    return run(soak)


if __name__ == "__main__":
    main()
