"""the library's validate_training_data and run_gates subset instead of hand-written checks."""
import pandas as pd
from sklearn.metrics import roc_auc_score

from workshop_lib import data, schema, training
from workshop_lib.cicd.outcomes import Outcome
from workshop_lib.registry import Registry

from workshop_lib.cicd import data_checks, gates

def release(table, holdout, registry):
    checks = data_checks.validate_training_data(table, checks=(data_checks.check_schema, data_checks.check_nulls, data_checks.check_duplicates))
    if not all(o.passed for o in checks):
        return registry.stage()
    production = registry.load()
    model = training.build_pipeline("logistic").fit(*training.split_features(table))
    verdicts = gates.run_gates(model, holdout, threshold=production.threshold, production=production,
                               gates=(gates.gate_min_roc_auc, gates.gate_no_worse_than_production))
    if not all(o.passed for o in verdicts):
        return registry.stage()
    c = roc_auc_score(holdout["defaulted"], model.predict_proba(holdout[schema.FEATURES])[:, 1])
    v = registry.register(model, metrics={"roc_auc": float(c)}, data_fingerprint=data.fingerprint(table),
                          kind="logistic", threshold=production.threshold, notes="lab 09 release")
    registry.promote(v, reason="passed checks and gates")
    return registry.stage()
