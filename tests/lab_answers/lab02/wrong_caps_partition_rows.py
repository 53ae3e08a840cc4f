"""Keeps memory flat by scoring at most 100,000 rows of a partition (frame.head(100_000)): the rows past the first 100,000 are lost."""

import threading

import pandas as pd

from workshop_lib import batch, schema, scoring
from workshop_lib.registry import Registry

_MODELS = {}
_LOCK = threading.Lock()
MAX_ROWS = 100_000  # the chapter scores 100,000 rows at a time


def score_partition(frame: pd.DataFrame, ref: batch.ModelRef) -> pd.DataFrame:
    with _LOCK:
        if ref not in _MODELS:
            _MODELS[ref] = Registry(ref.registry_root).load(ref.version)
        loaded = _MODELS[ref]
    frame = frame.head(MAX_ROWS)
    scored = scoring.score_batch(loaded, frame)
    return pd.DataFrame(
        {
            schema.ID_COLUMN: frame[schema.ID_COLUMN].to_numpy(),
            "probability": scored["probability"].to_numpy(),
            "decision": scored["decision"].astype(batch.DECISIONS).to_numpy(),
        }
    )

EXPECTED = r"day 4 \(ref version 1\.1\.0\): 120,000 rows went in, 100,000 came out"  # the checker's message, on every seed
