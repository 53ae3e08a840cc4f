"""The batch job: every application scored once, reruns idempotent, killed runs resumable,
bad input refused before anything is written, and every run in the run log."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workshop_lib import batch, data, schema
from workshop_lib.paths import PROJECT_ROOT
from workshop_lib.scoring import score_batch
from workshop_lib.store import SOURCE_IDS, PredictionStore, StoreUnavailableError, open_sqlite

DAY = "2025-01-31"


@pytest.fixture
def setup(tmp_path, registry):
    """A 6,000-row day in three files, an empty database URL, and the test registry."""
    data_root = tmp_path / "data"
    files = batch.write_day(DAY, 6_000, root=data_root, rows_per_file=2_000, seed=3)
    return {
        "files": files,
        "data_root": data_root,
        "store_url": f"sqlite:///{tmp_path / 'predictions.db'}",
        "registry": registry,
    }


def run(setup, **options) -> batch.RunSummary:
    return batch.run_day(
        DAY,
        data_root=setup["data_root"],
        store_url=setup["store_url"],
        registry=setup["registry"],
        **options,
    )


def stored(setup) -> pd.DataFrame:
    return PredictionStore(setup["store_url"]).read("SELECT * FROM predictions")


def test_write_day_makes_the_same_partitioned_files_each_time(tmp_path):
    first = batch.write_day(DAY, 5, root=tmp_path / "a", rows_per_file=2)
    second = batch.write_day(DAY, 5, root=tmp_path / "b", rows_per_file=2)
    assert [p.name for p in first] == [
        "part-00000.parquet",
        "part-00001.parquet",
        "part-00002.parquet",
    ]
    assert first[0].parent.name == f"date={DAY}"
    frames = [pd.concat(map(batch.read_file, files)) for files in (first, second)]
    pd.testing.assert_frame_equal(frames[0], frames[1])
    ids = frames[0][schema.ID_COLUMN].tolist()
    assert ids == list(range(batch.first_id(DAY), batch.first_id(DAY) + 5))
    assert batch.first_id("2025-02-01") - batch.first_id(DAY) == batch.IDS_PER_DAY


def test_run_scores_every_application_once_with_the_model_version(setup):
    summary = run(setup)
    assert (summary.status, summary.rows, summary.written, summary.skipped) == (
        "succeeded",
        6_000,
        3,
        0,
    )
    table = stored(setup)
    assert len(table) == 6_000 and table["application_id"].is_unique
    assert set(table["model_version"]) == {"1.0.0"} and set(table["source"]) == {"batch"}
    assert set(table["run_id"]) == {summary.run_id}
    applications = pd.concat(map(batch.read_file, setup["files"]), ignore_index=True)
    expected = score_batch(setup["registry"].load(), applications)
    table = table.set_index("application_id").loc[applications[schema.ID_COLUMN]]
    np.testing.assert_allclose(table["probability"], expected["probability"], rtol=1e-12)
    assert (table["decision"].to_numpy() == expected["decision"].to_numpy()).all()
    log = batch.runs(setup["store_url"])
    assert log.loc[0, ["status", "rows", "model_version", "partitions"]].tolist() == [
        "succeeded",
        6_000,
        "1.0.0",
        3,
    ]
    assert log.loc[0, "ended_at"] >= log.loc[0, "started_at"]


def test_a_day_run_twice_keeps_one_prediction_per_application(setup):
    first = run(setup)
    again = run(setup)
    assert (again.status, again.written, again.skipped, again.rows) == ("succeeded", 0, 3, 0)
    forced = run(setup, force=True, scheduler="sync")
    assert (forced.written, forced.rows) == (3, 6_000)
    table = stored(setup)
    assert len(table) == 6_000 and table["application_id"].is_unique
    assert set(table["run_id"]) == {forced.run_id} != {first.run_id}
    assert batch.runs(setup["store_url"])["status"].tolist() == ["succeeded"] * 3


def test_a_regenerated_file_is_scored_again(setup):
    run(setup)
    time.sleep(0.01)  # a new modification time
    batch.write_day(DAY, 6_000, root=setup["data_root"], rows_per_file=3_000, seed=4)
    summary = run(setup)
    assert (summary.written, summary.skipped) == (2, 0)
    assert batch.stored_for_day(DAY, setup["store_url"]) == 6_000


def _write_frame(path, change):
    frame = batch.read_file(path)
    change(frame).to_parquet(path, index=False)


BAD_INPUTS = {
    "corrupt file": (
        lambda path: path.write_bytes(path.read_bytes()[:200]),
        "part-00001.parquet: not a readable Parquet file",
    ),
    "missing column": (
        lambda path: _write_frame(path, lambda f: f.drop(columns=["credit_score"])),
        "part-00001.parquet: column 'credit_score' is missing",
    ),
    "wrong type": (
        lambda path: _write_frame(
            path, lambda f: f.assign(credit_score=f.credit_score.astype(str))
        ),
        "part-00001.parquet: credit_score: expected numbers, found string",
    ),
    "value out of range": (
        lambda path: _write_frame(path, lambda f: f.assign(age=f.age - 60)),
        "part-00001.parquet: rows 0-1,999: age: .* value\\(s\\) outside \\[18, 100\\]",
    ),
    "unknown category": (
        lambda path: _write_frame(path, lambda f: f.assign(term=f.term.astype(str) + "x")),
        "part-00001.parquet: rows 0-1,999: term: unknown categories",
    ),
    "ids 0 and -5": (
        lambda path: _write_frame(
            path, lambda f: f.assign(application_id=[0, -5, *f.application_id[2:]])
        ),
        r"part-00001.parquet: rows 0 \(id 0\), 1 \(id -5\): application_id outside "
        r"2025-01-31's block 1,300,000,001-1,310,000,000",
    ),
    "another day's ids": (
        lambda path: _write_frame(
            path, lambda f: f.assign(application_id=f.application_id - batch.IDS_PER_DAY)
        ),
        r"part-00001.parquet: rows 0 \(id 129\d+\), .* and 1,995 more: application_id outside",
    ),
    "ids shared with another file": (
        lambda path: _write_frame(
            path, lambda f: f.assign(application_id=f.application_id - 2_000)
        ),
        "part-00000.parquet and part-00001.parquet share 2,000 application_id value",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_fails_names_the_problem_writes_nothing_and_is_logged(setup, case):
    damage, message = BAD_INPUTS[case]
    damage(setup["files"][1])  # the second of three files: the first one is fine
    with pytest.raises(batch.BatchInputError, match=message):
        run(setup)
    assert len(stored(setup)) == 0
    log = batch.runs(setup["store_url"])
    assert log["status"].tolist() == ["failed"]
    assert "part-00001.parquet" in log.loc[0, "error"]


def test_a_missing_day_fails_and_is_logged(setup):
    with pytest.raises(batch.BatchInputError, match="date=2025-02-01: folder is missing"):
        batch.run_day(
            "2025-02-01",
            data_root=setup["data_root"],
            store_url=setup["store_url"],
            registry=setup["registry"],
        )
    assert batch.runs(setup["store_url"])["status"].tolist() == ["failed"]


def test_no_production_model_is_a_logged_failure(setup, tmp_path):
    from workshop_lib.registry import Registry

    setup["registry"] = Registry(tmp_path / "empty")
    with pytest.raises(batch.BatchError, match="no model is in stage 'production'"):
        run(setup)
    assert batch.runs(setup["store_url"])["status"].tolist() == ["failed"]


def _written_partitions(db_path) -> int:
    if not db_path.exists():
        return 0
    with closing(open_sqlite(db_path)) as connection:
        try:
            return connection.execute("SELECT COUNT(*) FROM batch_partitions").fetchone()[0]
        except sqlite3.OperationalError:  # the job has not created the table yet
            return 0


def test_a_killed_run_resumes_with_nothing_lost_or_doubled(tmp_path, registry):
    data_root, db_path = tmp_path / "data", tmp_path / "predictions.db"
    batch.write_day(DAY, 60_000, root=data_root, rows_per_file=1_500)  # 40 partitions
    command = [
        sys.executable, "-m", "apps.batch_job", "--date", DAY, "--data", str(data_root),
        "--db", f"sqlite:///{db_path}", "--registry", str(registry.root), "--dask", "sync",
        "--quiet",
    ]  # fmt: skip
    job = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _written_partitions(db_path) < 3 and job.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(job.pid, signal.SIGKILL)
    job.wait()
    done = _written_partitions(db_path)
    assert 3 <= done < 40, f"the job should be killed half-way, but {done}/40 partitions were done"
    store_url = f"sqlite:///{db_path}"
    # each partition was written atomically with its progress row: no half partition is stored
    assert batch.stored_for_day(DAY, store_url) == done * 1_500

    summary = batch.run_day(DAY, data_root=data_root, store_url=store_url, registry=registry)
    assert (summary.skipped, summary.written) == (done, 40 - done)
    table = PredictionStore(store_url).read("SELECT application_id FROM predictions")
    assert len(table) == 60_000 and table["application_id"].is_unique
    log = batch.runs(store_url)
    assert log["status"].tolist() == ["interrupted", "succeeded"]
    # the killed run's counts grew with each partition it wrote, so the log tells what it stored
    assert log.loc[0, ["rows", "written"]].tolist() == [done * 1_500, done]
    assert "ended before the run finished" in log.loc[0, "error"]


def test_row_groups_are_partitions_and_a_run_dying_mid_file_rescores_that_file(
    tmp_path, registry, monkeypatch
):
    data_root, store_url = tmp_path / "data", f"sqlite:///{tmp_path / 'predictions.db'}"
    files = batch.write_day(DAY, 6_000, root=data_root, rows_per_file=3_000, row_group_rows=1_000)
    groups = batch.row_groups(files)
    assert [(g.path.name, g.index, g.rows, g.last) for g in groups[:3]] == [
        ("part-00000.parquet", 0, 1_000, False),
        ("part-00000.parquet", 1, 1_000, False),
        ("part-00000.parquet", 2, 1_000, True),
    ]
    assert len(groups) == 6
    real_write, calls = batch.job.write_partition, []

    def write_then_fail(*args):  # the store dies on the second file's second row group
        calls.append(args)
        if len(calls) == 5:
            raise StoreUnavailableError("predictions database: disk I/O error")
        real_write(*args)

    monkeypatch.setattr(batch.job, "write_partition", write_then_fail)
    with pytest.raises(StoreUnavailableError, match="disk I/O error"):
        batch.run_day(DAY, data_root=data_root, store_url=store_url, registry=registry)
    failed = batch.runs(store_url).iloc[0]
    # the first file is done; of the second, only its first row group was committed
    assert (failed["status"], failed["written"], failed["rows"]) == ("failed", 1, 4_000)
    assert batch.stored_for_day(DAY, store_url) == 4_000

    monkeypatch.setattr(batch.job, "write_partition", real_write)
    summary = batch.run_day(DAY, data_root=data_root, store_url=store_url, registry=registry)
    assert (summary.skipped, summary.written, summary.rows) == (1, 1, 3_000)
    table = PredictionStore(store_url).read("SELECT application_id, run_id FROM predictions")
    assert len(table) == 6_000 and table["application_id"].is_unique
    second_file = set(batch.read_file(files[1])["application_id"])
    rescored = table[table["application_id"].isin(second_file)]
    assert set(rescored["run_id"]) == {summary.run_id}  # the half-written file: scored again


def test_a_second_run_of_a_day_while_one_is_running_is_refused(setup):
    log = batch.RunLog(PredictionStore(setup["store_url"]))
    log.start(batch.parse_day(DAY), "threads")  # this process is alive: its run is running
    with pytest.raises(batch.BatchError, match="is already being scored"):
        run(setup)


RACE_TRIALS = 4


def _race_for_the_day(data_root: str, registry_root: str, folder: str, barrier, outcomes) -> None:
    """One of two processes: in each trial, released with the other to score the same day.

    Started with "spawn", not "fork": a forked copy of a process that already ran OpenMP
    (the model) can hang on the parent's locks.
    """
    from workshop_lib.registry import Registry

    registry = Registry(Path(registry_root))
    for trial in range(RACE_TRIALS):
        store_url = f"sqlite:///{Path(folder) / f'race-{trial}.db'}"
        try:
            barrier.wait(timeout=120)
            summary = batch.run_day(
                DAY, data_root=Path(data_root), store_url=store_url, registry=registry,
                scheduler="sync",
            )  # fmt: skip
            outcomes.put((trial, "scored", summary.written))
        except batch.BatchError as error:
            outcomes.put((trial, "refused", str(error)))
        except Exception as error:  # reported, so the test fails with it instead of hanging
            outcomes.put((trial, "broke", f"{type(error).__name__}: {error}"))


@pytest.mark.slow
def test_two_runs_of_a_day_started_at_once_never_both_score(setup, tmp_path):
    context = multiprocessing.get_context("spawn")
    barrier, outcomes = context.Barrier(2), context.Queue()
    arguments = (str(setup["data_root"]), str(setup["registry"].root), str(tmp_path))
    racers = [
        context.Process(target=_race_for_the_day, args=(*arguments, barrier, outcomes))
        for _ in range(2)
    ]
    for racer in racers:
        racer.start()
    results = [outcomes.get(timeout=240) for _ in range(2 * RACE_TRIALS)]
    for racer in racers:
        racer.join(30)
    for trial in range(RACE_TRIALS):
        mine = [(kind, value) for number, kind, value in results if number == trial]
        # every partition scored exactly once: by one run, or by the first of two that ran
        # one after the other (the second finds them written and skips them)
        assert sum(value for kind, value in mine if kind == "scored") == 3, mine
        for kind, value in mine:
            assert kind == "scored" or "is already being scored by run" in value, value
        assert PredictionStore(f"sqlite:///{tmp_path / f'race-{trial}.db'}").count() == 6_000
    # the processes did meet: the claim, not luck, kept them apart
    assert any(kind == "refused" for _, kind, _ in results)


def test_another_days_predictions_cannot_be_overwritten(setup):
    run(setup)
    before = stored(setup).set_index("application_id")
    next_day = "2025-02-01"
    batch.write_day(next_day, 2_000, root=setup["data_root"], rows_per_file=2_000)
    copied = batch.read_file(setup["files"][0])  # 2025-01-31's ids, in 2025-02-01's folder
    copied.to_parquet(batch.day_files(next_day, setup["data_root"])[0], index=False)
    with pytest.raises(batch.BatchInputError, match="outside 2025-02-01's block"):
        batch.run_day(
            next_day,
            data_root=setup["data_root"],
            store_url=setup["store_url"],
            registry=setup["registry"],
        )
    pd.testing.assert_frame_equal(stored(setup).set_index("application_id"), before)


class SmallDisk:
    """A folder on a small real filesystem, and a filler file that takes its free space."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.filler = folder / "filler"

    def fill(self, leave_bytes: int) -> None:
        """Write a filler so that only about ``leave_bytes`` stay free."""
        block = bytes(2**20)
        with self.filler.open("wb") as handle:
            while shutil.disk_usage(self.folder).free > leave_bytes + len(block):
                handle.write(block)
                handle.flush()

    def make_room(self) -> None:
        self.filler.unlink()


def _small_filesystem(tmp_path: Path) -> tuple[Path, Callable[[], None]] | None:
    """A 64 MiB tmpfs (root with mount rights), else Docker's own small /dev/shm, else None."""
    mountpoint = tmp_path / "small-disk"
    mountpoint.mkdir()
    mount = shutil.which("mount")
    if os.geteuid() == 0 and mount:
        done = subprocess.run(
            [mount, "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mountpoint)],
            capture_output=True,
        )
        if done.returncode == 0:
            return mountpoint, lambda: subprocess.run(["umount", str(mountpoint)], check=True)
    shm = Path("/dev/shm")
    if shm.is_dir() and shutil.disk_usage(shm).total <= 256 * 2**20:
        folder = Path(tempfile.mkdtemp(dir=shm))
        return folder, lambda: shutil.rmtree(folder)
    return None


@pytest.fixture
def small_disk(tmp_path):
    found = _small_filesystem(tmp_path)
    if found is None:
        pytest.skip("needs a small filesystem: a tmpfs root can mount, or a small /dev/shm")
    folder, remove = found
    try:
        yield SmallDisk(folder)
    finally:
        remove()


def test_a_full_disk_fails_the_run_with_its_cause_keeps_whole_partitions_and_resumes(
    tmp_path, registry, small_disk
):
    data_root = tmp_path / "data"
    files = batch.write_day(DAY, 60_000, root=data_root, rows_per_file=1_500)  # 40 partitions
    store_url = f"sqlite:///{small_disk.folder / 'predictions.db'}"
    small_disk.fill(leave_bytes=batch.RESERVE_BYTES + 2 * 2**20)  # room for about half the day
    with pytest.raises(StoreUnavailableError, match="database or disk is full"):
        batch.run_day(DAY, data_root=data_root, store_url=store_url, registry=registry)

    log = batch.runs(store_url)
    assert log.loc[0, "status"] == "failed"  # not left "running", to be relabelled "killed?"
    assert "database or disk is full" in log.loc[0, "error"]
    assert str(small_disk.folder / "predictions.db") in log.loc[0, "error"]
    written = int(log.loc[0, "written"])
    assert 0 < written < 40, f"the disk should fill half-way, but {written}/40 were written"
    assert log.loc[0, "rows"] == written * 1_500 == batch.stored_for_day(DAY, store_url)
    stored_ids = set(PredictionStore(store_url).read()["application_id"])
    per_file = [len(stored_ids & set(batch.read_file(path)["application_id"])) for path in files]
    assert set(per_file) == {0, 1_500}  # whole partitions only: the failed one rolled back

    small_disk.make_room()
    summary = batch.run_day(DAY, data_root=data_root, store_url=store_url, registry=registry)
    assert (summary.skipped, summary.written) == (written, 40 - written)
    table = PredictionStore(store_url).read("SELECT application_id FROM predictions")
    assert len(table) == 60_000 and table["application_id"].is_unique
    assert batch.runs(store_url)["status"].tolist() == ["failed", "succeeded"]


def test_no_room_for_the_run_logs_reserve_refuses_to_start(tmp_path, registry, small_disk):
    store_url = f"sqlite:///{small_disk.folder / 'predictions.db'}"
    batch.write_day(DAY, 1_500, root=tmp_path / "data", rows_per_file=1_500)
    small_disk.fill(leave_bytes=batch.RESERVE_BYTES // 4)
    with pytest.raises(batch.BatchError, match="no room for a run next to .*predictions.db"):
        batch.run_day(DAY, data_root=tmp_path / "data", store_url=store_url, registry=registry)


@pytest.mark.slow
def test_the_job_runs_on_a_distributed_cluster_by_address(setup):
    from dask.distributed import Client, LocalCluster

    with (
        LocalCluster(n_workers=1, threads_per_worker=2, dashboard_address=":0") as cluster,
        Client(cluster.scheduler_address) as client,
    ):
        summary = run(setup, scheduler=client)
        loaded_on_workers = client.run(lambda: len(batch.partitions._MODELS))
    assert summary.status == "succeeded" and summary.rows == 6_000
    scheduler = batch.runs(setup["store_url"]).loc[0, "scheduler"]
    assert scheduler.startswith("distributed tcp://127.0.0.1:")
    assert list(loaded_on_workers.values()) == [1]  # loaded once per worker, not once per task
    assert len(stored(setup)) == 6_000


def test_cli_reports_a_failed_day_with_exit_code_1(tmp_path, registry):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "apps.batch_job",
            "--date",
            DAY,
            "--data",
            str(tmp_path),
            "--db",
            f"sqlite:///{tmp_path / 'p.db'}",
            "--registry",
            str(registry.root),
        ],  # fmt: skip
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "FAILED BatchInputError" in result.stdout and "folder is missing" in result.stdout
    assert batch.runs(f"sqlite:///{tmp_path / 'p.db'}")["status"].tolist() == ["failed"]


@pytest.mark.slow
def test_benchmark_quick_prints_throughputs_and_ratios(tmp_path, registry):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bench_batch",
            "--quick",
            "--registry",
            str(registry.root),
            "--workdir",
            str(tmp_path),
        ],  # fmt: skip
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    for name in ("in-memory predict_proba", "scoring stage", "end to end"):
        assert name in result.stdout
    assert result.stdout.count("x in-memory") == 2


STREAM_IDS = range(1_000_001, 1_000_011)  # the stream worker's first ids


def test_a_day_before_the_first_batch_day_is_refused_before_any_work(tmp_path, registry, capsys):
    """2024-09-23's id block was 1-10,000,000: its run rewrote the stream's predictions."""
    from apps import batch_job

    url = f"sqlite:///{tmp_path / 'p.db'}"
    store = PredictionStore(url)
    store.write(
        pd.DataFrame({"application_id": list(STREAM_IDS), "probability": 0.5}),
        same_for_all={
            "decision": "approve",
            "model_version": "1.0.0",
            "run_id": "stream-1",
            "source": "stream",
            "scored_at": "2025-01-01T00:00:00.000+00:00",
        },
    )
    before = store.read("SELECT * FROM predictions ORDER BY application_id")
    folder = tmp_path / "data" / "date=2024-09-23"  # a day's files, holding the stream's ids
    folder.mkdir(parents=True)
    day = schema_frame(len(STREAM_IDS), first_id=STREAM_IDS[0])
    day.to_parquet(folder / "part-00000.parquet", index=False)
    common = ["--data", str(tmp_path / "data"), "--db", url, "--registry", str(registry.root)]
    refusals = {
        ("--date", "2024-09-23"): "batch days run from 2025-01-01 to 9999-12-31",
        ("--date", "2024-06-01", "--generate", "50"): "batch days run from 2025-01-01",
        ("--date", "2025-02-01", "--generate", "-5"): "a day holds 0 to 9,999,999 generated",
    }
    for when, message in refusals.items():
        with pytest.raises(SystemExit) as exited:
            batch_job.main([*when, *common, "--quiet"])
        assert exited.value.code == 2
        assert message in capsys.readouterr().err
    with pytest.raises(ValueError, match="before the first batch day"):
        batch.run_day("2024-09-23", data_root=tmp_path / "data", store_url=url, registry=registry)
    pd.testing.assert_frame_equal(
        store.read("SELECT * FROM predictions ORDER BY application_id"), before
    )
    assert not (tmp_path / "data" / "date=2024-06-01").exists()
    assert not (tmp_path / "data" / "date=2025-02-01").exists()
    assert store.count("source = 'batch'") == 0 and batch.runs(url).empty


def schema_frame(rows: int, first_id: int) -> pd.DataFrame:
    frame = data.make_applications(rows, seed=31, start="2024-09-23", days=1, first_id=first_id)
    return frame[batch.INPUT_COLUMNS]


def test_every_batch_days_ids_lie_above_the_streams():
    stream_low, stream_high = SOURCE_IDS["stream"]
    batch_low, batch_high = SOURCE_IDS["batch"]
    assert stream_low == 1 and stream_high < batch_low
    assert batch.day_ids(batch.ID_EPOCH)[0] >= batch_low
    assert batch.day_ids(batch.LAST_DAY)[1] <= batch_high
