"""Edge deployment: distillation, quantization, the capped device process, the variants table."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import bench_edge
from workshop_lib import data, schema
from workshop_lib.edge import compression, onnx_export


@pytest.fixture(scope="module")
def frames():
    return data.make_applications(3_000, seed=41), data.make_applications(2_000, seed=42)


@pytest.fixture(scope="module")
def student_files(frames, tmp_path_factory):
    folder = tmp_path_factory.mktemp("edge")
    student = compression.train_student(frames[0], layers=(256, 192), epochs=2)
    fp32 = onnx_export.save(onnx_export.to_onnx(student), folder / "student.onnx")
    return student, fp32, compression.quantize(fp32, folder / "student_int8.onnx")


def test_int8_shrinks_a_network_and_keeps_its_decisions(student_files, frames):
    student, fp32, int8 = student_files
    assert fp32.stat().st_size / int8.stat().st_size >= 3.5
    assert (
        compression.weight_bytes(int8)["matmul_weights"]
        == 0
        < compression.weight_bytes(int8)["int8_weights"]
    )
    holdout = frames[1]
    before = onnx_export.OnnxPredictor(fp32).predict_proba(holdout)[:, 1] >= 0.35
    after = onnx_export.OnnxPredictor(int8).predict_proba(holdout)[:, 1] >= 0.35
    assert (before == after).mean() >= 0.99


def test_int8_leaves_trees_alone(trained, tmp_path):
    fp32 = onnx_export.save(onnx_export.to_onnx(trained.model), tmp_path / "trees.onnx")
    int8 = compression.quantize(fp32, tmp_path / "trees_int8.onnx")
    sizes = compression.weight_bytes(fp32)
    assert sizes["matmul_weights"] == 0 and sizes["operator_attributes"] > 0.9 * fp32.stat().st_size
    assert int8.stat().st_size >= 0.99 * fp32.stat().st_size


def test_distillation_learns_the_teachers_probabilities(frames):
    train, holdout = frames
    soft = np.where(train["credit_score"] < 650, 0.9, 0.1)  # a teacher that looks at one column
    student = compression.train_student(train, soft, layers=(16,), epochs=30)
    proba = student.predict_proba(holdout[schema.FEATURES])[:, 1]
    low = holdout["credit_score"] < 600
    high = holdout["credit_score"] > 700
    assert proba[low].mean() > 0.7 and proba[high].mean() < 0.3


def test_teacher_probabilities_must_match_rows(frames):
    with pytest.raises(ValueError, match="one probability per row"):
        compression.train_student(frames[0], np.full(10, 0.5), layers=(4,), epochs=1)


def test_device_scores_offline_without_sklearn(student_files, frames, tmp_path):
    _, _, int8 = student_files
    holdout = frames[1].iloc[:500]
    report = compression.run_on_device(int8, holdout, tmp_path, memory_mb=256)
    expected = onnx_export.OnnxPredictor(int8).predict_proba(holdout)[:, 1]
    np.testing.assert_allclose(report["probability"], expected, atol=2e-6)
    assert report["sklearn_imported"] is False and report["workshop_lib_imported"] is False
    assert 0 < report["peak_memory_mb"] < 256 and report["threads"] == 1


def test_device_failure_is_reported(tmp_path, frames):
    (tmp_path / "broken.onnx").write_bytes(b"not a model")
    with pytest.raises(RuntimeError, match="the edge device failed"):
        compression.run_on_device(tmp_path / "broken.onnx", frames[1].iloc[:5], tmp_path)


def test_table_ratios_and_smallest_variant():
    rows = [
        {"variant": "teacher", "size_kb": 1000.0, "roc_auc": 0.80},
        {"variant": "big", "size_kb": 500.0, "roc_auc": 0.795},
        {"variant": "tiny", "size_kb": 10.0, "roc_auc": 0.70},
    ]
    table = compression.variants_table(rows)
    assert table.loc["big", "x_smaller"] == 2.0
    assert table.loc["tiny", "auc_kept"] == pytest.approx(0.875)
    assert compression.smallest_within(table, 0.01) == "big"
    assert compression.smallest_within(table, 0.2) == "tiny"


@pytest.mark.slow
def test_quick_benchmark_runs_end_to_end(registry, capsys):
    verdicts = bench_edge.main(["--quick"], registry=registry)
    out = capsys.readouterr().out
    assert set(verdicts) == set(bench_edge.TARGETS)
    assert "student int8" in out and "onnx_speedup_p50" in out
