"""Right (style: module-level dict keyed by ref behind a threading.Lock, then scoring.score_batch)."""

import threading

import pandas as pd

from workshop_lib import batch, scoring
from workshop_lib.registry import Registry

_MODELS = {}
_LOCK = threading.Lock()


def _model(ref):
    with _LOCK:
        if ref not in _MODELS:
            _MODELS[ref] = Registry(ref.registry_root).load(ref.version)
        return _MODELS[ref]


def score_partition(frame: pd.DataFrame, ref: batch.ModelRef) -> pd.DataFrame:
    loaded = _model(ref)
    scored = scoring.score_batch(loaded, frame)
    return pd.DataFrame(
        {
            "application_id": frame["application_id"].to_numpy(),
            "probability": scored["probability"].to_numpy(),
            "decision": pd.Categorical(scored["decision"], categories=["approve", "decline"]),
        }
    )
