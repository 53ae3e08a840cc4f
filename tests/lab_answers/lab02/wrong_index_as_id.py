"""Uses the partition's positional index (0..n-1) as application_id instead of the id column."""

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
    scored = scoring.score_batch(loaded, frame).reset_index(drop=True)
    return pd.DataFrame({"application_id": np.arange(len(frame), dtype="int64"),
                         "probability": scored["probability"],
                         "decision": scored["decision"].astype(batch.DECISIONS)})

EXPECTED = r"the application ids that came out are not the ones that went in"  # the checker's message, on every seed
