"""Fits on a random tenth of train_frame (a fixed random_state)."""
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler, OrdinalEncoder
from workshop_lib import schema, data


def pre():
    return ColumnTransformer([
        ("num", StandardScaler(), schema.NUMERIC_FEATURES),
        ("cat", OneHotEncoder(handle_unknown="ignore"), schema.CATEGORICAL_FEATURES),
    ])

def train_model(train_frame):
    t = train_frame.sample(frac=0.1, random_state=0)
    return Pipeline([("pre", pre()), ("clf", LogisticRegression(max_iter=1000))]).fit(t[schema.FEATURES], t[schema.TARGET_COLUMN])

EXPECTED = r"your model's step \w+ \(StandardScaler\) was fitted on 500 rows, but train_frame has 5,000: fit on all of it"  # the checker's message, on every seed
