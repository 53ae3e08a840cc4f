"""Right: ColumnTransformer (scaler + one-hot) then LogisticRegression in one Pipeline."""

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from workshop_lib import schema


def train_model(train_frame: pd.DataFrame) -> Pipeline:
    """A fitted pipeline: preprocessing then a classifier."""
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), schema.NUMERIC_FEATURES),
            ("cat", OneHotEncoder(handle_unknown="ignore"), schema.CATEGORICAL_FEATURES),
        ]
    )
    model = Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=1000))])
    model.fit(train_frame[schema.FEATURES], train_frame[schema.TARGET_COLUMN])
    return model
