"""unknown categories accepted. To be "forgiving", the learner lower-cases and trims every string before validation, so "Online", " RENT " or "Credit_Card" are scored instead of refused with 422. Those are not categories of the schema: the API now accepts inputs the batch job, the stream and the data checks refuse, and a client bug goes unseen."""
import pandas as pd
from fastapi import FastAPI
from pydantic import model_validator
from workshop_lib import schema, scoring
from workshop_lib.registry import LoadedModel


class Application(schema.LoanApplication):
    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data):
        if isinstance(data, dict):
            return {k: v.strip().lower() if isinstance(v, str) else v for k, v in data.items()}
        return data


def make_app(loaded: LoadedModel) -> FastAPI:
    app = FastAPI(title="Loan default (lab 03)")

    @app.post("/predict")
    def predict(application: Application) -> dict:
        scored = scoring.score_batch(loaded, pd.DataFrame([application.model_dump()]))
        return {
            "probability": float(scored["probability"].iloc[0]),
            "decision": str(scored["decision"].iloc[0]),
            "model_version": loaded.version,
        }

    return app

EXPECTED = r"(home_ownership|purpose|term|channel) '[A-Z_0-9]+' got HTTP 200, not 422"  # the checker's message, on every seed
