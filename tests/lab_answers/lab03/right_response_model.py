"""Right (style: async endpoint with a pydantic response_model, decision via scoring.decide)."""

import numpy as np  # noqa: F401
import pandas as pd
from fastapi import FastAPI, HTTPException  # noqa: F401

from workshop_lib import schema, scoring  # noqa: F401
from workshop_lib.registry import LoadedModel

from typing import Literal

from pydantic import BaseModel


class Prediction(BaseModel):
    probability: float
    decision: Literal["approve", "decline"]
    model_version: str


def make_app(loaded: LoadedModel) -> FastAPI:
    app = FastAPI(title="Loan default (lab 03)")

    @app.post("/predict", response_model=Prediction)
    async def predict(application: schema.LoanApplication) -> Prediction:
        frame = pd.DataFrame.from_records([dict(application)])
        probability = loaded.model.predict_proba(frame[schema.FEATURES])[:, 1]
        decision = scoring.decide(probability, loaded.threshold)[0]
        return Prediction(probability=float(probability[0]), decision=str(decision),
                          model_version=loaded.version)

    return app
