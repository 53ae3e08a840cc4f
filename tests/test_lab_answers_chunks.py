"""How `make lab-answers` cuts the catalogue: every answer in exactly one chunk, and a chunk that
ran fewer answers than its lab has is a failure, even when pytest itself exits 0."""

from __future__ import annotations

import os
import subprocess
import sys

from tools import lab_answers
from tools.lab_answers import Chunk


def test_the_chunks_hold_every_catalogued_answer_once():
    files = sorted(lab_answers.ANSWERS.glob("lab*/*_*.py"))
    chunks = [Chunk(lab_id, kind) for lab_id in lab_answers.LABS for kind in lab_answers.TESTS]
    assert sum(chunk.answers() for chunk in chunks) == len(files) > 200
    collected = subprocess.run(
        [*Chunk("05", "right").command(), "--collect-only", "-q"],
        cwd=lab_answers.ROOT,
        env=os.environ | {"LAB_ANSWER_LAB": "05"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    ids = sorted(line.split("[")[1].rstrip("]") for line in collected.splitlines() if "[" in line)
    assert ids == sorted(f"lab05/{path.stem}" for path in files if "lab05/right_" in str(path))


def _fake_chunk_passing(count: int, tmp_path, monkeypatch) -> Chunk:
    tests = tmp_path / "test_fake.py"
    tests.write_text("".join(f"def test_{n}():\n    pass\n" for n in range(count)))
    monkeypatch.setattr(lab_answers, "LOGS", tmp_path / "logs")
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)]
    monkeypatch.setattr(Chunk, "command", lambda self: command)
    return Chunk("05", "right")


def test_a_chunk_passes_only_when_all_its_answers_passed(tmp_path, monkeypatch):
    chunk = _fake_chunk_passing(1, tmp_path, monkeypatch)  # pytest exits 0 after 1 of 6
    outcome = lab_answers.run_chunk(chunk, core=None)
    assert not outcome.passed
    assert "1 passed" in outcome.summary and "6 answers should have passed" in outcome.summary
    chunk = _fake_chunk_passing(chunk.answers(), tmp_path, monkeypatch)
    assert lab_answers.run_chunk(chunk, core=None).passed
