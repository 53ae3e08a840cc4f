"""The live service against its own OpenAPI schema, fuzzed by schemathesis with all its checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import promoted_registry

from workshop_lib.support.servers import start_uvicorn

pytestmark = pytest.mark.slow
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def test_schemathesis_finds_no_failure(tmp_path, trained, small_frames):
    registry = promoted_registry(tmp_path / "models", trained, small_frames)
    env = {"MODEL_REGISTRY": str(registry.root), "PREDICTION_LOG": str(tmp_path / "log.jsonl")}
    with start_uvicorn(env=env, name="test-contract") as server:
        run = subprocess.run(
            [
                str(SCHEMATHESIS),
                "run",
                f"{server.url}/openapi.json",
                "--checks",
                "all",
                "--max-examples",
                "40",
                "--seed",
                "1",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=240,
        )
    assert run.returncode == 0, run.stdout[-4000:]
    assert "passed" in run.stdout and "failed" not in run.stdout
