"""Returns predict_proba[:, 0] (probability of repaying) as the probability of default."""

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
        p = float(loaded.model.predict_proba(frame[schema.FEATURES])[0, 0])
        return {"probability": p, "decision": str(scoring.decide(p, loaded.threshold)),
                "model_version": loaded.version}
    return app

EXPECTED = r"the probability for the documented example is 0\.\d+, the model's is"  # the checker's message, on every seed
