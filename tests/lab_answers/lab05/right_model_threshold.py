"""Right (style: the model's own predict_proba and threshold, no score_batch; ack after the write)."""

import numpy as np
import pandas as pd

from workshop_lib import store


def process_batch(batch, requests, predictions, model):
    ids = [entry_id for entry_id, _ in batch]
    frame = pd.DataFrame([event.application for _, event in batch])
    p = model.model.predict_proba(frame)[:, 1]
    predictions.write(
        pd.DataFrame(
            {
                "application_id": [event.event_id for _, event in batch],
                "probability": p,
                "decision": np.where(p >= model.threshold, "decline", "approve"),
                "model_version": model.version,
                "run_id": "r",
                "source": "stream",
                "scored_at": store.utc_now(),
            }
        )
    )
    requests.ack(ids)
