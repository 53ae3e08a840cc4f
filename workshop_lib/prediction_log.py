"""Structured prediction logs: the real-time service writes them, monitoring reads them.

One JSON object per line (JSON Lines), one line per prediction::

    {"time": "2025-05-01T10:00:00.123+00:00", "request_id": "…", "model_version": "1.0.0",
     "endpoint": "/predict", "inputs": {...the 12 features...}, "probability": 0.12,
     "decision": "approve", "latency_ms": 3.1}

Each call appends its records with one ``write`` on a file opened in append mode, under an
exclusive ``flock``, so several server processes can log to one file without interleaving
lines. A write that fails or is cut short (a full disk) is rolled back to the last whole line
and raised as ``PredictionLogUnavailable``: the log never holds a torn record, and the service
refuses the request (503) rather than answer a prediction it could not record.
"""

from __future__ import annotations

import errno
import fcntl
import json
import math
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pydantic_core

from workshop_lib import paths, schema

DEFAULT_LOG = paths.RUNTIME_DIR / "logs" / "predictions.jsonl"
LOG_ENV_VAR = "PREDICTION_LOG"


def default_log_path() -> Path:
    """``$PREDICTION_LOG`` if set, else ``runtime/logs/predictions.jsonl``."""
    return Path(os.environ.get(LOG_ENV_VAR, DEFAULT_LOG))


@dataclass(frozen=True)
class PredictionRecord:
    """What is remembered about one prediction."""

    request_id: str
    model_version: str
    endpoint: str
    inputs: dict[str, Any]
    probability: float
    decision: str
    latency_ms: float
    time: str = ""

    def to_json(self) -> bytes:
        """One compact JSON line (pydantic-core's Rust encoder: a tenth of ``json.dumps``'s
        time); NaN and infinity have no JSON form and are refused, naming the field."""
        numbers = [("probability", self.probability), ("latency_ms", self.latency_ms)]
        not_finite = [
            name
            for name, value in [*numbers, *self.inputs.items()]
            if isinstance(value, float) and not math.isfinite(value)
        ]
        if not_finite:
            raise ValueError(f"{', '.join(not_finite)}: not a finite number (JSON has none)")
        record = self.__dict__ | {
            "time": self.time or datetime.now(UTC).isoformat(timespec="milliseconds")
        }
        return pydantic_core.to_json(record)


class PredictionLogUnavailable(Exception):
    """The records could not be written (nothing of them was kept); ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(f"prediction log unavailable: {reason}")
        self.reason = reason


def _reason(error: OSError) -> str:
    """A short, stable reason for an operator: "disk full", "permission denied", ..."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return "disk full"
    return (error.strerror or type(error).__name__).lower()


class PredictionLogger:
    """Appends prediction records to a JSON Lines file, safely from threads and processes."""

    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path is not None else default_log_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def log(self, records: list[PredictionRecord]) -> None:
        """Append ``records`` as whole lines, or none of them and ``PredictionLogUnavailable``."""
        if not records:
            return
        payload = b"".join(r.to_json() + b"\n" for r in records)
        with self._lock:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            except OSError as error:
                raise PredictionLogUnavailable(_reason(error)) from error
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)  # other processes' loggers wait; released at close
                _append_whole(fd, payload)
            finally:
                os.close(fd)


def _append_whole(fd: int, payload: bytes) -> None:
    """Append all of ``payload``; on any failure cut the file back to where it ended."""
    end = os.fstat(fd).st_size
    written = 0
    try:
        while written < len(payload):  # a short write (disk nearly full): the rest, or its error
            count = os.write(fd, payload[written:])
            if count == 0:
                raise OSError(errno.ENOSPC, "nothing was written")
            written += count
    except OSError as error:
        if written:
            os.ftruncate(fd, end)  # no torn line: back to the last whole record
        raise PredictionLogUnavailable(_reason(error)) from error


@dataclass(frozen=True)
class LogReadResult:
    """A prediction log as a table, and which lines were not prediction records."""

    frame: pd.DataFrame
    skipped_lines: int
    skipped_line_numbers: tuple[int, ...] = ()


def _parse_record(line: str) -> dict[str, Any] | None:
    """The record on one line, or None when the line is not a JSON object with a time."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("time"), str):
        return None
    return record


def read_prediction_log(path: Path | str | None = None) -> LogReadResult:
    """Read a prediction log into one row per prediction, the inputs as feature columns.

    Lines that are not a record (not valid JSON, e.g. a line cut short by a crash, or valid
    JSON that is not an object with a ``time``, such as ``[1, 2]`` or ``"text"``) are
    counted in ``skipped_lines`` and named (1-based) in ``skipped_line_numbers`` rather
    than silently dropped or crashing the reader.
    """
    path = Path(path) if path is not None else default_log_path()
    records: list[dict[str, Any]] = []
    skipped: list[int] = []
    with path.open() as handle:
        for number, line in enumerate(handle, start=1):
            record = _parse_record(line)
            if record is None:
                skipped.append(number)
            else:
                records.append(record)
    if not records:
        empty = pd.DataFrame(columns=["time", *schema.FEATURES])
        return LogReadResult(empty, len(skipped), tuple(skipped))
    frame = pd.json_normalize(records)
    frame.columns = [c.removeprefix("inputs.") for c in frame.columns]
    frame["time"] = pd.to_datetime(frame["time"], format="ISO8601")
    for column, categories in schema.CATEGORIES.items():
        if column in frame:
            frame[column] = pd.Categorical(frame[column], categories=categories)
    return LogReadResult(frame, len(skipped), tuple(skipped))
