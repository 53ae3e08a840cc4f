"""The shipped TensorFlow Lite files: checksums, and how they quantize compared with onnxruntime."""

from __future__ import annotations

import hashlib

import numpy as np

from workshop_lib.edge import litert_runtime as lr


def test_shipped_files_match_their_checksums():
    for line in (lr.LITERT_DIR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        assert hashlib.sha256((lr.LITERT_DIR / name).read_bytes()).hexdigest() == digest, name


def test_float_tflite_equals_the_scikit_learn_student():
    student = lr.load_student_data()
    scores = lr.LiteRtPredictor(lr.LITERT_DIR / "student_float32.tflite", 500).predict(
        student["probe"]
    )
    assert np.abs(scores - student["sklearn_proba"]).max() < 1e-5


def test_litert_dynamic_int8_is_closer_to_float_and_batch_independent(tmp_path):
    student = lr.load_student_data()
    probe, proba = student["probe"][:1_000], student["sklearn_proba"][:1_000]
    dynamic = lr.LITERT_DIR / "student_dynamic_int8.tflite"
    litert_gap = np.abs(lr.LiteRtPredictor(dynamic, 100).predict(probe) - proba).max()
    ort_path = lr.ort_int8(tmp_path)
    ort_gap = np.abs(lr.OrtBare(ort_path).predict(probe) - proba).max()
    assert litert_gap < ort_gap
    assert lr.batch_dependence(lambda size: lr.LiteRtPredictor(dynamic, size), probe) == 0.0
    assert lr.batch_dependence(lambda size: lr.OrtBare(ort_path), probe) > 1e-3


def test_full_int8_clips_values_beyond_its_calibrated_range():
    student = lr.load_student_data()
    model = lr.LiteRtPredictor(lr.LITERT_DIR / "student_int8.tflite", 1_000)
    low, high = model.input_range()
    outside = int(((student["probe"] < low) | (student["probe"] > high)).sum())
    model.predict(student["probe"])
    assert outside > 0 and model.clipped == outside


def test_litert_benchmark_runs_quick(capsys):
    from benchmarks import bench_litert

    bench_litert.main(["--quick"])
    assert "LiteRT dynamic int8" in capsys.readouterr().out
