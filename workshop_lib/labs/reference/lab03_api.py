"""Lab 03 reference: a FastAPI app whose /predict scores one validated application."""

import pandas as pd
from fastapi import FastAPI

from workshop_lib import schema, scoring
from workshop_lib.registry import LoadedModel


def make_app(loaded: LoadedModel) -> FastAPI:
    """An app with POST /predict for the model ``loaded``."""
    app = FastAPI(title="Loan default (lab 03)")

    @app.post("/predict")
    def predict(application: schema.LoanApplication) -> dict:
        scored = scoring.score_batch(loaded, pd.DataFrame([application.model_dump()]))
        return {
            "probability": float(scored["probability"].iloc[0]),
            "decision": str(scored["decision"].iloc[0]),
            "model_version": loaded.version,
        }

    return app
