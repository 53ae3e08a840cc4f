"""The range loop remembers the last column it looked at, and the reason names that one."""

import pandas as pd
from sklearn.metrics import roc_auc_score

from workshop_lib import schema
from workshop_lib.cicd.outcomes import Outcome


def check_table(frame: pd.DataFrame) -> Outcome:
    out_of_range = False
    for feature in schema.NUMERIC:
        column = frame[feature.name]
        if ((column < feature.minimum) | (column > feature.maximum)).any():
            out_of_range = True
    if out_of_range:
        return Outcome("data", False, f"{feature.name} is out of range")
    if frame[schema.FEATURES].isna().any(axis=None):
        return Outcome("data", False, "missing values")
    if frame[schema.ID_COLUMN].duplicated().any():
        return Outcome("data", False, "duplicate application ids")
    return Outcome("data", True, "ok")


def quality_gate(candidate, production, holdout: pd.DataFrame) -> Outcome:
    X, y = holdout[schema.FEATURES], holdout[schema.TARGET_COLUMN]
    cand = roc_auc_score(y, candidate.predict_proba(X)[:, 1])
    prod = roc_auc_score(y, production.predict_proba(X)[:, 1])
    return Outcome("gate", cand >= 0.70 and cand >= prod - 0.01, f"{cand:.3f} vs {prod:.3f}")


EXPECTED = r"names delinquencies_2y, which has nothing wrong in that table: name the column that is broken"  # the checker's message, on every seed
