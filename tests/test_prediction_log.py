"""Prediction logs: one JSON line per prediction, read back as a table."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess

import httpx
import pytest
from helpers import promoted_registry

from workshop_lib import schema
from workshop_lib.prediction_log import (
    PredictionLogger,
    PredictionLogUnavailable,
    PredictionRecord,
    read_prediction_log,
)
from workshop_lib.realtime.http_metrics import parse_metrics
from workshop_lib.support.servers import start_uvicorn

INPUTS = schema.EXAMPLE_APPLICATION


def record(i: int) -> PredictionRecord:
    return PredictionRecord(
        request_id=f"r{i}",
        model_version="1.0.0",
        endpoint="/predict",
        inputs=INPUTS,
        probability=0.1,
        decision="approve",
        latency_ms=2.5,
    )


def test_round_trip_flattens_inputs(tmp_path):
    logger = PredictionLogger(tmp_path / "log.jsonl")
    logger.log([record(1), record(2)])
    result = read_prediction_log(tmp_path / "log.jsonl")
    assert result.skipped_lines == 0
    frame = result.frame
    assert frame["request_id"].tolist() == ["r1", "r2"]
    assert set(schema.FEATURES) <= set(frame.columns)
    assert frame["credit_score"].tolist() == [INPUTS["credit_score"]] * 2
    assert str(frame["time"].dt.tz) == "UTC"


def test_a_cut_line_is_counted_not_hidden(tmp_path):
    path = tmp_path / "log.jsonl"
    PredictionLogger(path).log([record(1)])
    with path.open("a") as handle:
        handle.write('{"request_id": "r2", "inp')
    result = read_prediction_log(path)
    assert len(result.frame) == 1 and result.skipped_lines == 1


def test_nan_is_refused_rather_than_written(tmp_path):
    bad = PredictionRecord("r", "1.0.0", "/predict", INPUTS, float("nan"), "approve", 1.0)
    with pytest.raises(ValueError):
        PredictionLogger(tmp_path / "log.jsonl").log([bad])


def _log_many(path: str, worker: int) -> None:
    logger = PredictionLogger(path)
    for i in range(200):
        logger.log([record(worker * 1000 + i)])


def test_processes_logging_at_once_never_interleave_lines(tmp_path):
    path = tmp_path / "log.jsonl"
    workers = [multiprocessing.Process(target=_log_many, args=(str(path), w)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    lines = path.read_text().splitlines()
    assert len(lines) == 800
    assert len({json.loads(line)["request_id"] for line in lines}) == 800


@pytest.mark.parametrize("stray", ["[1, 2]", '"just text"', "42", "null", '{"request_id": "r9"}'])
def test_valid_json_that_is_not_a_record_is_counted_with_its_line_number(tmp_path, stray):
    path = tmp_path / "log.jsonl"
    PredictionLogger(path).log([record(1)])
    with path.open("a") as handle:
        handle.write(stray + "\n")
    PredictionLogger(path).log([record(3)])
    result = read_prediction_log(path)
    assert result.frame["request_id"].tolist() == ["r1", "r3"]
    assert result.skipped_lines == 1 and result.skipped_line_numbers == (2,)


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 64 KiB file system (tmpfs) that fills up; mounting needs root (as in CI)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a 64 KiB tmpfs needs root (the tests run as root in CI)")
    command = ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)]
    mounted = subprocess.run(command, capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"mount -t tmpfs is not permitted here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "--lazy", str(mount_point)], check=True)


def _leave_free(disk, kib: int):
    """Fill ``disk`` but for ``kib`` KiB; the filler file (delete it to free the space)."""
    filler = disk / "filler"
    filler.write_bytes(b"x" * ((64 - kib) * 1024))
    return filler


def _whole_lines(path) -> list[dict]:
    """Every line of the log as a record; fails on a torn or unterminated line."""
    text = path.read_bytes()
    assert text == b"" or text.endswith(b"\n"), f"torn last line: {text[-80:]!r}"
    return [json.loads(line) for line in text.splitlines()]


def test_a_full_disk_refuses_whole_records_and_never_tears_a_line(tiny_disk):
    path = tiny_disk / "log.jsonl"
    _leave_free(tiny_disk, 8)
    logger, written = PredictionLogger(path), 0
    with pytest.raises(PredictionLogUnavailable, match="disk full") as refused:
        for i in range(1_000):
            logger.log([record(2 * i), record(2 * i + 1)])  # two lines per call
            written += 2
    assert refused.value.reason == "disk full"
    assert [r["request_id"] for r in _whole_lines(path)] == [f"r{i}" for i in range(written)]


@pytest.mark.slow
def test_the_service_answers_503_naming_a_full_disk_and_counts_it(
    tiny_disk, tmp_path, trained, small_frames
):
    registry = promoted_registry(tmp_path / "models", trained, small_frames)
    log = tiny_disk / "predictions.jsonl"
    filler = _leave_free(tiny_disk, 8)
    env = {"MODEL_REGISTRY": str(registry.root), "PREDICTION_LOG": str(log)}
    with (
        start_uvicorn(env=env, name="test-full-disk") as server,
        httpx.Client(base_url=server.url) as client,
    ):
        replies = [client.post("/predict", json=INPUTS) for _ in range(40)]
        refused = [r for r in replies if r.status_code == 503]
        metrics = parse_metrics(client.get("/metrics").text)
        filler.unlink()  # space again: the service logs and answers again
        after = client.post("/predict", json=INPUTS)
    print(f"40 /predict on a full disk: {len(refused)} answered 503, the rest 200")
    assert {r.status_code for r in replies} == {200, 503}
    for reply in refused:
        assert reply.json()["detail"].startswith("prediction log unavailable: disk full")
    failures = metrics[("prediction_log_failures_total", (("reason", "disk full"),))]
    assert failures == len(refused)
    logged = [r["request_id"] for r in _whole_lines(log)]
    assert after.status_code == 200
    answered = [r.json()["request_id"] for r in [*replies, after] if r.status_code == 200]
    assert logged == answered  # every answer logged, nothing refused logged
