"""scored_at is the local time with "+00:00" pasted on: right only where the machine runs on UTC."""

from datetime import datetime
from typing import Any

import pandas as pd

from workshop_lib import scoring



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
            "scored_at": datetime.now().isoformat() + "+00:00",
        }
    )
    store.write(rows)
    requests.ack([entry_id for entry_id, _ in batch])


EXPECTED = r"rows say scored_at from .* outside the run"
