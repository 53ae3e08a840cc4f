"""Acknowledges all but the last event of each batch (it is handed out again and stored again)."""
from typing import Any

import pandas as pd
from workshop_lib import scoring
from workshop_lib.registry import LoadedModel
from workshop_lib.store import utc_now


def process_batch(batch: list[tuple[Any, Any]], requests: Any, store: Any, model: LoadedModel) -> None:
    if not batch:
        return
    ids = [entry_id for entry_id, _ in batch]
    events = [event for _, event in batch]
    frame = pd.DataFrame([dict(e.application) for e in events])
    scored = scoring.score_batch(model, frame)
    out = pd.DataFrame({
        "application_id": [e.event_id for e in events],
        "probability": scored["probability"].to_numpy(),
        "decision": scored["decision"].to_numpy(),
        "model_version": model.version,
        "run_id": "lab-05",
        "source": "stream",
        "scored_at": utc_now(),
    })
    store.write(out)
    requests.ack(list(dict.fromkeys(ids))[: max(1, len(ids) - 1)])

EXPECTED = r"your process_batch returned without acknowledging 1 of the \d+ events it was handed"  # the checker's message, on every seed
