"""Decides with a hard-coded threshold of 0.5 instead of the model's threshold."""

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
            "decision": np.where(scored["probability"].to_numpy() >= 0.5, "decline", "approve"),
            "model_version": model.version,
            "run_id": "lab05",
            "source": "stream",
            "scored_at": utc_now(),
        }
    )
    entries = [entry_id for entry_id, _ in batch]
    store.write(rows)
    requests.ack(entries)

EXPECTED = r"\d+ of 300 stored decisions differ from the model's rule"  # the checker's message, on every seed
