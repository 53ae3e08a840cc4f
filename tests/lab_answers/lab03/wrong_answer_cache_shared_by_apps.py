"""Caches answers in a module-level dict keyed by the application only, shared by every app."""
import functools
import pandas as pd
from fastapi import FastAPI
from workshop_lib import schema, scoring
from workshop_lib.registry import LoadedModel

_cache = {}
def make_app(loaded):
    app = FastAPI()
    @app.post("/predict")
    def predict(application: schema.LoanApplication) -> dict:
        d = application.model_dump()
        key = tuple(sorted(d.items()))
        if key not in _cache:
            r = scoring.score_batch(loaded, pd.DataFrame([d])).iloc[0]
            _cache[key] = {"probability": float(r["probability"]), "decision": str(r["decision"]), "model_version": loaded.version}
        return _cache[key]
    return app

EXPECTED = r"\(a second app, made with make_app for model [\d.]+\).*: keep each app's model and answers inside the app"  # the checker's message, on every seed
