"""Returns decision as a boolean (True = decline) instead of 'approve'/'decline'."""

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
        return {"probability": float(row["probability"]),
                "decision": bool(row["probability"] >= loaded.threshold),
                "model_version": loaded.version}
    return app

EXPECTED = r"the decision for the documented example is False"  # the checker's message, on every seed
