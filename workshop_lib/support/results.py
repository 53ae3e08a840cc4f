"""Figures measured in one chapter, kept for the summary chapter (09) to gather in one table.

Each record carries its provenance: when it was recorded and with which code version (the git
commit, ``-dirty`` with uncommitted changes). Chapter 09 shows both, and sets aside a record
made with other code than its own run (``stale``) instead of mixing it with fresh figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workshop_lib import paths
from workshop_lib.registry import code_version

RESULTS_DIR = paths.RUNTIME_DIR / "results"
NOTEBOOKS_DIR = paths.PROJECT_ROOT / "notebooks"


@dataclass(frozen=True)
class ChapterResults:
    """One chapter's recorded figures and where they came from (None: recorded without it)."""

    chapter: str
    figures: dict[str, Any]
    recorded_at: datetime | None
    code_version: str | None

    def is_from(self, code: str) -> bool:
        """Whether these figures were measured with the code version ``code``."""
        return self.code_version == code


def record_results(chapter: str, figures: dict[str, Any], folder: Path | None = None) -> Path:
    """Save a chapter's figures (plain numbers and strings) with the time and code version."""
    folder = folder or RESULTS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{chapter}.json"
    record = {
        "chapter": chapter,
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "code_version": code_version(),
        "figures": figures,
    }
    path.write_text(json.dumps(record, indent=2, sort_keys=True, allow_nan=False) + "\n")
    return path


def _read(path: Path) -> ChapterResults:
    record = json.loads(path.read_text())
    if not isinstance(record.get("figures"), dict):  # written before records had provenance
        return ChapterResults(path.stem, record, None, None)
    return ChapterResults(
        path.stem,
        record["figures"],
        datetime.fromisoformat(record["recorded_at"]),
        record["code_version"],
    )


def load_records(folder: Path | None = None) -> dict[str, ChapterResults]:
    """Every chapter's saved record (figures and provenance), by chapter name."""
    folder = folder or RESULTS_DIR
    if not folder.exists():
        return {}
    return {path.stem: _read(path) for path in sorted(folder.glob("*.json"))}


def load_results(folder: Path | None = None) -> dict[str, dict[str, Any]]:
    """Every chapter's saved figures, by chapter name."""
    return {chapter: record.figures for chapter, record in load_records(folder).items()}


def chapter_number(name: str) -> str:
    """The chapter a notebook or a record belongs to: ``"02"`` for ``02_batch_deployment``."""
    return name.split("_", 1)[0]


def recording_chapters(folder: Path | None = None) -> list[str]:
    """The chapters whose notebook records results (its source calls ``record_results``)."""
    folder = folder or NOTEBOOKS_DIR
    return sorted(
        {
            chapter_number(notebook.stem)
            for notebook in folder.glob("[0-9][0-9]*.ipynb")
            if any(
                "record_results(" in "".join(cell["source"])
                for cell in json.loads(notebook.read_text())["cells"]
                if cell["cell_type"] == "code"
            )
        }
    )
