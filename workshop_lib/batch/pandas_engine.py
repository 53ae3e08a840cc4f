"""The batch job without an engine: plain pandas, one partition after another, in this process.

The baseline the lesson compares Dask and Spark with: the same files, checks, per-partition
scoring function (``batch.score_partition``), writes and run log, and no parallelism at all.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pandas as pd

from workshop_lib import batch
from workshop_lib.support.timing import timed


class PandasEngine:
    """Read, score and write each partition in turn (``run_day(..., engine=PandasEngine())``)."""

    name = "pandas"

    def score_and_write(
        self, job: batch.Job, files: list[Path], signatures: list[str], ref: batch.ModelRef
    ) -> None:
        with job.progress_bar() as bar:
            for path, signature in zip(files, signatures, strict=True):
                scored, seconds = timed(partial(_score_file, path, ref))
                job.run.seconds["score"] += seconds
                job.store_partition(path, signature, scored)
                bar.update(1)


def _score_file(path: Path, ref: batch.ModelRef) -> pd.DataFrame:
    return batch.score_partition(batch.read_file(path), ref)
