"""C=1e-5: so much regularisation that every probability is squeezed towards the average."""
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
    clf = LogisticRegression(max_iter=1000, C=1e-5)
    model = Pipeline([("encode", encode), ("clf", clf)])
    return model.fit(train_frame[schema.FEATURES], train_frame[schema.TARGET_COLUMN])


EXPECTED = r"probabilities do not mean what they say: ranked by predicted risk in tenths"  # the checker's message, on every seed
