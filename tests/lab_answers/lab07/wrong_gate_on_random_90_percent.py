"""Scores both models on a random 90 % of the holdout (a fixed random_state)."""
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from workshop_lib import schema
from workshop_lib.cicd.outcomes import Outcome


def check_table(frame, rows=None):
    f = frame if rows is None else frame.iloc[rows]
    for feat in schema.NUMERIC:
        col = pd.to_numeric(f[feat.name], errors="coerce")
        bad = (col < feat.minimum) | (col > feat.maximum)
        if bad.any():
            return Outcome("table", False, f"{feat.name} outside [{feat.minimum}, {feat.maximum}]")
    for c in schema.FEATURES:
        if f[c].isna().any():
            return Outcome("table", False, f"{c} has missing values")
    if f["application_id"].duplicated().any():
        return Outcome("table", False, "application_id repeats")
    return Outcome("table", True, "clean")

def _auc(m, h):
    h = h.sample(frac=0.9, random_state=0)
    return roc_auc_score(h[schema.TARGET_COLUMN], m.predict_proba(h[schema.FEATURES])[:, 1])

def quality_gate(candidate, production, holdout):
    c, p = _auc(candidate, holdout), _auc(production, holdout)
    return Outcome("gate", bool(c >= 0.70 and c >= p - 0.01), f"candidate {c:.4f} vs production {p:.4f}")

EXPECTED = r"your gate (passes|stops) a .*; the rule .*(passes|stops) it"  # the checker's message, on every seed
