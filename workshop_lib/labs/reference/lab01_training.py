"""Lab 01 reference: preprocessing and a logistic regression in one pipeline."""

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from workshop_lib import schema


def train_model(train_frame: pd.DataFrame) -> Pipeline:
    """Scale the numbers, one-hot the categories, fit a logistic regression."""
    preprocess = ColumnTransformer(
        [
            ("numeric", StandardScaler(), schema.NUMERIC_FEATURES),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), schema.CATEGORICAL_FEATURES),
        ]
    )
    model = Pipeline([("preprocess", preprocess), ("model", LogisticRegression(max_iter=1_000))])
    return model.fit(train_frame[schema.FEATURES], train_frame[schema.TARGET_COLUMN])
