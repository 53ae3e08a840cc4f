"""vectorised checks with early exits; gate as one boolean expression."""
import pandas as pd
from sklearn.metrics import roc_auc_score

from workshop_lib import data, schema, training
from workshop_lib.cicd.outcomes import Outcome
from workshop_lib.registry import Registry

def release(table, holdout, registry):
    num = table[schema.NUMERIC_FEATURES]
    lo = [f.minimum for f in schema.NUMERIC]; hi = [f.maximum for f in schema.NUMERIC]
    broken = (num.lt(lo, axis=1) | num.gt(hi, axis=1)).to_numpy().any() \
        or table[schema.FEATURES].isna().to_numpy().any() \
        or table["application_id"].duplicated().any()
    if broken:
        return registry.stage()
    prod = registry.load()
    X, y = training.split_features(table)
    cand = training.build_pipeline("logistic").fit(X, y)
    hx, hy = holdout[schema.FEATURES], holdout["defaulted"]
    c = roc_auc_score(hy, cand.predict_proba(hx)[:, 1]); p = roc_auc_score(hy, prod.model.predict_proba(hx)[:, 1])
    if c >= 0.70 and p - c <= 0.01:
        registry.promote(registry.register(cand, metrics={"roc_auc": c}, data_fingerprint=data.fingerprint(table),
                                           kind="logistic", threshold=prod.threshold))
    return registry.stage()
