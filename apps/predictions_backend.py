"""The backend of batch deployment: answer users from stored predictions, with their age.

    PREDICTIONS_DB_URL=sqlite:///runtime/predictions.db \\
        python -m uvicorn apps.predictions_backend:app --port 8001

``GET /predictions/{application_id}`` returns the stored prediction, when it was scored and how
old it is ("data staleness"); 404 if the application was never scored. ``GET /health`` says
whether the database answers. The model is never loaded here: scoring happened in the batch
job (or the stream processor), so this service is fast and cheap, and as fresh as the last run.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import lru_cache

from fastapi import FastAPI, HTTPException, Path
from pydantic import BaseModel

from workshop_lib.store import DEFAULT_STORE_URL, MAX_APPLICATION_ID, PredictionStore

# A daily job scores yesterday's applications at 02:30: older than this means a run was missed.
DEFAULT_STALE_AFTER_HOURS = 26.0

app = FastAPI(
    title="Stored predictions",
    description="Predictions written by the batch job and the stream processor, by application.",
)


class StoredPrediction(BaseModel):
    """One stored prediction and how old it is."""

    application_id: int
    probability: float
    decision: str
    model_version: str
    run_id: str
    source: str
    scored_at: str
    age_seconds: float
    stale: bool
    stale_after_hours: float


@lru_cache(maxsize=1)
def store() -> PredictionStore:
    """The predictions database named by ``PREDICTIONS_DB_URL``, opened once."""
    return PredictionStore(os.environ.get("PREDICTIONS_DB_URL", DEFAULT_STORE_URL))


def stale_after_hours() -> float:
    """The age after which a prediction is flagged stale (``STALE_AFTER_HOURS``)."""
    return float(os.environ.get("STALE_AFTER_HOURS", DEFAULT_STALE_AFTER_HOURS))


@app.get("/health")
def health() -> dict[str, str]:
    """Whether the database answers a query."""
    store().count("application_id = ?", (0,))
    return {"status": "ok", "database": str(store().path)}


@app.get("/predictions/{application_id}", responses={404: {"description": "never scored"}})
def get_prediction(application_id: int = Path(ge=1, le=MAX_APPLICATION_ID)) -> StoredPrediction:
    """The stored prediction of one application, with its age (ids beyond SQLite's: 422)."""
    row = store().get(application_id)
    if row is None:
        raise HTTPException(404, f"no stored prediction for application {application_id}")
    age = (datetime.now(UTC) - datetime.fromisoformat(row["scored_at"])).total_seconds()
    limit = stale_after_hours()
    return StoredPrediction(
        **row, age_seconds=round(age, 3), stale=age > limit * 3600, stale_after_hours=limit
    )
