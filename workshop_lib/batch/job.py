"""The batch job: check a day's files, skip what is written, score the rest, log the run.

The job, read top to bottom in ``run_day``:

1. find the day's Parquet files (``inputs.day_files``);
2. check every file before writing anything (``inputs.check_file``, then
   ``inputs.shared_id_problems``); any problem fails the run with a message naming the file, the
   rows and the column;
3. score the partitions (one per Parquet row group, ``inputs.row_groups``) with
   ``dask.dataframe.map_partitions`` (``partitions.score_applications``);
4. write each scored partition in one transaction; a file's last partition adds the file's
   ``batch_partitions`` row in the same transaction, so a run killed half-way resumes where it
   stopped: nothing lost, nothing doubled. A writer thread (``PartitionWriter``) writes while
   the next partitions are scored;
5. record the run (start, end, rows, model version, status) in ``batch_runs`` (``run_log``).
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import dask
import pandas as pd
from tqdm import tqdm

from workshop_lib.batch.inputs import (
    DATASET_DIR,
    IDS_PER_DAY,
    BatchError,
    BatchInputError,
    check_file,
    day_files,
    first_id,
    load_applications,
    parse_day,
    row_groups,
    shared_id_problems,
)
from workshop_lib.batch.partitions import (
    DoneFile,
    ModelRef,
    file_signature,
    score_applications,
    write_partition,
)
from workshop_lib.batch.run_log import RunLog, RunSummary
from workshop_lib.registry import PRODUCTION, Registry, RegistryError
from workshop_lib.store import DEFAULT_STORE_URL, PredictionStore
from workshop_lib.support.timing import timed


def scheduler_name(scheduler: Any) -> str:
    """``"threads"``, ``"sync"`` or the address of a distributed scheduler."""
    if isinstance(scheduler, str):
        return scheduler
    return f"distributed {scheduler.scheduler.address}"


def _parallelism(scheduler: Any, workers: int) -> int:
    if isinstance(scheduler, str):
        return 1 if scheduler == "sync" else workers
    return max(1, sum(scheduler.nthreads().values()))


class Engine(Protocol):
    """What scores a day's partitions besides Dask (``pandas_engine``, ``spark_engine``)."""

    name: str  # recorded as the run's ``scheduler`` in the run log

    def score_and_write(
        self, job: Job, files: list[Path], signatures: list[str], ref: ModelRef
    ) -> None:
        """Score ``files`` and store each one's predictions with ``job.store_partition``."""


class PartitionWriter:
    """A thread that stores scored partitions (``Job.store_scored``) as they are queued.

    The queue holds at most ``capacity`` scored partitions (id, probability, decision: small),
    so scoring never runs far ahead of the database. Each partition is one transaction, and a
    file's last one carries the file's ``batch_partitions`` row: a run that dies loses only what
    was not committed, and the next run scores the unfinished files again. Leaving the ``with``
    block writes what is queued; a failed write stops the writing and is raised by ``put`` or on
    leaving the block.
    """

    def __init__(self, job: Job, bar: tqdm, capacity: int):
        self.job, self.bar = job, bar
        self.queue: queue.Queue[tuple[pd.DataFrame, DoneFile | None] | None] = queue.Queue(capacity)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._write_queued, name="batch-writer")

    def _write_queued(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.error is None:  # after a failure, only drain the queue until the end
                try:
                    self.job.store_scored(*item)
                    self.bar.update(item[1] is not None)
                except BaseException as error:
                    self.error = error

    def put(self, scored: pd.DataFrame, done: DoneFile | None) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put((scored, done))

    def __enter__(self) -> PartitionWriter:
        self.thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.queue.put(None)
        self.thread.join()
        if exc_info[0] is None and self.error is not None:
            raise self.error


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

    def compute(self, tasks: list[Any]) -> tuple[Any, ...]:
        return dask.compute(*tasks, scheduler=self.scheduler, num_workers=self.parallel)

    def check(self, files: list[Path]) -> None:
        """Check every file in parallel, then ids across files; raise one error listing all."""
        found = self.compute([dask.delayed(check_file)(path, self.day) for path in files])
        problems = [problem for file_problems in found for problem in file_problems]
        if not problems:
            problems = shared_id_problems(files)
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

    def store_scored(self, scored: pd.DataFrame, done: DoneFile | None) -> None:
        """Write one scored partition (one transaction) and count it; time spent is "write"."""
        started = time.perf_counter()
        write_partition(self.store, scored, self.run, done)
        self.run.rows += len(scored)
        self.run.written += done is not None
        self.run.seconds["write"] += time.perf_counter() - started

    def store_partition(self, path: Path, signature: str, scored: pd.DataFrame) -> None:
        """Write the scores of one whole file and mark it written (engines scoring by file)."""
        self.store_scored(scored, DoneFile(path.name, signature, len(scored)))

    def score_and_write(self, files: list[Path], signatures: list[str], ref: ModelRef) -> None:
        """Score the files' row groups a few at a time; while a group is scored, a writer
        thread stores the group before it, each partition in its own transaction."""
        groups = row_groups(files)
        signature_of = dict(zip(files, signatures, strict=True))
        scored = score_applications(load_applications(groups), ref)
        parts = list(zip(groups, scored.to_delayed(), strict=True))
        file_rows: Counter[Path] = Counter()
        with self.progress_bar() as bar, PartitionWriter(self, bar, self.parallel) as writer:
            for start in range(0, len(parts), self.parallel):
                batch = parts[start : start + self.parallel]
                results, seconds = timed(partial(self.compute, [task for _, task in batch]))
                self.run.seconds["score"] += seconds
                for (group, _), frame in zip(batch, results, strict=True):
                    file_rows[group.path] += len(frame)
                    done = None
                    if group.last:
                        path = group.path
                        done = DoneFile(path.name, signature_of[path], file_rows[path])
                    writer.put(frame, done)

    def execute(self, data_root: Path, registry: Registry, model: str, force: bool) -> None:
        """Check, skip what is already written, then score and write the rest."""
        try:
            version = registry.resolve(model)
        except RegistryError as error:
            raise BatchError(str(error)) from None
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
    store_url: str = DEFAULT_STORE_URL,
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


def stored_for_day(day: str | date, store_url: str = DEFAULT_STORE_URL) -> int:
    """How many batch predictions are stored for a day's application id block."""
    low = first_id(day)
    return PredictionStore(store_url).count(
        "application_id BETWEEN ? AND ?", (low, low + IDS_PER_DAY - 1)
    )
