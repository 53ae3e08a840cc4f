"""out-of-range values silently repaired. "A negative or huge amount is a typo; clip it into range" for the two money fields: annual_income and loan_amount are clipped to the schema's limits before validation, so {"loan_amount": -100} or 1e9 is scored as 500 or 1,000,000 instead of refused with 422. The client never learns its input was wrong."""
import pandas as pd
from fastapi import FastAPI
from pydantic import field_validator
from workshop_lib import schema, scoring
from workshop_lib.registry import LoadedModel

_LIMITS = {f.name: (f.minimum, f.maximum) for f in schema.NUMERIC}


class Application(schema.LoanApplication):
    @field_validator("annual_income", "loan_amount", mode="before")
    @classmethod
    def _clip(cls, value, info):
        low, high = _LIMITS[info.field_name]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return min(max(value, low), high)
        return value


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

EXPECTED = r"(annual_income|loan_amount) (above its maximum|below its minimum) \([-\d,]+\) got HTTP 200, not 422"  # the checker's message, on every seed
