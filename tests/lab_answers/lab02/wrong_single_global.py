"""Caches ONE model in a global regardless of ref (the first ref wins; another version is never loaded)."""

import threading

import numpy as np  # noqa: F401
import pandas as pd

from workshop_lib import batch, scoring, schema  # noqa: F401
from workshop_lib.registry import Registry

_MODELS = {}
_LOCK = threading.Lock()
_ONE = []


def score_partition(frame: pd.DataFrame, ref: batch.ModelRef) -> pd.DataFrame:
    with _LOCK:
        if not _ONE:
            _ONE.append(Registry(ref.registry_root).load(ref.version))
        loaded = _ONE[0]
    scored = scoring.score_batch(loaded, frame)
    return pd.DataFrame({"application_id": frame["application_id"].to_numpy(),
                         "probability": scored["probability"].to_numpy(),
                         "decision": scored["decision"].astype(batch.DECISIONS).to_numpy()})

EXPECTED = r"day 2 \(ref version 1\.0\.0\): the probabilities are those of version 1\.1\.0 \(the newer version\)"  # the checker's message, on every seed
