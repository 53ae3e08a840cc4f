"""one upsert for the whole batch, then one ack call per entry (ack in a loop)."""
import pandas as pd

from workshop_lib import scoring
from workshop_lib.store import utc_now


def process_batch(batch, requests, store, model):
    if not batch:
        return
    frame = pd.DataFrame([event.application for _, event in batch])
    scored = scoring.score_batch(model, frame)
    rows = pd.DataFrame({
        "application_id": [int(event.event_id) for _, event in batch],
        "probability": scored["probability"].to_numpy(),
        "decision": scored["decision"].to_numpy(),
        "model_version": model.version, "run_id": "lab05", "source": "stream",
        "scored_at": utc_now(),
    })
    store.write(rows)
    for entry_id, _ in batch:
        requests.ack([entry_id])
