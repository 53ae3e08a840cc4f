"""lru_cache keyed on the numeric fields only: category changes return a stale answer."""
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

    @functools.lru_cache(maxsize=4096)
    def score(key, full):
        scored = scoring.score_batch(loaded, pd.DataFrame([dict(full)]))
        return float(scored["probability"].iloc[0]), str(scored["decision"].iloc[0])

    @app.post("/predict")
    def predict(application: schema.LoanApplication) -> dict:
        d = application.model_dump()
        key = tuple(d[c] for c in schema.NUMERIC_FEATURES)
        p, decision = score.__wrapped__(key, tuple(d.items())) if False else _cached(score, key, d)
        return {"probability": p, "decision": decision, "model_version": loaded.version}

    return app

_CACHE = {}
def _cached(score, key, d):
    if key not in _CACHE:
        _CACHE[key] = score(key, tuple(d.items()))
    return _CACHE[key]

EXPECTED = r"the probability for valid applicant 13 is [\d.e-]+, the model's is"  # the checker's message, on every seed
