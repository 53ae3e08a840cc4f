"""Take the workbook's screenshots with a real headless Chromium (``make screenshots``).

    .venv/bin/python -m tools.screenshots                 # every picture
    .venv/bin/python -m tools.screenshots --only mlflow   # one of them

- ``frontend.png`` (chapter 04): the model service (the production model in ``models/``) and the
  Streamlit app started with the workbook's server helpers; ``/?score=1`` (the form's example
  applicant, scored as the page loads) captured once the decision and its reasons are drawn.
- ``mlflow.png`` (chapter 07b): the same pipeline runs as the notebook (three logistic runs on an
  empty registry, one stopped at the gates) tracked into a throw-away store, and the MLflow UI's
  experiment page listing them.
- ``evidently.png`` (chapter 08): the data-drift report the notebook saves (2,000 reference rows
  against 2,000 of the drifted sample), opened as a ``file://`` page. The report carries its
  scripts inline; one that loaded anything from the internet is refused.
- ``prometheus.png`` (chapter 08): a real Prometheus (``prometheus_server.start_prometheus``)
  scraping the model service while it answers good requests, then refuses bad ones too; its
  graph page drawing the request rate by status.

Run it again after changing ``apps/frontend.py``, the tracking, the drift report or the service's
metrics; the website shows the files the notebooks link to.
"""

from __future__ import annotations

import argparse
import io
import re
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx
from PIL import Image
from websockets.sync.client import connect

from workshop_lib import data, paths, schema
from workshop_lib.cicd import pipeline, tracked_months
from workshop_lib.cicd.mlflow_tracking import Tracking
from workshop_lib.cicd.mlflow_ui import start_mlflow_ui
from workshop_lib.default_model import ensure_default_model, training_frames
from workshop_lib.monitoring import drift_reports, prometheus_server
from workshop_lib.realtime import api_client
from workshop_lib.registry import Registry
from workshop_lib.support.browser import BrowserError, Page, find_chromium, open_tab
from workshop_lib.support.servers import start_streamlit, start_uvicorn

IMAGES = paths.PROJECT_ROOT / "notebooks" / "images"
FRONTEND_PNG = IMAGES / "frontend.png"
MLFLOW_PNG = IMAGES / "mlflow.png"
EVIDENTLY_PNG = IMAGES / "evidently.png"
PROMETHEUS_PNG = IMAGES / "prometheus.png"
MLFLOW_WINDOW = (1400, 900)
EVIDENTLY_WINDOW = (1200, 1300)  # the summary and the first rows of the per-column table
PROMETHEUS_WINDOW = (1280, 1000)  # the graph and its legend below
DRIFT_PAGE = ["Dataset Drift", "Drifted Columns", "Drift is detected for", "annual_income"]
# a <script> or stylesheet fetched from elsewhere: the report would not render offline
OUTSIDE_ASSET = re.compile(r"""<(?:script|link)\b[^>]*\b(?:src|href)=["']?(?:https?:)?//""", re.I)
USER_REQUESTS = 'path!~"/metrics|/health"'  # scrapes and health checks left out
REQUEST_RATE = f"sum by (status) (rate(http_requests_total{{{USER_REQUESTS}}}[5s]))"
FRONTEND_WINDOW = (1100, 2300)  # the whole page: the form in two columns, result, what-if, CSV
# Streamlit draws top to bottom: the CSV box comes after the what-if chart and its caption.
SCORED_PAGE = ["Model version", "Default probability", "Top reasons", "one request", "CSV file"]
SCRIPT_RUNNING = "!!document.querySelector('[data-testid^=\"stStatusWidgetRunning\"]')"
MAX_BYTES = 300_000  # a picture on a web page, not a download


def settled_text(
    page: Page, wanted: list[str], timeout_s: float = 60.0, busy: str = SCRIPT_RUNNING
) -> str:
    """The page's text once it shows ``wanted``, ``busy`` (JavaScript) is false and nothing
    changes for a second."""
    text = page.wait_for_text(wanted, timeout_s)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        time.sleep(1.0)
        again = page.text()
        if again == text and not page.evaluate(busy):
            return text
        text = again
    raise BrowserError(f"the page was still running or changing after {timeout_s:.0f} s")


def small_png(png: bytes) -> bytes:
    """The screenshot with at most 256 colours (a page of text and flat colours loses nothing)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=256, dither=Image.Dither.NONE).save(out, format="PNG", optimize=True)
    return out.getvalue()


def capture(
    chromium: str, url: str, profile: Path, window: tuple[int, int], wanted: list[str], busy: str
) -> tuple[str, bytes]:
    """Open ``url``; once it shows ``wanted`` and has settled, its text and a small PNG of it.

    The tab opens blank and is then sent to ``url``: an address with several query parameters
    (Prometheus' graph page) would lose all but the first on the way through ``/json/new``.
    """
    browser, address = open_tab(chromium, "about:blank", profile, window)
    try:
        with connect(address, max_size=None) as socket:
            page = Page(socket)
            page.send("Page.navigate", url=url)
            text = settled_text(page, wanted, busy=busy)
            png = page.screenshot()
    finally:
        browser.terminate()
        browser.wait(10)
    return text, small_png(png)


def capture_frontend(api_url: str, chromium: str, profile: Path) -> tuple[str, bytes]:
    """The Streamlit page with the example applicant scored: its text and a PNG of it."""
    env = {api_client.URL_ENV_VAR: api_url}
    with start_streamlit("apps/frontend.py", env=env, name="screenshot-frontend") as app:
        url = f"{app.url}/?score=1"
        return capture(chromium, url, profile, FRONTEND_WINDOW, SCORED_PAGE, SCRIPT_RUNNING)


def tracked_runs(folder: Path) -> Tracking:
    """Chapter 07b's three pipeline runs, tracked into a store under ``folder``."""
    registry, tracking = Registry(folder / "models"), Tracking(folder / "mlflow")
    holdout = training_frames()[1].head(10_000)
    for table in tracked_months.training_months().values():
        pipeline.run_pipeline(
            table, holdout, registry=registry, kind="logistic", tracking=tracking, seed=7
        )
    return tracking


def capture_mlflow(chromium: str, profile: Path) -> tuple[str, bytes]:
    """The MLflow UI's experiment page listing chapter 07b's runs."""
    with tempfile.TemporaryDirectory(prefix="screenshot-mlflow-") as folder:
        tracking = tracked_runs(Path(folder))
        with start_mlflow_ui(tracking) as ui:
            url = f"{ui.url}/#/experiments/{tracking.experiment_id()}/runs"
            wanted = [tracking.experiment, "3 matching runs"]
            return capture(chromium, url, profile, MLFLOW_WINDOW, wanted, "false")


def capture_evidently(chromium: str, profile: Path) -> tuple[str, bytes]:
    """Chapter 08's data-drift report, opened from its file: its text and a PNG of it."""
    reference = data.load_sample("reference_sample.csv").head(2_000)
    drifted = data.load_sample("data_drift_sample.csv").head(2_000)
    with tempfile.TemporaryDirectory(prefix="screenshot-evidently-") as folder:
        report = drift_reports.data_drift_report(
            reference, drifted, path=Path(folder) / "data_drift.html"
        )
        outside = OUTSIDE_ASSET.search(report.path.read_text(encoding="utf-8"))
        if outside:
            raise BrowserError(f"the report loads from the internet: {outside.group(0)[:120]}")
        url = report.path.as_uri()
        return capture(chromium, url, profile, EVIDENTLY_WINDOW, DRIFT_PAGE, "false")


def send_traffic(api_url: str, seconds: float, refused_after: float) -> None:
    """Good requests for ``seconds``; after ``refused_after`` seconds, invalid ones (422) too."""
    applications = data.make_applications(10, seed=810)
    good = (
        applications[schema.FEATURES]
        .astype({c: str for c in schema.CATEGORICAL_FEATURES})
        .to_dict("records")
    )
    started = time.monotonic()
    with httpx.Client(base_url=api_url, timeout=10) as client:
        while (elapsed := time.monotonic() - started) < seconds:
            for record in good:
                client.post("/predict", json=record)
            if elapsed > refused_after:
                for age in range(40, 45):
                    client.post("/predict", json={"age": age})  # the other fields missing


def capture_prometheus(api_url: str, chromium: str, profile: Path) -> tuple[str, bytes]:
    """Prometheus' graph page: the request rate by status of the service it scrapes."""
    target = api_url.removeprefix("http://")
    with (
        tempfile.TemporaryDirectory(prefix="screenshot-prometheus-") as folder,
        prometheus_server.start_prometheus([target], folder=Path(folder)) as prometheus,
    ):
        send_traffic(api_url, seconds=30, refused_after=12)
        prometheus_server.wait_for_new_scrape(prometheus)
        query = {"g0.expr": REQUEST_RATE, "g0.tab": "0", "g0.range_input": "40s"}
        url = f"{prometheus.url}/classic/graph?{urlencode(query)}"
        wanted = ['status="200"', 'status="422"']
        return capture(chromium, url, profile, PROMETHEUS_WINDOW, wanted, "false")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument(
        "--only", choices=["frontend", "mlflow", "evidently", "prometheus"], help="just this one"
    )
    args = parser.parse_args()
    chromium = find_chromium()
    shots: dict[Path, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        if args.only in (None, "frontend", "prometheus"):
            ensure_default_model()
            with start_uvicorn("apps.api:app", name="screenshot-api") as api:
                if args.only in (None, "frontend"):
                    shots[FRONTEND_PNG] = capture_frontend(api.url, chromium, Path(profile))[1]
                if args.only in (None, "prometheus"):
                    shots[PROMETHEUS_PNG] = capture_prometheus(
                        api.url, chromium, Path(profile) / "prometheus"
                    )[1]
        if args.only in (None, "mlflow"):
            shots[MLFLOW_PNG] = capture_mlflow(chromium, Path(profile) / "mlflow")[1]
        if args.only in (None, "evidently"):
            shots[EVIDENTLY_PNG] = capture_evidently(chromium, Path(profile) / "evidently")[1]
    for path, png in shots.items():
        if len(png) > MAX_BYTES:
            raise SystemExit(f"{path.name} is {len(png):,} bytes, more than {MAX_BYTES:,}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
        print(f"wrote {path} ({len(png) / 1000:.0f} kB)")


if __name__ == "__main__":
    main()
