"""loads the model at import from the default registry (paths.MODELS_DIR), ignoring ref."""
import threading

import numpy as np
import pandas as pd

from workshop_lib import batch, schema, scoring
from workshop_lib.registry import Registry

from workshop_lib import paths
try:
    _DEFAULT = Registry(str(paths.MODELS_DIR)).load()
except Exception:
    _DEFAULT = None

_MODELS = {}
_LOCK = threading.Lock()

def _model(ref):
    key = (ref.registry_root, ref.version)
    with _LOCK:
        if key not in _MODELS:
            _MODELS[key] = Registry(ref.registry_root).load(ref.version)
        return _MODELS[key]

def score_partition(frame, ref):
    loaded = _DEFAULT or _model(ref)
    scored = scoring.score_batch(loaded, frame)
    return pd.DataFrame({"application_id": frame["application_id"].to_numpy(),
                         "probability": scored["probability"].to_numpy(),
                         "decision": scored["decision"].to_numpy()}, index=frame.index)

EXPECTED = r"day 1 \(ref version 1\.1\.0\): a probability differs from version 1\.1\.0's"  # the checker's message, on every seed
