"""double-checked lock; probability and decision computed by hand."""
import threading

import numpy as np
import pandas as pd

from workshop_lib import batch, schema, scoring
from workshop_lib.registry import Registry

_CACHE: dict = {}
_LOCK = threading.Lock()

def score_partition(frame, ref):
    loaded = _CACHE.get(ref)
    if loaded is None:
        with _LOCK:
            loaded = _CACHE.get(ref)
            if loaded is None:
                loaded = _CACHE[ref] = Registry(ref.registry_root).load(ref.version)
    p = loaded.model.predict_proba(frame[schema.FEATURES])[:, 1]
    return frame[["application_id"]].assign(probability=p, decision=np.where(p >= loaded.threshold, "decline", "approve"))
