"""Which application each stored stream prediction was scored from, to catch reused ids.

Writes are keyed by ``application_id``, so a second event with the same id would replace the
first one's prediction. The ledger (table ``stream_events``, in the predictions database)
keeps a fingerprint of the validated form data of every event written. An event whose id is
already there with another fingerprint is a *duplicate id*: it is dead-lettered and the stored
prediction kept. The same id with the same form data is a re-delivery, written again as before.

The fingerprint is a 64-bit BLAKE2b of the validated features (numbers as floats, categories
by position): the same in every process, and the same for ``38`` and ``38.0`` (one application,
however the client spelled it). A few microseconds an event.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from hashlib import blake2b

import numpy as np
import pandas as pd

from workshop_lib import schema

_CREATE = """
CREATE TABLE IF NOT EXISTS stream_events (
    application_id INTEGER PRIMARY KEY,
    fingerprint    INTEGER NOT NULL
)
"""
_POSITIONS = {
    name: {v: i for i, v in enumerate(allowed)} for name, allowed in schema.CATEGORIES.items()
}
_LOOKUP_CHUNK = 500  # ids per SELECT ... IN (...), well below SQLite's variable limit


def create_ledger(connection: sqlite3.Connection) -> None:
    """Create the ``stream_events`` table if the database has none yet."""
    connection.execute(_CREATE)


def fingerprints(features: pd.DataFrame) -> np.ndarray:
    """One 64-bit BLAKE2b fingerprint (signed, as SQLite stores it) per row of valid features.

    Each row is hashed as 8-byte floats: the numbers (``-0.0`` made ``0.0``), then each
    category's position in the schema's list. A cryptographic hash, so nobody can craft other
    form data that passes for a re-delivery.
    """
    columns = [features[name].to_numpy(dtype="float64") for name in schema.NUMERIC_FEATURES]
    columns += [
        np.fromiter((_POSITIONS[name][value] for value in features[name].tolist()), "float64")
        for name in schema.CATEGORICAL_FEATURES
    ]
    rows = np.column_stack(columns) + 0.0
    digests = b"".join(blake2b(row.tobytes(), digest_size=8).digest() for row in rows)
    return np.frombuffer(digests, dtype="<i8").astype("int64")


def claim(connection: sqlite3.Connection, ids: Sequence[int], prints: np.ndarray) -> np.ndarray:
    """Record each id's fingerprint; True where an id is already taken by other form data.

    Run it inside the transaction that writes the predictions (begun with ``BEGIN IMMEDIATE``,
    so two workers cannot both claim one id). Within a batch the first event with an id wins.
    """
    known: dict[int, int] = {}
    distinct = list(dict.fromkeys(int(i) for i in ids))
    for start in range(0, len(distinct), _LOOKUP_CHUNK):
        chunk = distinct[start : start + _LOOKUP_CHUNK]
        marks = ", ".join("?" * len(chunk))
        known.update(
            connection.execute(
                f"SELECT application_id, fingerprint FROM stream_events "
                f"WHERE application_id IN ({marks})",
                chunk,
            ).fetchall()
        )
    pairs = list(zip((int(i) for i in ids), prints.tolist(), strict=True))
    taken = np.fromiter(
        (known.setdefault(event_id, fingerprint) != fingerprint for event_id, fingerprint in pairs),
        dtype=bool,
        count=len(pairs),
    )
    kept = [pair for pair, duplicate in zip(pairs, taken, strict=True) if not duplicate]
    connection.executemany("INSERT OR IGNORE INTO stream_events VALUES (?, ?)", kept)
    return taken
