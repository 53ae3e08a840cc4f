"""Take the workbook's screenshots with a real headless Chromium (``make screenshots``).

    .venv/bin/python -m tools.screenshots                 # every picture
    .venv/bin/python -m tools.screenshots --only mlflow   # one of them

- ``frontend.png`` (chapter 04): the model service (the production model in ``models/``) and the
  Streamlit app started with the workbook's server helpers; ``/?score=1`` (the form's example
  applicant, scored as the page loads) captured once the decision and its reasons are drawn.
- ``mlflow.png`` (chapter 07b): the same pipeline runs as the notebook (three logistic runs on an
  empty registry, one stopped at the gates) tracked into a throw-away store, and the MLflow UI's
  experiment page listing them.

Run it again after changing ``apps/frontend.py`` or the tracking; the website shows the files the
notebooks link to.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

from PIL import Image
from websockets.sync.client import connect

from workshop_lib import paths
from workshop_lib.cicd import pipeline, tracked_months
from workshop_lib.cicd.mlflow_tracking import Tracking
from workshop_lib.cicd.mlflow_ui import start_mlflow_ui
from workshop_lib.default_model import ensure_default_model, training_frames
from workshop_lib.realtime import api_client
from workshop_lib.registry import Registry
from workshop_lib.support.browser import BrowserError, Page, find_chromium, open_tab
from workshop_lib.support.servers import start_streamlit, start_uvicorn

IMAGES = paths.PROJECT_ROOT / "notebooks" / "images"
FRONTEND_PNG = IMAGES / "frontend.png"
MLFLOW_PNG = IMAGES / "mlflow.png"
MLFLOW_WINDOW = (1400, 900)
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
    """Open ``url``; once it shows ``wanted`` and has settled, its text and a small PNG of it."""
    browser, address = open_tab(chromium, url, profile, window)
    try:
        with connect(address, max_size=None) as socket:
            page = Page(socket)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--only", choices=["frontend", "mlflow"], help="take just this picture")
    args = parser.parse_args()
    chromium = find_chromium()
    shots: dict[Path, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        if args.only in (None, "frontend"):
            ensure_default_model()
            with start_uvicorn("apps.api:app", name="screenshot-api") as api:
                shots[FRONTEND_PNG] = capture_frontend(api.url, chromium, Path(profile))[1]
        if args.only in (None, "mlflow"):
            shots[MLFLOW_PNG] = capture_mlflow(chromium, Path(profile) / "mlflow")[1]
    for path, png in shots.items():
        if len(png) > MAX_BYTES:
            raise SystemExit(f"{path.name} is {len(png):,} bytes, more than {MAX_BYTES:,}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png)
        print(f"wrote {path} ({len(png) / 1000:.0f} kB)")


if __name__ == "__main__":
    main()
