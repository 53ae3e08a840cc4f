"""The run log: every batch run and every written partition, in the predictions database.

``batch_runs`` has one row per run (start, end, rows, model version, status, error);
``batch_partitions`` one row per partition written, which is how a second run knows what to skip.

Three things keep the log true under faults:

- a run claims its day atomically (``BEGIN IMMEDIATE``: the check for another running run and
  the insert of its own happen under SQLite's write lock), so two runs started at the same
  instant never both score: the second gets a ``BatchError`` naming the first;
- the run's ``rows`` and ``written`` grow in the same transaction as each partition's write, so
  a run killed half-way still shows what it stored;
- a reserve file next to the database (``RESERVE_BYTES``) is given back when the disk is full,
  so a run that failed because the disk filled up can still record that cause.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from workshop_lib.batch.inputs import BatchError
from workshop_lib.store import (
    DEFAULT_STORE_URL,
    PredictionStore,
    StoreUnavailableError,
    utc_now,
)

RESERVE_BYTES = 4 * 2**20  # room for the run log's last write when the disk is full

_RUNS_TABLE = """
CREATE TABLE IF NOT EXISTS batch_runs (
    run_id        TEXT PRIMARY KEY,
    run_date      TEXT NOT NULL,
    status        TEXT NOT NULL
                  CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
    started_at    TEXT NOT NULL,
    ended_at      TEXT,
    rows          INTEGER NOT NULL DEFAULT 0,
    partitions    INTEGER NOT NULL DEFAULT 0,
    written       INTEGER NOT NULL DEFAULT 0,
    skipped       INTEGER NOT NULL DEFAULT 0,
    model_version TEXT,
    scheduler     TEXT NOT NULL,
    host          TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    error         TEXT
)
"""
_PARTITIONS_TABLE = """
CREATE TABLE IF NOT EXISTS batch_partitions (
    run_date      TEXT NOT NULL,
    part          TEXT NOT NULL,
    signature     TEXT NOT NULL,
    model_version TEXT NOT NULL,
    rows          INTEGER NOT NULL,
    run_id        TEXT NOT NULL,
    written_at    TEXT NOT NULL,
    PRIMARY KEY (run_date, part)
)
"""


@dataclass
class RunSummary:
    """What one run did, and how long each stage took (seconds)."""

    run_id: str
    run_date: str
    status: str
    rows: int = 0
    partitions: int = 0
    written: int = 0
    skipped: int = 0
    model_version: str | None = None
    error: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        """End to end: rows scored and written per second of the whole run."""
        return self.rows / self.seconds["total"] if self.seconds.get("total") else 0.0

    def __str__(self) -> str:
        text = (
            f"run {self.run_id} for {self.run_date}: {self.status}, {self.rows:,} rows, "
            f"{self.written} partition(s) written, {self.skipped} skipped, "
            f"model {self.model_version}"
        )
        return f"{text}\n  error: {self.error}" if self.error else text


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunLog:
    """The ``batch_runs`` and ``batch_partitions`` tables of a predictions database."""

    def __init__(self, store: PredictionStore):
        self.store = store
        with store.connect() as connection:
            connection.execute(_RUNS_TABLE)
            connection.execute(_PARTITIONS_TABLE)

    @property
    def reserve(self) -> Path:
        """The reserve file next to the database (``predictions.db.reserve``)."""
        return self.store.path.with_name(self.store.path.name + ".reserve")

    def _keep_reserve(self) -> None:
        """Make sure the reserve exists; no room for it means no room for a run."""
        if self.reserve.exists() and self.reserve.stat().st_size == RESERVE_BYTES:
            return
        staging = self.reserve.with_name(f"{self.reserve.name}.{os.getpid()}.tmp")
        try:
            with staging.open("wb") as handle:  # real bytes: a sparse file reserves nothing
                for _ in range(RESERVE_BYTES // 2**16):
                    handle.write(bytes(2**16))
            os.replace(staging, self.reserve)
        except OSError as error:
            staging.unlink(missing_ok=True)
            raise BatchError(
                f"no room for a run next to {self.store.path}: the run log's "
                f"{RESERVE_BYTES // 2**20} MiB reserve could not be written ({error}); free some "
                "space and run again (partitions already written are kept)"
            ) from None

    def start(self, run_date: date, scheduler: str) -> str:
        """Claim the day for a new run (after closing runs that died); return its id."""
        self._keep_reserve()
        run_id = f"{run_date.isoformat()}-{uuid.uuid4().hex[:8]}"
        host = socket.gethostname()
        with self.store.connect() as connection:
            connection.execute("BEGIN IMMEDIATE")  # check and claim under one write lock
            for other, other_host, pid in connection.execute(
                "SELECT run_id, host, pid FROM batch_runs WHERE run_date = ? AND status = ?",
                (run_date.isoformat(), "running"),
            ).fetchall():
                if other_host == host and not _pid_alive(pid):
                    connection.execute(
                        "UPDATE batch_runs SET status = 'interrupted', error = ? WHERE run_id = ?",
                        (f"process {pid} ended before the run finished (killed?)", other),
                    )
                else:
                    raise BatchError(
                        f"{run_date} is already being scored by run {other} (pid {pid} on "
                        f"{other_host}); wait for it, or mark it failed if it is gone"
                    )
            connection.execute(
                "INSERT INTO batch_runs (run_id, run_date, status, started_at, scheduler, host, "
                "pid) VALUES (?, ?, 'running', ?, ?, ?, ?)",
                (run_id, run_date.isoformat(), utc_now(), scheduler, host, os.getpid()),
            )
        return run_id

    def set_model(self, run_id: str, version: str, partitions: int) -> None:
        with self.store.connect() as connection:
            connection.execute(
                "UPDATE batch_runs SET model_version = ?, partitions = ? WHERE run_id = ?",
                (version, partitions, run_id),
            )

    def finish(self, summary: RunSummary) -> None:
        """Close a run with its final status and counts; on a full disk, use the reserve."""
        try:
            self._record_end(summary)
        except StoreUnavailableError:
            if not self.reserve.exists():
                raise
            self.reserve.unlink()
            self._record_end(summary)

    def _record_end(self, summary: RunSummary) -> None:
        with self.store.connect() as connection:
            connection.execute(
                "UPDATE batch_runs SET status = ?, ended_at = ?, rows = ?, written = ?, "
                "skipped = ?, error = ? WHERE run_id = ?",
                (
                    summary.status,
                    utc_now(),
                    summary.rows,
                    summary.written,
                    summary.skipped,
                    summary.error,
                    summary.run_id,
                ),
            )

    def done_partitions(self, run_date: date) -> dict[str, tuple[str, str, int]]:
        """Partitions already written for a day: part -> (signature, model version, rows)."""
        with self.store.connect() as connection:
            rows = connection.execute(
                "SELECT part, signature, model_version, rows FROM batch_partitions "
                "WHERE run_date = ?",
                (run_date.isoformat(),),
            ).fetchall()
        return {part: (signature, version, count) for part, signature, version, count in rows}

    def forget(self, run_date: date) -> None:
        """Forget which partitions of a day were written, so the next run rescores all."""
        with self.store.connect() as connection:
            connection.execute(
                "DELETE FROM batch_partitions WHERE run_date = ?", (run_date.isoformat(),)
            )

    def runs(self) -> pd.DataFrame:
        """Every run, oldest first."""
        return self.store.read("SELECT * FROM batch_runs ORDER BY started_at, run_id")


def runs(store_url: str = DEFAULT_STORE_URL) -> pd.DataFrame:
    """The run log of a predictions database, oldest run first."""
    return RunLog(PredictionStore(store_url)).runs()
