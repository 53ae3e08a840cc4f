"""Right (style: ROC AUC from ranks, pandas between() for the ranges)."""
import numpy as np
import pandas as pd
from scipy.stats import rankdata
from workshop_lib import schema
from workshop_lib.cicd.outcomes import Outcome


def _auc(y, s):
    y = np.asarray(y).astype(bool); r = rankdata(s)
    n1 = y.sum(); n0 = len(y) - n1
    return (r[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def check_table(frame):
    problems = []
    for f in schema.NUMERIC:
        v = frame[f.name]
        if (~v.between(f.minimum, f.maximum) & v.notna()).any():
            problems.append(f"{f.name} out of [{f.minimum}, {f.maximum}]")
    for c in schema.FEATURES:
        if frame[c].isna().any():
            problems.append(f"{c} has missing values")
    if not frame[schema.ID_COLUMN].is_unique:
        problems.append("application_id repeats")
    return Outcome("check_table", not problems, "; ".join(problems) or "clean")


def quality_gate(candidate, production, holdout):
    y = holdout[schema.TARGET_COLUMN]
    c = _auc(y, candidate.predict_proba(holdout[schema.FEATURES])[:, 1])
    p = _auc(y, production.predict_proba(holdout[schema.FEATURES])[:, 1])
    return Outcome("quality_gate", bool(c >= 0.70 and p - c <= 0.01), f"{c:.4f} vs {p:.4f}")
