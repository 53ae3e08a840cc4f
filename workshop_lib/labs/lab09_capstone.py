"""Lab 09: the capstone release, on a fresh registry: check, train, gate, register, promote."""

from __future__ import annotations

from types import ModuleType

import numpy as np

from workshop_lib import data, schema
from workshop_lib.labs import shared
from workshop_lib.labs.core import Lab, fresh_seed, register


def _check(module: ModuleType, seed: int) -> tuple[bool, str]:
    registry, production = shared.trained_model(fresh_seed(seed, 1))
    holdout = data.make_applications(3_000, seed=fresh_seed(seed, 2), first_id=900_001)
    good = data.make_applications(6_000, seed=fresh_seed(seed, 3), first_id=910_001)
    shipped = module.release(good.copy(), holdout.copy(), registry)
    serving = registry.stage()
    if serving == production.version or shipped != serving:
        return False, (
            f"good new data should make a new production version; {serving} serves, "
            f"your release answered {shipped!r}"
        )
    rng = np.random.default_rng(fresh_seed(seed, 4))
    shuffled = good.assign(**{schema.TARGET_COLUMN: rng.permutation(good[schema.TARGET_COLUMN])})
    holey = good.astype({"credit_score": "float64"})
    holey.loc[rng.choice(len(good), 30, replace=False), "credit_score"] = np.nan
    for what, table in {"shuffled labels": shuffled, "missing credit scores": holey}.items():
        versions = len(registry.versions())
        answer = module.release(table, holdout.copy(), registry)
        if registry.stage() != serving or answer != serving:
            return False, f"a table with {what} replaced production ({registry.stage()})"
        if what == "missing credit scores" and len(registry.versions()) != versions:
            return False, "a table with missing values was trained and registered: check first"
    return True, (
        f"good data shipped as {serving}; shuffled labels stopped at the gate, missing values "
        "at the data check, production untouched"
    )


def _reference() -> ModuleType:
    from workshop_lib.labs.reference import lab09_capstone

    return lab09_capstone


register(
    Lab(
        id="09",
        file="lab09_capstone.py",
        prompt="Write release(table, holdout, registry) -> the version serving afterwards: check "
        "the table, train a candidate, gate it against production, register and promote it only "
        "if it passes.",
        hint="reuse your lab 07 check_table and quality_gate (import or copy them); train with "
        "training.build_pipeline('logistic').fit(...); registry.load() is production; "
        "registry.register(...) then registry.promote(version); return registry.stage()",
        checker=_check,
        reference=_reference,
    )
)
