"""The service's /docs page works offline: Swagger UI from a package, shown by a real Chromium."""

from __future__ import annotations

import json
import re
import time

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from helpers import require_in_ci
from websockets.sync.client import connect

from apps.api import create_app
from workshop_lib.realtime import offline_docs
from workshop_lib.support.browser import OFFLINE_FLAGS, Page, open_tab
from workshop_lib.support.servers import start_uvicorn

OPERATIONS = "Array.from(document.querySelectorAll('.opblock-summary-path')).map(e => e.innerText)"


class RecordingPage(Page):
    """A tab that also records the address of every request the page makes."""

    def __init__(self, socket) -> None:
        super().__init__(socket)
        self.requested: list[str] = []

    def send(self, method: str, **params) -> dict:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=30))
            if message.get("method") == "Network.requestWillBeSent":
                self.requested.append(message["params"]["request"]["url"])
            if message.get("id") == self.next_id:
                return message["result"]


def test_the_page_names_only_files_the_package_ships():
    html = TestClient(create_app()).get("/docs").text  # no lifespan: no model needed
    addresses = re.findall(r'(?:href|src)="([^"]+)"', html)
    assert len(addresses) == 3, addresses  # style sheet, icon, script
    for address in addresses:
        assert address.startswith("docs-static/"), f"{address}: not relative to /docs"
        assert (offline_docs.SWAGGER_UI_FILES / address.removeprefix("docs-static/")).is_file()
    assert "url: 'openapi.json'" in html  # relative too: kept behind Binder's proxy prefix


def test_docs_cannot_be_served_twice():
    with pytest.raises(ValueError, match="docs_url=None"):
        offline_docs.serve_docs_offline(FastAPI())


@pytest.mark.slow
def test_chromium_shows_every_operation_with_the_network_closed(registry, tmp_path):
    chromium = require_in_ci("chromium")
    env = {"MODEL_REGISTRY": str(registry.root), "PREDICTION_LOG": str(tmp_path / "log.jsonl")}
    with start_uvicorn(env=env, name="test-offline-docs") as server:
        documented = set(httpx.get(f"{server.url}/openapi.json", timeout=10).json()["paths"])
        browser, address = open_tab(
            chromium, "about:blank", tmp_path / "profile", extra_flags=OFFLINE_FLAGS
        )
        try:
            with connect(address, max_size=None) as socket:
                page = RecordingPage(socket)
                page.send("Network.enable")
                page.send("Page.navigate", url=f"{server.url}/docs")
                deadline = time.monotonic() + 30
                while not (shown := page.evaluate(OPERATIONS)) and time.monotonic() < deadline:
                    time.sleep(0.3)
                page.evaluate("1")  # collect the requests reported meanwhile
        finally:
            browser.terminate()
            browser.wait(10)
    assert documented and set(shown) == documented, f"rendered {shown}, documented {documented}"
    outside = [url for url in page.requested if not url.startswith(server.url)]
    assert outside == [], f"the page asked for {outside}"
    assert f"{server.url}/docs-static/swagger-ui-bundle.js" in page.requested
