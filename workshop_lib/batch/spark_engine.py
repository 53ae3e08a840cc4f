"""The batch job on Apache Spark: the same files, checks, scoring function and run log as Dask.

Spark reads the day's Parquet files, scores them with ``mapInPandas`` using the Dask path's own
``batch.score_partition`` (each Python worker loads the model once, from a small ``ModelRef``),
and writes the scores as Parquet, one folder per input file. One process then loads each folder
into the predictions database in its own transaction (``Job.store_partition``), so a run killed
half-way resumes where it stopped. Writing SQLite from every Spark task instead was 8x slower
here: SQLite takes one writer at a time.

Memory (measured on 2 cores): ``local[1]``, a 512 MB driver, the serial garbage collector and a
driver that never imports scikit-learn keep the job's whole process tree (Python, JVM, Python
worker) under 1 GiB; ``local[2]`` took 1.3-1.8 GB. Run it as its own process
(``python -m apps.batch_job --engine spark``), never inside a notebook's kernel.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow.parquet as pq

from workshop_lib import batch, paths, schema
from workshop_lib.support import tools
from workshop_lib.support.timing import timed

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

JAVA_HINT = f"Spark needs Java 17: install it with {tools.TOOLS['spark'].install}"
OUTPUT_DIR = paths.RUNTIME_DIR / "batch" / "spark-scored"
PART_COLUMN = "part"
SCORED_SCHEMA = "application_id long, probability double, decision string, part string"
ROWS_PER_ARROW_BATCH = 20_000  # rows a Python worker holds at once (scores are streamed back)
# Serial GC; the quick (C1) compiler only, with a small code cache: less JVM memory, and a batch
# job spends its time in the Python workers, not in JIT-compiled Java.
LEAN_JVM = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=48m"
# Spark's own log lines (log4j): errors only, so the job's output stays readable.
_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
"""


class JavaMissingError(batch.BatchError):
    """No ``java`` on PATH (and no JAVA_HOME): Spark cannot start."""


def java_missing() -> str | None:
    """Why Spark cannot start here (with the install command), or None if Java is found."""
    return None if tools.locate("spark") else JAVA_HINT


def spark_environment() -> dict[str, str]:
    """The variables Spark reads at start: workers use this Python, the driver binds locally."""
    return {
        "PYSPARK_PYTHON": sys.executable,  # else workers start the system Python
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "SPARK_LOCAL_IP": "127.0.0.1",
    }


# what the driver's JVM prints on stderr as it starts, whatever log4j says: notices, not news
_JVM_START_NOTICES = (
    "WARNING: Using incubator modules",
    'Setting default log level to "WARN"',
    "To adjust logging level use sc.setLogLevel",
)


@contextlib.contextmanager
def _jvm_start_notices_dropped() -> Iterator[None]:
    """Start the JVM inside this block with a pipe as its stderr: a thread passes each line on
    to this process's stderr (a notebook shows it) except the start-up notices.

    The JVM keeps the pipe after the block; the thread ends when the JVM exits.
    """
    sys.stderr.flush()
    read_end, write_end = os.pipe()
    own_stderr = os.dup(2)

    def forward() -> None:
        with open(read_end, "rb") as lines, open(own_stderr, "wb", buffering=0) as out:
            for line in lines:
                if not line.decode(errors="replace").startswith(_JVM_START_NOTICES):
                    out.write(line)

    threading.Thread(target=forward, name="jvm-stderr", daemon=True).start()
    saved = os.dup(2)
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def spark_session(master: str = "local[1]", driver_memory: str = "512m") -> Iterator[SparkSession]:
    """A lean local SparkSession (no UI, no progress bar, errors-only log), stopped on exit."""
    if (problem := java_missing()) is not None:
        raise JavaMissingError(problem)
    os.environ.update(spark_environment())
    from pyspark.sql import SparkSession

    with tempfile.TemporaryDirectory(prefix="workbook-spark-") as scratch:
        log4j = Path(scratch) / "log4j2.properties"
        log4j.write_text(_LOG4J)
        java_options = f"{LEAN_JVM} -Dlog4j.configurationFile=file:{log4j}"
        with _jvm_start_notices_dropped():
            session = (
                SparkSession.builder.master(master)
                .appName("workbook-batch")
                .config("spark.driver.memory", driver_memory)
                .config("spark.driver.extraJavaOptions", java_options)
                .config("spark.local.dir", scratch)
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(ROWS_PER_ARROW_BATCH))
                .config("spark.python.worker.reuse", "true")  # the model stays loaded
                .getOrCreate()
            )
        session.sparkContext.setLogLevel("ERROR")
        try:
            yield session
        finally:
            session.stop()


def score_frames(
    ref: batch.ModelRef,
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """The function ``mapInPandas`` runs in each Python worker, around ``score_partition``.

    Only ``ref`` travels with the tasks; ``score_partition`` loads the model on a worker's first
    batch and reuses it for every later batch and task (``batch.load_model_once``).
    """

    def score(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for frame in frames:
            scored = batch.score_partition(frame.drop(columns=PART_COLUMN), ref)
            yield scored.assign(
                decision=scored["decision"].astype(str), part=frame[PART_COLUMN].to_numpy()
            )

    return score


def part_folder(output: Path, file_name: str) -> Path:
    """Where Spark wrote the scores of one input file (``partitionBy("part")``)."""
    return Path(output) / f"{PART_COLUMN}={file_name}"


def read_scored(output: Path, file_name: str) -> pd.DataFrame:
    """The scores of one input file as the Dask path has them: id, probability, decision."""
    folder = part_folder(output, file_name)
    files = sorted(folder.glob("*.parquet")) if folder.is_dir() else []
    if not files:
        return batch.SCORED_META.copy()
    frame = pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)
    frame = frame.sort_values(schema.ID_COLUMN, ignore_index=True)
    return frame[list(batch.SCORED_META.columns)].astype({"decision": batch.DECISIONS})


class SparkEngine:
    """Score with Spark, load into the database from this one process (``run_day(engine=...)``)."""

    def __init__(self, session: SparkSession, output_root: Path = OUTPUT_DIR):
        self.session = session
        self.output_root = Path(output_root)
        self.name = f"spark {session.sparkContext.master}"

    def score(self, files: list[Path], ref: batch.ModelRef, output: Path) -> None:
        """Read ``files``, score them with ``mapInPandas``, write Parquet under ``output``."""
        applications = self.session.read.parquet(*[str(f.resolve()) for f in files]).selectExpr(
            *batch.INPUT_COLUMNS, f"_metadata.file_name AS {PART_COLUMN}"
        )
        scored = applications.mapInPandas(score_frames(ref), SCORED_SCHEMA)
        scored.write.mode("overwrite").partitionBy(PART_COLUMN).parquet(str(output))

    def score_and_write(
        self, job: batch.Job, files: list[Path], signatures: list[str], ref: batch.ModelRef
    ) -> None:
        output = self.output_root / job.run.run_id
        _, job.run.seconds["score"] = timed(lambda: self.score(files, ref, output))
        with job.progress_bar() as bar:
            for path, signature in zip(files, signatures, strict=True):
                job.store_partition(path, signature, read_scored(output, path.name))
                bar.update(1)
        shutil.rmtree(output)  # the database holds the scores now
