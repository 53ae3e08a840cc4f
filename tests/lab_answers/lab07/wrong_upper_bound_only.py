"""Checks only the upper bound of each numeric feature (negative values pass)."""

import numpy as np  # noqa: F401
import pandas as pd
from sklearn.metrics import roc_auc_score

from workshop_lib import schema
from workshop_lib.cicd.outcomes import Outcome


def check_table(frame: pd.DataFrame) -> Outcome:
    problems = []
    for f in schema.NUMERIC:
        col = frame[f.name]
        if (col > f.maximum).any():
            problems.append(f"{f.name} outside [{f.minimum:g}, {f.maximum:g}]")
    if frame[schema.FEATURES].isna().any(axis=None):
        problems.append("missing values")
    if frame[schema.ID_COLUMN].duplicated().any():
        problems.append("repeated application ids")
    return Outcome("data", not problems, "; ".join(problems) or "clean")


def quality_gate(candidate, production, holdout: pd.DataFrame) -> Outcome:
    X, y = holdout[schema.FEATURES], holdout[schema.TARGET_COLUMN]
    cand = roc_auc_score(y, candidate.predict_proba(X)[:, 1])
    prod = roc_auc_score(y, production.predict_proba(X)[:, 1])
    passed = cand >= 0.70 and cand >= prod - 0.01
    return Outcome("gate", bool(passed), f"candidate {cand:.3f}, production {prod:.3f}",
                   {"candidate_auc": cand, "production_auc": prod})

EXPECTED = r"your data check passes a table with \w+ = -?[\d.]+ \(below its range\)"  # the checker's message, on every seed
