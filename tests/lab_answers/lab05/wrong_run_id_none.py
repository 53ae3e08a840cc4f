"""run_id left empty (None): the store needs a run id (it was filed as a right answer).

(Tester's file right_same_for_all.py: constant columns via same_for_all; ids deduplicated within the batch.)"""
import numpy as np
import pandas as pd

from workshop_lib import schema, scoring
from workshop_lib.store import utc_now

def process_batch(batch, requests, store, model):
    if not batch:
        return
    ids = [int(ev.event_id) for _, ev in batch]
    frame = pd.DataFrame.from_records([ev.application for _, ev in batch])
    scored = scoring.score_batch(model, frame)
    rows = scored.assign(application_id=ids).drop_duplicates("application_id", keep="last")
    store.write(rows[["application_id", "probability", "decision"]],
                same_for_all={"model_version": model.version, "run_id": None, "source": "stream",
                              "scored_at": utc_now()})
    requests.ack([entry for entry, _ in batch])

EXPECTED = r"the store refused your rows \(NOT NULL constraint failed: predictions\.run_id\)"  # the checker's message, on every seed
