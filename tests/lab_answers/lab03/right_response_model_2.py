"""a pydantic response_model and model_dump(mode='json')."""
import functools
from typing import Literal

import numpy as np
import pandas as pd
from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from workshop_lib import paths, schema, scoring
from workshop_lib.registry import LoadedModel, Registry

class Answer(BaseModel):
    probability: float
    decision: Literal["approve", "decline"]
    model_version: str
    model_config = ConfigDict(protected_namespaces=())

def make_app(loaded):
    app = FastAPI(title="lab 03")

    @app.post("/predict", response_model=Answer)
    def predict(application: schema.LoanApplication):
        frame = pd.DataFrame.from_records([application.model_dump(mode="json")])
        p = loaded.model.predict_proba(frame[schema.FEATURES])[:, 1]
        return Answer(probability=float(p[0]), decision=str(scoring.decide(p, loaded.threshold)[0]), model_version=loaded.version)

    return app
