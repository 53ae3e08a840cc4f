"""Keeps the model of the first make_app call in a module global and scores every later app with it."""
import functools
import pandas as pd
from fastapi import FastAPI
from workshop_lib import schema, scoring
from workshop_lib.registry import LoadedModel

_first = []
def make_app(loaded):
    if not _first:
        _first.append(loaded)
    app = FastAPI()
    @app.post("/predict")
    def predict(application: schema.LoanApplication) -> dict:
        m = _first[0]
        r = scoring.score_batch(m, pd.DataFrame([application.model_dump()])).iloc[0]
        return {"probability": float(r["probability"]), "decision": str(r["decision"]), "model_version": loaded.version}
    return app

EXPECTED = r"\(a second app, made with make_app for model [\d.]+\).*: keep each app's model and answers inside the app"  # the checker's message, on every seed
