"""Records the candidate's metrics at the training default threshold, not the one it registers."""
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
    if c < FLOOR or c < p - TOL:
        return registry.stage()
    version = registry.register(candidate, metrics=training.evaluate(candidate, holdout), data_fingerprint=data.fingerprint(table),
                                kind="logistic", threshold=production.threshold)
    registry.promote(version)
    return registry.stage()

EXPECTED = r"the new version records (precision|recall|accuracy) [\d.]+, but its model gives [\d.]+ on the whole holdout your release was given, at its threshold 0\.\d+"  # the checker's message, on every seed
