"""The shipped TensorFlow Lite files: checksums, and how they quantize compared with onnxruntime."""

from __future__ import annotations

import hashlib
import logging
import subprocess
import sys

import numpy as np

from workshop_lib.edge import compression
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


def test_full_int8_scores_the_rows_it_would_clip_with_the_dynamic_file():
    student = lr.load_student_data()
    probe, proba = student["probe"], student["sklearn_proba"]
    full = lr.LiteRtPredictor(lr.LITERT_DIR / "student_int8.tflite", 1_000)
    dynamic = lr.LiteRtPredictor(lr.LITERT_DIR / "student_dynamic_int8.tflite", 1_000)
    guarded = lr.LiteRtPredictor(lr.LITERT_DIR / "student_int8.tflite", 1_000, fallback=dynamic)
    clipped_rows = full.outside_range(probe).any(axis=1)
    alone, with_fallback = full.predict(probe), guarded.predict(probe)
    assert guarded.fell_back == clipped_rows.sum() > 0
    assert np.array_equal(with_fallback[~clipped_rows], alone[~clipped_rows])
    assert np.array_equal(with_fallback[clipped_rows], dynamic.predict(probe[clipped_rows]))
    assert np.abs(with_fallback - proba).max() < np.abs(alone - proba).max() / 2
    assert guarded.size_bytes == full.size_bytes + dynamic.size_bytes


def test_litert_device_runs_under_128_mib_where_onnxruntime_cannot_load(tmp_path):
    from workshop_lib.edge import compression

    rows = lr.load_student_data()["probe"][:500]
    model = lr.LITERT_DIR / "student_dynamic_int8.tflite"
    report = compression.run_on_device(model, rows, tmp_path, memory_mb=128, runtime="litert")
    assert report["runtime"] == "litert" and not report["sklearn_imported"]
    assert report["peak_memory_mb"] < 128
    expected = lr.LiteRtPredictor(model, 1_000).predict(rows)
    assert np.abs(report["probability"] - expected).max() <= 5e-7
    table = tmp_path / "device_input.csv"
    command = [
        sys.executable,
        str(compression.DEVICE_SCRIPT),
        str(lr.LITERT_DIR / "student_bare.onnx"),
    ]
    done = subprocess.run(
        [
            *command,
            str(table),
            str(tmp_path / "out.csv"),
            "--runtime",
            "onnx",
            "--memory-mb",
            "128",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "onnxruntime cannot be loaded under the 128 MiB address-space cap" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_interpreter_drops_only_the_xnnpack_notice_from_stderr():
    code = (
        "import os\n"
        "from workshop_lib.edge import litert_runtime as lr\n"
        "lr.LiteRtPredictor(lr.LITERT_DIR / 'student_float32.tflite', 10)\n"
        "with lr.without_delegate_notice():\n"
        "    os.write(2, b'anything else stays\\n')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr == "anything else stays\n"


def test_quantize_drops_only_onnxruntimes_preprocessing_advice(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    compression.quantize(lr.LITERT_DIR / "student_bare.onnx", tmp_path / "int8.onnx")
    logging.warning("another warning")
    assert [record.getMessage() for record in caplog.records] == ["another warning"]
