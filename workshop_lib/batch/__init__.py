"""Chapter 02, batch deployment: score one day of applications and store the predictions.

``inputs`` (the day's Parquet files and their checks), ``partitions`` (score one partition, write
it), ``run_log`` (what every run did), ``job`` (``run_day``: the whole run), ``scheduling`` (when
runs fire), and the engines besides Dask: ``pandas_engine`` and ``spark_engine``.

The job's public names are re-exported here, so notebooks write ``batch.run_day(...)``.
"""

from workshop_lib.batch.inputs import (
    CHUNK_ROWS,
    DATASET_DIR,
    ID_BASE,
    ID_EPOCH,
    IDS_PER_DAY,
    INPUT_COLUMNS,
    ROW_GROUP_ROWS,
    BatchError,
    BatchInputError,
    RowGroup,
    check_file,
    day_files,
    day_folder,
    day_ids,
    first_id,
    load_applications,
    parse_day,
    partition_bytes,
    read_file,
    read_row_group,
    row_groups,
    shared_id_problems,
    write_day,
)
from workshop_lib.batch.job import Engine, Job, run_day, scheduler_name, stored_for_day
from workshop_lib.batch.partitions import (
    DECISIONS,
    SCORED_META,
    SOURCE,
    DoneFile,
    ModelRef,
    file_signature,
    load_model_once,
    score_applications,
    score_partition,
    write_partition,
)
from workshop_lib.batch.run_log import RESERVE_BYTES, RunLog, RunSummary, runs

__all__ = [
    "CHUNK_ROWS",
    "DATASET_DIR",
    "DECISIONS",
    "ID_BASE",
    "ID_EPOCH",
    "IDS_PER_DAY",
    "RESERVE_BYTES",
    "ROW_GROUP_ROWS",
    "INPUT_COLUMNS",
    "SCORED_META",
    "SOURCE",
    "BatchError",
    "BatchInputError",
    "DoneFile",
    "Engine",
    "Job",
    "ModelRef",
    "RowGroup",
    "RunLog",
    "RunSummary",
    "check_file",
    "day_files",
    "day_folder",
    "day_ids",
    "file_signature",
    "first_id",
    "load_applications",
    "load_model_once",
    "parse_day",
    "partition_bytes",
    "read_file",
    "read_row_group",
    "row_groups",
    "run_day",
    "runs",
    "scheduler_name",
    "score_applications",
    "shared_id_problems",
    "score_partition",
    "stored_for_day",
    "write_day",
    "write_partition",
]
