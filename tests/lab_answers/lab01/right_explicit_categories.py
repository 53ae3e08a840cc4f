"""Right (style: explicit category lists from the schema, a lightly regularised logistic, named steps built in a loop)."""

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from workshop_lib import schema


def train_model(train_frame: pd.DataFrame) -> Pipeline:
    transformers = [(f"scale_{n}", StandardScaler(), [n]) for n in schema.NUMERIC_FEATURES]
    transformers.append(
        (
            "onehot",
            OneHotEncoder(
                categories=[list(schema.CATEGORIES[c]) for c in schema.CATEGORICAL_FEATURES],
                handle_unknown="ignore",
            ),
            schema.CATEGORICAL_FEATURES,
        )
    )
    pipe = Pipeline(
        steps=[
            ("preprocess", ColumnTransformer(transformers)),
            ("model", LogisticRegression(C=0.5, max_iter=2000)),
        ]
    )
    features = train_frame.loc[:, schema.FEATURES]
    pipe.fit(features, train_frame[schema.TARGET_COLUMN].astype(int))
    return pipe
