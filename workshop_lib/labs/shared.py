"""What several lab checkers need: a throw-away registry with a freshly trained model."""

from __future__ import annotations

import functools
import shutil
import tempfile
from pathlib import Path
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


@functools.cache
def _trained_registry(seed: int, rows: int) -> Path:
    """A registry holding a model trained on ``rows`` applications of ``seed``: made once."""
    registry = throwaway_registry("trained")
    frame = data.make_applications(rows, seed=seed)
    model = training.build_pipeline("logistic").fit(*training.split_features(frame))
    register(registry, model, frame, "logistic")
    return registry.root


def trained_model(seed: int, rows: int = 4_000) -> tuple[Registry, LoadedModel]:
    """A fresh registry whose production model is logistic, trained on ``rows`` applications.

    Each call gets its own copy (a checker may promote into it); the training itself runs once
    per ``(seed, rows)``, so a reference and the wrong answers checked with one seed share it.
    """
    registry = throwaway_registry("model")
    shutil.copytree(_trained_registry(seed, rows), registry.root)
    return registry, registry.load()


def holdout_auc(model: Any, holdout: pd.DataFrame) -> float:
    """ROC AUC of ``model`` on the features of ``holdout`` (the label column is not shown)."""
    proba = model.predict_proba(holdout[schema.FEATURES])[:, 1]
    return float(roc_auc_score(holdout[schema.TARGET_COLUMN], proba))
