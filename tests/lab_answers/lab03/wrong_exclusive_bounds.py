"""Its own request model bounds age and credit score with gt/lt: the schema's limits (18, 100, 300, 850) are valid values, and it refuses them."""

from typing import Literal

import pandas as pd
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from workshop_lib import schema, scoring
from workshop_lib.registry import LoadedModel


class Application(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    age: schema.Integer = Field(gt=18, lt=100)
    annual_income: schema.Number = Field(ge=0, le=5_000_000)
    loan_amount: schema.Number = Field(ge=500, le=1_000_000)
    credit_score: schema.Integer = Field(gt=300, lt=850)
    debt_to_income: schema.Number = Field(ge=0, le=2.0)
    employment_years: schema.Number = Field(ge=0, le=60)
    num_credit_lines: schema.Integer = Field(ge=0, le=80)
    delinquencies_2y: schema.Integer = Field(ge=0, le=30)
    home_ownership: Literal["rent", "mortgage", "own", "other"]
    purpose: Literal[
        "debt_consolidation",
        "credit_card",
        "home_improvement",
        "car",
        "medical",
        "small_business",
        "green_energy",
    ]
    term: Literal["36_months", "60_months"]
    channel: Literal["online", "branch", "broker"]


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

EXPECTED = r"(valid applicant \d+|the documented example with (age|credit_score) at its (minimum|maximum) \([\d,]+\)) got HTTP 422"  # the checker's message, on every seed
