"""Types the body as a plain dict: no validation, so bad input is scored or crashes (500) instead of 422."""

import numpy as np  # noqa: F401
import pandas as pd
from fastapi import FastAPI, HTTPException  # noqa: F401

from workshop_lib import schema, scoring  # noqa: F401
from workshop_lib.registry import LoadedModel


def make_app(loaded: LoadedModel) -> FastAPI:
    app = FastAPI(title="Loan default (lab 03)")

    @app.post("/predict")
    def predict(application: dict) -> dict:
        frame = pd.DataFrame([application])
        row = scoring.score_batch(loaded, frame).iloc[0]
        return {"probability": float(row["probability"]), "decision": str(row["decision"]),
                "model_version": loaded.version}

    return app

EXPECTED = r"got HTTP 200, not 422"  # the checker's message, on every seed
