"""The CI/CD pipeline for the model: from a new training table to a served version, or a stop.

``run_pipeline`` runs these stages in order and stops at the first that fails:

1. ``source``: which code is this (git commit, uncommitted changes or not)?
2. ``code_tests``: a fast subset of the test suite (skippable, e.g. inside a notebook).
3. ``data_validation``: ``workshop_lib.cicd.data_checks`` on the new training table.
4. ``training``: fit the candidate model.
5. ``gates``: ``workshop_lib.cicd.gates`` on the holdout, against the production model.
6. ``packaging``: register the candidate with a semantic version chosen by rule
   (``choose_bump``) and its provenance (data fingerprint, code version, data source).
7. ``deployment``: promote it to ``production`` and ask a running API to reload.

``rollback``, ``version_history`` and ``diff_versions`` are the other half of CD: undo a
release in one step, and see what changed between versions.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import pandas as pd

from workshop_lib import data, paths, schema, training
from workshop_lib.cicd import data_checks, gates, mlflow_tracking
from workshop_lib.registry import PRODUCTION, Bump, Registry, code_version

# The code tests the pipeline runs: fast unit tests of the modules a model depends on.
FAST_TESTS: tuple[str, ...] = (
    "tests/test_schema.py",
    "tests/test_data.py",
    "tests/test_data_checks.py",
    "tests/test_gates.py",
)
RELOAD_PATH = "/admin/reload"


@dataclass(frozen=True)
class StageResult:
    """The outcome of one pipeline stage: its name, pass/fail, why, and what it measured."""

    name: str
    passed: bool
    reason: str
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def skipped(self) -> bool:
        return bool(self.details.get("skipped"))

    def __str__(self) -> str:
        mark = "SKIP" if self.skipped else ("PASS" if self.passed else "FAIL")
        lines = [f"{mark}  {self.name:<16} {self.reason}"]
        lines += [f"{'':<22}{outcome}" for outcome in self.details.get("outcomes", [])]
        return "\n  ".join(lines)


STAGE_NAMES: tuple[str, ...] = (
    "source",
    "code_tests",
    "data_validation",
    "training",
    "gates",
    "packaging",
    "deployment",
)


@dataclass
class PipelineReport:
    """What a pipeline run did: every stage that ran, the version it made, and if it serves."""

    stages: list[StageResult] = field(default_factory=list)
    version: str | None = None
    promoted: bool = False
    mlflow_run_id: str | None = None

    @property
    def passed(self) -> bool:
        """True when every stage ran and passed."""
        ran = [stage.name for stage in self.stages]
        return ran == list(STAGE_NAMES) and all(stage.passed for stage in self.stages)

    @property
    def stopped_at(self) -> str | None:
        """The name of the stage that failed, or None."""
        return next((stage.name for stage in self.stages if not stage.passed), None)

    def stage(self, name: str) -> StageResult:
        """The result of one stage by name."""
        for stage in self.stages:
            if stage.name == name:
                return stage
        ran = [stage.name for stage in self.stages]
        raise KeyError(f"stage {name!r} did not run; ran: {ran}")

    def __str__(self) -> str:
        if self.passed:
            headline = f"PIPELINE PASSED: version {self.version} is in {PRODUCTION}"
        elif self.promoted:
            headline = f"PIPELINE FAILED after promoting {self.version}: see deployment"
        else:
            headline = f"PIPELINE STOPPED at {self.stopped_at}: nothing was deployed"
        lines = [headline, *(f"  {stage}" for stage in self.stages)]
        lines += [f"  ----  {name:<16} not run" for name in STAGE_NAMES[len(self.stages) :]]
        return "\n".join(lines)


# -- stages ---------------------------------------------------------------------------------


def source_stage(require_clean: bool = False) -> StageResult:
    """The git commit being built, and whether it has uncommitted changes."""
    version = code_version()
    if version == "unknown":
        return StageResult("source", not require_clean, "not a git checkout: code version unknown")
    commit, dirty = version.removesuffix("-dirty"), version.endswith("-dirty")
    state = "with uncommitted changes" if dirty else "clean"
    passed = not (dirty and require_clean)
    reason = f"commit {commit}, {state}"
    if not passed:
        reason += ": commit first, so the model can be traced to its code"
    return StageResult("source", passed, reason, {"commit": commit, "dirty": dirty})


def _pytest_summary(output: str) -> str:
    """The last pytest summary line without its timing, e.g. '42 passed, 1 deselected'."""
    lines = [line.strip("= ") for line in output.splitlines() if line.strip()]
    summary = lines[-1] if lines else "no output"
    return re.sub(r"\s+in [\d.]+s.*$", "", summary)


def code_tests_stage(
    run: bool, test_files: Sequence[str] = FAST_TESTS, timeout: float = 600
) -> StageResult:
    """Run the fast tests (not marked slow) in a fresh Python process."""
    if not run:
        return StageResult("code_tests", True, "skipped (run_code_tests=False)", {"skipped": True})
    found = [name for name in test_files if (paths.PROJECT_ROOT / name).exists()]
    if not found:
        return StageResult("code_tests", False, f"none of the test files exist: {list(test_files)}")
    command = [sys.executable, "-m", "pytest", *found, "-q", "-m", "not slow", "-o", "addopts="]
    command += ["-p", "no:cacheprovider", "--color=no"]
    completed = subprocess.run(
        command, cwd=paths.PROJECT_ROOT, capture_output=True, text=True, timeout=timeout
    )
    summary = _pytest_summary(completed.stdout)
    details = {"files": found, "returncode": completed.returncode, "output": completed.stdout}
    return StageResult("code_tests", completed.returncode == 0, summary, details)


def _summarise(name: str, outcomes: list[data_checks.CheckOutcome], what: str) -> StageResult:
    failed = [outcome for outcome in outcomes if not outcome.passed]
    details = {"outcomes": outcomes}
    if failed:
        names = ", ".join(outcome.name for outcome in failed)
        return StageResult(
            name, False, f"{len(failed)} of {len(outcomes)} failed: {names}", details
        )
    return StageResult(name, True, f"all {len(outcomes)} {what} passed", details)


def choose_bump(
    production_metadata: dict[str, Any] | None, data_fingerprint: str
) -> tuple[Bump, str]:
    """The semantic-version rule: which part to bump, and why.

    - major: the feature schema differs from the production model's (clients must change);
    - minor: same schema, new training data (a retrain);
    - patch: same schema and same data (a fix to the code or settings).
    """
    if production_metadata is None:
        return "minor", "no model in production to compare with"
    current = json.loads(json.dumps(schema.describe()))
    serving = production_metadata["version"]
    if production_metadata.get("schema") != current:
        return "major", f"the feature schema differs from production {serving}'s"
    if production_metadata.get("data_fingerprint") != data_fingerprint:
        return "minor", f"retrained on new data (fingerprint differs from {serving}'s)"
    return "patch", f"same schema and training data as {serving}: a fix"


def reload_api(api_url: str, expected_version: str, timeout: float = 30.0) -> StageResult:
    """Ask a running API to load the production model again (``POST /admin/reload``)."""
    url = api_url.rstrip("/") + RELOAD_PATH
    token = os.environ.get("ADMIN_TOKEN", "")  # the API's admin token (admin is off without it)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.post(url, headers=headers, timeout=timeout)
    except httpx.HTTPError as error:
        return StageResult("reload", False, f"could not reach {url}: {type(error).__name__}")
    if response.status_code >= 400:
        return StageResult(
            "reload", False, f"{url} answered HTTP {response.status_code}: {response.text[:200]}"
        )
    body = response.json() if "json" in response.headers.get("content-type", "") else {}
    served = None
    if isinstance(body, dict):
        served = body.get("version") or body.get("model_version")
    if served is not None and served != expected_version:
        return StageResult(
            "reload", False, f"the API reloaded but serves {served}, not {expected_version}"
        )
    return StageResult("reload", True, f"the API at {api_url} now serves {expected_version}", body)


# -- the pipeline ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    """The inputs of one pipeline run, passed from stage to stage."""

    train_frame: pd.DataFrame
    holdout_frame: pd.DataFrame
    registry: Registry
    kind: training.ModelKind
    seed: int
    data_limits: data_checks.DataLimits | None
    gate_limits: gates.GateLimits | None
    extra_checks: Sequence[data_checks.DataCheck]
    data_source: str
    notes: str


def _timed(stage: Callable[[], StageResult]) -> StageResult:
    started = time.perf_counter()
    result = stage()
    result.details["seconds"] = round(time.perf_counter() - started, 3)
    return result


def run_pipeline(
    train_frame: pd.DataFrame,
    holdout_frame: pd.DataFrame,
    *,
    registry: Registry | None = None,
    kind: training.ModelKind = training.DEFAULT_KIND,
    run_code_tests: bool = False,
    api_url: str | None = None,
    seed: int = 0,
    data_limits: data_checks.DataLimits | None = None,
    gate_limits: gates.GateLimits | None = None,
    extra_checks: Sequence[data_checks.DataCheck] = (),
    promote: bool = True,
    require_clean_source: bool = False,
    data_source: str = "",
    notes: str = "",
    tracking: mlflow_tracking.Tracking | None = None,
) -> PipelineReport:
    """Take a new training table through every stage; promote the model only if all pass.

    The holdout is the fixed exam: the candidate and the production model are both scored on
    it. ``api_url`` (e.g. ``http://127.0.0.1:8000``) is asked to reload after a promotion.
    ``data_source`` says how to get the training table again (stored in the metadata).
    With ``tracking``, the candidate is logged to MLflow and the registry mirrored there.
    """
    for name, frame in (("train_frame", train_frame), ("holdout_frame", holdout_frame)):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    run = _Run(
        train_frame,
        holdout_frame,
        registry or Registry(),
        kind,
        seed,
        data_limits,
        gate_limits,
        extra_checks,
        data_source,
        notes,
    )
    report = PipelineReport()
    steps: list[Callable[[], StageResult]] = [
        lambda: source_stage(require_clean_source),
        lambda: code_tests_stage(run_code_tests),
        lambda: _summarise(
            "data_validation",
            data_checks.validate_training_data(
                run.train_frame,
                reference=run.holdout_frame,
                holdout=run.holdout_frame,
                limits=run.data_limits,
                extra_checks=run.extra_checks,
            ),
            "data checks",
        ),
        lambda: _training_stage(run),
        lambda: _gates_stage(run, report),
        lambda: _packaging_stage(run, report),
        lambda: _deployment_stage(run, report, promote, api_url),
    ]
    for step in steps:
        result = _timed(step)
        report.stages.append(result)
        if not result.passed:
            break
    if tracking is not None:
        report.mlflow_run_id = mlflow_tracking.track_pipeline(
            tracking,
            report,
            train_frame=train_frame,
            registry=run.registry,
            seed=seed,
            data_source=data_source,
        )
    return report


def _training_stage(run: _Run) -> StageResult:
    result = training.train(run.train_frame, run.holdout_frame, run.kind, seed=run.seed)
    return StageResult(
        "training",
        True,
        f"{run.kind} on {result.train_rows:,} rows: holdout ROC AUC "
        f"{result.metrics['roc_auc']:.3f}",
        {"result": result},
    )


def _gates_stage(run: _Run, report: PipelineReport) -> StageResult:
    result: training.TrainingResult = report.stage("training").details["result"]
    production_version = run.registry.stage(PRODUCTION)
    production = run.registry.load(production_version) if production_version else None
    outcomes = gates.run_gates(
        result.model,
        run.holdout_frame,
        threshold=result.threshold,
        production=production,
        limits=run.gate_limits,
        metrics=result.metrics,
    )
    return _summarise("gates", outcomes, "gates")


def _packaging_stage(run: _Run, report: PipelineReport) -> StageResult:
    result: training.TrainingResult = report.stage("training").details["result"]
    fingerprint = data.fingerprint(run.train_frame)
    production_version = run.registry.stage(PRODUCTION)
    production = run.registry.metadata(production_version) if production_version else None
    bump, why = choose_bump(production, fingerprint)
    gate_reasons = {o.name: o.reason for o in report.stage("gates").details["outcomes"]}
    report.version = run.registry.register(
        result.model,
        metrics=result.metrics,
        data_fingerprint=fingerprint,
        kind=result.kind,
        threshold=result.threshold,
        bump=bump,
        notes=run.notes or f"CI/CD pipeline: {why}",
        extra={
            "train_rows": result.train_rows,
            "train_seconds": round(result.train_seconds, 2),
            "bump": bump,
            "bump_reason": why,
            "data_source": run.data_source,
            "holdout_fingerprint": data.fingerprint(run.holdout_frame),
            "gates": gate_reasons,
        },
    )
    return StageResult(
        "packaging",
        True,
        f"registered {report.version} ({bump}: {why})",
        {"version": report.version, "bump": bump},
    )


def _deployment_stage(
    run: _Run, report: PipelineReport, promote: bool, api_url: str | None
) -> StageResult:
    version = report.version
    if version is None:
        raise ValueError("deployment needs the version that packaging registered")
    if not promote:
        return StageResult(
            "deployment", True, f"skipped: {version} registered, not promoted", {"skipped": True}
        )
    previous = run.registry.stage(PRODUCTION)
    run.registry.promote(version, PRODUCTION, reason="CI/CD pipeline: every gate passed")
    report.promoted = True
    reason = f"promoted {version} to {PRODUCTION} (was {previous or 'empty'})"
    if api_url is None:
        return StageResult("deployment", True, reason + "; no API to reload")
    reload = reload_api(api_url, version)
    return StageResult("deployment", reload.passed, f"{reason}; {reload.reason}")


# -- rollback, history, diff ----------------------------------------------------------------


def rollback(
    registry: Registry | None = None,
    *,
    api_url: str | None = None,
    reason: str = "",
    tracking: mlflow_tracking.Tracking | None = None,
) -> StageResult:
    """Point production back at the version before the last promotion; reload the API.

    With ``tracking``, MLflow's ``production`` alias moves back too.
    """
    registry = registry or Registry()
    current = registry.stage(PRODUCTION)
    version = registry.rollback(PRODUCTION, reason=reason or "manual rollback")
    if tracking is not None:
        mlflow_tracking.mirror_registry(tracking, registry)
    message = f"production rolled back from {current} to {version}"
    if api_url is None:
        return StageResult("rollback", True, message, {"version": version, "previous": current})
    reload = reload_api(api_url, version)
    return StageResult(
        "rollback", reload.passed, f"{message}; {reload.reason}", {"version": version}
    )


def version_history(registry: Registry | None = None) -> pd.DataFrame:
    """One row per registered version: metrics, provenance, and its production events."""
    registry = registry or Registry()
    events: dict[str, list[str]] = {}
    for event in registry.history(PRODUCTION):
        events.setdefault(event["version"], []).append(
            "promoted" if event["action"] == "promote" else "rolled back to"
        )
    serving = registry.stage(PRODUCTION)
    rows = []
    for version in registry.versions():
        meta = registry.metadata(version)
        rows.append(
            {
                "version": version,
                "serving": "*" if version == serving else "",
                "kind": meta["kind"],
                "roc_auc": round(meta["metrics"]["roc_auc"], 3),
                "calibration_error": round(meta["metrics"]["calibration_error"], 3),
                "train_rows": meta.get("train_rows"),
                "bump": meta.get("bump", ""),
                "data_fingerprint": meta["data_fingerprint"],
                "code_version": meta["code_version"],
                "production_events": ", ".join(events.get(version, [])),
            }
        )
    return pd.DataFrame(rows)


def stage_events(registry: Registry | None = None) -> pd.DataFrame:
    """Every promotion and rollback of production, oldest first."""
    registry = registry or Registry()
    columns = ["at", "action", "version", "previous", "reason"]
    return pd.DataFrame(registry.history(PRODUCTION), columns=columns)


DIFF_METRICS: tuple[str, ...] = (
    "roc_auc",
    "calibration_error",
    "brier",
    "log_loss",
    "precision",
    "recall",
    "accuracy",
    "predicted_rate",
)
DIFF_FACTS: tuple[str, ...] = ("kind", "train_rows", "data_fingerprint", "code_version", "bump")


def diff_versions(registry: Registry, first: str, second: str) -> pd.DataFrame:
    """Two versions side by side: metrics with their change, then provenance facts."""
    a, b = registry.metadata(first), registry.metadata(second)
    rows = {}
    for name in DIFF_METRICS:
        x, y = a["metrics"].get(name), b["metrics"].get(name)
        change = round(y - x, 4) if x is not None and y is not None else None
        rows[name] = [_rounded(x), _rounded(y), change]
    facts = {name: (a.get(name), b.get(name)) for name in DIFF_FACTS}
    facts["schema"] = (a["schema"]["version"], b["schema"]["version"])
    for name, (x, y) in facts.items():
        rows[name] = [x, y, "same" if x == y else "differs"]
    return pd.DataFrame.from_dict(rows, orient="index", columns=[first, second, "change"])


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
