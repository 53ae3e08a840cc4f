"""cache keyed by version only (two registries with the same version collide)."""
import threading

import numpy as np
import pandas as pd

from workshop_lib import batch, schema, scoring
from workshop_lib.registry import Registry

_MODELS = {}
_LOCK = threading.Lock()

def _model(ref):
    key = ref.version
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = Registry(ref.registry_root).load(ref.version)
        return _MODELS[key]

def score_partition(frame, ref):
    loaded = _model(ref)
    scored = scoring.score_batch(loaded, frame)
    return pd.DataFrame({"application_id": frame["application_id"].to_numpy(),
                         "probability": scored["probability"].to_numpy(),
                         "decision": scored["decision"].to_numpy()}, index=frame.index)

EXPECTED = r"day 3 \(ref version 1\.0\.0\): the probabilities are those of version 1\.0\.0 \(production\)"  # the checker's message, on every seed
