"""The CI/CD pipeline end to end on a throw-away registry: promote, stop, version, roll back."""

from __future__ import annotations

import httpx
import pytest

from apps import pipeline as cli
from workshop_lib import data, schema
from workshop_lib.cicd.data_checks import corrupt
from workshop_lib.cicd.pipeline import STAGE_NAMES, run_pipeline
from workshop_lib.cicd.releases import diff_versions, rollback, stage_events, version_history
from workshop_lib.cicd.stages import choose_bump, code_tests_stage, source_stage
from workshop_lib.registry import PRODUCTION, RegistryError
from workshop_lib.support.servers import free_port, start_uvicorn


@pytest.fixture(scope="module")
def new_data():
    """New training data (not the data the fixture's 1.0.0 was trained on)."""
    return data.make_applications(8_000, seed=51)


def run(registry, train, holdout, **options):
    return run_pipeline(train, holdout, registry=registry, kind="logistic", **options)


def test_good_data_is_trained_gated_registered_and_promoted(registry, new_data, small_frames):
    report = run(
        registry, new_data, small_frames[1], data_source="make_applications(8000, seed=51)"
    )
    assert report.passed, str(report)
    assert [stage.name for stage in report.stages] == list(STAGE_NAMES)
    assert report.stage("code_tests").skipped
    assert report.version == "1.1.0" and report.promoted
    assert registry.stage(PRODUCTION) == "1.1.0"
    meta = registry.metadata("1.1.0")
    assert meta["bump"] == "minor" and meta["data_fingerprint"] == data.fingerprint(new_data)
    assert meta["data_source"] == "make_applications(8000, seed=51)"
    assert set(meta["gates"]) >= {"min_roc_auc", "invariance", "minimum_functionality"}
    # the candidate training handed on is the one the gates judged and packaging registered
    gated = report.stage("gates")
    assert meta["gates"] == {outcome.name: outcome.reason for outcome in gated.outcomes}
    assert report.candidate is not None
    assert meta["metrics"] == pytest.approx(report.candidate.metrics)
    assert gated.outcome("min_roc_auc").details["roc_auc"] == report.candidate.metrics["roc_auc"]
    assert set(report.seconds) == set(STAGE_NAMES)
    assert str(report).startswith("PIPELINE PASSED: promoted 1.1.0 to production")


def test_same_data_again_is_a_patch(registry, small_frames):
    report = run(registry, small_frames[0], small_frames[1])
    assert report.passed and report.version == "1.0.1"
    assert "same schema and training data" in report.stage("packaging").reason


def test_shuffled_labels_are_stopped_at_the_gates(registry, new_data, small_frames):
    report = run(registry, corrupt(new_data, "shuffle_labels"), small_frames[1])
    assert not report.passed and report.stopped_at == "gates"
    assert report.version is None and not report.promoted
    assert registry.versions() == ["1.0.0"] and registry.stage(PRODUCTION) == "1.0.0"
    assert "min_roc_auc" in report.stage("gates").reason
    assert "----  packaging: not run" in str(report)


def test_leaked_label_is_stopped_before_training(registry, new_data, small_frames):
    report = run(registry, corrupt(new_data, "leak_label"), small_frames[1])
    assert report.stopped_at == "data_validation" and len(report.stages) == 3
    assert "leakage" in report.stage("data_validation").reason
    with pytest.raises(KeyError, match="did not run"):
        report.stage("training")


def test_version_rule():
    current = {"version": "1.2.0", "schema": schema.describe(), "data_fingerprint": "abc"}
    assert choose_bump(current, "abc")[0] == "patch"
    assert choose_bump(current, "def")[0] == "minor"
    renamed = {**current, "schema": {**schema.describe(), "version": "0"}}
    part, reason = choose_bump(renamed, "abc")
    assert part == "major" and "schema differs from production 1.2.0" in reason
    assert choose_bump(None, "abc")[0] == "minor"


def test_a_schema_change_is_a_major_version(registry, trained, new_data, small_frames):
    old = registry.register(
        trained.model,
        metrics=trained.metrics,
        data_fingerprint="old",
        kind=trained.kind,
        threshold=trained.threshold,
        extra={"schema": {**schema.describe(), "version": "0"}},
    )
    registry.promote(old)
    report = run(registry, new_data, small_frames[1])
    assert report.passed and report.version == "2.0.0"


def test_rollback_history_and_diff(registry, new_data, small_frames):
    run(registry, new_data, small_frames[1])
    result = rollback(registry, reason="bad reviews")
    assert result.passed and registry.stage(PRODUCTION) == "1.0.0"
    assert "from 1.1.0 to 1.0.0" in result.reason
    history = version_history(registry)
    assert list(history["version"]) == ["1.0.0", "1.1.0"]
    assert list(history["serving"]) == ["*", ""]
    assert history.loc[0, "production_events"] == "promoted, rolled back to"
    assert list(stage_events(registry)["action"]) == ["promote", "promote", "rollback"]
    diff = diff_versions(registry, "1.0.0", "1.1.0")
    assert list(diff.columns) == ["1.0.0", "1.1.0", "change"]
    assert diff.loc["data_fingerprint", "change"] == "differs"
    assert diff.loc["roc_auc", "change"] == pytest.approx(
        diff.loc["roc_auc", "1.1.0"] - diff.loc["roc_auc", "1.0.0"], abs=1e-3
    )
    with pytest.raises(RegistryError, match="no earlier version"):
        rollback(registry)


def test_an_unreachable_api_fails_deployment_after_promotion(registry, new_data, small_frames):
    report = run(registry, new_data, small_frames[1], api_url=f"http://127.0.0.1:{free_port()}")
    assert report.promoted and not report.passed
    assert "could not reach" in report.stage("deployment").reason
    assert str(report).startswith(
        "PIPELINE FAILED: promoted 1.1.0 to production, then deployment failed"
    )


@pytest.mark.slow
def test_code_tests_stage_runs_pytest(tmp_path):
    good = tmp_path / "test_ok.py"
    good.write_text("def test_ok():\n    assert 1 + 1 == 2\n")
    bad = tmp_path / "test_bad.py"
    bad.write_text("def test_bad():\n    assert 1 + 1 == 3\n")
    passed = code_tests_stage(True, [str(good)])
    assert passed.passed and passed.reason == "1 passed"
    failed = code_tests_stage(True, [str(good), str(bad)])
    assert not failed.passed and failed.reason.startswith("1 failed, 1 passed")
    missing = code_tests_stage(True, [str(tmp_path / "nope.py")])
    assert not missing.passed and "none of the test files exist" in missing.reason


def test_source_stage_reports_the_commit():
    result = source_stage()
    assert result.passed
    strict = source_stage(require_clean=True)
    assert strict.passed == (not result.details.get("dirty", True))


def test_bad_input_is_named(registry):
    with pytest.raises(TypeError, match="train_frame must be a pandas DataFrame"):
        run_pipeline([1, 2], None, registry=registry)


def test_command_line(registry, capsys):
    root = str(registry.root)
    assert cli.main(["--registry", root, "history"]) == 0
    assert "1.0.0       *" in capsys.readouterr().out
    assert cli.main(["--registry", root, "rollback"]) == 2
    assert "no earlier version to roll back to" in capsys.readouterr().err
    code = cli.main(
        [
            "--registry",
            root,
            "demo-bad-data",
            "--rows",
            "5000",
            "--kind",
            "logistic",
            "--problem",
            "leak_label",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "Stopped at data_validation: production still serves 1.0.0" in out


@pytest.mark.slow
def test_the_running_api_follows_promotion_and_rollback(
    registry, new_data, small_frames, tmp_path, monkeypatch
):
    monkeypatch.setenv("ADMIN_TOKEN", "test-admin-token")  # the pipeline's reload sends it
    env = {
        "MODEL_REGISTRY": str(registry.root),
        "PREDICTION_LOG": str(tmp_path / "log.jsonl"),
        "ADMIN_TOKEN": "test-admin-token",
    }
    with start_uvicorn(env=env, name="test-cicd-api") as server:
        report = run(registry, new_data, small_frames[1], api_url=server.url)
        assert report.passed, str(report)
        assert httpx.get(f"{server.url}/model").json()["version"] == "1.1.0"
        assert rollback(registry, api_url=server.url).passed
        assert httpx.get(f"{server.url}/model").json()["version"] == "1.0.0"
