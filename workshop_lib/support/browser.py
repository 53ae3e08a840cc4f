"""A real headless Chromium, driven over its DevTools protocol (websockets; no extra package).

The tests open the Streamlit page and the website with it (tests/test_frontend.py,
tests/test_book.py) and ``make screenshots`` takes the workbook's screenshots with it
(tools/screenshots.py). Chromium runs with a fresh, empty profile and talks to nothing but the
pages it is sent to.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from workshop_lib.support.servers import free_port

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WINDOW = (1200, 1600)  # width, height in CSS pixels


class BrowserError(RuntimeError):
    """Chromium is missing, did not start, or a page never showed what was expected."""


def find_chromium() -> str:
    """The Chromium program on PATH (Debian's ``chromium`` or Ubuntu's ``chromium-browser``)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise BrowserError("no Chromium on PATH: install it (Debian: apt-get install chromium)")


class Page:
    """One Chromium tab: send DevTools commands, read its text, take a screenshot."""

    def __init__(self, socket: Any) -> None:
        self.socket = socket
        self.next_id = 0

    def send(self, method: str, **params: Any) -> dict:
        """Run one DevTools command and return its result (events in between are skipped)."""
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=30))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message["result"]

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def text(self) -> str:
        """The text the page shows, as a reader would copy it."""
        return self.evaluate("document.body.innerText") or ""

    def wait_for_text(self, wanted: list[str], timeout_s: float) -> str:
        """Wait until the page shows every string in ``wanted``; return its text."""
        deadline = time.monotonic() + timeout_s
        text = ""
        while time.monotonic() < deadline:
            text = self.text()
            if all(w in text for w in wanted):
                return text
            time.sleep(0.5)
        raise BrowserError(f"page never showed {wanted}; it showed:\n{text[:2000]}")

    def screenshot(self) -> bytes:
        """The visible window as PNG bytes."""
        return base64.b64decode(self.send("Page.captureScreenshot", format="png")["data"])


# Chromium then resolves no host name but this machine's addresses: the network is closed
OFFLINE_FLAGS = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"]


def open_tab(
    chromium: str,
    url: str,
    profile: Path,
    window: tuple[int, int] = WINDOW,
    extra_flags: list[str] | None = None,
) -> tuple[subprocess.Popen, str]:
    """Start Chromium on a free debugging port with an empty profile at ``profile``.

    Returns the browser process (terminate it when done) and the DevTools websocket address of
    a new tab showing ``url``. ``extra_flags=OFFLINE_FLAGS`` closes the network.
    """
    port = free_port()
    browser = subprocess.Popen(
        [
            chromium,
            *CHROMIUM_FLAGS,
            f"--window-size={window[0]},{window[1]}",
            f"--user-data-dir={profile}",
            f"--remote-debugging-port={port}",
            *(extra_flags or []),
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            # the address travels as the query: its "#..." must be escaped or HTTP drops it
            opened = quote(url, safe=":/?&=%")
            target = httpx.put(f"http://127.0.0.1:{port}/json/new?{opened}", timeout=5).json()
            return browser, target["webSocketDebuggerUrl"]
        except httpx.TransportError as error:
            if time.monotonic() > deadline or browser.poll() is not None:
                browser.kill()
                raise BrowserError(f"{chromium} did not open its debugging port") from error
            time.sleep(0.2)
