"""The stages of the CI/CD pipeline, each a function that returns its ``Outcome``.

A stage that makes something the later stages need hands it over as a typed value beside its
outcome: ``training_stage`` the trained candidate (a ``TrainingResult``) that ``gates_stage``
and ``packaging_stage`` take, ``packaging_stage`` the registered version that
``deployment_stage`` takes. ``workshop_lib.cicd.pipeline`` runs them in order.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

import httpx
import pandas as pd

from workshop_lib import data, paths, schema, training
from workshop_lib.cicd import data_checks, gates
from workshop_lib.cicd.outcomes import Outcome, summarise
from workshop_lib.registry import PRODUCTION, Bump, Registry, code_version

# The code tests the pipeline runs: fast unit tests of the modules a model depends on.
FAST_TESTS: tuple[str, ...] = (
    "tests/test_schema.py",
    "tests/test_data.py",
    "tests/test_data_checks.py",
    "tests/test_gates.py",
)
RELOAD_PATH = "/admin/reload"


def source_stage(require_clean: bool = False) -> Outcome:
    """The git commit being built, and whether it has uncommitted changes."""
    version = code_version()
    if version == "unknown":
        return Outcome("source", not require_clean, "not a git checkout: code version unknown")
    commit, dirty = version.removesuffix("-dirty"), version.endswith("-dirty")
    state = "with uncommitted changes" if dirty else "clean"
    passed = not (dirty and require_clean)
    reason = f"commit {commit}, {state}"
    if not passed:
        reason += ": commit first, so the model can be traced to its code"
    return Outcome("source", passed, reason, {"commit": commit, "dirty": dirty})


def _pytest_summary(output: str) -> str:
    """The last pytest summary line without its timing, e.g. '42 passed, 1 deselected'."""
    lines = [line.strip("= ") for line in output.splitlines() if line.strip()]
    summary = lines[-1] if lines else "no output"
    return re.sub(r"\s+in [\d.]+s.*$", "", summary)


def code_tests_stage(
    run: bool, test_files: Sequence[str] = FAST_TESTS, timeout: float = 600
) -> Outcome:
    """Run the fast tests (not marked slow) in a fresh Python process."""
    if not run:
        return Outcome("code_tests", True, "skipped (run_code_tests=False)", skipped=True)
    found = [name for name in test_files if (paths.PROJECT_ROOT / name).exists()]
    if not found:
        return Outcome("code_tests", False, f"none of the test files exist: {list(test_files)}")
    command = [sys.executable, "-m", "pytest", *found, "-q", "-m", "not slow", "-o", "addopts="]
    command += ["-p", "no:cacheprovider", "--color=no"]
    completed = subprocess.run(
        command, cwd=paths.PROJECT_ROOT, capture_output=True, text=True, timeout=timeout
    )
    summary = _pytest_summary(completed.stdout)
    details = {"files": found, "returncode": completed.returncode, "output": completed.stdout}
    return Outcome("code_tests", completed.returncode == 0, summary, details)


def data_validation_stage(
    train_frame: pd.DataFrame,
    holdout_frame: pd.DataFrame,
    *,
    limits: data_checks.DataLimits | None = None,
    extra_checks: Sequence[data_checks.DataCheck] = (),
) -> Outcome:
    """Every data check on the new training table, compared with the holdout."""
    checked = data_checks.validate_training_data(
        train_frame,
        reference=holdout_frame,
        holdout=holdout_frame,
        limits=limits,
        extra_checks=extra_checks,
    )
    return summarise("data_validation", checked, "data checks")


def training_stage(
    train_frame: pd.DataFrame, holdout_frame: pd.DataFrame, kind: training.ModelKind, seed: int
) -> tuple[Outcome, training.TrainingResult]:
    """Fit the candidate; hand it on to the gates and packaging."""
    candidate = training.train(train_frame, holdout_frame, kind, seed=seed)
    reason = (
        f"{kind} on {candidate.train_rows:,} rows: holdout ROC AUC "
        f"{candidate.metrics['roc_auc']:.3f}"
    )
    return Outcome("training", True, reason), candidate


def gates_stage(
    candidate: training.TrainingResult,
    holdout_frame: pd.DataFrame,
    registry: Registry,
    limits: gates.GateLimits | None = None,
) -> Outcome:
    """Every gate on the candidate, against the production model on the same holdout."""
    production_version = registry.stage(PRODUCTION)
    production = registry.load(production_version) if production_version else None
    outcomes = gates.run_gates(
        candidate.model,
        holdout_frame,
        threshold=candidate.threshold,
        production=production,
        limits=limits,
        metrics=candidate.metrics,
    )
    return summarise("gates", outcomes, "gates")


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


def packaging_stage(
    candidate: training.TrainingResult,
    gates_passed: Outcome,
    registry: Registry,
    *,
    train_frame: pd.DataFrame,
    holdout_frame: pd.DataFrame,
    data_source: str = "",
    notes: str = "",
) -> tuple[Outcome, str]:
    """Register the candidate with its version and provenance; hand on the version."""
    fingerprint = data.fingerprint(train_frame)
    production_version = registry.stage(PRODUCTION)
    production = registry.metadata(production_version) if production_version else None
    bump, why = choose_bump(production, fingerprint)
    version = registry.register(
        candidate.model,
        metrics=candidate.metrics,
        data_fingerprint=fingerprint,
        kind=candidate.kind,
        threshold=candidate.threshold,
        bump=bump,
        notes=notes or f"CI/CD pipeline: {why}",
        extra={
            "train_rows": candidate.train_rows,
            "train_seconds": round(candidate.train_seconds, 2),
            "bump": bump,
            "bump_reason": why,
            "data_source": data_source,
            "holdout_fingerprint": data.fingerprint(holdout_frame),
            "gates": {outcome.name: outcome.reason for outcome in gates_passed.outcomes},
        },
    )
    packaged = Outcome("packaging", True, f"registered {version} ({bump}: {why})", {"bump": bump})
    return packaged, version


def deployment_stage(
    version: str, registry: Registry, *, promote: bool = True, api_url: str | None = None
) -> Outcome:
    """Promote ``version`` to production and ask a running API to reload it."""
    if not promote:
        return Outcome(
            "deployment", True, f"skipped: {version} registered, not promoted", skipped=True
        )
    previous = registry.stage(PRODUCTION)
    registry.promote(version, PRODUCTION, reason="CI/CD pipeline: every gate passed")
    reason = f"promoted {version} to {PRODUCTION} (was {previous or 'empty'})"
    if api_url is None:
        return Outcome("deployment", True, reason + "; no API to reload")
    reload = reload_api(api_url, version)
    return Outcome("deployment", reload.passed, f"{reason}; {reload.reason}")


def reload_api(api_url: str, expected_version: str, timeout: float = 30.0) -> Outcome:
    """Ask a running API to load the production model again (``POST /admin/reload``)."""
    url = api_url.rstrip("/") + RELOAD_PATH
    token = os.environ.get("ADMIN_TOKEN", "")  # the API's admin token (admin is off without it)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.post(url, headers=headers, timeout=timeout)
    except httpx.HTTPError as error:
        return Outcome("reload", False, f"could not reach {url}: {type(error).__name__}")
    if response.status_code >= 400:
        return Outcome(
            "reload", False, f"{url} answered HTTP {response.status_code}: {response.text[:200]}"
        )
    body = response.json() if "json" in response.headers.get("content-type", "") else {}
    served = None
    if isinstance(body, dict):
        served = body.get("version") or body.get("model_version")
    if served is not None and served != expected_version:
        return Outcome(
            "reload", False, f"the API reloaded but serves {served}, not {expected_version}"
        )
    return Outcome("reload", True, f"the API at {api_url} now serves {expected_version}", body)
