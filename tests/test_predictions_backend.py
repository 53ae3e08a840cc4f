"""The predictions backend, served by a real uvicorn: stored prediction, age, staleness, 404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pandas as pd
import pytest

from workshop_lib.store import PredictionStore
from workshop_lib.support.servers import start_uvicorn

FRESH_ID, OLD_ID = 1_000_000_001, 5_000_002  # a batch id and a stream id (store.SOURCE_IDS)


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    """A backend over a database holding one fresh and one three-day-old prediction."""
    url = f"sqlite:///{tmp_path_factory.mktemp('backend') / 'predictions.db'}"
    now = datetime.now(UTC)
    PredictionStore(url).write(
        pd.DataFrame(
            {
                "application_id": [FRESH_ID, OLD_ID],
                "probability": [0.12, 0.61],
                "decision": ["approve", "decline"],
                "model_version": ["1.0.0", "1.0.0"],
                "run_id": ["2025-01-31-aaaa", "2025-01-28-bbbb"],
                "source": ["batch", "stream"],
                "scored_at": [
                    (now - timedelta(minutes=5)).isoformat(timespec="milliseconds"),
                    (now - timedelta(days=3)).isoformat(timespec="milliseconds"),
                ],
            }
        )
    )
    server = start_uvicorn(
        "apps.predictions_backend:app",
        env={"PREDICTIONS_DB_URL": url, "STALE_AFTER_HOURS": "26"},
        name="predictions-backend",
    )
    with server, httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def test_health_names_the_database(backend):
    response = backend.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"].endswith("predictions.db")


def test_a_stored_prediction_comes_back_with_its_age(backend):
    body = backend.get(f"/predictions/{FRESH_ID}").json()
    assert body["probability"] == 0.12 and body["decision"] == "approve"
    assert body["model_version"] == "1.0.0" and body["source"] == "batch"
    assert 290 <= body["age_seconds"] < 600
    assert body["stale"] is False and body["stale_after_hours"] == 26


def test_an_old_prediction_is_flagged_stale(backend):
    body = backend.get(f"/predictions/{OLD_ID}").json()
    assert body["stale"] is True and body["age_seconds"] >= 3 * 86_400
    assert body["source"] == "stream"


def test_an_unknown_application_is_404_with_a_message(backend):
    response = backend.get("/predictions/42")
    assert response.status_code == 404
    assert response.json()["detail"] == "no stored prediction for application 42"


@pytest.mark.parametrize("bad", ["abc", "0", "-5", str(2**63), str(2**70), "1.5"])
def test_a_malformed_id_is_422(backend, bad):
    response = backend.get(f"/predictions/{bad}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "application_id"]


def test_the_largest_id_sqlite_holds_is_an_ordinary_404(backend):
    assert backend.get(f"/predictions/{2**63 - 1}").status_code == 404
