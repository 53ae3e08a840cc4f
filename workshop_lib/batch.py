"""Batch deployment: score one day of applications with Dask and store the predictions.

The job, read top to bottom in ``run_day``:

1. find the day's Parquet files (``date=YYYY-MM-DD/part-NNNNN.parquet``, one Dask partition each);
2. check every file before writing anything: readable, every column present, right types and
   values; any problem fails the run with a message naming the file and the column;
3. score the partitions with ``dask.dataframe.map_partitions``: each worker loads the production
   model once (a small ``ModelRef`` travels with the tasks, never the model itself);
4. write each scored partition in one transaction together with a row in ``batch_partitions``,
   so a run killed half-way resumes where it stopped: nothing lost, nothing doubled;
5. record the run (start, end, rows, model version, status) in the ``batch_runs`` table.

Both tables live in the predictions database next to ``predictions`` (``workshop_lib.store``).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from workshop_lib import data, paths, schema
from workshop_lib.registry import PRODUCTION, LoadedModel, Registry
from workshop_lib.scoring import APPROVE, DECLINE, score_batch
from workshop_lib.store import DEFAULT_URL, PredictionStore, utc_now

DATASET_DIR = paths.RUNTIME_DIR / "batch" / "applications"
SOURCE = "batch"
INPUT_COLUMNS: list[str] = [schema.ID_COLUMN, *schema.FEATURES]
# Batch application ids: a block of ten million per day from 2025-01-01, above other chapters' ids.
ID_BASE = 1_000_000_000
IDS_PER_DAY = 10_000_000
ID_EPOCH = date(2025, 1, 1)
CHUNK_ROWS = 100_000  # rows per predict_proba call and per executemany: bounds memory

_RUNS_TABLE = """
CREATE TABLE IF NOT EXISTS batch_runs (
    run_id        TEXT PRIMARY KEY,
    run_date      TEXT NOT NULL,
    status        TEXT NOT NULL
                  CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
    started_at    TEXT NOT NULL,
    ended_at      TEXT,
    rows          INTEGER NOT NULL DEFAULT 0,
    partitions    INTEGER NOT NULL DEFAULT 0,
    written       INTEGER NOT NULL DEFAULT 0,
    skipped       INTEGER NOT NULL DEFAULT 0,
    model_version TEXT,
    scheduler     TEXT NOT NULL,
    host          TEXT NOT NULL,
    pid           INTEGER NOT NULL,
    error         TEXT
)
"""
_PARTITIONS_TABLE = """
CREATE TABLE IF NOT EXISTS batch_partitions (
    run_date      TEXT NOT NULL,
    part          TEXT NOT NULL,
    signature     TEXT NOT NULL,
    model_version TEXT NOT NULL,
    rows          INTEGER NOT NULL,
    run_id        TEXT NOT NULL,
    written_at    TEXT NOT NULL,
    PRIMARY KEY (run_date, part)
)
"""


class BatchError(RuntimeError):
    """A batch run cannot start or finish; the message says why."""


class BatchInputError(BatchError, ValueError):
    """The day's input is missing or malformed; ``problems`` names each file and column."""

    def __init__(self, day: date, problems: list[str]):
        self.problems = problems
        shown = "\n  - ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"bad input for {day}: {len(problems)} problem(s):\n  - {shown}{more}")


# -- the input: one folder of Parquet files per day ------------------------------------------
def parse_day(day: str | date) -> date:
    """``"2025-01-31"`` or a ``date`` -> ``date``; anything else is a clear ``ValueError``."""
    if isinstance(day, date):
        return day
    try:
        return date.fromisoformat(day)
    except ValueError:
        raise ValueError(f"{day!r} is not a date like 2025-01-31") from None


def day_folder(day: str | date, root: Path = DATASET_DIR) -> Path:
    """The hive-style folder of one day's files: ``root/date=2025-01-31``."""
    return Path(root) / f"date={parse_day(day).isoformat()}"


def first_id(day: str | date) -> int:
    """The first application id of a day, so ids never repeat across days."""
    return ID_BASE + (parse_day(day) - ID_EPOCH).days * IDS_PER_DAY + 1


def write_day(
    day: str | date,
    rows: int,
    *,
    root: Path = DATASET_DIR,
    rows_per_file: int = 500_000,
    scenario: str = "reference",
    seed: int = 0,
) -> list[Path]:
    """Generate one day of applications as Parquet files of ``rows_per_file`` rows each.

    The same arguments give the same files. Each file is written aside and renamed, so a
    crash never leaves a half-written file where the job would read it.
    """
    day = parse_day(day)
    if not 0 < rows < IDS_PER_DAY:
        raise ValueError(f"rows must be between 1 and {IDS_PER_DAY - 1:,}, got {rows}")
    if rows_per_file < 1:
        raise ValueError(f"rows_per_file must be >= 1, got {rows_per_file}")
    folder = day_folder(day, root)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("part-*.parquet"):
        old.unlink()
    files = []
    for number, offset in enumerate(range(0, rows, rows_per_file)):
        frame = data.make_applications(
            min(rows_per_file, rows - offset),
            scenario=scenario,
            seed=seed * 100_000_000 + (day - ID_EPOCH).days * 10_000 + number,
            start=day.isoformat(),
            days=1,
            first_id=first_id(day) + offset,
        )
        path = folder / f"part-{number:05d}.parquet"
        staging = path.with_suffix(".tmp")
        frame.to_parquet(staging, index=False)
        os.replace(staging, path)
        files.append(path)
    return files


def day_files(day: str | date, root: Path = DATASET_DIR) -> list[Path]:
    """The day's Parquet files in order; ``BatchInputError`` if there are none."""
    day = parse_day(day)
    folder = day_folder(day, root)
    if not folder.is_dir():
        raise BatchInputError(day, [f"{folder}: folder is missing (no applications for {day})"])
    files = sorted(folder.glob("part-*.parquet"))
    if not files:
        raise BatchInputError(day, [f"{folder}: no part-*.parquet files in the folder"])
    return files


def _type_problem(name: str, kind: pa.DataType) -> str | None:
    if name == schema.ID_COLUMN:
        ok = pa.types.is_integer(kind)
        expected = "integers"
    elif name in schema.CATEGORIES:
        ok = pa.types.is_string(kind) or pa.types.is_large_string(kind)
        ok = ok or (pa.types.is_dictionary(kind) and pa.types.is_string(kind.value_type))
        expected = "text (or a dictionary of text)"
    else:
        ok = pa.types.is_integer(kind) or pa.types.is_floating(kind)
        expected = "numbers"
    return None if ok else f"{name}: expected {expected}, found {kind}"


def check_file(path: Path) -> list[str]:
    """Every problem of one input file, each prefixed with the file name; [] if it is fine.

    Reads the Parquet footer first (a corrupt or truncated file fails here), then the
    columns and types, then the values through the schema's ``validate_frame``.
    """
    name = Path(path).name
    try:
        file_schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as error:
        return [f"{name}: not a readable Parquet file ({error})"]
    present = dict(zip(file_schema.names, file_schema.types, strict=True))
    problems = [f"{name}: column {c!r} is missing" for c in INPUT_COLUMNS if c not in present]
    problems += [
        f"{name}: {problem}"
        for c in INPUT_COLUMNS
        if c in present and (problem := _type_problem(c, present[c]))
    ]
    if problems:
        return problems
    try:
        return _value_problems(path)
    except (OSError, pa.ArrowException) as error:
        return [f"{name}: cannot be read ({error})"]


def _value_problems(path: Path) -> list[str]:
    """Validate a file's values ``CHUNK_ROWS`` rows at a time (memory stays flat)."""
    name, ids, start = Path(path).name, [], 0
    file = pq.ParquetFile(path)
    try:
        for chunk in file.iter_batches(batch_size=CHUNK_ROWS, columns=INPUT_COLUMNS):
            frame = chunk.to_pandas()
            rows = f"{name}: rows {start:,}-{start + len(frame) - 1:,}"
            if frame[schema.ID_COLUMN].isna().any():
                return [f"{rows}: {schema.ID_COLUMN} has missing values"]
            try:
                schema.validate_frame(frame)
            except schema.SchemaError as error:
                return [f"{rows}: {problem}" for problem in error.problems]
            ids.append(frame[schema.ID_COLUMN].to_numpy())
            start += len(frame)
    finally:
        file.close()
    if ids and not pd.Series(np.concatenate(ids)).is_unique:
        return [f"{name}: {schema.ID_COLUMN} has repeated values"]
    return []


def read_partition(path: Path) -> pd.DataFrame:
    """Read the columns the job needs from one file (one Dask partition)."""
    try:
        table = pq.read_table(path, columns=INPUT_COLUMNS)
        return table.to_pandas(split_blocks=True, self_destruct=True)  # no second copy
    except (OSError, pa.ArrowException) as error:
        raise BatchError(f"{Path(path).name}: cannot be read ({error})") from None


def load_applications(files: Sequence[Path]) -> dd.DataFrame:
    """A lazy Dask table with one partition per file; nothing is read yet."""
    return dd.from_map(read_partition, list(files), label="read-applications")


def partition_bytes(files: Sequence[Path]) -> float:
    """Mean in-memory size of a partition (bytes), measured on the first file."""
    return float(read_partition(files[0]).memory_usage(deep=True).sum())


# -- scoring: the model is loaded once per worker ----------------------------------------------
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


# -- the run log --------------------------------------------------------------------------------
@dataclass
class RunSummary:
    """What one run did, and how long each stage took (seconds)."""

    run_id: str
    run_date: str
    status: str
    rows: int = 0
    partitions: int = 0
    written: int = 0
    skipped: int = 0
    model_version: str | None = None
    error: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        """End to end: rows scored and written per second of the whole run."""
        return self.rows / self.seconds["total"] if self.seconds.get("total") else 0.0

    def __str__(self) -> str:
        text = (
            f"run {self.run_id} for {self.run_date}: {self.status}, {self.rows:,} rows, "
            f"{self.written} partition(s) written, {self.skipped} skipped, "
            f"model {self.model_version}"
        )
        return f"{text}\n  error: {self.error}" if self.error else text


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunLog:
    """The ``batch_runs`` and ``batch_partitions`` tables of a predictions database."""

    def __init__(self, store: PredictionStore):
        self.store = store
        with store.connect() as connection:
            connection.execute(_RUNS_TABLE)
            connection.execute(_PARTITIONS_TABLE)

    def start(self, run_date: date, scheduler: str) -> str:
        """Record a new running run (after closing runs that died); return its id."""
        run_id = f"{run_date.isoformat()}-{uuid.uuid4().hex[:8]}"
        host = socket.gethostname()
        with self.store.connect() as connection:
            for other, other_host, pid in connection.execute(
                "SELECT run_id, host, pid FROM batch_runs WHERE run_date = ? AND status = ?",
                (run_date.isoformat(), "running"),
            ).fetchall():
                if other_host == host and not _pid_alive(pid):
                    connection.execute(
                        "UPDATE batch_runs SET status = 'interrupted', error = ? WHERE run_id = ?",
                        (f"process {pid} ended before the run finished (killed?)", other),
                    )
                else:
                    raise BatchError(
                        f"{run_date} is already being scored by run {other} (pid {pid} on "
                        f"{other_host}); wait for it, or mark it failed if it is gone"
                    )
            connection.execute(
                "INSERT INTO batch_runs (run_id, run_date, status, started_at, scheduler, host, "
                "pid) VALUES (?, ?, 'running', ?, ?, ?, ?)",
                (run_id, run_date.isoformat(), utc_now(), scheduler, host, os.getpid()),
            )
        return run_id

    def set_model(self, run_id: str, version: str, partitions: int) -> None:
        with self.store.connect() as connection:
            connection.execute(
                "UPDATE batch_runs SET model_version = ?, partitions = ? WHERE run_id = ?",
                (version, partitions, run_id),
            )

    def finish(self, summary: RunSummary) -> None:
        """Close a run with its final status and counts."""
        with self.store.connect() as connection:
            connection.execute(
                "UPDATE batch_runs SET status = ?, ended_at = ?, rows = ?, written = ?, "
                "skipped = ?, error = ? WHERE run_id = ?",
                (
                    summary.status,
                    utc_now(),
                    summary.rows,
                    summary.written,
                    summary.skipped,
                    summary.error,
                    summary.run_id,
                ),
            )

    def done_partitions(self, run_date: date) -> dict[str, tuple[str, str, int]]:
        """Partitions already written for a day: part -> (signature, model version, rows)."""
        with self.store.connect() as connection:
            rows = connection.execute(
                "SELECT part, signature, model_version, rows FROM batch_partitions "
                "WHERE run_date = ?",
                (run_date.isoformat(),),
            ).fetchall()
        return {part: (signature, version, count) for part, signature, version, count in rows}

    def forget(self, run_date: date) -> None:
        """Forget which partitions of a day were written, so the next run rescores all."""
        with self.store.connect() as connection:
            connection.execute(
                "DELETE FROM batch_partitions WHERE run_date = ?", (run_date.isoformat(),)
            )

    def runs(self) -> pd.DataFrame:
        """Every run, oldest first."""
        return self.store.read("SELECT * FROM batch_runs ORDER BY started_at, run_id")


def runs(store_url: str = DEFAULT_URL) -> pd.DataFrame:
    """The run log of a predictions database, oldest run first."""
    return RunLog(PredictionStore(store_url)).runs()


# -- the job ------------------------------------------------------------------------------------
def file_signature(path: Path) -> str:
    """Size and modification time: a regenerated file is scored again."""
    stat = Path(path).stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def scheduler_name(scheduler: Any) -> str:
    """``"threads"``, ``"sync"`` or the address of a distributed scheduler."""
    if isinstance(scheduler, str):
        return scheduler
    return f"distributed {scheduler.scheduler.address}"


def _parallelism(scheduler: Any, workers: int) -> int:
    if isinstance(scheduler, str):
        return 1 if scheduler == "sync" else workers
    return max(1, sum(scheduler.nthreads().values()))


def write_partition(
    store: PredictionStore, scored: pd.DataFrame, part: tuple[str, str], run: RunSummary
) -> None:
    """Upsert one scored partition and mark it written, in one transaction."""
    scored_at = utc_now()
    with store.connect() as connection:
        for start in range(0, len(scored), CHUNK_ROWS):
            chunk = scored.iloc[start : start + CHUNK_ROWS].assign(
                model_version=run.model_version,
                run_id=run.run_id,
                source=SOURCE,
                scored_at=scored_at,
            )
            store.write(chunk, connection=connection)
        connection.execute(
            "INSERT OR REPLACE INTO batch_partitions VALUES (?, ?, ?, ?, ?, ?, ?)",
            (run.run_date, *part, run.model_version, len(scored), run.run_id, scored_at),
        )


class Engine(Protocol):
    """What scores a day's partitions besides Dask (``pandas_engine``, ``spark_engine``)."""

    name: str  # recorded as the run's ``scheduler`` in the run log

    def score_and_write(
        self, job: Job, files: list[Path], signatures: list[str], ref: ModelRef
    ) -> None:
        """Score ``files`` and store each one's predictions with ``job.store_partition``."""


@dataclass
class Job:
    """One run's settings and state, passed between the steps of ``run_day``."""

    day: date
    run: RunSummary
    store: PredictionStore
    log: RunLog
    scheduler: Any
    parallel: int
    progress: bool
    engine: Engine | None = None

    def compute(self, tasks: list) -> tuple:
        return dask.compute(*tasks, scheduler=self.scheduler, num_workers=self.parallel)

    def check(self, files: list[Path]) -> None:
        """Check every file in parallel; raise one error listing every problem found."""
        found = self.compute([dask.delayed(check_file)(path) for path in files])
        problems = [problem for file_problems in found for problem in file_problems]
        if problems:
            raise BatchInputError(self.day, problems)

    def progress_bar(self) -> tqdm:
        """A bar over the day's partitions, starting at those already written."""
        return tqdm(
            total=self.run.partitions,
            initial=self.run.skipped,
            unit="part",
            desc=f"scoring {self.run.run_date}",
            disable=not self.progress,
        )

    def store_partition(self, path: Path, signature: str, scored: pd.DataFrame) -> None:
        """Write one scored partition (one transaction) and count it; time spent is "write"."""
        started = time.perf_counter()
        write_partition(self.store, scored, (path.name, signature), self.run)
        self.run.rows += len(scored)
        self.run.written += 1
        self.run.seconds["write"] += time.perf_counter() - started

    def score_and_write(self, files: list[Path], signatures: list[str], ref: ModelRef) -> None:
        """Score the files' partitions a few at a time; write each as soon as it is scored."""
        scored = score_applications(load_applications(files), ref)
        parts = list(zip(files, signatures, scored.to_delayed(), strict=True))
        with self.progress_bar() as bar:
            for start in range(0, len(parts), self.parallel):
                group = parts[start : start + self.parallel]
                results, seconds = timed(lambda group=group: self.compute([t for *_, t in group]))
                self.run.seconds["score"] += seconds
                for (path, signature, _), frame in zip(group, results, strict=True):
                    self.store_partition(path, signature, frame)
                    bar.update(1)

    def execute(self, data_root: Path, registry: Registry, model: str, force: bool) -> None:
        """Check, skip what is already written, then score and write the rest."""
        version = model if model[:1].isdigit() else registry.stage(model)
        if version is None:
            raise BatchError(f"no model is in stage {model!r}; train and promote one (make model)")
        registry.verify(version)
        files = day_files(self.day, data_root)
        self.run.model_version, self.run.partitions = version, len(files)
        self.log.set_model(self.run.run_id, version, len(files))
        _, self.run.seconds["check"] = timed(lambda: self.check(files))
        if force:
            self.log.forget(self.day)
        done = self.log.done_partitions(self.day)
        signatures = [file_signature(path) for path in files]
        todo = [
            i
            for i, path in enumerate(files)
            if done.get(path.name, (None, None, 0))[:2] != (signatures[i], version)
        ]
        self.run.skipped = len(files) - len(todo)
        if todo:
            threads = None if self.parallel == 1 else 1
            ref = ModelRef(str(registry.root.resolve()), version, omp_threads=threads)
            self.progress = self.progress and len(todo) > 1
            todo_files, todo_signatures = [files[i] for i in todo], [signatures[i] for i in todo]
            if self.engine is None:
                self.score_and_write(todo_files, todo_signatures, ref)
            else:
                self.engine.score_and_write(self, todo_files, todo_signatures, ref)


def run_day(
    day: str | date,
    *,
    data_root: Path = DATASET_DIR,
    store_url: str = DEFAULT_URL,
    registry: Registry | None = None,
    model: str = PRODUCTION,
    scheduler: Any = "threads",
    workers: int = 2,
    force: bool = False,
    progress: bool = False,
    engine: Engine | None = None,
) -> RunSummary:
    """Score one day's applications and store the predictions; return what the run did.

    ``scheduler`` is ``"threads"`` (default), ``"sync"``, or a ``distributed.Client`` (a
    ``LocalCluster`` here, or a remote cluster by its address). A day whose partitions were
    all written with the same model and unchanged files is skipped; ``force`` rescores it.
    Bad input raises ``BatchInputError`` before anything is written; every failure is recorded
    in ``batch_runs`` with its message. ``engine`` scores with something other than Dask
    (``pandas_engine.PandasEngine``, ``spark_engine.SparkEngine``); the checks, skips, writes
    and run log stay the same.
    """
    day = parse_day(day)
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    store = PredictionStore(store_url)
    log = RunLog(store)
    name = engine.name if engine else scheduler_name(scheduler)
    run = RunSummary(log.start(day, name), day.isoformat(), "running")
    run.seconds = {"check": 0.0, "score": 0.0, "write": 0.0}
    parallel = _parallelism(scheduler, workers)
    job = Job(day, run, store, log, scheduler, parallel, progress, engine)
    if progress and not isinstance(scheduler, str):
        print(f"Dask dashboard: {scheduler.dashboard_link}", flush=True)
    started = time.perf_counter()
    try:
        job.execute(data_root, registry or Registry(), model, force)
        run.status = "succeeded"
    except Exception as error:
        run.status, run.error = "failed", str(error)
        raise
    except KeyboardInterrupt:
        run.status, run.error = "interrupted", "stopped by the user"
        raise
    finally:
        run.seconds["total"] = time.perf_counter() - started
        log.finish(run)
    return run


def stored_for_day(day: str | date, store_url: str = DEFAULT_URL) -> int:
    """How many batch predictions are stored for a day's application id block."""
    low = first_id(day)
    return PredictionStore(store_url).count(
        "application_id BETWEEN ? AND ?", (low, low + IDS_PER_DAY - 1)
    )


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    """Run ``call``; return its result and the seconds it took."""
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started
