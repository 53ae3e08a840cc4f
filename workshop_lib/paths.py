"""Where the workbook keeps its files. ``WORKBOOK_HOME`` moves the generated ones elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
HOME = Path(os.environ.get("WORKBOOK_HOME", PROJECT_ROOT))
MODELS_DIR = HOME / "models"  # the registry: generated, git-ignored
RUNTIME_DIR = HOME / "runtime"  # databases, logs, reports: generated, git-ignored


def shown(path: Path) -> str:
    """``path`` as a learner should read it: relative to the workbook's home when inside it.

    Outputs saved in a notebook then name ``models`` or ``runtime/streaming``, never the
    temporary home a test run used.
    """
    try:
        return str(Path(path).resolve().relative_to(HOME.resolve()))
    except ValueError:
        return str(path)
