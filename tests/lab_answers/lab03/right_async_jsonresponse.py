"""async endpoint, predict_proba directly, JSONResponse."""
import functools
from typing import Literal

import numpy as np
import pandas as pd
from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from workshop_lib import paths, schema, scoring
from workshop_lib.registry import LoadedModel, Registry

def make_app(loaded):
    app = FastAPI(title="lab 03")

    @app.post("/predict")
    async def predict(application: schema.LoanApplication) -> JSONResponse:
        row = pd.DataFrame([application.model_dump()], columns=schema.FEATURES)
        p = float(loaded.model.predict_proba(row)[0, 1])
        return JSONResponse({"probability": p, "decision": "decline" if p >= loaded.threshold else "approve",
                             "model_version": loaded.version})

    return app
