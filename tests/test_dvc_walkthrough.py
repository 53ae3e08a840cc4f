"""The DVC walk-through with the real dvc command line, in a scratch repository."""

from __future__ import annotations

import subprocess

import pytest

from workshop_lib import paths
from workshop_lib.cicd import dvc_walkthrough

pytestmark = pytest.mark.slow


def test_walkthrough_versions_pulls_diffs_and_reproduces_only_what_changed(tmp_path):
    before = subprocess.run(
        ["git", "status", "--porcelain"], cwd=paths.PROJECT_ROOT, capture_output=True, text=True
    ).stdout
    walk, found = dvc_walkthrough.run_walkthrough(tmp_path / "repo", rows=2_000)
    january, february = found["versions"]["January"], found["versions"]["February"]
    assert january[0] != february[0] and january[1] != february[1]
    assert found["pulled_back_identical"]
    assert found["diff"]["modified"] == [{"path": dvc_walkthrough.TABLE}]
    assert found["repro_first"] == ["generate", "train"]
    assert found["repro_unchanged"] == []
    assert found["repro_after_train_param"] == ["train"]
    auc = found["metrics_diff"]["metrics.json"]["roc_auc"]
    assert auc["old"] != auc["new"]
    # the pipeline regenerates January's table: the same bytes DVC tracked, the same fingerprint
    assert found["generated_md5"] == january[0]
    assert found["data_fingerprint"] == january[1]
    assert any(step.command == "dvc pull" for step in walk.steps)
    assert "$ dvc repro" in dvc_walkthrough.show(walk)
    after = subprocess.run(
        ["git", "status", "--porcelain"], cwd=paths.PROJECT_ROOT, capture_output=True, text=True
    ).stdout
    assert after == before  # the workbook's own repository is untouched


def test_a_failing_command_names_itself_and_shows_its_output(tmp_path):
    walk = dvc_walkthrough.Walkthrough(tmp_path)
    with pytest.raises(RuntimeError, match="`dvc status` failed"):
        walk.run("dvc", "status")  # not a DVC repository
