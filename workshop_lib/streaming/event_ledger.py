"""Which application each stored stream prediction was scored from, to catch reused ids.

Writes are keyed by ``application_id``, so a second event with the same id would replace the
first one's prediction. The ledger (table ``stream_events``, in the predictions database)
keeps a fingerprint of the validated form data of every event written. An event whose id is
already there with another fingerprint is a *duplicate id*: it is dead-lettered and the stored
prediction kept. The same id with the same form data is a re-delivery, written again as before.

The fingerprint is ``pandas.util.hash_pandas_object`` of the features with numbers as floats
and categories as text: 64 bits, the same in every process, and the same for ``38`` and
``38.0`` (one application, however the client spelled it).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

import numpy as np
import pandas as pd

from workshop_lib import schema

_CREATE = """
CREATE TABLE IF NOT EXISTS stream_events (
    application_id INTEGER PRIMARY KEY,
    fingerprint    INTEGER NOT NULL
)
"""
_LOOKUP_CHUNK = 500  # ids per SELECT ... IN (...), well below SQLite's variable limit


def create_ledger(connection: sqlite3.Connection) -> None:
    """Create the ``stream_events`` table if the database has none yet."""
    connection.execute(_CREATE)


def fingerprints(features: pd.DataFrame) -> np.ndarray:
    """One 64-bit fingerprint (signed, as SQLite stores it) per row of validated features."""
    numbers = features[schema.NUMERIC_FEATURES].astype("float64") + 0.0  # -0.0 becomes 0.0
    words = features[schema.CATEGORICAL_FEATURES].astype(str)
    table = pd.concat([numbers, words], axis=1)
    return pd.util.hash_pandas_object(table, index=False).to_numpy().view("int64")


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
