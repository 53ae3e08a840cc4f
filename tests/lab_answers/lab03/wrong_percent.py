"""Wrong units: returns the probability as a percentage (0-100) instead of 0-1."""

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
        row = scoring.score_batch(loaded, frame).iloc[0]
        return {"probability": round(100 * float(row["probability"]), 1),
                "decision": str(row["decision"]), "model_version": loaded.version}
    return app

EXPECTED = r"the probability for the documented example is \d+\.\d+, the model's is 0\."  # the checker's message, on every seed
