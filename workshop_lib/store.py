"""The predictions database: where batch and streaming scoring store their results.

The connection is a URL (``sqlite:///runtime/predictions.db`` by default). SQLite ships with
Python and needs no server; the table layout and the idempotent upsert are plain SQL that a
server database accepts too.

Writes are idempotent: ``application_id`` is the primary key and a second write of the same
application replaces the first, so re-running a job never doubles a prediction. An id is a
positive whole number that fits SQLite's 64-bit INTEGER (1 to 2**63 - 1); anything else is
refused with an error naming it, before it reaches the database.

Each source that writes here has its own block of ids (``SOURCE_IDS``): the stream's ids stop
below the batch job's first, and a write outside its source's block is refused. So a batch day
can never replace a stream prediction, nor the other way round; a trigger refuses any upsert that
would change a row's source (for sources outside the table too, such as a test's).
"""

from __future__ import annotations

import itertools
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workshop_lib import paths

DEFAULT_STORE_URL = f"sqlite:///{paths.RUNTIME_DIR / 'predictions.db'}"
MAX_APPLICATION_ID = 2**63 - 1  # the largest SQLite INTEGER
# The id block of each source (both ends included); other sources may use any id.
SOURCE_IDS: dict[str, tuple[int, int]] = {
    "stream": (1, 999_999_999),
    "batch": (1_000_000_000, MAX_APPLICATION_ID),
}
PREDICTION_COLUMNS = (
    "application_id",
    "probability",
    "decision",
    "model_version",
    "run_id",
    "source",
    "scored_at",
)
_CREATE = """
CREATE TABLE IF NOT EXISTS predictions (
    application_id INTEGER PRIMARY KEY,
    probability    REAL    NOT NULL CHECK (probability BETWEEN 0 AND 1),
    decision       TEXT    NOT NULL CHECK (decision IN ('approve', 'decline')),
    model_version  TEXT    NOT NULL,
    run_id         TEXT    NOT NULL,
    source         TEXT    NOT NULL,
    scored_at      TEXT    NOT NULL
)
"""
_KEEP_SOURCE = """
CREATE TRIGGER IF NOT EXISTS predictions_keep_source
BEFORE UPDATE OF source ON predictions WHEN OLD.source <> NEW.source
BEGIN
    SELECT RAISE(ABORT, 'a prediction of another source has this application_id');
END
"""
_UPSERT = f"""
INSERT INTO predictions ({", ".join(PREDICTION_COLUMNS)}) VALUES ({", ".join("?" * 7)})
ON CONFLICT (application_id) DO UPDATE SET
    probability = excluded.probability, decision = excluded.decision,
    model_version = excluded.model_version, run_id = excluded.run_id,
    source = excluded.source, scored_at = excluded.scored_at
"""


def sqlite_path(url: str) -> Path:
    """The file behind a ``sqlite:///path`` URL; other schemes get a clear error."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        raise ValueError(
            f"unsupported database URL {url!r}: this workbook stores predictions in SQLite, "
            f"so the URL must start with {prefix!r}"
        )
    return Path(url.removeprefix(prefix))


class StoreUnavailableError(sqlite3.OperationalError):
    """The predictions database could not be opened or written; the message names its file."""


def is_application_id(value: object) -> bool:
    """Whether ``value`` is a usable application id: a whole number in 1..2**63 - 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        return False
    return 1 <= int(value) <= MAX_APPLICATION_ID


def check_application_id(value: object) -> int:
    """``value`` as an int, or a ValueError that names it."""
    if not is_application_id(value):
        raise ValueError(
            f"application id {value!r} is not a whole number between 1 and {MAX_APPLICATION_ID}"
        )
    return int(value)  # type: ignore[call-overload]


def _check_source_blocks(ids: pd.Series, sources: Any) -> None:
    """Refuse ids outside their source's block in ``SOURCE_IDS`` (ids already checked)."""
    named = [sources] if isinstance(sources, str) else pd.unique(sources).tolist()
    for source in named:
        if source not in SOURCE_IDS:
            continue
        low, high = SOURCE_IDS[source]
        mine = ids if isinstance(sources, str) else ids[sources == source]
        if mine.min() < low or mine.max() > high:
            outside = mine[(mine < low) | (mine > high)]
            raise ValueError(
                f"{len(outside)} {source} prediction(s) have an application id outside the "
                f"{source} block {low:,}-{high:,} (each source has its own ids, so none can "
                f"replace another's): {outside.head(5).tolist()}"
            )


def utc_now() -> str:
    """The current UTC time as an ISO 8601 string, the format every table here uses."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def open_sqlite(path: Path) -> sqlite3.Connection:
    """A connection to the SQLite file at ``path``, set up the one way every writer here uses.

    It waits up to 30 s for another writer's lock instead of failing at once; WAL lets readers
    read while one process writes; ``synchronous=NORMAL`` syncs at checkpoints, not on every
    commit (in WAL mode a power cut may lose the last commits but never corrupts the file).
    """
    connection = sqlite3.connect(path, timeout=LOCK_TIMEOUT_S)
    try:
        _switch_to_wal(connection)
        connection.execute("PRAGMA synchronous=NORMAL")
    except sqlite3.Error:
        connection.close()
        raise
    return connection


LOCK_TIMEOUT_S = 30.0


def _switch_to_wal(connection: sqlite3.Connection) -> None:
    """``journal_mode=WAL``, retried while another process is switching the same new file.

    SQLite answers "database is locked" at once, without waiting for the busy timeout, when two
    connections switch a fresh database to WAL together (two batch runs of one day, started at
    the same moment, did); once the file is in WAL mode the switch is a no-op.
    """
    deadline = time.monotonic() + LOCK_TIMEOUT_S
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class PredictionStore:
    """Read and write stored predictions."""

    def __init__(self, url: str = DEFAULT_STORE_URL):
        self.url = url
        self.path = sqlite_path(url)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.connect() as connection:
            connection.execute(_CREATE)
            connection.execute(_KEEP_SOURCE)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in one transaction: committed on success, rolled back on error.

        SQLite's own errors ("unable to open database file", "attempt to write a readonly
        database", "database or disk is full") do not say which file; they are re-raised as
        ``StoreUnavailableError`` naming it.
        """
        try:
            connection = open_sqlite(self.path)
        except sqlite3.OperationalError as error:
            raise self._unavailable(error) from error
        try:
            with connection:
                yield connection
        except StoreUnavailableError:
            raise
        except sqlite3.OperationalError as error:
            raise self._unavailable(error) from error
        finally:
            connection.close()

    def _unavailable(self, error: sqlite3.OperationalError) -> StoreUnavailableError:
        return StoreUnavailableError(
            f"predictions database {self.path}: {error} (its folder must exist, be writable "
            f"and have free space)"
        )

    def write(
        self,
        predictions: pd.DataFrame,
        connection: sqlite3.Connection | None = None,
        same_for_all: dict[str, Any] | None = None,
    ) -> int:
        """Upsert rows with ``PREDICTION_COLUMNS``; return how many were written.

        Pass ``connection`` to make the write part of a larger transaction. Columns whose value
        is the same on every row (a batch run's ``model_version``, ``run_id``...) may be given in
        ``same_for_all`` instead of as columns: no million-row column of one string is built.
        """
        constant = same_for_all or {}
        given = set(predictions.columns) | set(constant)
        missing = [c for c in PREDICTION_COLUMNS if c not in given]
        if missing:
            raise ValueError(f"predictions are missing column(s) {missing}")
        ids = predictions["application_id"]
        if pd.api.types.is_integer_dtype(ids) and not pd.api.types.is_bool_dtype(ids):
            bad = (ids < 1) | (ids > MAX_APPLICATION_ID)
        else:
            bad = ~ids.map(is_application_id).astype(bool)
        if bad.any():
            shown = ids[bad].head(5).tolist()
            raise ValueError(
                f"{int(bad.sum())} prediction(s) have an application id that is not a whole "
                f"number between 1 and {MAX_APPLICATION_ID}: {shown}"
            )
        sources = constant["source"] if "source" in constant else predictions["source"]
        _check_source_blocks(ids, sources)
        columns = (
            itertools.repeat(constant[c], len(predictions))
            if c in constant
            else predictions[c].tolist()
            for c in PREDICTION_COLUMNS
        )
        rows = zip(*columns, strict=True)
        if connection is not None:
            connection.executemany(_UPSERT, rows)
        else:
            with self.connect() as own:
                own.executemany(_UPSERT, rows)
        return len(predictions)

    def get(self, application_id: int) -> dict[str, Any] | None:
        """The stored prediction of one application, or None."""
        with self.connect() as connection:
            connection.row_factory = sqlite3.Row
            row = connection.execute(
                "SELECT * FROM predictions WHERE application_id = ?",
                (check_application_id(application_id),),
            ).fetchone()
        return dict(row) if row else None

    def count(self, where: str = "1 = 1", params: tuple = ()) -> int:
        """How many predictions are stored (optionally matching a SQL condition)."""
        with self.connect() as connection:
            return connection.execute(
                f"SELECT COUNT(*) FROM predictions WHERE {where}", params
            ).fetchone()[0]

    def read(self, sql: str = "SELECT * FROM predictions", params: tuple = ()) -> pd.DataFrame:
        """Run a query and return the result as a table."""
        with self.connect() as connection:
            return pd.read_sql_query(sql, connection, params=params)
