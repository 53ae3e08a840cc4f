"""Trains on the wrong label encoding (1 - defaulted, 'approved' as positive), so it predicts repayment not default."""

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from workshop_lib import schema


def train_model(train_frame: pd.DataFrame) -> Pipeline:
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), schema.NUMERIC_FEATURES),
            ("cat", OneHotEncoder(handle_unknown="ignore"), schema.CATEGORICAL_FEATURES),
        ]
    )
    pipe = Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=1000))])
    pipe.fit(train_frame[schema.FEATURES], 1 - train_frame[schema.TARGET_COLUMN])
    return pipe

EXPECTED = r"ROC AUC 0\.[0-3]\d* on a hidden holdout, below the bar"  # the checker's message, on every seed
