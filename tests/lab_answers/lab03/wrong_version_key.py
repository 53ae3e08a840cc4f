"""Names the field 'version' instead of 'model_version'."""

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
        return {"probability": float(row["probability"]), "decision": str(row["decision"]),
                "version": loaded.version}
    return app

EXPECTED = r"lacks \['model_version'\]"  # the checker's message, on every seed
