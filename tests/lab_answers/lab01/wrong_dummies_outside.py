"""One-hot encodes with pd.get_dummies outside the pipeline, so the model cannot take raw applications."""

import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from workshop_lib import schema


def train_model(train_frame: pd.DataFrame) -> Pipeline:
    X = pd.get_dummies(train_frame[schema.FEATURES], columns=schema.CATEGORICAL_FEATURES)
    pipe = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=1000))])
    pipe.fit(X, train_frame[schema.TARGET_COLUMN])
    return pipe

EXPECTED = r"the registered model cannot score raw applications"  # the checker's message, on every seed
