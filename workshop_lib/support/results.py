"""Figures measured in one chapter, kept for the summary chapter (09) to gather in one table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workshop_lib import paths

RESULTS_DIR = paths.RUNTIME_DIR / "results"


def record_results(chapter: str, figures: dict[str, Any], folder: Path | None = None) -> Path:
    """Save a chapter's measured figures (plain numbers and strings) as JSON; return the file."""
    folder = folder or RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{chapter}.json"
    path.write_text(json.dumps(figures, indent=2, sort_keys=True, allow_nan=False) + "\n")
    return path


def load_results(folder: Path | None = None) -> dict[str, dict[str, Any]]:
    """Every chapter's saved figures, by chapter name."""
    folder = folder or RESULTS_DIR
    if not folder.exists():
        return {}
    return {path.stem: json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))}
