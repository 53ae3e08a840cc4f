"""Lab 02 reference: score one partition with a model loaded once per worker process."""

import threading
from functools import cache

import pandas as pd

from workshop_lib import batch, schema, scoring
from workshop_lib.registry import LoadedModel, Registry

_LOCK = threading.Lock()


@cache
def _load(ref: batch.ModelRef) -> LoadedModel:
    return Registry(ref.registry_root).load(ref.version)


def score_partition(frame: pd.DataFrame, ref: batch.ModelRef) -> pd.DataFrame:
    """Id, probability and decision of every row; the model is read from disk once."""
    with _LOCK:  # two threads must not both load it
        loaded = _load(ref)
    scores = scoring.score_batch(loaded, frame)
    return pd.DataFrame(
        {
            schema.ID_COLUMN: frame[schema.ID_COLUMN].to_numpy(),
            "probability": scores["probability"].to_numpy(),
            "decision": pd.Categorical(scores["decision"], dtype=batch.DECISIONS),
        }
    )
