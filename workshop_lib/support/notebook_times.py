"""One source for every notebook's minutes and run time: ``docs/notebook_times.json``.

The minutes a class needs to work through a notebook are written there by hand; the run time
(*Run All*, kernel start included) and the kernel's peak memory are written by ``make
demo-ready`` from what it measures. README's notebook table, notebook 00's table and the headings
of the instructor guide are generated from the file: ``python -m
workshop_lib.support.notebook_times`` rewrites them (``--check`` only compares), and
``tests/test_notebook_times.py`` fails while one of them disagrees with it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from workshop_lib import paths

ROOT = paths.PROJECT_ROOT
TIMES_FILE = ROOT / "docs" / "notebook_times.json"
README = ROOT / "README.md"
GUIDE = ROOT / "docs" / "instructor.md"
START_HERE = ROOT / "notebooks" / "00_start_here.ipynb"
START_HERE_TABLE = "| # | Notebook | You will | Time |"


@dataclass(frozen=True)
class Timing:
    """One notebook's figures: authored minutes, measured seconds and MiB."""

    minutes: int
    run_s: float
    peak_mib: float | None = None


def load(path: Path = TIMES_FILE) -> dict[str, Timing]:
    """Notebook name (``02b_batch_engines``) -> its figures, in the file's order."""
    notebooks = json.loads(path.read_text())["notebooks"]
    return {name: Timing(**figures) for name, figures in notebooks.items()}


def record(runs: Iterable[tuple[str, float, float | None]], path: Path = TIMES_FILE) -> None:
    """Write measured run times and peak memories (name, seconds, MiB); minutes are kept."""
    document = json.loads(path.read_text())
    for name, seconds, peak in runs:
        if name not in document["notebooks"]:
            raise KeyError(f"{name} has no entry in {path.name}: add it with its minutes first")
        figures = document["notebooks"][name]
        figures["run_s"] = round(seconds, 1)
        figures["peak_mib"] = None if peak is None else round(peak)
    document["measured"] = {
        "by": "make demo-ready",
        "on": datetime.now(UTC).strftime("%Y-%m-%d"),
        "cores": os.cpu_count(),
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


def run_time(seconds: float) -> str:
    """How a run time is printed everywhere: to the nearest 5 s (``~55 s``)."""
    return f"~{max(5, 5 * round(seconds / 5))} s"


def short_name(name: str) -> str:
    """``02b_batch_engines`` -> ``02b``."""
    return name.split("_", 1)[0]


def _replace(pattern: str, text: str, make: Callable[[re.Match[str]], str], what: str) -> str:
    """``text`` with the one line ``pattern`` matches rewritten by ``make``; an error if none."""
    new, count = re.subn(pattern, make, text, count=1, flags=re.M)
    if count != 1:
        raise ValueError(f"no line for {what}: the table or heading was renamed or removed")
    return new


def readme_text(times: dict[str, Timing], text: str) -> str:
    """README with each notebook row's last two cells (minutes, run time) from ``times``."""
    for name, timing in times.items():
        link = rf"\[[^\]]+\]\(notebooks/{name}\.ipynb\)"
        row = rf"^(\| {short_name(name)} \| {link} \|[^|]+\|)[^|]*\|[^|]*\|$"

        def cells(m: re.Match[str], t: Timing = timing) -> str:
            return f"{m[1]} {t.minutes} | {run_time(t.run_s)} |"

        text = _replace(row, text, cells, f"{name} in README")
    peaks = [t.peak_mib for t in times.values() if t.peak_mib is not None]
    if peaks:
        span = f"{100 * int(min(peaks) // 100)}-{100 * -int(-max(peaks) // 100)} MiB"
        text = _replace(
            r"peak memory: \d+-\d+ MiB", text, lambda _: f"peak memory: {span}", "peaks"
        )
    return text


def guide_text(times: dict[str, Timing], text: str) -> str:
    """The instructor guide with each notebook heading's minutes and run time from ``times``."""
    for name, timing in times.items():
        heading = rf"^(### {short_name(name)} · [^(\n]+) \(\d+ min, runs in ~\d+ s\)$"

        def figures(m: re.Match[str], t: Timing = timing) -> str:
            return f"{m[1]} ({t.minutes} min, runs in {run_time(t.run_s)})"

        text = _replace(heading, text, figures, f"{name} in the instructor guide")
    return text


def start_here_table(times: dict[str, Timing], source: str) -> str:
    """Notebook 00's table cell with each row's minutes from ``times``."""
    for name, timing in times.items():
        row = rf"^(\| {short_name(name)} \| \[[^\]]+\]\({name}\.ipynb\) \|[^|]+\|)[^|]*\|$"

        def minutes(m: re.Match[str], t: Timing = timing) -> str:
            return f"{m[1]} {t.minutes} min |"

        source = _replace(row, source, minutes, f"{name} in notebook 00")
    return source


def start_here_cell(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The markdown cell of notebook 00 that holds the table of notebooks."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and START_HERE_TABLE in cell.source:
            return cell
    raise ValueError(f"notebook 00 has no cell with the table {START_HERE_TABLE!r}")


def stale_files(times: dict[str, Timing], write: bool) -> list[Path]:
    """The files that disagree with ``times`` (rewritten when ``write``)."""
    stale = []
    for path, render in ((README, readme_text), (GUIDE, guide_text)):
        text = path.read_text()
        if (new := render(times, text)) != text:
            stale.append(path)
            if write:
                path.write_text(new)
    notebook = nbformat.read(START_HERE, as_version=4)
    cell = start_here_cell(notebook)
    if (new := start_here_table(times, cell.source)) != cell.source:
        stale.append(START_HERE)
        if write:
            cell.source = new  # only this cell changes; nbformat keeps the file's layout
            nbformat.write(notebook, START_HERE)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say which files disagree")
    args = parser.parse_args(argv)
    stale = stale_files(load(), write=not args.check)
    for path in stale:
        verb = "disagrees with" if args.check else "rewritten from"
        print(f"{path.relative_to(ROOT)} {verb} {TIMES_FILE.relative_to(ROOT)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
