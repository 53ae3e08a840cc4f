"""The instructor guide's teaching plans name real sections of real notebooks, in order."""

from __future__ import annotations

import functools
import re

import nbformat
import pytest

from workshop_lib import paths
from workshop_lib.support import notebook_times

GUIDE = paths.PROJECT_ROOT / "docs" / "instructor.md"
NOTEBOOKS = paths.PROJECT_ROOT / "notebooks"
PLAN_HEADER = "| min | notebook | section | shown live | learners do |"
TOTAL = re.compile(r"^#{3,4} (.+) \((\d+) min\)$", re.M)
WHOLE = "all"  # a row that takes the whole notebook, for its minutes in notebook_times.json


@functools.cache
def headings(short: str) -> list[str]:
    """The markdown headings of notebook ``short`` (``02b``), without their ``#`` marks."""
    (path,) = NOTEBOOKS.glob(f"{short}_*.ipynb")
    notebook = nbformat.read(path, as_version=4)
    lines = [
        line
        for cell in notebook.cells
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
    ]
    return [line.lstrip("#").strip() for line in lines if re.match(r"#{1,6} ", line)]


def plan_tables(text: str) -> dict[str, tuple[int, list[list[str]]]]:
    """Each plan table under its heading: the heading's total minutes and the table's rows."""
    tables = {}
    for match in TOTAL.finditer(text):
        following = text[match.end() :]
        next_heading = re.search(r"^#{2,4} ", following, re.M)
        block = following[: next_heading.start() if next_heading else None]
        if PLAN_HEADER not in block:
            continue
        lines = block[block.index(PLAN_HEADER) :].splitlines()[2:]
        rows = [
            [cell.strip() for cell in line.strip("|").split("|")]
            for line in lines
            if line.startswith("|")
        ]
        tables[match[1]] = (int(match[2]), rows)
    return tables


def problems(text: str) -> list[str]:
    """Everything wrong with the plans in ``text`` (a guide)."""
    found = []
    times = {notebook_times.short_name(n): t for n, t in notebook_times.load().items()}
    for plan, (total, rows) in plan_tables(text).items():
        if sum(int(row[0]) for row in rows) != total:
            found.append(f"{plan}: rows add up to {sum(int(r[0]) for r in rows)} min, not {total}")
        last: dict[str, int] = {}
        for minutes, short, section, *_ in rows:
            if short == "—":
                continue
            if short not in times:
                found.append(f"{plan}: no notebook {short}")
            elif section == WHOLE:
                if int(minutes) != times[short].minutes:
                    found.append(f"{plan}: {short} whole takes {times[short].minutes} min")
            elif section not in headings(short):
                found.append(f"{plan}: {short} has no section {section!r}")
            elif (index := headings(short).index(section)) < last.get(short, -1):
                found.append(f"{plan}: {short} {section!r} comes after an earlier row's section")
            else:
                last[short] = index
    return found


def test_the_guide_has_the_three_plans_and_each_adds_up():
    tables = plan_tables(GUIDE.read_text())
    names = " ".join(tables)
    for wanted in ("90-minute", "half a day", "Day 1", "Day 2"):
        assert wanted in names, f"no plan {wanted!r} in {list(tables)}"
    assert problems(GUIDE.read_text()) == []


def test_the_90_minute_plan_ends_with_the_practical_on_chapters_03_and_04():
    total, rows = next(t for name, t in plan_tables(GUIDE.read_text()).items() if "90" in name)
    assert total == 90
    practical = [row[1] for row in rows if row[1] != "—"][-6:]
    assert set(practical) == {"03", "04"}


def test_every_notebook_has_its_section_in_the_guide():
    text = GUIDE.read_text()
    for name in notebook_times.load():
        assert re.search(rf"^### {notebook_times.short_name(name)} · ", text, re.M), name


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ("| 5. Latency: p50, p95, p99 |", "has no section"),
        ("| 7 | 01 | Four ways to deploy |", "add up to"),
        ("| 40 | 03 | all |", "whole takes"),
    ],
)
def test_a_plan_that_names_a_missing_section_fails(change, complaint):
    """The same checks on a guide broken on purpose (a renamed section, wrong minutes)."""
    text = GUIDE.read_text()
    broken = {
        "| 5. Latency: p50, p95, p99 |": "| 5. Latency: the old name |",
        "| 7 | 01 | Four ways to deploy |": "| 8 | 01 | Four ways to deploy |",
        "| 40 | 03 | all |": "| 45 | 03 | all |",
    }[change]
    assert change in text
    assert any(complaint in problem for problem in problems(text.replace(change, broken, 1)))
