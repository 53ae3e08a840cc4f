"""Check the built website: every internal link and anchor resolves, nothing loads from outside.

    .venv/bin/python -m tools.site_links _build/book/_build/html

Links to other sites (``<a href="https://...">``) are not followed (there is no internet here);
a *resource* from another site (a script, stylesheet, image, font or frame) is an error, since
the site must work offline and load nothing from a CDN. Exit code 1 lists every problem.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

RESOURCE_TAGS = {"script", "link", "img", "iframe", "source", "video", "audio", "embed"}
CSS_URL = re.compile(r"""url\(\s*["']?(https?:)?//|@import\s+["']?(https?:)?//""")


class _Page(HTMLParser):
    """The ids (anchors) a page defines and the addresses it points to."""

    def __init__(self) -> None:
        super().__init__()
        self.anchors: set[str] = set()
        self.references: list[tuple[str, str]] = []  # (tag, address)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if "id" in values:
            self.anchors.add(values["id"])
        if tag == "a" and "name" in values:
            self.anchors.add(values["name"])
        for name in ("href", "src"):
            if values.get(name):
                self.references.append((tag, values[name]))


@dataclass
class SiteReport:
    pages: int = 0
    links: int = 0
    problems: list[str] = field(default_factory=list)


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(errors="replace"))
    return page


def check_site(root: Path) -> SiteReport:
    """Every problem with the site's internal links, anchors and outside resources."""
    root = root.resolve()
    pages = {  # _static/ holds the theme's Jinja templates, not pages
        path: _parse(path)
        for path in sorted(root.rglob("*.html"))
        if "_static" not in path.relative_to(root).parts
    }
    report = SiteReport(pages=len(pages))
    for path, page in pages.items():
        where = path.relative_to(root)
        for tag, address in page.references:
            parts = urlsplit(address)
            if parts.scheme in ("http", "https") or address.startswith("//"):
                if tag in RESOURCE_TAGS:
                    report.problems.append(f"{where}: <{tag}> loads {address} from outside")
                continue
            if parts.scheme:  # mailto:, javascript:, data:
                continue
            report.links += 1
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if target.is_dir():
                target = target / "index.html"
            if not target.is_relative_to(root) or not target.exists():
                report.problems.append(f"{where}: {address} leads to a missing file")
            elif parts.fragment and target.suffix == ".html":
                anchors = pages[target].anchors if target in pages else _parse(target).anchors
                if unquote(parts.fragment) not in anchors:
                    report.problems.append(f"{where}: {address} names a missing anchor")
    for css in sorted(root.rglob("*.css")):
        if CSS_URL.search(css.read_text(errors="replace")):
            report.problems.append(f"{css.relative_to(root)}: loads a file from outside")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("site", type=Path, help="the built site's folder")
    report = check_site(parser.parse_args().site)
    for problem in report.problems:
        print(problem)
    print(f"{report.pages} pages, {report.links} internal links, {len(report.problems)} problems")
    if report.problems or not report.pages:
        sys.exit(1)


if __name__ == "__main__":
    main()
