"""Right (style: the workbook's own cicd data_checks and gates with a chosen subset, a single exit point)."""

import pandas as pd

from workshop_lib import data, training
from workshop_lib.cicd import data_checks, gates
from workshop_lib.registry import Registry

CHECKS = (data_checks.check_schema, data_checks.check_nulls, data_checks.check_ranges)


def _no_repeated_ids(frame, context):
    from workshop_lib.cicd.outcomes import Outcome
    repeated = int(frame["application_id"].duplicated().sum())
    return Outcome("ids", repeated == 0, f"{repeated} repeated ids")


def release(table: pd.DataFrame, holdout: pd.DataFrame, registry: Registry) -> str | None:
    outcomes = data_checks.validate_training_data(table, checks=CHECKS, extra_checks=(_no_repeated_ids,))
    if all(o.passed for o in outcomes):
        production = registry.load()
        candidate = training.build_pipeline("logistic").fit(*training.split_features(table))
        metrics = training.evaluate(candidate, holdout, production.threshold)
        verdicts = gates.run_gates(
            candidate, holdout, threshold=production.threshold, production=production,
            gates=(gates.gate_min_roc_auc, gates.gate_no_worse_than_production), metrics=metrics,
        )
        if all(o.passed for o in verdicts):
            version = registry.register(candidate, metrics=metrics,
                                        data_fingerprint=data.fingerprint(table),
                                        kind="logistic", threshold=production.threshold)
            registry.promote(version)
    return registry.stage()
