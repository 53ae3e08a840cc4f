"""Uses only the numeric features and silently drops the four categorical columns."""

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from workshop_lib import schema


def train_model(train_frame: pd.DataFrame) -> Pipeline:
    pre = ColumnTransformer([("num", StandardScaler(), schema.NUMERIC_FEATURES)])
    pipe = Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=1000))])
    pipe.fit(train_frame[schema.FEATURES], train_frame[schema.TARGET_COLUMN])
    return pipe

EXPECTED = r"do not change when (home_ownership|purpose|term|channel) changes: the model ignores it"  # the checker's message, on every seed
