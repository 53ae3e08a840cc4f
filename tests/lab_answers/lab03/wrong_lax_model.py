"""Writes its own lax pydantic model (plain int/float, str categories, extra fields ignored): accepts true, "38", unknown categories and extra fields."""

import numpy as np  # noqa: F401
import pandas as pd
from fastapi import FastAPI, HTTPException  # noqa: F401

from workshop_lib import schema, scoring  # noqa: F401
from workshop_lib.registry import LoadedModel

from pydantic import BaseModel, Field


class Application(BaseModel):
    age: int = Field(ge=18, le=100)
    annual_income: float = Field(ge=0, le=5_000_000)
    loan_amount: float = Field(ge=500, le=1_000_000)
    credit_score: int = Field(ge=300, le=850)
    debt_to_income: float = Field(ge=0, le=2.0)
    employment_years: float = Field(ge=0, le=60)
    num_credit_lines: int = Field(ge=0, le=80)
    delinquencies_2y: int = Field(ge=0, le=30)
    home_ownership: str
    purpose: str
    term: str
    channel: str


def make_app(loaded: LoadedModel) -> FastAPI:
    app = FastAPI(title="Loan default (lab 03)")

    @app.post("/predict")
    def predict(application: Application) -> dict:
        frame = pd.DataFrame([application.model_dump()])
        row = scoring.score_batch(loaded, frame).iloc[0]
        return {"probability": float(row["probability"]), "decision": str(row["decision"]),
                "model_version": loaded.version}

    return app

EXPECTED = r"(as the string '\d+'|as true|as false|an unknown \w+) got HTTP 200, not 422"  # the checker's message, on every seed
