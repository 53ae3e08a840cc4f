"""Every chapter has the workbook's shape, links to its neighbours and fits Binder.

(nbval, run by the same `make test`, executes the notebooks; this checks how they are built.)
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from workshop_lib import paths

NOTEBOOKS = sorted((paths.PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# Every chapter in reading order, with the lettered ones after their number (02, 02b, 03).
CHAPTERS = sorted(
    (paths.PROJECT_ROOT / "notebooks").glob("[0-9][0-9]*_*.ipynb"), key=lambda p: p.stem
)
LINK = re.compile(r"\]\(([^)#]+\.ipynb)\)")


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def markdown(notebook: nbformat.NotebookNode) -> str:
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def test_the_chapters_are_numbered_without_gaps():
    numbers = [int(path.name[:2]) for path in NOTEBOOKS]
    assert numbers == list(range(10)), [path.name for path in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_a_chapter_has_the_workbook_shape(path):
    notebook = read(path)
    assert notebook.metadata.kernelspec.name == "python3"
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {path.name.split('_')[0]}")
    text = markdown(notebook)
    for section in ("You will learn to", "Prerequisites", "Recap"):
        assert re.search(section, text), f"{path.name} has no '{section}' section"
    assert any("check(" in cell.source for cell in notebook.cells if cell.cell_type == "code"), (
        f"{path.name} has no self-checking exercise"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_a_chapter_opens_and_closes_with_the_template(path):
    """Title, summary, neighbours, You will learn to, Prerequisites, Time, Contents; Next: last."""
    notebook = read(path)
    opening = notebook.cells[0].source
    blocks = [block.split("\n")[0] for block in re.split(r"\n\s*\n", opening)]
    assert blocks[0].startswith(f"# {path.name.split('_')[0]} · ")
    assert blocks[1].startswith("*"), f"{path.name}: a one-line summary in italics or bold"
    assert "Next: " in blocks[2] and ("[Contents]" in blocks[2] or path.name.startswith("00"))
    for label in ("**You will learn to**", "**Prerequisites:**", "**Contents**"):
        assert any(block.startswith(label) for block in blocks), f"{path.name} lacks {label}"
    assert "**Time:**" in opening, f"{path.name} gives no time"
    sections = [
        heading
        for cell in notebook.cells[1:]
        if cell.cell_type == "markdown"
        for heading in re.findall(r"^## (.+)$", cell.source, re.MULTILINE)
    ]
    listed = opening.split("**Contents**\n", 1)[1].split("\n\n", 1)[0].splitlines()
    expected = ["- " + re.sub(r"^(\d+)\. ", r"\1 · ", heading) for heading in sections]
    assert listed == expected, f"{path.name}: Contents does not list its sections"
    closing = notebook.cells[-1].source.rstrip().splitlines()[-1]
    assert closing.startswith("**Next:** "), f"{path.name} does not end with **Next:**"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_code_lines_fit_the_website(path):
    """At most 88 characters, so no line of code hides behind a scrollbar on the website."""
    long = [
        line
        for cell in read(path).cells
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if len(line) > 88
    ]
    assert long == [], f"{path.name}: {len(long)} code lines over 88 characters"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_navigation_links_lead_to_real_notebooks(path):
    number = int(path.name[:2])
    targets = set(LINK.findall(read(path).cells[0].source))
    for target in targets:
        assert (path.parent / target).exists(), f"{path.name} links to missing {target}"
    if number:
        assert "00_start_here.ipynb" in targets, f"{path.name} lacks a link to the contents"
    for neighbour in (p for p in NOTEBOOKS if abs(int(p.name[:2]) - number) == 1):
        low = min(number, int(neighbour.name[:2]))  # a lettered chapter between may stand in
        between = {p.name for p in CHAPTERS if p.name[2].isalpha() and int(p.name[:2]) == low}
        assert ({neighbour.name} | between) & targets, (
            f"{path.name} lacks a link to {neighbour.name}"
        )


def test_a_lettered_chapter_sits_between_its_neighbours():
    """02 -> 02b -> 03: a lettered chapter links both ways (a numbered one may skip it)."""
    for before, lettered, after in zip(CHAPTERS, CHAPTERS[1:], CHAPTERS[2:], strict=False):
        if lettered.name[2].isalpha():
            targets = set(LINK.findall(read(lettered).cells[0].source))
            assert {before.name, after.name} <= targets, f"{lettered.name} links {sorted(targets)}"


def test_readme_lists_every_notebook_with_a_time():
    readme = (paths.PROJECT_ROOT / "README.md").read_text()
    for path in CHAPTERS:
        row = next(
            (
                line
                for line in readme.splitlines()
                if f"notebooks/{path.name}" in line and line.startswith("|")
            ),
            "",
        )
        assert re.search(r"\| \d+ \|", row), f"README has no row with minutes for {path.name}"


def test_nothing_asks_for_every_core():
    """Binder reports the host's cores but gives one or two: `n_jobs=-1` would oversubscribe."""
    sources = [*paths.PROJECT_ROOT.joinpath("workshop_lib").rglob("*.py")]
    sources += [*paths.PROJECT_ROOT.joinpath("apps").rglob("*.py"), *NOTEBOOKS]
    offenders = [p.name for p in sources if re.search(r"n_jobs\s*=\s*-1", p.read_text())]
    assert offenders == []


def test_binder_builds_the_locked_environment_and_the_default_model():
    root = paths.PROJECT_ROOT
    assert (root / "environment.yml").exists() and (root / "binder" / "environment.yml").exists()
    post_build = root / "binder" / "postBuild"
    assert post_build.stat().st_mode & 0o111, "postBuild must be executable"
    assert "python -m workshop_lib.default_model" in post_build.read_text()
