"""A function of one's own in a FunctionTransformer: code the registry will not load."""
import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from workshop_lib import schema


def add_loan_to_income(frame):
    return frame.assign(loan_to_income=frame["loan_amount"] / np.maximum(frame["annual_income"], 1))


def train_model(train_frame):
    numbers = [*schema.NUMERIC_FEATURES, "loan_to_income"]
    encode = ColumnTransformer(
        [
            ("num", StandardScaler(), numbers),
            ("cat", OneHotEncoder(handle_unknown="ignore"), schema.CATEGORICAL_FEATURES),
        ]
    )
    model = Pipeline(
        [
            ("ratio", FunctionTransformer(add_loan_to_income)),
            ("encode", encode),
            ("clf", LogisticRegression(max_iter=1000)),
        ]
    )
    return model.fit(train_frame[schema.FEATURES], train_frame[schema.TARGET_COLUMN])


EXPECTED = r"the registry refused your model: model contains types not on TRUSTED_TYPES: \[.*add_loan_to_income'\]\. The registry loads only the types on that list"  # the checker's message, on every seed
