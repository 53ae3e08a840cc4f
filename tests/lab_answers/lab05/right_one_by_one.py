"""one event at a time: score, write its row, acknowledge it."""
import numpy as np
import pandas as pd

from workshop_lib import schema, scoring
from workshop_lib.store import utc_now

def process_batch(batch, requests, store, model):
    for entry_id, event in batch:
        one = pd.DataFrame([event.application])[schema.FEATURES]
        p = float(model.model.predict_proba(one)[0, 1])
        row = pd.DataFrame([{"application_id": int(event.event_id), "probability": p,
                             "decision": "decline" if p >= model.threshold else "approve"}])
        store.write(row, same_for_all={"model_version": model.version, "run_id": "lab05-single",
                                       "source": "stream", "scored_at": utc_now()})
        requests.ack([entry_id])
