"""module-level set of seen event ids, marked before the write; seen events skipped."""
import numpy as np
import pandas as pd

from workshop_lib import schema, scoring
from workshop_lib.store import utc_now

_SEEN = set()

def rows_for(batch, model):
    frame = pd.DataFrame([event.application for _, event in batch])
    scored = scoring.score_batch(model, frame)
    return pd.DataFrame({
        "application_id": [int(event.event_id) for _, event in batch],
        "probability": scored["probability"].to_numpy(),
        "decision": scored["decision"].to_numpy(),
        "model_version": model.version,
        "run_id": "lab05",
        "source": "stream",
        "scored_at": utc_now(),
    })

def process_batch(batch, requests, store, model):
    if not batch:
        return
    fresh = [(e, ev) for e, ev in batch if ev.event_id not in _SEEN]
    _SEEN.update(ev.event_id for _, ev in batch)
    if fresh:
        store.write(rows_for(fresh, model))
    requests.ack([entry_id for entry_id, _ in batch])

EXPECTED = r"\d+ of 300 events were acknowledged but never stored, after \d+ crashes"  # the checker's message, on every seed
