"""Takes predict_proba(...)[:, 0], the probability of repayment, as the default probability."""

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
    p = loaded.model.predict_proba(frame[schema.FEATURES])[:, 0]
    return pd.DataFrame({"application_id": frame["application_id"].to_numpy(),
                         "probability": p,
                         "decision": scoring.decide(p, loaded.threshold)}).astype({"decision": batch.DECISIONS})

EXPECTED = r"a probability differs from version 1\.1\.0's by 0\.9\d* \(tolerance 1e-09\)"  # the checker's message, on every seed
