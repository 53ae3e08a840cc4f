"""Prediction logs: one JSON line per prediction, read back as a table."""

from __future__ import annotations

import json
import multiprocessing

import pytest

from workshop_lib import schema
from workshop_lib.prediction_log import PredictionLogger, PredictionRecord, read_prediction_log

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
