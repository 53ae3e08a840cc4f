"""The simulated quarter that chapters 08 and 08b monitor: 14 weeks of applications scored by
the production model (4 like the training data, 4 with data drift, 6 with concept drift), with
the true outcomes kept apart until their label delay has passed.

Sending a quarter through the API would take minutes; the monitoring code does not care where
its table comes from, so the table is built directly (``simulate_quarter``), and
``weekly_figures`` gives what a dashboard shows per week.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from workshop_lib import data, schema
from workshop_lib.monitoring.model_health import attach_delayed_labels, performance_by_window
from workshop_lib.registry import LoadedModel
from workshop_lib.scoring import score_batch

# (scenario, first day, weeks): the three periods of the quarter.
PHASES: tuple[tuple[str, str, int], ...] = (
    ("reference", "2025-03-03", 4),
    ("data_drift", "2025-03-31", 4),
    ("concept_drift", "2025-04-28", 6),
)
ROWS_PER_WEEK = 2_000
AS_OF, LABEL_DELAY = "2025-06-09", "14D"  # today, and when an outcome becomes known


@dataclass(frozen=True)
class Quarter:
    """``history``: every scored application with its outcome; ``predictions``: what is known
    when deciding (no outcome); ``outcomes``: id and outcome, learned weeks later."""

    history: pd.DataFrame
    predictions: pd.DataFrame
    outcomes: pd.DataFrame


def simulate_quarter(model: LoadedModel, rows_per_week: int = ROWS_PER_WEEK) -> Quarter:
    """The quarter's applications (seeded), scored by ``model``, each tagged with its ``phase``."""
    parts, next_id = [], 1
    for i, (scenario, start, weeks) in enumerate(PHASES):
        part = data.make_applications(
            rows_per_week * weeks,
            scenario,
            seed=800 + i,
            start=start,
            days=7 * weeks,
            first_id=next_id,
        )
        parts.append(part.assign(phase=scenario))
        next_id += len(part)
    history = pd.concat(parts, ignore_index=True)
    history = history.join(score_batch(model, history))
    return Quarter(
        history=history,
        predictions=history.drop(columns=schema.TARGET_COLUMN),
        outcomes=history[[schema.ID_COLUMN, schema.TARGET_COLUMN]],
    )


def weekly_figures(
    quarter: Quarter, auc_floor: float, as_of: str = AS_OF, label_delay: str = LABEL_DELAY
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The predictions with the labels known by ``as_of``, and one row of figures per week:
    quality from the labelled rows (``performance_by_window``), the decline rate and the phase."""
    predictions = quarter.predictions
    labelled = attach_delayed_labels(
        predictions, quarter.outcomes, key=schema.ID_COLUMN, as_of=as_of, label_delay=label_delay
    )
    weekly = performance_by_window(labelled, freq="7D", auc_floor=auc_floor)
    by_week = predictions.groupby(pd.Grouper(key=schema.TIME_COLUMN, freq="7D"))
    weekly["decline_rate"] = by_week["decision"].apply(lambda d: (d == "decline").mean()).to_numpy()
    weekly["phase"] = by_week["phase"].first().to_numpy()
    return labelled, weekly
