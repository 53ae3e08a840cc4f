"""Decides with a hard-coded 0.5 threshold instead of loaded.threshold."""

import numpy as np  # noqa: F401
import pandas as pd
from fastapi import FastAPI, HTTPException  # noqa: F401

from workshop_lib import schema, scoring  # noqa: F401
from workshop_lib.registry import LoadedModel


def make_app(loaded: LoadedModel) -> FastAPI:
    app = FastAPI(title="Loan default (lab 03)")

    @app.post("/predict")
    def predict(application: schema.LoanApplication) -> dict:
        frame = pd.DataFrame([application.model_dump()])
        p = float(loaded.model.predict_proba(frame[schema.FEATURES])[0, 1])
        return {"probability": p, "decision": "decline" if p >= 0.5 else "approve",
                "model_version": loaded.version}
    return app

EXPECTED = r"the decision for valid applicant \d+ is 'approve': at probability .* it is 'decline'"  # the checker's message, on every seed
