"""Lab 05 reference: score, write (an upsert), then acknowledge."""

from typing import Any

import pandas as pd

from workshop_lib import scoring, store
from workshop_lib.registry import LoadedModel


def process_batch(
    batch: list[tuple[Any, Any]],
    requests: Any,
    predictions: store.PredictionStore,
    model: LoadedModel,
) -> None:
    """Store the batch's predictions, then acknowledge its events: a crash in between replays."""
    events = [event for _, event in batch]
    scores = scoring.score_batch(model, pd.DataFrame([e.application for e in events]))
    rows = pd.DataFrame(
        {
            "application_id": [e.event_id for e in events],
            "probability": scores["probability"].to_numpy(),
            "decision": scores["decision"].to_numpy(),
            "model_version": model.version,
            "run_id": "lab-05",
            "source": "stream",
            "scored_at": store.utc_now(),
        }
    )
    predictions.write(rows)  # committed before anything is acknowledged
    requests.ack([entry_id for entry_id, _ in batch])
