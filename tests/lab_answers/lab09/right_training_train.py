"""Trains with training.train (the library measures the candidate), with early returns."""
import pandas as pd
from sklearn.metrics import roc_auc_score
from workshop_lib import data, training, schema
from workshop_lib.cicd.outcomes import Outcome
def auc(m, h):
    return roc_auc_score(h[schema.TARGET_COLUMN], m.predict_proba(h[schema.FEATURES])[:, 1])
def table_ok(frame):
    for f in schema.NUMERIC:
        if ((frame[f.name] < f.minimum) | (frame[f.name] > f.maximum)).any():
            return False
    if frame[schema.FEATURES].isna().any().any():
        return False
    return not frame[schema.ID_COLUMN].duplicated().any()
def release(table, holdout, registry):
    current = registry.stage()
    if not table_ok(table):
        return current
    prod = registry.load()
    result = training.train(table, holdout, kind="logistic", threshold=prod.threshold)
    cand = result.metrics["roc_auc"]
    if cand < 0.70 or cand < auc(prod.model, holdout) - 0.01:
        return current
    v = registry.register(result.model, metrics=result.metrics, data_fingerprint=data.fingerprint(table),
                          kind=result.kind, threshold=prod.threshold)
    registry.promote(v)
    return registry.stage()
