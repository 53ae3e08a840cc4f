"""Chapter results carry their provenance; 09 can tell this run's figures from stale ones."""

from __future__ import annotations

import json

from workshop_lib.registry import code_version
from workshop_lib.support.results import (
    chapter_number,
    load_records,
    load_results,
    record_results,
    recording_chapters,
)


def test_a_record_keeps_its_figures_time_and_code_version(tmp_path):
    path = record_results("03_realtime_api", {"single_p50_ms": 4.2, "kind": "onnx"}, tmp_path)
    record = load_records(tmp_path)["03_realtime_api"]
    assert record.figures == {"single_p50_ms": 4.2, "kind": "onnx"}
    assert record.code_version == code_version() and record.is_from(code_version())
    assert record.recorded_at is not None and record.recorded_at.tzinfo is not None
    assert json.loads(path.read_text())["chapter"] == "03_realtime_api"
    assert load_results(tmp_path) == {"03_realtime_api": {"single_p50_ms": 4.2, "kind": "onnx"}}


def test_a_record_without_provenance_is_from_no_known_run(tmp_path):
    (tmp_path / "02_batch_deployment.json").write_text(json.dumps({"day_rows": 5}))
    record = load_records(tmp_path)["02_batch_deployment"]
    assert record.figures == {"day_rows": 5}
    assert record.recorded_at is None and not record.is_from(code_version())


def test_no_folder_means_no_results(tmp_path):
    assert load_records(tmp_path / "absent") == {} and load_results(tmp_path / "absent") == {}


def test_chapters_are_matched_by_number_whatever_the_record_is_called():
    assert chapter_number("01") == chapter_number("01_ml_lifecycle") == "01"
    assert chapter_number("02b_batch_engines") == "02b"


def test_recording_chapters_are_the_notebooks_that_call_record_results(tmp_path):
    def notebook(name: str, source: str) -> None:
        cells = [{"cell_type": "markdown", "source": ["record_results( in prose"]}]
        cells.append({"cell_type": "code", "source": [source]})
        (tmp_path / f"{name}.ipynb").write_text(json.dumps({"cells": cells}))

    notebook("01_ml_lifecycle", 'record_results("01", {"auc": 0.8})')
    notebook("04_streamlit_frontend", "print('no figures')")
    assert recording_chapters(tmp_path) == ["01"]
    assert "09" in recording_chapters()
