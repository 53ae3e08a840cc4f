"""What several lab checkers need: a throw-away registry with a freshly trained model."""

from __future__ import annotations

import tempfile
from typing import Any

import pandas as pd
from sklearn.metrics import roc_auc_score

from workshop_lib import data, schema, training
from workshop_lib.registry import LoadedModel, Registry


def throwaway_registry(prefix: str) -> Registry:
    """An empty registry in a new temporary folder."""
    return Registry(tempfile.mkdtemp(prefix=f"lab-{prefix}-") + "/models")


def register(registry: Registry, model: object, train_frame: pd.DataFrame, kind: str) -> str:
    """Register ``model`` with its holdout-free metadata and promote it; return the version."""
    version = registry.register(
        model,
        metrics={},
        data_fingerprint=data.fingerprint(train_frame),
        kind=kind,
        threshold=training.DECISION_THRESHOLD,
    )
    registry.promote(version, reason="lab check")
    return version


def trained_model(seed: int, rows: int = 4_000) -> tuple[Registry, LoadedModel]:
    """A logistic model trained on ``rows`` fresh applications, registered and loaded back."""
    registry = throwaway_registry("model")
    frame = data.make_applications(rows, seed=seed)
    model = training.build_pipeline("logistic").fit(*training.split_features(frame))
    register(registry, model, frame, "logistic")
    return registry, registry.load()


def holdout_auc(model: Any, holdout: pd.DataFrame) -> float:
    """ROC AUC of ``model`` on the features of ``holdout`` (the label column is not shown)."""
    proba = model.predict_proba(holdout[schema.FEATURES])[:, 1]
    return float(roc_auc_score(holdout[schema.TARGET_COLUMN], proba))
