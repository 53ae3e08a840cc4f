"""Off-by-one: scores frame.iloc[1:] (skips the first row of each partition as if it were a header)."""

import threading

import numpy as np  # noqa: F401
import pandas as pd

from workshop_lib import batch, scoring, schema  # noqa: F401
from workshop_lib.registry import Registry

_MODELS = {}
_LOCK = threading.Lock()


def score_partition(frame: pd.DataFrame, ref: batch.ModelRef) -> pd.DataFrame:
    with _LOCK:
        if ref not in _MODELS:
            _MODELS[ref] = Registry(ref.registry_root).load(ref.version)
        loaded = _MODELS[ref]
    frame = frame.iloc[1:]
    scored = scoring.score_batch(loaded, frame)
    return pd.DataFrame({"application_id": frame["application_id"].to_numpy(),
                         "probability": scored["probability"].to_numpy(),
                         "decision": scored["decision"].astype(batch.DECISIONS).to_numpy()})

EXPECTED = r"8,000 rows went in, 7,992 came out"  # the checker's message, on every seed
