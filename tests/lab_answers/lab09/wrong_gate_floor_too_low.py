"""A floor of 0.65 instead of the stated 0.70 (the tolerance is right)."""
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
    if not table_ok(table):
        return registry.stage()
    prod = registry.load()
    model = training.build_pipeline("logistic").fit(*training.split_features(table))
    c, p = auc(model, holdout), auc(prod.model, holdout)
    if c >= 0.65 and p - c <= 0.01:
        v = registry.register(model, metrics={"roc_auc": c}, data_fingerprint=data.fingerprint(table),
                              kind="logistic", threshold=prod.threshold)
        registry.promote(v)
    return registry.stage()

EXPECTED = r"a candidate of ROC AUC 0\.69\d \(under the 0\.7 floor\) beside a production model of 0\.70\d: your release replaced production: 1\.2\.0 serves now, not 1\.0\.0: the floor applies to the candidate"  # the checker's message, on every seed
