"""OrdinalEncoder, then HistGradientBoosting told which columns are categories."""
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from workshop_lib import schema


def train_model(train_frame):
    encode = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    pre = ColumnTransformer(
        [
            ("cat", encode, schema.CATEGORICAL_FEATURES),
            ("num", "passthrough", schema.NUMERIC_FEATURES),
        ]
    )
    n_cat = len(schema.CATEGORICAL_FEATURES)
    clf = HistGradientBoostingClassifier(
        categorical_features=list(range(n_cat)), learning_rate=0.05, max_iter=150,
        max_leaf_nodes=15, random_state=0
    )
    X = train_frame[schema.FEATURES]
    return Pipeline([("pre", pre), ("clf", clf)]).fit(X, train_frame["defaulted"].to_numpy())
