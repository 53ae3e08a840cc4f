"""Right (style: reuse schema.validate_frame for ranges and missing values, pandas duplicated for ids; gate with numpy comparisons)."""

import numpy as np  # noqa: F401
import pandas as pd
from sklearn.metrics import roc_auc_score

from workshop_lib import schema
from workshop_lib.cicd.outcomes import Outcome


def check_table(frame: pd.DataFrame) -> Outcome:
    problems = []
    try:
        schema.validate_frame(frame)
    except schema.SchemaError as error:
        problems += error.problems
    dup = frame[schema.ID_COLUMN].duplicated(keep=False)
    if dup.any():
        problems.append(f"{schema.ID_COLUMN}: {int(dup.sum())} rows share an id")
    return Outcome("data_check", passed=not problems, reason="; ".join(problems) or "ok",
                   details={"problems": problems})


def _auc(model, holdout):
    scores = np.asarray(model.predict_proba(holdout[schema.FEATURES]))[:, 1]
    return roc_auc_score(holdout[schema.TARGET_COLUMN].to_numpy(), scores)


def quality_gate(candidate, production, holdout: pd.DataFrame) -> Outcome:
    c, p = _auc(candidate, holdout), _auc(production, holdout)
    ok = bool(np.all([c >= 0.70, c - p >= -0.01]))
    return Outcome("quality_gate", ok, f"candidate {c:.4f} vs production {p:.4f}")
