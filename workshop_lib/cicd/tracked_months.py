"""Chapter 07b's training tables: two months of applications and a copy with shuffled labels.

The notebook sends each through the pipeline with MLflow tracking on; ``make screenshots`` builds
the same runs to photograph the MLflow UI, so both show the same thing.
"""

from __future__ import annotations

import pandas as pd

from workshop_lib import data
from workshop_lib.cicd import data_checks


def training_months(rows: int = 20_000) -> dict[str, pd.DataFrame]:
    """January, February, and February with its labels shuffled (the gates must stop it)."""
    months = {
        "January": data.make_applications(rows, seed=71, start="2025-01-01", first_id=70_000_001),
        "February": data.make_applications(rows, seed=72, start="2025-02-01", first_id=70_100_001),
    }
    months["February, labels shuffled"] = data_checks.corrupt(months["February"], "shuffle_labels")
    return months
