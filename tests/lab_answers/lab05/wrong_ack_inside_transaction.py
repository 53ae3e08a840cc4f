"""Acknowledges inside the write's transaction, before it commits: a crash then loses acked rows."""

from typing import Any

import pandas as pd

from workshop_lib import scoring
from workshop_lib.store import utc_now


def process_batch(batch, requests, store, model) -> None:
    events = [event for _, event in batch]
    scored = scoring.score_batch(model, pd.DataFrame([e.application for e in events]))
    rows = pd.DataFrame(
        {
            "application_id": [e.event_id for e in events],
            "probability": scored["probability"].to_numpy(),
            "decision": scored["decision"].to_numpy(),
            "model_version": model.version,
            "run_id": "lab-05",
            "source": "stream",
            "scored_at": utc_now(),
        }
    )
    with store.connect() as connection:
        store.write(rows, connection=connection)
        requests.ack([entry_id for entry_id, _ in batch])  # the commit comes after this


EXPECTED = r"of 300 events were acknowledged but never stored, after \d+ crashes"
