"""Right (style: functools.lru_cache keyed by (root, version), serialised by a lock; manual predict_proba + decide)."""

import threading
from functools import lru_cache

import numpy as np
import pandas as pd

from workshop_lib import batch, scoring, schema
from workshop_lib.registry import Registry

_lock = threading.Lock()


@lru_cache(maxsize=8)
def _cached(root: str, version: str):
    return Registry(root).load(version)


def _load(ref):
    with _lock:
        return _cached(str(ref.registry_root), ref.version)


def score_partition(frame: pd.DataFrame, ref: batch.ModelRef) -> pd.DataFrame:
    loaded = _load(ref)
    proba = np.asarray(loaded.model.predict_proba(frame[schema.FEATURES])[:, 1], dtype="float64")
    decisions = scoring.decide(proba, loaded.threshold)
    out = pd.DataFrame({schema.ID_COLUMN: frame[schema.ID_COLUMN].to_numpy(), "probability": proba})
    out["decision"] = pd.Series(decisions).astype(batch.DECISIONS).to_numpy()
    return out
