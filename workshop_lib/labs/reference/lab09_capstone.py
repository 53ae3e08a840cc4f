"""Lab 09 reference: a release that checks, trains, gates, then registers and promotes."""

import pandas as pd

from workshop_lib import data, training
from workshop_lib.labs.reference.lab07_cicd import check_table, quality_gate
from workshop_lib.registry import Registry


def release(table: pd.DataFrame, holdout: pd.DataFrame, registry: Registry) -> str | None:
    """Ship a model trained on ``table`` if the data and the model pass; return what serves."""
    if not check_table(table).passed:
        return registry.stage()
    candidate = training.build_pipeline("logistic").fit(*training.split_features(table))
    production = registry.load()
    gate = quality_gate(candidate, production.model, holdout)
    if not gate.passed:
        return registry.stage()
    version = registry.register(
        candidate,
        metrics=training.evaluate(candidate, holdout, production.threshold),
        data_fingerprint=data.fingerprint(table),
        kind="logistic",
        threshold=production.threshold,
        notes=gate.reason,
    )
    registry.promote(version, reason=gate.reason)
    return registry.stage()
