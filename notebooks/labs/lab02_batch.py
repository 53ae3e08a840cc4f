"""Lab 02: write the per-partition scoring function that Dask's map_partitions runs.

Write ``score_partition(frame, ref)``: ``frame`` is one partition of applications (a pandas
DataFrame), ``ref`` a ``batch.ModelRef`` (``ref.registry_root``, ``ref.version``). Return a
DataFrame with the columns ``application_id``, ``probability`` and ``decision``, one row per
input row. The model must be loaded once per worker, not once per partition (and never shipped
inside the tasks: only the small ``ref`` travels).

The checker runs ``applications.map_partitions(score_partition, ref, meta=batch.SCORED_META)``
through Dask on a freshly generated day, compares every prediction with the reference scorer
and counts how often the model is read from the registry.

Hint: keep loaded models in a module-level dict keyed by ref (behind a threading.Lock), load
with Registry(ref.registry_root).load(ref.version) only when missing, then
scoring.score_batch(loaded, frame). Check it with ``check_lab("02")``.
"""

import pandas as pd
from workshop_lib import batch, scoring  # noqa: F401  (you will need them)
from workshop_lib.registry import Registry  # noqa: F401


def score_partition(frame: pd.DataFrame, ref: batch.ModelRef) -> pd.DataFrame:
    """application_id, probability and decision of every row of ``frame``."""
    ...
