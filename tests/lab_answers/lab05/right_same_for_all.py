"""Right (style: one explicit transaction via store.connect(), constants passed with same_for_all, predict_proba + decide by hand)."""

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
    entries, events = zip(*batch)
    features = pd.DataFrame.from_records([e.application for e in events])[schema.FEATURES]
    probability = model.model.predict_proba(features)[:, 1]
    rows = pd.DataFrame(
        {
            "application_id": np.array([e.event_id for e in events], dtype="int64"),
            "probability": probability,
            "decision": scoring.decide(probability, model.threshold),
        }
    )
    same = {"model_version": model.version, "run_id": "lab05-txn", "source": "stream",
            "scored_at": utc_now()}
    with store.connect() as connection:
        store.write(rows, connection=connection, same_for_all=same)
    # the transaction has committed here: only now is it safe to acknowledge
    requests.ack(list(entries))
