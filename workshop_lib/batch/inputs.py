"""Batch inputs: one folder of Parquet files per day, generated and checked before any scoring.

Each day is a hive-style folder (``date=YYYY-MM-DD/part-NNNNN.parquet``). A file holds row groups
of up to ``ROW_GROUP_ROWS`` rows, and each row group is one Dask partition (``row_groups``): a day
of two big files is still eight partitions, so the database writes one while the next are scored.
The file stays the unit a run records as done.

``check_file`` reads a file's footer, columns, types and values and names every problem with the
file, the rows and the column, so a bad day fails before anything is written. Application ids
must lie in the day's own block (``day_ids``) and appear once in the whole day
(``shared_id_problems``): the store keys predictions by id, so an id from another day, or one
repeated in two files, would silently overwrite a prediction stored for someone else.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from workshop_lib import data, paths, schema
from workshop_lib.store import SOURCE_IDS

DATASET_DIR = paths.RUNTIME_DIR / "batch" / "applications"
INPUT_COLUMNS: list[str] = [schema.ID_COLUMN, *schema.FEATURES]
# Batch application ids: a block of ten million per day from 2025-01-01, inside the batch
# source's block of the store (``store.SOURCE_IDS``), which lies above the stream's. A day before
# ID_EPOCH would reach below it, so batch days run from ID_EPOCH to LAST_DAY (any later date fits).
ID_BASE = SOURCE_IDS["batch"][0]
IDS_PER_DAY = 10_000_000
ID_EPOCH = date(2025, 1, 1)
LAST_DAY = date.max
CHUNK_ROWS = 100_000  # rows per predict_proba call and per executemany: bounds memory
ROW_GROUP_ROWS = 250_000  # rows per Parquet row group that write_day writes: one Dask partition


class BatchError(RuntimeError):
    """A batch run cannot start or finish; the message says why."""


class BatchInputError(BatchError, ValueError):
    """The day's input is missing or malformed; ``problems`` names each file and column."""

    def __init__(self, day: date, problems: list[str]):
        self.problems = problems
        shown = "\n  - ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"bad input for {day}: {len(problems)} problem(s):\n  - {shown}{more}")


def parse_day(day: str | date) -> date:
    """``"2025-01-31"`` or a ``date`` -> ``date``; anything else is a clear ``ValueError``.

    A day before ``ID_EPOCH`` is refused here, before any work: its id block would fall below
    the batch source's block, where the stream's predictions are.
    """
    if not isinstance(day, date):
        try:
            day = date.fromisoformat(day)
        except (TypeError, ValueError):
            raise ValueError(f"{day!r} is not a date like 2025-01-31") from None
    if day < ID_EPOCH:
        raise ValueError(
            f"{day} is before the first batch day: batch days run from {ID_EPOCH} to "
            f"{LAST_DAY} (each day has its own block of {IDS_PER_DAY:,} application ids "
            f"from {ID_BASE + 1:,}; earlier days would reach the stream's ids)"
        )
    return day


def day_folder(day: str | date, root: Path = DATASET_DIR) -> Path:
    """The hive-style folder of one day's files: ``root/date=2025-01-31``."""
    return Path(root) / f"date={parse_day(day).isoformat()}"


def first_id(day: str | date) -> int:
    """The first application id of a day, so ids never repeat across days (or sources)."""
    return ID_BASE + (parse_day(day) - ID_EPOCH).days * IDS_PER_DAY + 1


def day_ids(day: str | date) -> tuple[int, int]:
    """The first and last application id of a day's block (both inclusive)."""
    first = first_id(day)
    return first, first + IDS_PER_DAY - 1


def write_day(
    day: str | date,
    rows: int,
    *,
    root: Path = DATASET_DIR,
    rows_per_file: int = 500_000,
    scenario: str = "reference",
    seed: int = 0,
    row_group_rows: int = ROW_GROUP_ROWS,
) -> list[Path]:
    """Generate one day of applications as Parquet files of ``rows_per_file`` rows each,
    in row groups of ``row_group_rows`` rows.

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
        frame.to_parquet(staging, index=False, row_group_size=row_group_rows)
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


def check_file(path: Path, day: date) -> list[str]:
    """Every problem of one input file of ``day``, each prefixed with the file name; [] if fine.

    Reads the Parquet footer first (a corrupt or truncated file fails here), then the
    columns and types, then the values through the schema's ``validate_frame`` and the ids
    against the day's block.
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
        return _value_problems(path, day)
    except (OSError, pa.ArrowException) as error:
        return [f"{name}: cannot be read ({error})"]


def _id_block_problem(ids: pd.Series, start: int, name: str, day: date) -> str | None:
    """Rows (numbered from 0 in the file) whose id lies outside the day's block."""
    low, high = day_ids(day)
    outside = np.flatnonzero(((ids < low) | (ids > high)).to_numpy())
    if not len(outside):
        return None
    shown = ", ".join(f"{start + row:,} (id {ids.iloc[row]})" for row in outside[:5])
    more = f" and {len(outside) - 5:,} more" if len(outside) > 5 else ""
    return (
        f"{name}: rows {shown}{more}: {schema.ID_COLUMN} outside {day}'s block "
        f"{low:,}-{high:,} (each day has its own ids, so no day overwrites another's)"
    )


def _value_problems(path: Path, day: date) -> list[str]:
    """Validate a file's values ``CHUNK_ROWS`` rows at a time (memory stays flat)."""
    name, ids, start = Path(path).name, [], 0
    file = pq.ParquetFile(path, read_dictionary=list(schema.CATEGORIES))  # no string per row
    try:
        for chunk in file.iter_batches(batch_size=CHUNK_ROWS, columns=INPUT_COLUMNS):
            frame = chunk.to_pandas()
            rows = f"{name}: rows {start:,}-{start + len(frame) - 1:,}"
            if frame[schema.ID_COLUMN].isna().any():
                return [f"{rows}: {schema.ID_COLUMN} has missing values"]
            if problem := _id_block_problem(frame[schema.ID_COLUMN], start, name, day):
                return [problem]
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


def shared_id_problems(files: Sequence[Path]) -> list[str]:
    """Ids that appear in more than one of the day's files, named with the files."""
    ids = [pq.read_table(path, columns=[schema.ID_COLUMN]).column(0).to_numpy() for path in files]
    all_ids = np.concatenate(ids)
    if pd.Series(all_ids).is_unique:  # the usual case: one hash pass over integers
        return []
    names = np.repeat([Path(path).name for path in files], [len(part) for part in ids])
    table = pd.DataFrame({"id": all_ids, "file": names})
    repeated = table[table["id"].duplicated(keep=False)].drop_duplicates()
    owners = repeated.sort_values("file").groupby("id")["file"].agg(" and ".join)
    return [
        f"{shared} share {len(group):,} {schema.ID_COLUMN} value(s), e.g. {group.index[0]}: "
        "an id must appear once in a day"
        for shared, group in owners.groupby(owners)
    ]


def read_file(path: Path) -> pd.DataFrame:
    """Read the columns the job needs from one whole file."""
    try:
        table = pq.read_table(path, columns=INPUT_COLUMNS)
        return table.to_pandas(split_blocks=True, self_destruct=True)  # no second copy
    except (OSError, pa.ArrowException) as error:
        raise BatchError(f"{Path(path).name}: cannot be read ({error})") from None


@dataclass(frozen=True)
class RowGroup:
    """One Dask partition: row group ``index`` of a day's file (``rows`` rows)."""

    path: Path
    index: int
    rows: int
    last: bool  # the file's last row group: once it is written, the file is done


def row_groups(files: Sequence[Path]) -> list[RowGroup]:
    """Every row group of ``files``, file by file, read from the Parquet footers.

    A file without rows has no row group; it is listed as one empty group so that a run still
    records it as done.
    """
    groups = []
    for path in files:
        metadata = pq.read_metadata(path)
        count = max(metadata.num_row_groups, 1)
        groups += [
            RowGroup(
                Path(path),
                index,
                metadata.row_group(index).num_rows if metadata.num_row_groups else 0,
                index == count - 1,
            )
            for index in range(count)
        ]
    return groups


def read_row_group(group: RowGroup) -> pd.DataFrame:
    """Read the columns the job needs from one row group (one Dask partition)."""
    try:
        with pq.ParquetFile(group.path) as file:
            if not file.num_row_groups:
                table = file.schema_arrow.empty_table().select(INPUT_COLUMNS)
            else:
                table = file.read_row_group(group.index, columns=INPUT_COLUMNS)
        return table.to_pandas(split_blocks=True, self_destruct=True)
    except (OSError, pa.ArrowException) as error:
        raise BatchError(f"{group.path.name}: cannot be read ({error})") from None


def load_applications(groups: Sequence[RowGroup]) -> dd.DataFrame:
    """A lazy Dask table with one partition per row group; nothing is read yet."""
    meta = pq.read_schema(groups[0].path).empty_table().select(INPUT_COLUMNS).to_pandas()
    return dd.from_map(read_row_group, list(groups), meta=meta, label="read-applications")


def partition_bytes(files: Sequence[Path]) -> float:
    """In-memory size of one partition (bytes): the first row group of the first file."""
    return float(read_row_group(row_groups(files[:1])[0]).memory_usage(deep=True).sum())
