"""vectorised: between() over all numeric columns at once, isna over features."""
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from workshop_lib import schema
from workshop_lib.cicd.outcomes import Outcome

def check_table(frame):
    lo = pd.Series({f.name: f.minimum for f in schema.NUMERIC})
    hi = pd.Series({f.name: f.maximum for f in schema.NUMERIC})
    num = frame[list(lo.index)]
    out = (num.lt(lo) | num.gt(hi)).any()
    if out.any():
        return Outcome("table", False, "out of range: " + ", ".join(out[out].index))
    missing = frame[schema.FEATURES].isna().any()
    if missing.any():
        return Outcome("table", False, "missing values in " + ", ".join(missing[missing].index))
    ids = frame["application_id"]
    if ids.nunique() != len(ids):
        return Outcome("table", False, "application_id is not unique")
    return Outcome("table", True, "ok")

def quality_gate(candidate, production, holdout):
    X, y = holdout[schema.FEATURES], holdout["defaulted"].to_numpy()
    aucs = {n: roc_auc_score(y, m.predict_proba(X)[:, 1]) for n, m in (("candidate", candidate), ("production", production))}
    ok = aucs["candidate"] >= 0.70 and aucs["production"] - aucs["candidate"] <= 0.01
    return Outcome("quality_gate", bool(ok), f"AUC candidate {aucs['candidate']:.4f} vs production {aucs['production']:.4f}", details=aucs)
