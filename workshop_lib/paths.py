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
    """``path`` as a notebook prints it: relative to the workbook's home when under it.

    The home is a temporary folder in tests and builds; its absolute path means nothing to a
    reader (and would show on the website), while ``runtime/ch07/models`` does.
    """
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(HOME.resolve()).as_posix()
    except ValueError:
        return str(path)
