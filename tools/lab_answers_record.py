"""A record that every catalogued lab answer passed on 20 seeds, for this exact code.

``make lab-answers`` and ``make ci-checks`` (which ``.ci/run`` calls before ``make test``) write
it when all of their chunks pass (``tools/lab_answers.py``). ``make test`` then skips its own
2-seed tries of the catalogue, but only while the record's fingerprint (SHA-256 of every file
under ``workshop_lib/``, ``tests/lab_answers/`` and of ``tests/test_lab_answers.py``) matches
the code as it is now: change any of them and the 2-seed tries run again.

    .venv/bin/python -m tools.lab_answers_record   # write it (make lab-answers does)
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / "runtime" / "lab-answers-passed.json"
COVERED = ("workshop_lib", "tests/lab_answers", "tests/test_lab_answers.py")
SEEDS = 20


def fingerprint() -> str:
    """SHA-256 over the path and bytes of every file the catalogue's verdicts depend on."""
    digest = hashlib.sha256()
    for name in COVERED:
        top = ROOT / name
        files = [top] if top.is_file() else sorted(top.rglob("*"))
        for path in files:
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def passed_for_this_code() -> bool:
    """Whether the record exists and was written for the code as it is now."""
    try:
        record = json.loads(RECORD.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return False
    return record.get("seeds") == SEEDS and record.get("fingerprint") == fingerprint()


def main() -> None:
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    RECORD.write_text(json.dumps({"seeds": SEEDS, "fingerprint": fingerprint()}) + "\n")
    print(f"every catalogued answer passed on {SEEDS} seeds: recorded in {RECORD.name}")


if __name__ == "__main__":
    main()
