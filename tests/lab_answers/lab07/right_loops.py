"""Right (style: explicit loops over rows of a numpy array and a seen-set for ids; gate with a delta and an early return)."""

import numpy as np  # noqa: F401
import pandas as pd
from sklearn.metrics import roc_auc_score

from workshop_lib import schema
from workshop_lib.cicd.outcomes import Outcome


def check_table(frame: pd.DataFrame) -> Outcome:
    reasons = []
    for feature in schema.NUMERIC:
        values = frame[feature.name].to_numpy(dtype="float64")
        bad = 0
        for v in values:
            if not np.isnan(v) and (v < feature.minimum or v > feature.maximum):
                bad += 1
        if bad:
            reasons.append(f"{feature.name}: {bad} out of range")
    for name in schema.FEATURES:
        n = int(frame[name].isna().sum())
        if n:
            reasons.append(f"{name}: {n} missing")
    seen, repeats = set(), 0
    for value in frame[schema.ID_COLUMN].tolist():
        if value in seen:
            repeats += 1
        seen.add(value)
    if repeats:
        reasons.append(f"{repeats} repeated ids")
    if reasons:
        return Outcome("check_table", False, "; ".join(reasons))
    return Outcome("check_table", True, f"{len(frame)} rows clean")


def quality_gate(candidate, production, holdout: pd.DataFrame) -> Outcome:
    features = holdout[schema.FEATURES]
    truth = holdout[schema.TARGET_COLUMN].to_numpy()
    aucs = {name: float(roc_auc_score(truth, model.predict_proba(features)[:, 1]))
            for name, model in (("candidate", candidate), ("production", production))}
    if aucs["candidate"] < 0.70:
        return Outcome("quality_gate", False, f"ROC AUC {aucs['candidate']:.3f} below 0.70", aucs)
    delta = aucs["candidate"] - aucs["production"]
    if delta < -0.01:
        return Outcome("quality_gate", False, f"{-delta:.3f} below production", aucs)
    return Outcome("quality_gate", True, f"ROC AUC {aucs['candidate']:.3f}, delta {delta:+.3f}", aucs)
