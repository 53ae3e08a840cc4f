"""Lab 05: write one step of the stream processor, safe against crashes.

Write ``process_batch(batch, requests, store, model)``. ``batch`` is what
``requests.get_batch(...)`` handed out: a list of ``(entry_id, event)`` pairs, each event with
``event.event_id`` (the application id) and ``event.application`` (the form fields). Score the
events with ``model``, write one prediction per event to ``store`` (a PredictionStore: the
columns of workshop_lib.store.PREDICTION_COLUMNS; ``utc_now()`` gives ``scored_at``,
``run_id`` names the run, any non-empty text such as "lab-05", and ``source`` is "stream"),
then acknowledge the entries with ``requests.ack``.

The checker feeds a few hundred fresh events through your function with the real in-process
RequestQueue and the real PredictionStore, crashes it at random points (before and after
writes, before acknowledgements), restarts it, and checks that no event is lost and none is
stored twice, and that each stored row has the model's probability, decision (the model's own
threshold, which is not 0.5) and version.

Hint: acknowledge only after the write committed; store.write is an upsert keyed by
application_id, so a replayed event overwrites its row instead of duplicating it.
Check it with ``check_lab("05")``.
"""

from typing import Any

import pandas as pd  # noqa: F401  (you will need it)
from workshop_lib import scoring  # noqa: F401  (you will need it)
from workshop_lib.registry import LoadedModel
from workshop_lib.store import utc_now  # noqa: F401


def process_batch(
    batch: list[tuple[Any, Any]], requests: Any, store: Any, model: LoadedModel
) -> None:
    """Score, write, then acknowledge one batch of events."""
    ...
