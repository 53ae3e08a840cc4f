"""Opens one SQLite connection on the first call and writes through it ever after."""

from typing import Any

import pandas as pd

from workshop_lib import scoring
from workshop_lib.store import open_sqlite, utc_now

OPEN: dict[str, Any] = {}


def process_batch(batch, requests, store, model) -> None:
    connection = OPEN.setdefault("connection", open_sqlite(store.path))
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
    store.write(rows, connection=connection)
    connection.commit()
    requests.ack([entry_id for entry_id, _ in batch])


EXPECTED = r"then, on a second stream of 100 events with another store and model version \S+ \(threshold [\d.]+\): 100 of 100 events were acknowledged but never stored"
