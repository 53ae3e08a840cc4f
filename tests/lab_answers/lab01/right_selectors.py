"""make_column_selector by dtype, log-transform skewed money columns."""
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from workshop_lib import data, schema, training

from sklearn.compose import make_column_selector, make_column_transformer

def train_model(train_frame):
    money = ["annual_income", "loan_amount"]
    other = [c for c in schema.NUMERIC_FEATURES if c not in money]
    pre = make_column_transformer(
        (Pipeline([("log", FunctionTransformer(np.log1p)), ("sc", StandardScaler())]), money),
        (StandardScaler(), other),
        (OneHotEncoder(handle_unknown="ignore"), make_column_selector(dtype_include=["object", "category"])),
    )
    X = train_frame[schema.FEATURES]
    return Pipeline([("pre", pre), ("lr", LogisticRegression(C=0.5, max_iter=2000))]).fit(X, train_frame["defaulted"])
