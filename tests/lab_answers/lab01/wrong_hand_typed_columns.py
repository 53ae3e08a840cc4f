"""Columns typed by hand, and two numeric features (delinquencies, employment years) left out."""
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMBERS = ["age", "annual_income", "loan_amount", "credit_score", "debt_to_income",
           "num_credit_lines"]
WORDS = ["home_ownership", "purpose", "term", "channel"]


def train_model(train_frame):
    encode = ColumnTransformer(
        [
            ("num", StandardScaler(), NUMBERS),
            ("cat", OneHotEncoder(handle_unknown="ignore"), WORDS),
        ]
    )
    model = Pipeline([("encode", encode), ("clf", LogisticRegression(max_iter=1000))])
    return model.fit(train_frame[NUMBERS + WORDS], train_frame["defaulted"])


EXPECTED = r"do not change when employment_years changes: the model ignores it"  # the checker's message, on every seed
