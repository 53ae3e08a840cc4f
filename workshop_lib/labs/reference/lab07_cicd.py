"""Lab 07 reference: a data check over the schema, and a no-worse-than-production gate."""

import pandas as pd
from sklearn.metrics import roc_auc_score

from workshop_lib import schema
from workshop_lib.cicd.outcomes import Outcome

MIN_AUC, MAX_DROP = 0.70, 0.01


def check_table(frame: pd.DataFrame) -> Outcome:
    """Every value inside the schema's ranges, nothing missing, every id once."""
    problems = [
        f"{f.name} outside [{f.minimum:g}, {f.maximum:g}]"
        for f in schema.NUMERIC
        if not frame[f.name].between(f.minimum, f.maximum).all()
    ]
    if frame[schema.FEATURES].isna().to_numpy().any():
        problems.append("missing values")
    if frame[schema.ID_COLUMN].duplicated().any():
        problems.append("repeated application ids")
    return Outcome("table", not problems, "; ".join(problems) or "looks fine")


def quality_gate(candidate, production, holdout: pd.DataFrame) -> Outcome:
    """The candidate's holdout ROC AUC above the floor and not clearly below production's."""
    features, labels = holdout[schema.FEATURES], holdout[schema.TARGET_COLUMN]
    auc = roc_auc_score(labels, candidate.predict_proba(features)[:, 1])
    production_auc = roc_auc_score(labels, production.predict_proba(features)[:, 1])
    passed = auc >= MIN_AUC and auc >= production_auc - MAX_DROP
    return Outcome("quality", passed, f"ROC AUC {auc:.3f} vs production {production_auc:.3f}")
