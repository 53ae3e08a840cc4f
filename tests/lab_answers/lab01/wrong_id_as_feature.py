"""Feeds application_id into the model as a numeric feature (fit on every column but the label)."""

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from workshop_lib import schema


def train_model(train_frame: pd.DataFrame) -> Pipeline:
    numeric = schema.NUMERIC_FEATURES + [schema.ID_COLUMN]
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), numeric),
            ("cat", OneHotEncoder(handle_unknown="ignore"), schema.CATEGORICAL_FEATURES),
        ]
    )
    pipe = Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=1000))])
    pipe.fit(train_frame.drop(columns=[schema.TARGET_COLUMN]), train_frame[schema.TARGET_COLUMN])
    return pipe

EXPECTED = r"cannot score raw applications .*application_id"  # the checker's message, on every seed
