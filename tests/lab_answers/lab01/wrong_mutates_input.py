"""pops the label out of the caller's frame (mutates its input)."""
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from workshop_lib import data, schema, training

def pre():
    return ColumnTransformer([("num", StandardScaler(), schema.NUMERIC_FEATURES),
                              ("cat", OneHotEncoder(handle_unknown="ignore"), schema.CATEGORICAL_FEATURES)])

def train_model(train_frame):
    model = Pipeline([("pre", pre()), ("clf", LogisticRegression(max_iter=1000))])
    y = train_frame.pop("defaulted")
    return model.fit(train_frame[schema.FEATURES], y)

EXPECTED = r"train_model changed the table it was given \(columns removed: \['defaulted'\]"  # the checker's message, on every seed
