"""Decides with a hard-coded threshold of 0.5 instead of the model's own threshold."""

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
    p = loaded.model.predict_proba(frame[schema.FEATURES])[:, 1]
    return pd.DataFrame({"application_id": frame["application_id"].to_numpy(),
                         "probability": p,
                         "decision": pd.Categorical(np.where(p >= 0.5, "decline", "approve"),
                                                    categories=["approve", "decline"])})

EXPECTED = r"[\d,]+ decisions differ from the model's rule \(decline at or above version 1\.1\.0's threshold"  # the checker's message, on every seed
