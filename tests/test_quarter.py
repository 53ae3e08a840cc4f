"""The simulated quarter of chapters 08 and 08b: its periods, its late labels, its weekly table."""

from __future__ import annotations

import pandas as pd

from workshop_lib import schema
from workshop_lib.monitoring import quarter
from workshop_lib.registry import PRODUCTION


def test_the_quarter_has_three_periods_and_late_labels(registry):
    simulated = quarter.simulate_quarter(registry.load(PRODUCTION), rows_per_week=200)
    assert len(simulated.history) == 14 * 200
    assert list(simulated.history["phase"].drop_duplicates()) == [p for p, _, _ in quarter.PHASES]
    assert schema.TARGET_COLUMN not in simulated.predictions
    assert set(simulated.outcomes.columns) == {schema.ID_COLUMN, schema.TARGET_COLUMN}
    labelled, weekly = quarter.weekly_figures(simulated, auc_floor=0.75)
    assert len(weekly) == 14 and list(weekly["phase"][:4]) == ["reference"] * 4
    # labels arrive 14 days late: the last two weeks have none yet
    assert list(weekly["labelled"][-2:]) == [0, 0] and (weekly["labelled"][:-2] > 0).all()
    known = labelled[schema.TARGET_COLUMN].notna()
    cutoff = pd.Timestamp(quarter.AS_OF) - pd.Timedelta(quarter.LABEL_DELAY)
    assert (labelled.loc[known, schema.TIME_COLUMN] <= cutoff).all()
    assert weekly["decline_rate"].between(0, 1).all()
