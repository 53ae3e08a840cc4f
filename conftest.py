"""Every notebook is tested as a learner would first meet it: alone, on a clean workbook.

Before nbval starts a notebook's kernel, ``WORKBOOK_HOME`` points at a fresh empty folder, so
the notebook finds no model, no data and no results from the others (``workshop_lib.paths``
puts ``models/`` and ``runtime/`` there) and must prepare what it needs itself.
"""

from __future__ import annotations

import os

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    notebook = item.parent
    if notebook is None or not str(notebook.path).endswith(".ipynb"):
        return
    if getattr(notebook, "_clean_home", None) is None:  # the first cell: before the kernel starts
        factory = item.config._tmp_path_factory  # the same factory as the tmp_path fixture's
        notebook._clean_home = factory.mktemp(notebook.path.stem)
        os.environ["WORKBOOK_HOME"] = str(notebook._clean_home)
