"""Every notebook is tested as a learner would first meet it: alone, on a clean workbook.

Before nbval starts a notebook's kernel, ``WORKBOOK_HOME`` points at a fresh empty folder, so
the notebook finds no model, no data and no results from the others (``workshop_lib.paths``
puts ``models/`` and ``runtime/`` there) and must prepare what it needs itself.

Every kernel also writes the claims its notebook checked or set aside to one ledger
(``workshop_lib.support.claims``); the run ends with their count, and a CI run that set any
claim aside fails (outside the contention run, whose machine is busy on purpose).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from workshop_lib.support import claims


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    notebook = item.parent
    if notebook is None or not str(notebook.path).endswith(".ipynb"):
        return
    if getattr(notebook, "_clean_home", None) is None:  # the first cell: before the kernel starts
        factory = item.config._tmp_path_factory  # the same factory as the tmp_path fixture's
        notebook._clean_home = factory.mktemp(notebook.path.stem)
        os.environ["WORKBOOK_HOME"] = str(notebook._clean_home)
        os.environ[claims.LEDGER_VARIABLE] = str(ledger_path(item.config))


def ledger_path(config: pytest.Config) -> Path:
    """This test run's claims ledger (one file for every notebook's kernel)."""
    return Path(config._tmp_path_factory.getbasetemp()) / "claims.jsonl"


def ledger_entries(config: pytest.Config) -> list[dict[str, object]]:
    path = ledger_path(config)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    set_aside = [entry for entry in ledger_entries(session.config) if not entry["checked"]]
    if set_aside and claims.strict():
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    entries = ledger_entries(config)
    if not entries:
        return
    set_aside = [entry for entry in entries if not entry["checked"]]
    verdict = "FAILED: CI must check every claim" if set_aside and claims.strict() else ""
    terminalreporter.write_sep(
        "-", f"notebook claims: {len(entries) - len(set_aside)} checked, "
        f"{len(set_aside)} set aside {verdict}".rstrip(),
    )  # fmt: skip
    for entry in set_aside:
        needs = entry["needs"]
        terminalreporter.write_line(f"set aside: {entry['statement']} ({needs})")
