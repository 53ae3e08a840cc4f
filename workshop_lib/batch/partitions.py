"""Partition scoring: each worker loads the production model once and scores its partitions.

A small ``ModelRef`` travels with the tasks, never the fitted model. ``write_partition`` stores one
scored partition in one transaction, and the file's last partition marks the file written in the
same transaction, which is what makes a run resumable.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import dask.dataframe as dd
import pandas as pd
from threadpoolctl import threadpool_limits

from workshop_lib import schema
from workshop_lib.batch.inputs import CHUNK_ROWS
from workshop_lib.batch.run_log import RunSummary
from workshop_lib.registry import LoadedModel, Registry
from workshop_lib.scoring import APPROVE, DECLINE, score_batch
from workshop_lib.store import PredictionStore, utc_now

SOURCE = "batch"


@dataclass(frozen=True)
class ModelRef:
    """Where a worker finds the model: small to send, unlike the fitted model itself."""

    registry_root: str
    version: str
    omp_threads: int | None = 1  # per task; Dask runs the tasks in parallel already


_MODELS: dict[ModelRef, LoadedModel] = {}
_MODELS_LOCK = threading.Lock()


def load_model_once(ref: ModelRef) -> LoadedModel:
    """The model of ``ref``, loaded (and sha256-checked) once per process, then reused."""
    with _MODELS_LOCK:
        if ref not in _MODELS:
            _MODELS[ref] = Registry(Path(ref.registry_root)).load(ref.version)
        return _MODELS[ref]


DECISIONS = pd.CategoricalDtype([APPROVE, DECLINE])  # two codes, not a million strings
SCORED_META = pd.DataFrame(
    {
        schema.ID_COLUMN: pd.Series(dtype="int64"),
        "probability": pd.Series(dtype="float64"),
        "decision": pd.Series(dtype=DECISIONS),
    }
)


def score_partition(frame: pd.DataFrame, ref: ModelRef) -> pd.DataFrame:
    """Score one partition in chunks of ``CHUNK_ROWS`` rows: id, probability, decision."""
    loaded = load_model_once(ref)
    with threadpool_limits(limits=ref.omp_threads, user_api="openmp"):
        scored = [
            score_batch(loaded, frame.iloc[start : start + CHUNK_ROWS]).astype(
                {"decision": DECISIONS}
            )
            for start in range(0, len(frame), CHUNK_ROWS)
        ]
    result = pd.concat(scored) if scored else SCORED_META
    return pd.DataFrame(
        {
            schema.ID_COLUMN: frame[schema.ID_COLUMN].to_numpy(),
            "probability": result["probability"].to_numpy(),
            "decision": result["decision"].array,
        }
    )


def score_applications(applications: dd.DataFrame, ref: ModelRef) -> dd.DataFrame:
    """The lesson's one line: apply the model to every partition, in parallel."""
    return applications.map_partitions(score_partition, ref, meta=SCORED_META)


def file_signature(path: Path) -> str:
    """Size and modification time: a regenerated file is scored again."""
    stat = Path(path).stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


@dataclass(frozen=True)
class DoneFile:
    """A file whose last partition a write stores: its name, signature and rows in all."""

    name: str
    signature: str
    rows: int


def write_partition(
    store: PredictionStore, scored: pd.DataFrame, run: RunSummary, done: DoneFile | None
) -> None:
    """Upsert one scored partition and count its rows in the run, in one transaction.

    When the partition is its file's last (``done``), the same transaction marks the file
    written in ``batch_partitions``: a run that dies before that rescores the whole file, and
    the upserts replace the rows it had stored, never doubling them.
    """
    scored_at = utc_now()
    same = {
        "model_version": run.model_version,
        "run_id": run.run_id,
        "source": SOURCE,
        "scored_at": scored_at,
    }
    with store.connect() as connection:
        for start in range(0, len(scored), CHUNK_ROWS):  # bounded memory: a chunk at a time
            chunk = scored.iloc[start : start + CHUNK_ROWS]
            store.write(chunk, connection=connection, same_for_all=same)
        connection.execute(
            "UPDATE batch_runs SET rows = rows + ? WHERE run_id = ?", (len(scored), run.run_id)
        )
        if done is not None:
            connection.execute(
                "INSERT OR REPLACE INTO batch_partitions VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    run.run_date,
                    done.name,
                    done.signature,
                    run.model_version,
                    done.rows,
                    run.run_id,
                    scored_at,
                ),
            )
            connection.execute(
                "UPDATE batch_runs SET written = written + 1 WHERE run_id = ?", (run.run_id,)
            )
