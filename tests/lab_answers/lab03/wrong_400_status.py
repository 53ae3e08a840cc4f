"""Validates by hand with schema.validate_record but answers HTTP 400 (not 422) for bad input."""

import numpy as np  # noqa: F401
import pandas as pd
from fastapi import FastAPI, HTTPException  # noqa: F401

from workshop_lib import schema, scoring  # noqa: F401
from workshop_lib.registry import LoadedModel

from fastapi import Body


def make_app(loaded: LoadedModel) -> FastAPI:
    app = FastAPI(title="Loan default (lab 03)")

    @app.post("/predict")
    def predict(application: dict = Body(...)) -> dict:
        try:
            valid = schema.validate_record(application)
        except schema.SchemaError as error:
            raise HTTPException(status_code=400, detail=error.problems) from None
        row = scoring.score_batch(loaded, pd.DataFrame([valid.model_dump()])).iloc[0]
        return {"probability": float(row["probability"]), "decision": str(row["decision"]),
                "model_version": loaded.version}

    return app

EXPECTED = r"got HTTP 400, not 422"  # the checker's message, on every seed
