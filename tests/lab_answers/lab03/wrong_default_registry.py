"""ignores `loaded`: loads the production model from the default registry."""
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
    try:
        loaded = Registry(str(paths.MODELS_DIR)).load()
    except Exception:
        pass

    @app.post("/predict")
    def predict(application: schema.LoanApplication) -> dict:
        scored = scoring.score_batch(loaded, pd.DataFrame([application.model_dump()]))
        return {"probability": float(scored["probability"].iloc[0]),
                "decision": str(scored["decision"].iloc[0]),
                "model_version": loaded.version}

    return app

EXPECTED = r"the probability for the documented example is [\d.e-]+, the model's is"  # the checker's message, on every seed
