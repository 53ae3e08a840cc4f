"""Take the workbook's screenshots with a real headless Chromium (``make screenshots``).

    .venv/bin/python -m tools.screenshots

Chapter 04 shows the Streamlit front end as a loan officer sees it. This starts the model service
(the production model in ``models/``) and the Streamlit app with the workbook's server helpers,
opens ``/?score=1`` (the form's example applicant, scored as the page loads), waits until the
decision and its reasons are on the page, and writes ``notebooks/images/frontend.png``. Run it
again after changing ``apps/frontend.py``; the website shows the file the notebook links to.
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
from workshop_lib.default_model import ensure_default_model
from workshop_lib.realtime import api_client
from workshop_lib.support.browser import BrowserError, Page, find_chromium, open_tab
from workshop_lib.support.servers import start_streamlit, start_uvicorn

FRONTEND_PNG = paths.PROJECT_ROOT / "notebooks" / "images" / "frontend.png"
FRONTEND_WINDOW = (1100, 2300)  # the whole page: the form in two columns, result, what-if, CSV
# Streamlit draws top to bottom: the CSV box comes after the what-if chart and its caption.
SCORED_PAGE = ["Model version", "Default probability", "Top reasons", "one request", "CSV file"]
SCRIPT_RUNNING = "!!document.querySelector('[data-testid^=\"stStatusWidgetRunning\"]')"
MAX_BYTES = 300_000  # a picture on a web page, not a download


def settled_text(page: Page, wanted: list[str], timeout_s: float = 60.0) -> str:
    """The page's text once it shows ``wanted``, its script has finished and nothing changes."""
    text = page.wait_for_text(wanted, timeout_s)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        time.sleep(1.0)
        again = page.text()
        if again == text and not page.evaluate(SCRIPT_RUNNING):
            return text
        text = again
    raise BrowserError(f"the page was still running or changing after {timeout_s:.0f} s")


def small_png(png: bytes) -> bytes:
    """The screenshot with at most 256 colours (a page of text and flat colours loses nothing)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=256, dither=Image.Dither.NONE).save(out, format="PNG", optimize=True)
    return out.getvalue()


def capture_frontend(api_url: str, chromium: str, profile: Path) -> tuple[str, bytes]:
    """The Streamlit page with the example applicant scored: its text and a PNG of it."""
    env = {api_client.URL_ENV_VAR: api_url}
    with start_streamlit("apps/frontend.py", env=env, name="screenshot-frontend") as app:
        browser, address = open_tab(chromium, f"{app.url}/?score=1", profile, FRONTEND_WINDOW)
        try:
            with connect(address, max_size=None) as socket:
                page = Page(socket)
                text = settled_text(page, SCORED_PAGE)
                png = page.screenshot()
        finally:
            browser.terminate()
            browser.wait(10)
    return text, small_png(png)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--out", type=Path, default=FRONTEND_PNG, help="where to write the PNG")
    args = parser.parse_args()
    ensure_default_model()
    chromium = find_chromium()
    with (
        start_uvicorn("apps.api:app", name="screenshot-api") as api,
        tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile,
    ):
        _, png = capture_frontend(api.url, chromium, Path(profile))
    if len(png) > MAX_BYTES:
        raise SystemExit(f"the screenshot is {len(png):,} bytes, more than {MAX_BYTES:,}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(png)
    print(f"wrote {args.out} ({len(png) / 1000:.0f} kB)")


if __name__ == "__main__":
    main()
