"""Its own request model lists the loan purposes it remembers from the training data and leaves out green_energy, which the schema accepts: a valid applicant gets 422."""

from typing import Literal

import pandas as pd
from fastapi import FastAPI
from workshop_lib import schema, scoring
from workshop_lib.registry import LoadedModel


class Application(schema.LoanApplication):
    # only the purposes seen in the training data (the model knows nothing of the others)
    purpose: Literal[
        "debt_consolidation",
        "credit_card",
        "home_improvement",
        "car",
        "medical",
        "small_business",
    ]


def make_app(loaded: LoadedModel) -> FastAPI:
    app = FastAPI(title="Loan default (lab 03)")

    @app.post("/predict")
    def predict(application: Application) -> dict:
        scored = scoring.score_batch(loaded, pd.DataFrame([application.model_dump()]))
        return {
            "probability": float(scored["probability"].iloc[0]),
            "decision": str(scored["decision"].iloc[0]),
            "model_version": loaded.version,
        }

    return app

EXPECTED = r"the documented example with purpose 'green_energy' got HTTP 422"  # the checker's message, on every seed
