"""Tolerance of 1 % of production's ROC AUC (c >= 0.99 p) instead of 0.01."""
import pandas as pd
from sklearn.metrics import roc_auc_score
from workshop_lib import data, schema, training
from workshop_lib.registry import Registry

FLOOR = 0.70
TOL = 0.01


def table_ok(frame: pd.DataFrame) -> bool:
    if frame[schema.FEATURES].isna().any(axis=None):
        return False
    for f in schema.NUMERIC:
        col = frame[f.name]
        if ((col < f.minimum) | (col > f.maximum)).any():
            return False
    return not frame[schema.ID_COLUMN].duplicated().any()


def auc(model, holdout):
    return roc_auc_score(holdout[schema.TARGET_COLUMN], model.predict_proba(holdout[schema.FEATURES])[:, 1])


def release(table: pd.DataFrame, holdout: pd.DataFrame, registry: Registry) -> str | None:
    if not table_ok(table):
        return registry.stage()
    production = registry.load()
    candidate = training.build_pipeline("logistic").fit(*training.split_features(table))
    c, p = auc(candidate, holdout), auc(production.model, holdout)
    if c < FLOOR or c < p * (1 - TOL):
        return registry.stage()
    version = registry.register(candidate, metrics={"roc_auc": c}, data_fingerprint=data.fingerprint(table),
                                kind="logistic", threshold=production.threshold)
    registry.promote(version)
    return registry.stage()

EXPECTED = r"new data on which a logistic model scores 0\.\d+, 0\.00\d+ below production's 0\.\d+ \(inside the 0\.01 tolerance\) did not ship: 1\.2\.0 still serves"  # the checker's message, on every seed
