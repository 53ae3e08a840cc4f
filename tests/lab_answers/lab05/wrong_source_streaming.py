"""Writes source 'streaming' instead of 'stream'."""
import pandas as pd
from workshop_lib import scoring, schema
from workshop_lib.store import utc_now


def _rows(batch, model, scored_at=None, source="stream", version=None, ids=None):
    frame = pd.DataFrame([dict(ev.application) for _, ev in batch])
    out = scoring.score_batch(model, frame)
    return pd.DataFrame({"application_id": ids if ids is not None else [ev.event_id for _, ev in batch],
        "probability": out["probability"].to_numpy(), "decision": out["decision"].to_numpy(),
        "model_version": version or model.version, "run_id": "lab-05", "source": source,
        "scored_at": scored_at if scored_at is not None else utc_now()})

def process_batch(batch, requests, store, model):
    if not batch: return
    store.write(_rows(batch, model, source="streaming"))
    requests.ack([e for e, _ in batch])

EXPECTED = r"300 of 300 rows say source 'streaming': rows from the stream processor say 'stream'"  # the checker's message, on every seed
