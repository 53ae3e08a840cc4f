"""production's AUC computed once and kept in a global across calls."""
import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from workshop_lib import schema
from workshop_lib.cicd.outcomes import Outcome

def check_table(frame):
    for f in schema.NUMERIC:
        col = frame[f.name]
        bad = col.notna() & ((col < f.minimum) | (col > f.maximum))
        if bad.any():
            return Outcome("data", False, f"{f.name}: {int(bad.sum())} values outside [{f.minimum}, {f.maximum}]")
    for c in schema.FEATURES:
        if frame[c].isna().any():
            return Outcome("data", False, f"{c}: {int(frame[c].isna().sum())} missing values")
    if frame["application_id"].duplicated().any():
        return Outcome("data", False, "application_id repeats")
    return Outcome("data", True, "clean")

_PROD = {}

def quality_gate(candidate, production, holdout):
    y = holdout[schema.LABEL] if hasattr(schema, "LABEL") else holdout["defaulted"]
    c = roc_auc_score(y, candidate.predict_proba(holdout[schema.FEATURES])[:, 1])
    p = _PROD.setdefault("auc", roc_auc_score(y, production.predict_proba(holdout[schema.FEATURES])[:, 1]))
    if c < 0.70:
        return Outcome("gate", False, f"candidate ROC AUC {c:.3f} < 0.70")
    if c < p - 0.01:
        return Outcome("gate", False, f"candidate ROC AUC {c:.3f} more than 0.01 below production {p:.3f}")
    return Outcome("gate", True, f"candidate {c:.3f}, production {p:.3f}")

EXPECTED = r"your gate stops a candidate above the floor, replacing a production under it"  # the checker's message, on every seed
