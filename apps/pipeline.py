"""The model's CI/CD pipeline on the command line.

    python -m apps.pipeline run                 # tests, data checks, training, gates, deploy
    python -m apps.pipeline run --api-url http://127.0.0.1:8000   # ... then reload the API
    python -m apps.pipeline demo-bad-data --problem shuffle_labels   # a bad model is stopped
    python -m apps.pipeline rollback            # production back to the previous version
    python -m apps.pipeline history             # every version, its metrics and production events
    python -m apps.pipeline diff 1.0.0 1.1.0    # two versions' metrics side by side

``run``, ``demo-bad-data`` and ``rollback`` also log to MLflow (``runtime/mlflow/``, see
``workshop_lib.cicd.mlflow_tracking``) and keep its ``production`` alias on the served version.

Each stage prints PASS, FAIL or SKIP with its reason. ``run`` exits 1 when the pipeline stops.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import get_args

import pandas as pd

from workshop_lib import data, training
from workshop_lib.cicd import data_checks, mlflow_tracking, pipeline, releases
from workshop_lib.default_model import training_frames
from workshop_lib.registry import Registry, RegistryError


def _training_table(args: argparse.Namespace) -> tuple[pd.DataFrame, str]:
    frame = data.make_applications(args.rows, args.scenario, seed=args.seed)
    call = f"make_applications({args.rows}, {args.scenario!r}, seed={args.seed})"
    return frame, f"workshop_lib.data.{call}"


def _tracking(args: argparse.Namespace) -> mlflow_tracking.Tracking | None:
    if args.no_mlflow:
        return None
    return mlflow_tracking.Tracking(args.mlflow_dir or mlflow_tracking.DEFAULT_ROOT)


def _print_tracking(args: argparse.Namespace, registry: Registry, run_id: str | None) -> None:
    tracking = _tracking(args)
    if tracking is None:
        return
    if run_id:
        print(f"\nMLflow: run {run_id} in {tracking.tracking_uri}")
    alias = mlflow_tracking.production_semver(tracking)
    print(f"MLflow: alias {mlflow_tracking.ALIAS!r} of {tracking.model_name!r} is on {alias}")
    for problem in mlflow_tracking.compare_with_registry(tracking, registry):
        print(f"MLflow disagrees with the registry: {problem}")


def _run(args: argparse.Namespace, registry: Registry) -> int:
    train_frame, source = _training_table(args)
    report = pipeline.run_pipeline(
        train_frame,
        training_frames()[1],
        registry=registry,
        kind=args.kind,
        run_code_tests=not args.skip_code_tests,
        api_url=args.api_url,
        require_clean_source=args.require_clean,
        data_source=source,
        tracking=_tracking(args),
    )
    print(report)
    _print_tracking(args, registry, report.mlflow_run_id)
    return 0 if report.passed else 1


def _demo_bad_data(args: argparse.Namespace, registry: Registry) -> int:
    train_frame, source = _training_table(args)
    broken = data_checks.corrupt(train_frame, args.problem, seed=args.seed)
    print(f"training data broken on purpose: {args.problem}\n")
    report = pipeline.run_pipeline(
        broken,
        training_frames()[1],
        registry=registry,
        kind=args.kind,
        data_source=f"{source} corrupted with {args.problem!r}",
        tracking=_tracking(args),
    )
    print(report)
    if report.promoted:
        print(f"\nThe bad model {report.version} was promoted: the checks need tightening.")
        return 1
    print(f"\nStopped at {report.stopped_at}: production still serves {registry.stage()}.")
    return 0


def _rollback(args: argparse.Namespace, registry: Registry) -> int:
    result = releases.rollback(
        registry, api_url=args.api_url, reason=args.reason, tracking=_tracking(args)
    )
    print(result)
    _print_tracking(args, registry, None)
    return 0 if result.passed else 1


def _history(args: argparse.Namespace, registry: Registry) -> int:
    versions = releases.version_history(registry)
    if versions.empty:
        print(f"no versions registered in {registry.root}")
        return 0
    print(f"versions in {registry.root} (* = serving):")
    print(versions.to_string(index=False))
    print("\nproduction events:")
    print(releases.stage_events(registry).to_string(index=False))
    return 0


def _diff(args: argparse.Namespace, registry: Registry) -> int:
    print(releases.diff_versions(registry, args.first, args.second).to_string())
    return 0


def _add_data_options(parser: argparse.ArgumentParser, rows: int) -> None:
    parser.add_argument("--rows", type=int, default=rows, help="rows of new training data")
    parser.add_argument("--scenario", default="reference", choices=list(data.SCENARIOS))
    parser.add_argument("--seed", type=int, default=3, help="seed of the new training data")
    parser.add_argument(
        "--kind", default=training.DEFAULT_KIND, choices=get_args(training.ModelKind)
    )


def build_parser() -> argparse.ArgumentParser:
    """The command line: one sub-command per action."""
    parser = argparse.ArgumentParser(
        prog="python -m apps.pipeline", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--registry", type=Path, default=None, help="registry folder (models/)")
    parser.add_argument(
        "--mlflow-dir", type=Path, default=None, help="MLflow tracking store (runtime/mlflow/)"
    )
    parser.add_argument("--no-mlflow", action="store_true", help="do not log to MLflow")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run every stage on new training data")
    _add_data_options(run, training.TRAIN_ROWS)
    run.add_argument("--api-url", help="reload this running API after a promotion")
    run.add_argument("--skip-code-tests", action="store_true", help="skip the pytest stage")
    run.add_argument("--require-clean", action="store_true", help="fail on uncommitted changes")
    run.set_defaults(action=_run)

    demo = commands.add_parser("demo-bad-data", help="run on corrupted data (no code tests)")
    _add_data_options(demo, 50_000)
    demo.add_argument("--problem", default="shuffle_labels", choices=data_checks.CORRUPTIONS)
    demo.set_defaults(action=_demo_bad_data)

    back = commands.add_parser("rollback", help="production back to the previous version")
    back.add_argument("--api-url", help="reload this running API after the rollback")
    back.add_argument("--reason", default="", help="why (kept in the stage history)")
    back.set_defaults(action=_rollback)

    commands.add_parser("history", help="versions, metrics and events").set_defaults(
        action=_history
    )
    diff = commands.add_parser("diff", help="two versions' metrics side by side")
    diff.add_argument("first")
    diff.add_argument("second")
    diff.set_defaults(action=_diff)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    registry = Registry(args.registry)
    try:
        return args.action(args, registry)
    except RegistryError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
