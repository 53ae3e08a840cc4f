"""Scores a partition in chunks of 100,000 rows, counted with len(frame) // 100_000 (at least one): the last, partial chunk of a large partition is never scored."""

import threading

import pandas as pd

from workshop_lib import batch, schema, scoring
from workshop_lib.registry import Registry

CHUNK = 100_000
_MODELS: dict = {}
_LOCK = threading.Lock()


def _model(ref: batch.ModelRef):
    with _LOCK:
        if ref not in _MODELS:
            _MODELS[ref] = Registry(ref.registry_root).load(ref.version)
        return _MODELS[ref]


def score_partition(frame: pd.DataFrame, ref: batch.ModelRef) -> pd.DataFrame:
    loaded = _model(ref)
    chunks = max(1, len(frame) // CHUNK)
    parts = []
    for i in range(chunks):
        chunk = frame.iloc[i * CHUNK : (i + 1) * CHUNK]
        scored = scoring.score_batch(loaded, chunk)
        parts.append(
            pd.DataFrame(
                {
                    schema.ID_COLUMN: chunk[schema.ID_COLUMN].to_numpy(),
                    "probability": scored["probability"].to_numpy(),
                    "decision": scored["decision"].astype(batch.DECISIONS).to_numpy(),
                }
            )
        )
    return pd.concat(parts, ignore_index=True)

EXPECTED = r"day 4 \(ref version 1\.1\.0\): 120,000 rows went in, 100,000 came out"  # the checker's message, on every seed
