"""Turn a model's default probability into a decision: the one scoring rule every surface uses."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workshop_lib import schema
from workshop_lib.registry import LoadedModel

APPROVE, DECLINE = "approve", "decline"


def decide(probability: np.ndarray, threshold: float) -> np.ndarray:
    """``decline`` where the default probability is at or above ``threshold``, else ``approve``."""
    return np.where(np.asarray(probability) >= threshold, DECLINE, APPROVE)


def score_batch(loaded: LoadedModel, frame: pd.DataFrame) -> pd.DataFrame:
    """Probability and decision for every row of ``frame`` (extra columns are ignored).

    Works with any model that has ``predict_proba`` on the schema's feature columns: the
    scikit-learn pipeline or an ONNX predictor.
    """
    probability = loaded.model.predict_proba(frame[schema.FEATURES])[:, 1]
    return pd.DataFrame(
        {"probability": probability, "decision": decide(probability, loaded.threshold)},
        index=frame.index,
    )
