"""Records the candidate's metrics at the training default threshold, not the one it registers."""
import sys
import importlib.util
import pandas as pd
from sklearn.metrics import roc_auc_score
from workshop_lib import data, training, schema
from workshop_lib.registry import Registry

_s = importlib.util.spec_from_file_location("l7", "/work/learner5/lab07/right_hint.py")
_l7 = importlib.util.module_from_spec(_s); _s.loader.exec_module(_l7)
check_table, quality_gate = _l7.check_table, _l7.quality_gate



def release(table, holdout, registry):
    if not check_table(table).passed:
        return registry.stage()
    production = registry.load()
    model = training.build_pipeline("logistic").fit(*training.split_features(table))
    if not quality_gate(model, production.model, holdout).passed:
        return registry.stage()
    v = registry.register(model, metrics=training.evaluate(model, holdout), data_fingerprint=data.fingerprint(table), kind="logistic", threshold=production.threshold)
    registry.promote(v)
    return registry.stage()

EXPECTED = r"the new version records (precision|recall|accuracy) [\d.]+, but its model gives [\d.]+ on the whole holdout your release was given, at its threshold 0\.\d+"  # the checker's message, on every seed
