"""Wraps the write in try/except Exception and acknowledges anyway ('keep the stream going')."""

from typing import Any

import numpy as np  # noqa: F401
import pandas as pd

from workshop_lib import schema, scoring  # noqa: F401
from workshop_lib.registry import LoadedModel
from workshop_lib.store import utc_now


def process_batch(
    batch: list[tuple[Any, Any]], requests: Any, store: Any, model: LoadedModel
) -> None:
    if not batch:
        return
    frame = pd.DataFrame([event.application for _, event in batch], columns=schema.FEATURES)
    scored = scoring.score_batch(model, frame)
    rows = pd.DataFrame(
        {
            "application_id": [event.event_id for _, event in batch],
            "probability": scored["probability"].to_numpy(),
            "decision": scored["decision"].to_numpy(),
            "model_version": model.version,
            "run_id": "lab05",
            "source": "stream",
            "scored_at": utc_now(),
        }
    )
    entries = [entry_id for entry_id, _ in batch]
    try:
        store.write(rows)
    except Exception as error:  # noqa: BLE001
        print("write failed, skipping:", error)
    requests.ack(entries)

EXPECTED = r"\d+ of 300 events were acknowledged but never stored"  # the checker's message, on every seed
