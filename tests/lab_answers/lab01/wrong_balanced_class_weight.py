"""class_weight="balanced": ranks well, but its "probabilities" are far above the default rate."""
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from workshop_lib import schema


def train_model(train_frame):
    encode = ColumnTransformer(
        [
            ("num", StandardScaler(), schema.NUMERIC_FEATURES),
            ("cat", OneHotEncoder(handle_unknown="ignore"), schema.CATEGORICAL_FEATURES),
        ]
    )
    clf = LogisticRegression(max_iter=1000, class_weight="balanced")
    model = Pipeline([("encode", encode), ("clf", clf)])
    return model.fit(train_frame[schema.FEATURES], train_frame[schema.TARGET_COLUMN])


EXPECTED = r"probabilities do not mean what they say: ranked by predicted risk in tenths of 3,000 hidden rows, predicted and observed default rates differ by 0\.2"  # the checker's message, on every seed
