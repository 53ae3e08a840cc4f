"""Whole-number features treated as categories: a count the training table lacked stops scoring."""
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from workshop_lib import schema

COUNTS = ["num_credit_lines", "delinquencies_2y"]


def train_model(train_frame):
    numbers = [c for c in schema.NUMERIC_FEATURES if c not in COUNTS]
    encode = ColumnTransformer(
        [
            ("num", StandardScaler(), numbers),
            ("counts", OneHotEncoder(), COUNTS),
            ("cat", OneHotEncoder(handle_unknown="ignore"), schema.CATEGORICAL_FEATURES),
        ]
    )
    model = Pipeline([("encode", encode), ("clf", LogisticRegression(max_iter=1000))])
    return model.fit(train_frame[schema.FEATURES], train_frame[schema.TARGET_COLUMN])


EXPECTED = r"cannot score (raw applications|an application with a numeric field at the lowest or highest).*unknown categor"  # the checker's message, on every seed
