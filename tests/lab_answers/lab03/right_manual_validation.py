"""Right (style: raw dict body via Body(), validate_record by hand -> 422 with the problems, predict_proba + decide directly)."""

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
        if not isinstance(application, dict):
            raise HTTPException(status_code=422, detail="body must be a JSON object")
        try:
            valid = schema.validate_record(application)
        except schema.SchemaError as error:
            raise HTTPException(status_code=422, detail=error.problems) from None
        frame = pd.DataFrame([valid.model_dump()], columns=schema.FEATURES)
        p = float(loaded.model.predict_proba(frame)[0, 1])
        return {
            "probability": p,
            "decision": scoring.DECLINE if p >= loaded.threshold else scoring.APPROVE,
            "model_version": loaded.version,
        }

    return app
