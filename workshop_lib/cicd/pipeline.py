"""The CI/CD pipeline for the model: from a new training table to a served version, or a stop.

``run_pipeline`` runs these stages (``workshop_lib.cicd.stages``) in order and stops at the
first that fails:

1. ``source``: which code is this (git commit, uncommitted changes or not)?
2. ``code_tests``: a fast subset of the test suite (skippable, e.g. inside a notebook).
3. ``data_validation``: ``workshop_lib.cicd.data_checks`` on the new training table.
4. ``training``: fit the candidate model.
5. ``gates``: ``workshop_lib.cicd.gates`` on the holdout, against the production model.
6. ``packaging``: register the candidate with a semantic version chosen by rule
   (``stages.choose_bump``) and its provenance (data fingerprint, code version, data source).
7. ``deployment``: promote it to ``production`` and ask a running API to reload.

Rollback and the version history are in ``workshop_lib.cicd.releases``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from workshop_lib import data, training
from workshop_lib.cicd import data_checks, gates, mlflow_tracking, stages
from workshop_lib.cicd.outcomes import Outcome
from workshop_lib.registry import PRODUCTION, Registry
from workshop_lib.support.timing import timed

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
    """What a pipeline run did: every stage that ran, what it trained and registered."""

    stages: list[Outcome] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # each stage's wall time
    candidate: training.TrainingResult | None = None  # the model the training stage fitted
    version: str | None = None  # the version the packaging stage registered
    mlflow_run_id: str | None = None

    def record(self, outcome: Outcome, seconds: float) -> bool:
        """Keep one stage's outcome and time; True when the pipeline may go on."""
        self.stages.append(outcome)
        self.seconds[outcome.name] = round(seconds, 3)
        return outcome.passed

    @property
    def passed(self) -> bool:
        """True when every stage ran and passed."""
        ran = [stage.name for stage in self.stages]
        return ran == list(STAGE_NAMES) and all(stage.passed for stage in self.stages)

    @property
    def promoted(self) -> bool:
        """True when the deployment stage moved production to the new version."""
        deployment = self.find("deployment")
        return deployment is not None and not deployment.skipped

    @property
    def stopped_at(self) -> str | None:
        """The name of the stage that failed, or None."""
        return next((stage.name for stage in self.stages if not stage.passed), None)

    @property
    def ending(self) -> str:
        """How the run ended, in a few words (the headline, and MLflow's outcome tag)."""
        if self.promoted:
            ending = f"promoted {self.version} to {PRODUCTION}"
            return ending if self.passed else f"{ending}, then {self.stopped_at} failed"
        if self.version:
            return f"registered {self.version}, not promoted"
        return f"stopped at {self.stopped_at}"

    def find(self, name: str) -> Outcome | None:
        """The outcome of one stage by name, or None when it did not run."""
        return next((stage for stage in self.stages if stage.name == name), None)

    def stage(self, name: str) -> Outcome:
        """The outcome of one stage by name (``KeyError`` when it did not run)."""
        found = self.find(name)
        if found is None:
            ran = [stage.name for stage in self.stages]
            raise KeyError(f"stage {name!r} did not run; ran: {ran}")
        return found

    def __str__(self) -> str:
        headline = f"PIPELINE {'PASSED' if self.passed else 'FAILED'}: {self.ending}"
        lines = [headline + ("" if self.version else "; nothing was deployed")]
        lines += [textwrap.indent(str(stage), "  ") for stage in self.stages]
        lines += [f"  ----  {name}: not run" for name in STAGE_NAMES[len(self.stages) :]]
        return "\n".join(lines)


@dataclass(frozen=True)
class _Run:
    """The inputs of one pipeline run."""

    train_frame: pd.DataFrame
    holdout_frame: pd.DataFrame
    registry: Registry
    kind: training.ModelKind
    seed: int
    run_code_tests: bool
    require_clean_source: bool
    data_limits: data_checks.DataLimits | None
    gate_limits: gates.GateLimits | None
    extra_checks: Sequence[data_checks.DataCheck]
    promote: bool
    api_url: str | None
    data_source: str
    notes: str


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
        train_frame=train_frame,
        holdout_frame=holdout_frame,
        registry=registry or Registry(),
        kind=kind,
        seed=seed,
        run_code_tests=run_code_tests,
        require_clean_source=require_clean_source,
        data_limits=data_limits,
        gate_limits=gate_limits,
        extra_checks=extra_checks,
        promote=promote,
        api_url=api_url,
        data_source=data_source,
        notes=notes,
    )
    report = PipelineReport()
    _run_stages(run, report)
    if tracking is not None:
        report.mlflow_run_id = _track(tracking, report, run)
    return report


def _track(tracking: mlflow_tracking.Tracking, report: PipelineReport, run: _Run) -> str | None:
    """Log a run's candidate (if one was trained) to MLflow and mirror the registry there.

    Returns the MLflow run id, or None when the pipeline stopped before training.
    """
    if report.candidate is None:
        return None
    gated = report.find("gates")
    run_id = mlflow_tracking.log_training_run(
        tracking,
        report.candidate,
        example=run.train_frame,
        data_fingerprint=data.fingerprint(run.train_frame),
        seed=run.seed,
        data_source=run.data_source,
        data_checks=report.stage("data_validation").outcomes,
        gate_outcomes=gated.outcomes if gated else (),
        outcome=report.ending,
    )
    versions = {report.version: run_id} if report.version else {}
    mlflow_tracking.mirror_registry(tracking, run.registry, versions)
    return run_id


def _run_stages(run: _Run, report: PipelineReport) -> None:
    """Each stage in order, timed into ``report``; stop at the first that fails.

    The stages that make something hand it to the next ones as a typed value: the training
    stage the candidate, the packaging stage the registered version.
    """
    checks: tuple[Callable[[], Outcome], ...] = (
        lambda: stages.source_stage(run.require_clean_source),
        lambda: stages.code_tests_stage(run.run_code_tests),
        lambda: stages.data_validation_stage(
            run.train_frame,
            run.holdout_frame,
            limits=run.data_limits,
            extra_checks=run.extra_checks,
        ),
    )
    if not all(report.record(*timed(check)) for check in checks):
        return
    (trained, candidate), seconds = timed(
        lambda: stages.training_stage(run.train_frame, run.holdout_frame, run.kind, run.seed)
    )
    report.candidate = candidate
    if not report.record(trained, seconds):
        return
    gated, seconds = timed(
        lambda: stages.gates_stage(candidate, run.holdout_frame, run.registry, run.gate_limits)
    )
    if not report.record(gated, seconds):
        return
    (packaged, version), seconds = timed(
        lambda: stages.packaging_stage(
            candidate,
            gated,
            run.registry,
            train_frame=run.train_frame,
            holdout_frame=run.holdout_frame,
            data_source=run.data_source,
            notes=run.notes,
        )
    )
    report.version = version
    if not report.record(packaged, seconds):
        return
    report.record(
        *timed(
            lambda: stages.deployment_stage(
                version, run.registry, promote=run.promote, api_url=run.api_url
            )
        )
    )
