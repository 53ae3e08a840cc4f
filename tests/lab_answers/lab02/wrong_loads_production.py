"""Ignores ref.version and loads the registry's production stage (Registry(root).load())."""

import threading

import numpy as np  # noqa: F401
import pandas as pd

from workshop_lib import batch, scoring, schema  # noqa: F401
from workshop_lib.registry import Registry

_MODELS = {}
_LOCK = threading.Lock()


def score_partition(frame: pd.DataFrame, ref: batch.ModelRef) -> pd.DataFrame:
    with _LOCK:
        if ref.registry_root not in _MODELS:
            _MODELS[ref.registry_root] = Registry(ref.registry_root).load()
        loaded = _MODELS[ref.registry_root]
    scored = scoring.score_batch(loaded, frame)
    return pd.DataFrame({"application_id": frame["application_id"].to_numpy(),
                         "probability": scored["probability"].to_numpy(),
                         "decision": scored["decision"].astype(batch.DECISIONS).to_numpy()})

EXPECTED = r"day 1 \(ref version 1\.1\.0\): the probabilities are those of version 1\.0\.0 \(production\)"  # the checker's message, on every seed
