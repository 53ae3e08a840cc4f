"""The website (`make book`, run by `make test` first): its source, links, a real browser."""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from helpers import require_in_ci
from websockets.sync.client import connect

from tools import book_source, screenshots, site_links
from workshop_lib import paths
from workshop_lib.support.browser import Page, open_tab
from workshop_lib.support.servers import free_port

SITE = paths.PROJECT_ROOT / "_build" / "book" / "_build" / "html"
README = (paths.PROJECT_ROOT / "README.md").read_text()
CHAPTERS = book_source.chapters()


def built_site() -> Path:
    if not (SITE / "index.html").exists():
        if os.environ.get("CI") == "true":
            pytest.fail("the website was not built: `make test` runs `make book` first")
        pytest.skip("the website is not built: run `make book`")
    return SITE


def saved_images(notebook: Path) -> int:
    cells = json.loads(notebook.read_text())["cells"]
    return sum(
        1
        for cell in cells
        for output in cell.get("outputs", [])
        if {"image/png", "image/jpeg", "image/svg+xml"} & set(output.get("data", {}))
    ) + sum("![" in "".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")


def test_the_table_of_contents_lists_every_notebook_in_order(tmp_path):
    (tmp_path / "labs").mkdir()
    for name in ("01_b.ipynb", "00_a.ipynb", "01b_c.ipynb", "labs/lab.ipynb"):
        (tmp_path / name).write_text("{}")
    found = [p.relative_to(tmp_path).as_posix() for p in book_source.chapters(tmp_path)]
    assert found == ["00_a.ipynb", "01_b.ipynb", "01b_c.ipynb", "labs/lab.ipynb"]
    docs = [p.relative_to(paths.PROJECT_ROOT).with_suffix("").as_posix() for p in CHAPTERS]
    toc = book_source.toc(docs, ["apps/api"], [])
    assert all(f"- file: {doc}\n" in toc for doc in docs)
    assert len(CHAPTERS) >= 10


def test_every_chapter_shows_a_picture():
    """A plot in its saved outputs or an image in its text (00: the course map, 04: the page)."""
    assert [chapter.name for chapter in CHAPTERS if saved_images(chapter) == 0] == []


def test_the_committed_pictures_are_small_pngs():
    pictures = sorted((paths.PROJECT_ROOT / "notebooks" / "images").glob("*.png"))
    assert screenshots.FRONTEND_PNG in pictures
    for picture in pictures:
        content = picture.read_bytes()
        assert content.startswith(b"\x89PNG"), picture.name
        assert len(content) < screenshots.MAX_BYTES, f"{picture.name}: {len(content):,} bytes"


def test_front_page_is_the_readme_introduction_without_outside_images():
    page = book_source.front_page(README)
    assert page.startswith("# The Model Deployment Workbook")
    assert "badge_logo.svg" not in page and "Launch the workbook on Binder" in page
    assert "## Set up and run" not in page
    with pytest.raises(book_source.BookSourceError, match="Set up and run"):
        book_source.front_page("# A README without the heading\n")


def test_every_app_page_says_how_to_run_it():
    targets = book_source.make_targets((paths.PROJECT_ROOT / "Makefile").read_text())
    assert any(t.name == "api" and "apps.api:app" in t.recipe[0] for t in targets)
    for app in sorted((paths.PROJECT_ROOT / "apps").glob("[a-z]*.py")):
        page = book_source.app_page(app, targets)
        assert f"apps.{app.stem}" in page or f"apps/{app.name}" in page.split("\n", 1)[1]
        assert "```bash" in page, f"{app.name}'s page shows no command"


def test_an_app_nobody_can_run_is_an_error(tmp_path):
    app = tmp_path / "mystery.py"
    app.write_text('"""Does something."""\n')
    with pytest.raises(book_source.BookSourceError, match="no Makefile target"):
        book_source.app_page(app, [])


def test_every_lab_has_a_page_with_its_task_its_checker_and_its_scaffold(tmp_path):
    labs = sorted((paths.PROJECT_ROOT / "notebooks" / "labs").glob("lab[0-9][0-9]*.py"))
    assert len(labs) >= 9
    for lab in labs:
        number = lab.stem[3:5]
        chapter = next((c for c in CHAPTERS if c.name.startswith(f"{number}_")), None)
        assert chapter is not None, f"{lab.name}: no chapter {number}"
        page = book_source.lab_page(lab, chapter)
        assert page.startswith(f"# Lab {number}"), page[:80]
        assert f'check_lab("{number}")' in page and f"(../notebooks/{chapter.name})" in page
        assert "```python" in page and "..." in page.split("```python", 1)[1]
    bare = tmp_path / "lab99_x.py"
    bare.write_text("x = ...\n")
    with pytest.raises(book_source.BookSourceError, match="no docstring"):
        book_source.lab_page(bare, None)


def test_the_link_checker_finds_broken_links_anchors_and_outside_resources(tmp_path):
    (tmp_path / "a.html").write_text(
        '<h1 id="top">A</h1><a href="b.html#here">ok</a><a href="#top">ok</a>'
        '<a href="https://example.org">not followed</a>'
    )
    (tmp_path / "b.html").write_text(
        '<p id="here"></p><a href="c.html">missing</a><a href="a.html#nowhere">bad anchor</a>'
        '<script src="https://cdn.example.org/x.js"></script>'
    )
    report = site_links.check_site(tmp_path)
    assert report.pages == 2 and report.links == 4
    assert sorted(report.problems) == [
        "b.html: <script> loads https://cdn.example.org/x.js from outside",
        "b.html: a.html#nowhere names a missing anchor",
        "b.html: c.html leads to a missing file",
    ]


def test_the_built_site_has_every_chapter_and_no_broken_link():
    site = built_site()
    report = site_links.check_site(site)
    assert report.problems == []
    for chapter in CHAPTERS:
        page = site / chapter.relative_to(paths.PROJECT_ROOT).with_suffix(".html")
        html = page.read_text()
        binder = book_source.binder_url(README).split("?")[0]
        assert binder in html, f"{page.name} has no Binder link"
        assert "copybtn" in html or "copybutton" in html
    assert "/predict" in (site / "api-reference.html").read_text()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged (a failed one shows in the browser's console instead)."""


@pytest.fixture(scope="module")
def served_site():
    """The built site over HTTP, as GitHub Pages serves it."""
    handler = functools.partial(QuietHandler, directory=str(built_site()))
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


class WatchedPage(Page):
    """A tab that also keeps the console errors and failed loads it reports."""

    def __init__(self, socket):
        super().__init__(socket)
        self.errors: list[str] = []

    def send(self, method: str, **params) -> dict:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=30))
            self._note(message)
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def _note(self, message: dict) -> None:
        params = message.get("params", {})
        if message.get("method") == "Runtime.exceptionThrown":
            details = params["exceptionDetails"]
            self.errors.append(f"{details.get('url')}: {details.get('exception', details)}")
        elif message.get("method") == "Runtime.consoleAPICalled" and params["type"] == "error":
            self.errors.append(str([a.get("value") for a in params.get("args", [])]))
        elif message.get("method") == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.errors.append(f"{params['entry'].get('url')}: {params['entry']['text']}")

    def open(self, url: str) -> None:
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + 30
        while self.evaluate("document.readyState") != "complete":
            assert time.monotonic() < deadline, f"{url} never finished loading"
            time.sleep(0.2)
        time.sleep(0.5)  # let late scripts report their errors
        self.evaluate("1")


RENDERED_IMAGES = (
    "Array.from(document.querySelectorAll('article img'))"
    ".filter(i => i.complete && i.naturalWidth > 0).length"
)
SIDEBAR = "Array.from(document.querySelectorAll('nav.bd-docs-nav a')).map(a => a.innerText)"
NEIGHBOURS = "['a.left-prev', 'a.right-next'].map(s => document.querySelector(s)?.href ?? null)"
SEARCH_HITS = "Array.from(document.querySelectorAll('#search-results li a')).map(a => a.href)"


def page_url(site: str, chapter: Path) -> str:
    return f"{site}/{chapter.relative_to(paths.PROJECT_ROOT).with_suffix('.html').as_posix()}"


def test_chromium_shows_pages_contents_pictures_neighbours_search(served_site, tmp_path):
    chromium = require_in_ci("chromium")
    browser, address = open_tab(chromium, "about:blank", tmp_path / "profile")
    try:
        with connect(address, max_size=None) as socket:
            page = WatchedPage(socket)
            for domain in ("Page", "Runtime", "Log"):
                page.send(f"{domain}.enable")
            page.open(f"{served_site}/index.html")
            assert "The Model Deployment Workbook" in page.evaluate("document.title")
            sidebar = page.evaluate(SIDEBAR)
            assert len(sidebar) >= len(CHAPTERS), sidebar
            assert page.errors == [], page.errors
            for number, chapter in enumerate(CHAPTERS):
                relative = chapter.relative_to(paths.PROJECT_ROOT).with_suffix(".html")
                page.open(page_url(served_site, chapter))
                title = page.evaluate("document.querySelector('article h1').innerText")
                assert title.startswith(chapter.name[:2]), title
                assert page.evaluate(SIDEBAR) == sidebar, f"{relative}: another contents list"
                images = page.evaluate(RENDERED_IMAGES)
                assert images == saved_images(chapter), f"{relative}: {images} pictures shown"
                assert images >= 1, relative
                previous, following = page.evaluate(NEIGHBOURS)
                if number > 0:
                    assert previous == page_url(served_site, CHAPTERS[number - 1]), previous
                if number + 1 < len(CHAPTERS):
                    assert following == page_url(served_site, CHAPTERS[number + 1]), following
                assert page.errors == [], f"{relative}: {page.errors}"
            page.open(f"{served_site}/search.html?q=drift")
            deadline = time.monotonic() + 30
            while not (hits := page.evaluate(SEARCH_HITS)) and time.monotonic() < deadline:
                time.sleep(0.5)
            assert any("08b_drift_detection.html" in hit for hit in hits), hits
            assert page.errors == [], f"search: {page.errors}"
    finally:
        browser.terminate()
        browser.wait(10)
