"""Lab 07: write a data check and a quality gate, as the CI/CD pipeline runs them.

1. ``check_table(frame) -> Outcome``: fails when a numeric feature is outside the range
   the schema allows (the ranges are closed: the limits themselves are valid), when a
   feature value is missing (numbers and categories), or when an application id repeats;
   passes a clean table. A failed Outcome's reason says what is wrong (e.g. the column).
2. ``quality_gate(candidate, production, holdout) -> Outcome``: passes when the
   candidate's ROC AUC on ``holdout`` is at least 0.70 and at most 0.01 below the production
   model's; both models have ``predict_proba`` on holdout[schema.FEATURES].

The checker runs them on a clean table, on every kind of corruption, drawn afresh (not the
ones the notebook showed), and on candidates on both sides of each rule (good, bad and weak,
and some just above or below production).

Hint: schema.NUMERIC lists each numeric feature with .minimum and .maximum;
Outcome(name, passed, reason). Check it with ``check_lab("07")``.
"""

import pandas as pd
from sklearn.metrics import roc_auc_score  # noqa: F401  (you will need it)
from workshop_lib import schema  # noqa: F401
from workshop_lib.cicd.outcomes import Outcome


def check_table(frame: pd.DataFrame) -> Outcome:
    """Ranges, missing values and repeated ids."""
    ...


def quality_gate(candidate, production, holdout: pd.DataFrame) -> Outcome:
    """ROC AUC >= 0.70 and no more than 0.01 below production's."""
    ...
