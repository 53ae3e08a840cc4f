"""Lab 01: write the preprocessing + training function.

Write ``train_model(train_frame)``: it gets a table of applications (the columns of
``schema.FEATURES``, numbers and category strings, plus the label ``defaulted``) and returns a
fitted scikit-learn ``Pipeline`` whose ``predict_proba`` takes raw applications.

The checker trains it on rows you have never seen, registers it in a throw-away registry,
loads it back and requires, on a hidden holdout: a ROC AUC of at least 0.74; probabilities
that mean what they say (ranked by predicted risk into tenths, predicted and observed default
rates within 0.05 on average);
predictions that use every feature; and any application the schema allows to be scored.

Hint: a ColumnTransformer (StandardScaler on schema.NUMERIC_FEATURES, OneHotEncoder on
schema.CATEGORICAL_FEATURES), then LogisticRegression, in one Pipeline.
Check it in the notebook with ``check_lab("01")``.
"""

import pandas as pd
from sklearn.pipeline import Pipeline
from workshop_lib import schema  # noqa: F401  (you will need it)


def train_model(train_frame: pd.DataFrame) -> Pipeline:
    """A fitted pipeline: preprocessing then a classifier."""
    ...
