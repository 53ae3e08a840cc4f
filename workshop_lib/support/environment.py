"""Check that the installed packages are the ones the workbook pins, and say what to do if not."""

from __future__ import annotations

import platform
import re
from importlib.metadata import PackageNotFoundError, version

import pandas as pd

from workshop_lib import paths

CORE_PACKAGES = (
    "jupyterlab",
    "nbval",
    "pandas",
    "numpy",
    "scikit-learn",
    "fastapi",
    "uvicorn",
    "streamlit",
    "evidently",
    "dask",
    "matplotlib",
    "skops",
    "onnxruntime",
)
_PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)")


def locked_versions() -> dict[str, str]:
    """Package -> pinned version from requirements.lock (first pin where markers differ)."""
    pins: dict[str, str] = {}
    for line in (paths.PROJECT_ROOT / "requirements.lock").read_text().splitlines():
        match = _PIN.match(line)
        if match:
            pins.setdefault(match.group(1).lower(), match.group(2))
    return pins


def check_environment(packages: tuple[str, ...] = CORE_PACKAGES) -> pd.DataFrame:
    """One row per package: the pinned version, the installed one, and a verdict."""
    pins = locked_versions()
    rows = []
    for name in packages:
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        pinned = pins.get(name.lower(), "")
        if installed is None:
            status = "MISSING: run `make install` (or `pip install -r requirements.lock`)"
        elif installed != pinned:
            status = "different version: outputs may differ; run `make install`"
        else:
            status = "ok"
        rows.append({"package": name, "pinned": pinned, "installed": installed, "status": status})
    return pd.DataFrame(rows).set_index("package")


def python_ok() -> tuple[bool, str]:
    """Whether this Python is the 3.11 the workbook is pinned for, with a sentence saying so."""
    current = platform.python_version()
    if current.startswith("3.11."):
        return True, f"Python {current}: ok"
    return False, f"Python {current}: the workbook is pinned for 3.11; create the venv with 3.11"
