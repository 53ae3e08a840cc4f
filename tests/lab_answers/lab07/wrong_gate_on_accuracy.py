"""The gate compares accuracy (the classifier's score method), not ROC AUC."""

import pandas as pd

from workshop_lib import schema
from workshop_lib.cicd.outcomes import Outcome


def check_table(frame: pd.DataFrame) -> Outcome:
    problems = [
        f"{f.name} out of range"
        for f in schema.NUMERIC
        if not frame[f.name].between(f.minimum, f.maximum).all()
    ]
    if frame[schema.FEATURES].isna().any(axis=None):
        problems.append("missing values")
    if frame[schema.ID_COLUMN].duplicated().any():
        problems.append("duplicate ids")
    return Outcome("data", not problems, "; ".join(problems) or "ok")


def quality_gate(candidate, production, holdout: pd.DataFrame) -> Outcome:
    X, y = holdout[schema.FEATURES], holdout[schema.TARGET_COLUMN]
    cand, prod = candidate.score(X, y), production.score(X, y)
    return Outcome("gate", cand >= 0.70 and cand >= prod - 0.01, f"{cand:.3f} vs {prod:.3f}")


EXPECTED = r"your gate (passes|stops) .*; the rule \(ROC AUC >= 0\.7 and at most 0\.01 below production\) (stops|passes) it"  # the checker's message, on every seed
