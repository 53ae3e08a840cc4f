"""Lay out the website's source (``make book``): chapters, front page, apps and API reference.

Jupyter Book reads one folder. This script fills it from the repository as it is now, so a
notebook added to ``notebooks/`` is in the table of contents without anyone editing a list:

    .venv/bin/python -m tools.book_source _build/book/source

It copies ``book/_config.yml`` and every notebook (saved outputs; nothing is executed), writes
the front page from README's introduction, one page per lab in ``notebooks/labs/`` (its task and
its scaffold), one page per app in ``apps/`` with its run commands
(from the Makefile and the app's docstring), the service's OpenAPI schema as produced by
``apps.api:app.openapi()``, and ``_toc.yml`` listing all of it in order.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import shutil
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
APPS = ROOT / "apps"
LABS = NOTEBOOKS / "labs"
INTRO_END = "## Set up and run"  # README's introduction is everything above this heading
BINDER_BADGE = re.compile(r"^\[!\[Launch on Binder\]\([^)]*\)\]\((?P<url>[^)]+)\)\s*$", re.M)
LINK = re.compile(r"(?P<image>!?)\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)\)")
HTML_SOURCE = re.compile(r"""<img\s[^>]*src=["'](?P<target>[^"']+)["']""")
MAKE_TARGET = re.compile(r"^(?P<name>[a-z][\w-]*):[^=\n]*?(?:##\s*(?P<comment>.*))?$")


class BookSourceError(Exception):
    """The repository lacks something the website needs (the message says what)."""


@dataclass(frozen=True)
class MakeTarget:
    name: str
    comment: str
    recipe: list[str]


def chapters(notebooks: Path = NOTEBOOKS) -> list[Path]:
    """Every notebook under ``notebooks/`` (sub-folders too), in reading order."""
    found = [
        path
        for path in notebooks.rglob("*.ipynb")
        if ".ipynb_checkpoints" not in path.parts and not path.name.startswith(".")
    ]
    return sorted(found, key=lambda path: (len(path.relative_to(notebooks).parts), path.as_posix()))


def _local(target: str) -> bool:
    return not re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", target)


def staged_markdown(text: str, folder: Path, out: Path) -> str:
    """A notebook's markdown for the site; the repository files it links to go beside it.

    ``folder`` is the notebook's folder in the repository. A link to a repository file (an
    app's source) is copied into ``out`` at the same place, so the link works on the site. A
    link to a file that only a run creates (a report under ``runtime/``) cannot work there: it
    becomes the path in code, saying so. Images are copied too; a missing one fails the build.
    """

    def copy(target: str) -> bool:
        source = (folder / target.split("#", 1)[0]).resolve()
        if not source.is_file() or not source.is_relative_to(ROOT):
            return False
        destination = out / source.relative_to(ROOT)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, destination)
        return True

    def link(match: re.Match[str]) -> str:
        target = match["target"]
        if target.split("#", 1)[0].endswith((".ipynb", ".md")):
            return match[0]  # a page of the site: a broken one fails the build, as it should
        if not _local(target) or copy(target) or match["image"]:
            return match[0]
        return f"{match['text']} (`{target.lstrip('./')}`, written when the notebook runs)"

    for image in HTML_SOURCE.finditer(text):
        if _local(image["target"]):
            copy(image["target"])
    return LINK.sub(link, text)


def _text(source: str | list[str]) -> str:
    return "".join(source) if isinstance(source, list) else source


def stage_notebook(notebook: Path, out: Path) -> None:
    """Copy one notebook into the site's source, its markdown links made to work there."""
    content = json.loads(notebook.read_text())
    for cell in content["cells"]:
        if cell["cell_type"] == "markdown":
            cell["source"] = staged_markdown(_text(cell["source"]), notebook.parent, out)
        for output in cell.get("outputs", []):  # display(Markdown(...)) is rendered as markdown
            if "text/markdown" in output.get("data", {}):
                markdown = _text(output["data"]["text/markdown"])
                output["data"]["text/markdown"] = staged_markdown(markdown, notebook.parent, out)
    destination = out / notebook.relative_to(ROOT)
    destination.parent.mkdir(parents=True, exist_ok=True)
    destination.write_text(json.dumps(content, indent=1, ensure_ascii=False))


def front_page(readme: str) -> str:
    """README's introduction (title, promise, the chapters' table) as the site's front page.

    The Binder badge is an image on mybinder.org, which the site must not load: it becomes a
    plain link with the same address.
    """
    if INTRO_END not in readme:
        raise BookSourceError(f"README.md has no '{INTRO_END}' heading to end the introduction")
    intro = readme.split(INTRO_END, 1)[0].rstrip()
    intro = BINDER_BADGE.sub(lambda m: f"[Launch the workbook on Binder]({m['url']})", intro)
    return intro + "\n\nEvery chapter's page shows its notebook with the outputs saved in it.\n"


def binder_url(readme: str) -> str:
    """The Binder address of README's badge."""
    match = BINDER_BADGE.search(readme)
    if match is None:
        raise BookSourceError("README.md has no 'Launch on Binder' badge")
    return match["url"]


def make_targets(makefile: str) -> list[MakeTarget]:
    """The Makefile's targets with their '##' comment and recipe lines ($(BIN) spelt out)."""
    targets: list[MakeTarget] = []
    for line in makefile.splitlines():
        match = MAKE_TARGET.match(line)
        if match and not line.startswith((".PHONY", "$")):
            targets.append(MakeTarget(match["name"], (match["comment"] or "").strip(), []))
        elif line.startswith("\t") and targets:
            recipe = line.strip().replace("$(BIN)/", ".venv/bin/")
            targets[-1].recipe.append(recipe)
    return targets


def app_page(app: Path, targets: list[MakeTarget]) -> str:
    """One app's page: what it is (its docstring) and the commands that run it."""
    module = f"apps.{app.stem}"
    docstring = ast.get_docstring(ast.parse(app.read_text()))
    if not docstring:
        raise BookSourceError(f"apps/{app.name} has no docstring to document it")
    summary, _, details = docstring.partition("\n")
    runs = [
        target
        for target in targets
        if any(module in step or f"apps/{app.name}" in step for step in target.recipe)
    ]
    if not runs and module not in docstring and f"apps/{app.name}" not in docstring:
        raise BookSourceError(
            f"apps/{app.name}: no Makefile target and no command in its docstring runs it"
        )
    lines = [f"# `apps/{app.name}`", "", summary.strip(), ""]
    if runs:
        lines += ["## Run it with make", ""]
        for target in runs:
            lines += [
                "```bash",
                f"make {target.name}" + (f"  # {target.comment}" if target.comment else ""),
            ]
            lines += [f"# runs: {step}" for step in target.recipe]
            lines += ["```", ""]
    if details.strip():
        lines += ["## How it works and how to run it by hand", "", docstring_markdown(details), ""]
    if app.stem == "api":
        lines += ["Every endpoint, its parameters and its answers: [](../api-reference.md).", ""]
    lines += [f"Source: `apps/{app.name}` in the repository.", ""]
    return "\n".join(lines)


def docstring_markdown(text: str) -> str:
    """A docstring's paragraphs as Markdown: indented blocks are commands, ``x`` is code."""
    blocks = [block for block in re.split(r"\n\s*\n", text.strip("\n")) if block.strip()]
    out = []
    for block in blocks:
        if all(line.startswith(" ") for line in block.splitlines()):
            out.append("```bash\n" + textwrap.dedent(block).rstrip() + "\n```")
        else:
            paragraph = re.sub(r"::$", ":", block.strip())
            out.append(re.sub(r"``([^`]+)``", r"`\1`", paragraph))
    return "\n\n".join(out)


def lab_page(lab: Path, chapter: Path | None) -> str:
    """One lab's page: the task (its docstring), where it is checked, and the scaffold to fill."""
    source = lab.read_text()
    docstring = ast.get_docstring(ast.parse(source))
    if not docstring:
        raise BookSourceError(f"notebooks/labs/{lab.name} has no docstring saying what to write")
    title, _, task = docstring.partition("\n")
    number = lab.stem[3:5]
    lines = [f"# {title.strip()}", "", docstring_markdown(task), ""]
    if chapter is not None:
        lines += [
            f"The checker runs in [chapter {number}](../notebooks/{chapter.name}), in its "
            f'"Lab {number}" section: `check_lab("{number}")`.',
            "",
        ]
    body = source.split('"""', 2)[2].lstrip("\n") if source.lstrip().startswith('"""') else source
    lines += [
        f"## The scaffold: `notebooks/labs/{lab.name}`",
        "",
        "Fill in the `...` in your copy of this file (JupyterLab opens it from its file browser).",
        "",
        "```python",
        body.rstrip(),
        "```",
        "",
    ]
    return "\n".join(lines)


def apps_overview(apps: list[Path]) -> str:
    """The apps' index page: one line per app with a link to its page."""
    lines = [
        "# The apps",
        "",
        "Each chapter's deployment pattern is also a plain program you can run from a terminal.",
        "",
        "| app | what it is |",
        "|---|---|",
    ]
    for app in apps:
        summary = (ast.get_docstring(ast.parse(app.read_text())) or "").partition("\n")[0]
        lines.append(f"| [`apps/{app.name}`](apps/{app.stem}.md) | {summary} |")
    lines += ["", "The model service's endpoints are in [](api-reference.md).", ""]
    return "\n".join(lines)


def api_reference(schema: dict) -> str:
    """The OpenAPI reference page, rendered by sphinxcontrib-openapi from ``openapi.json``."""
    info = schema.get("info", {})
    return "\n".join(
        [
            "# API reference",
            "",
            f"**{info.get('title', 'The model service')}** (version {info.get('version', '?')}): "
            f"{info.get('description', '')}",
            "",
            "This page is generated from the schema the service itself produces "
            "(`apps.api:app.openapi()`), the same one it serves at `/openapi.json` and shows at "
            "`/docs` when it runs (`make api`). Download it: {download}`openapi.json`.",
            "",
            "```{openapi} openapi.json",
            ":examples:",
            "```",
            "",
        ]
    )


def toc(
    chapter_docs: list[str],
    app_docs: list[str],
    extra_docs: list[str],
    lab_docs: Sequence[str] = (),
) -> str:
    """``_toc.yml``: the front page, the chapters in order, the labs, the apps, the reference."""
    lines = [
        "# Generated by tools/book_source.py from the repository's folders: do not edit.",
        "format: jb-book",
        "root: index",
        "parts:",
        "  - caption: Chapters",
        "    chapters:",
    ]
    lines += [f"      - file: {doc}" for doc in chapter_docs]
    if lab_docs:
        lines += ["  - caption: Labs", "    chapters:"]
        lines += [f"      - file: {doc}" for doc in lab_docs]
    lines += ["  - caption: Apps", "    chapters:", "      - file: apps", "        sections:"]
    lines += [f"          - file: {doc}" for doc in app_docs]
    lines += ["      - file: api-reference"]
    if extra_docs:
        lines += ["  - caption: Teaching", "    chapters:"]
        lines += [f"      - file: {doc}" for doc in extra_docs]
    return "\n".join(lines) + "\n"


def service_schema() -> dict:
    """The OpenAPI schema of the model service, as the service builds it (no model needed)."""
    from apps.api import app

    return app.openapi()


def write_source(out: Path, schema: dict) -> list[str]:
    """Fill ``out`` with the website's source; the documents in reading order."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in ("_config.yml", "favicon.svg", "site_fixes.py"):
        shutil.copy(ROOT / "book" / name, out / name)
    shutil.copytree(
        NOTEBOOKS, out / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "*.ipynb")
    )
    for notebook in chapters():
        stage_notebook(notebook, out)
    readme = (ROOT / "README.md").read_text()
    (out / "index.md").write_text(front_page(readme))
    shutil.copytree(ROOT / "docs", out / "docs")
    (out / "openapi.json").write_text(json.dumps(schema, indent=2))
    (out / "api-reference.md").write_text(api_reference(schema))
    apps = sorted(path for path in APPS.glob("*.py") if not path.name.startswith("_"))
    targets = make_targets((ROOT / "Makefile").read_text())
    (out / "apps").mkdir(exist_ok=True)
    for app in apps:
        (out / "apps" / f"{app.stem}.md").write_text(app_page(app, targets))
    (out / "apps.md").write_text(apps_overview(apps))
    (out / "labs").mkdir(exist_ok=True)
    labs = sorted(LABS.glob("lab[0-9][0-9]*.py"))
    for lab in labs:
        chapter = next(iter(sorted(NOTEBOOKS.glob(f"{lab.stem[3:5]}_*.ipynb"))), None)
        (out / "labs" / f"{lab.stem}.md").write_text(lab_page(lab, chapter))
    chapter_docs = [path.relative_to(ROOT).with_suffix("").as_posix() for path in chapters()]
    app_docs = [f"apps/{app.stem}" for app in apps]
    extra_docs = [
        path.relative_to(ROOT).with_suffix("").as_posix()
        for path in sorted((ROOT / "docs").glob("*.md"))
    ]
    lab_docs = [f"labs/{lab.stem}" for lab in labs]
    (out / "_toc.yml").write_text(toc(chapter_docs, app_docs, extra_docs, lab_docs))
    return ["index", *chapter_docs, *lab_docs, "apps", *app_docs, "api-reference", *extra_docs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("out", type=Path, help="folder to (re)create with the website's source")
    args = parser.parse_args()
    docs = write_source(args.out, service_schema())
    print(f"website source: {len(docs)} pages in {args.out}")


if __name__ == "__main__":
    main()
