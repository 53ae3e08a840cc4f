"""Declines only strictly above the threshold (p > loaded.threshold): an applicant exactly at the threshold is approved, where the model declines at or above it."""

import pandas as pd
from fastapi import FastAPI

from workshop_lib import schema
from workshop_lib.registry import LoadedModel


def make_app(loaded: LoadedModel) -> FastAPI:
    app = FastAPI(title="Loan default (lab 03)")

    @app.post("/predict")
    def predict(application: schema.LoanApplication) -> dict:
        frame = pd.DataFrame([application.model_dump()])
        p = float(loaded.model.predict_proba(frame[schema.FEATURES])[0, 1])
        return {
            "probability": p,
            "decision": "decline" if p > loaded.threshold else "approve",
            "model_version": loaded.version,
        }

    return app

EXPECTED = r"the decision for valid applicant 14 is 'approve': at probability 0\.\d{10} and the model's threshold 0\.\d{10} it is 'decline' \(the probability equals the threshold: at or above it, the model declines\)"  # the checker's message, on every seed
