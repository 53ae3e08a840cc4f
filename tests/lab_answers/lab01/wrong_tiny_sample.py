"""Trains on only the first 50 rows 'to be fast' (a debugging head() left in)."""

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from workshop_lib import schema


def train_model(train_frame: pd.DataFrame) -> Pipeline:
    small = train_frame.head(50)
    pre = ColumnTransformer(
        [
            ("num", StandardScaler(), schema.NUMERIC_FEATURES),
            ("cat", OneHotEncoder(handle_unknown="ignore"), schema.CATEGORICAL_FEATURES),
        ]
    )
    pipe = Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=1000))])
    pipe.fit(small[schema.FEATURES], small[schema.TARGET_COLUMN])
    return pipe

EXPECTED = r"was fitted on 50 rows, but train_frame has 5,000: fit on all of it"  # the checker's message, on every seed
