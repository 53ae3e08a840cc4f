"""Exercises of chapter 08: write an alert rule (08_monitoring_and_logging); find the drifted
feature and correct the significance level (08b_drift_detection)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from workshop_lib import data
from workshop_lib.exercises.core import (
    Exercise,
    OptionMiss,
    as_number,
    call_answer,
    needs_function,
    register,
)
from workshop_lib.monitoring.alerts import AlertRule, evaluate_rules
from workshop_lib.monitoring.model_health import detect_drift

# -- 08.1 · which feature drifted, and which way? -------------------------------------------
# One of these columns is moved up or down in the "current" sample; the seed decides which.
_SHIFTS = {
    "loan_amount": lambda v, s: np.round(v * (1 + 0.15 * s), -2),
    "debt_to_income": lambda v, s: np.round(np.clip(v * (1 + 0.15 * s), 0, 0.95), 3),
    "credit_score": lambda v, s: np.clip(v + 20 * s, 300, 850),
    "employment_years": lambda v, s: np.round(v * (1 + 0.25 * s) * 2) / 2,
    "num_credit_lines": lambda v, s: np.maximum(v + s, 0),
}
MYSTERY_ROWS = 3_000


def drifted_pair(column: str, sign: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A reference sample and a later one in which ``column`` moved up (+1) or down (-1)."""
    reference = data.make_applications(MYSTERY_ROWS, seed=10_000 + seed)
    current = data.make_applications(
        MYSTERY_ROWS, seed=20_000 + seed, start="2025-06-01", first_id=MYSTERY_ROWS + 1
    )
    shifted = _SHIFTS[column](current[column].to_numpy(), sign)
    current[column] = shifted.astype(current[column].dtype)
    return reference, current


def mystery_samples(seed: int = 8) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A reference sample and a later one in which one feature has drifted (seeded)."""
    rng = np.random.default_rng([seed, 808])
    column = list(_SHIFTS)[rng.integers(len(_SHIFTS))]
    return drifted_pair(column, int(rng.choice([-1, 1])), seed)


_SLIPPED, SLIP_SHARE, SLIP_FACTOR = "annual_income", 0.01, 100


def _with_income_slips(current: pd.DataFrame, seed: int) -> pd.DataFrame:
    """``current`` with 1 % of its incomes typed 100x too large (cents for dollars): the mean
    income doubles, the distribution of incomes barely moves (a KS statistic near 0.01)."""
    slipped = current.copy()
    rows = np.random.default_rng([seed, 82]).choice(len(current), int(SLIP_SHARE * len(current)))
    slipped.loc[slipped.index[rows], _SLIPPED] *= SLIP_FACTOR
    return slipped


def _mystery_cases(seed: int) -> list[tuple[str, int, int]]:
    """Four hidden pairs: four different columns, moved both ways."""
    rng = np.random.default_rng([seed, 81])
    columns = rng.choice(list(_SHIFTS), 4, replace=False)
    signs = [1, -1, *rng.choice([-1, 1], 2)]
    return [
        (str(c), int(s), int(rng.integers(100, 1_000_000)))
        for c, s in zip(columns, signs, strict=True)
    ]


_HIGHER = ("high", "up", "increas", "rise", "rose", "more", "larger", "bigger")
_LOWER = ("low", "down", "decreas", "fall", "fell", "less", "smaller", "drop")


def _direction_word(text: object) -> str | None:
    text = str(text).strip().lower()
    if text.startswith(_HIGHER):
        return "higher"
    if text.startswith(_LOWER):
        return "lower"
    return None


def _check_mystery(answer, seed: int) -> tuple[bool, str]:
    if (problem := needs_function(answer, "find_drift(reference, current)")) is not None:
        return False, problem
    for column, sign, pair_seed in _mystery_cases(seed):
        reference, current = drifted_pair(column, sign, pair_seed)
        current = _with_income_slips(current, pair_seed)
        found = call_answer(answer, "on a hidden pair of samples", reference.copy(), current.copy())
        if not isinstance(found, dict) or not {"column", "direction"} <= set(found):
            return False, (
                f"your function returned {found!r}: return a dict like "
                '{"column": "...", "direction": "higher" or "lower"}'
            )
        where = f"on a hidden pair of samples your function says {found['column']!r}"
        if found["column"] != column:
            drift = detect_drift(reference, current).set_index("column")
            if found["column"] not in drift.index:
                return False, f"{where}, which is not one of the model's features"
            if found["column"] == _SLIPPED:
                return False, (
                    f"{where}: its mean moved mostly because {SLIP_SHARE:.0%} of the incomes "
                    f"were typed {SLIP_FACTOR}x too large (a few outliers), while another "
                    "feature's distribution drifted far more strongly: compare distributions, "
                    "not means"
                )
            if not bool(drift.at[found["column"], "drifted"]):
                return False, f"{where}, a feature that did not drift there"
            return False, f"{where}, but another feature drifted far more strongly"
        said, moved = _direction_word(found["direction"]), "higher" if sign > 0 else "lower"
        if said is None:
            return False, f"direction {found['direction']!r}: say 'higher' or 'lower'"
        if said != moved:
            return False, f"{where} (right) and {said}, but its values went {moved}"
    return True, "the drifted feature and its direction, right on four hidden pairs of samples"


def _solution_mystery():
    def find_drift(reference, current):
        drift = detect_drift(reference, current)
        column = drift.sort_values("p_adjusted").iloc[0]["column"]  # the strongest evidence
        higher = current[column].mean() > reference[column].mean()
        return {"column": column, "direction": "higher" if higher else "lower"}

    return find_drift


register(
    Exercise(
        id="08.1",
        prompt=(
            "Write find_drift(reference, current): one feature of `current` has drifted; "
            "return {'column': its name, 'direction': 'higher' or 'lower'}. The checker runs it "
            "on pairs it draws afresh (mystery_samples(seed=8) is one such pair to explore)."
        ),
        hint=(
            "run detect_drift(reference, current), take the row with the smallest corrected "
            "p-value, then compare that column's mean in the two samples"
        ),
        checker=_check_mystery,
        solution=_solution_mystery,
        wrong_answer=lambda: (
            lambda reference, current: {
                "column": "credit_score",
                "direction": "lower",
            }
        ),
    )
)


# -- 08.2 · the per-column significance level -----------------------------------------------
# The notebook shows 0.05 and 12 columns; the checker asks the learner's function about these.
def _level_cases(seed: int) -> list[tuple[float, int]]:
    rng = np.random.default_rng(seed)
    return [
        (round(float(rng.uniform(0.001, 0.2)), 4), int(rng.integers(low, high)))
        for low, high in ((2, 6), (6, 20), (20, 80))
    ]


def _check_level(answer, seed: int) -> tuple[bool, str]:
    if not callable(answer):
        return False, (
            f"expected a function level(alpha, columns), got {type(answer).__name__}: a number "
            "only answers the case printed above"
        )
    for a, n in _level_cases(seed):
        level = as_number(answer(a, n), f"alpha={a}, {n} columns")
        bonferroni, sidak = a / n, 1 - (1 - a) ** (1 / n)  # Sidak: exact for independent tests
        family = 1 - (1 - level) ** n
        if not 0 < level < 1:
            return False, f"for alpha={a}, {n} columns: a level is between 0 and 1, got {level:g}"
        if level > sidak * (1 + 1e-9):
            return False, (
                f"for alpha={a} and {n} columns, {level:.4g} per column raises at least one false "
                f"alarm {family:.2%} of the time (independent tests), more than {a:.2%}"
            )
        if not any(math.isclose(level, exact, rel_tol=1e-6) for exact in (bonferroni, sidak)):
            return False, (
                f"for alpha={a} and {n} columns, {level:.4g} keeps false alarms rare but is "
                "stricter than needed (or a rounded constant): real drift would be missed"
            )
    return True, "right on three hidden cases (other alphas and numbers of tests)"


def _solution_level():
    def level(alpha, columns):
        return alpha / columns  # Bonferroni

    return level


register(
    Exercise(
        id="08.2",
        prompt=(
            "Write level(alpha, columns): the significance level per column that keeps the "
            "chance of *any* false alarm among `columns` tests on a healthy day at or below "
            "`alpha` (the checker calls it with alphas and column counts not shown here)."
        ),
        hint="Bonferroni: multiplying each p-value by the number of tests is the same as "
        "dividing the level by it",
        checker=_check_level,
        solution=_solution_level,
        wrong_answer=lambda: lambda alpha, columns: 0.05 / 12,
    )
)


# -- 08.3 · an alert rule on the decline rate -----------------------------------------------
def _hidden_quarters(seed: int) -> list[pd.DataFrame]:
    """Quarters at decline rates from 5 % to 30 %: healthy weeks within 1.2 points of their
    level, then three weeks of applicant drift 6.1 to 10 points above the healthy weeks' mean
    (the first just past the 6 points the rule must catch), then labels-only (concept) drift."""
    rng = np.random.default_rng(seed)
    quarters = []
    # far apart: the first quarter's drift stays below the last one's healthy weeks, so no
    # fixed limit fits all three
    for level in (rng.uniform(0.05, 0.08), rng.uniform(0.14, 0.18), rng.uniform(0.25, 0.3)):
        healthy = level + rng.uniform(-0.012, 0.012, int(rng.integers(4, 9)))
        drifted = healthy.mean() + np.array([0.061, *rng.uniform(0.061, 0.10, 2)])
        rates = [*healthy, *drifted, *(level + rng.uniform(-0.012, 0.012, 3))]
        quarters.append(
            pd.DataFrame(
                {
                    "window": pd.date_range("2025-03-03", periods=len(rates), freq="7D"),
                    "phase": ["reference"] * len(healthy)
                    + ["data_drift"] * 3
                    + ["concept_drift"] * 3,
                    "decline_rate": np.round(rates, 4),
                }
            )
        )
    return quarters


def _check_decline_rule(answer, seed: int) -> tuple[bool, str]:
    if (problem := needs_function(answer, "decline_rule(reference_rates)")) is not None:
        return False, problem
    for weeks in _hidden_quarters(seed):
        reference_rates = weeks.loc[weeks["phase"] == "reference", "decline_rate"].tolist()
        rule = answer(list(reference_rates))
        where = f"for reference weeks at {min(reference_rates):.1%}-{max(reference_rates):.1%}"
        if not isinstance(rule, AlertRule):
            return False, f"{where} your function returned {type(rule).__name__}, not an AlertRule"
        if rule.metric != "decline_rate":
            return False, f"{where} the rule watches {rule.metric!r}, not 'decline_rate'"
        phase = dict(zip(weeks["window"], weeks["phase"], strict=True))
        fired = evaluate_rules(weeks, [rule])
        if healthy := [a for a in fired if phase[a.window] == "reference"]:
            return False, (
                f"{where} your rule fires on a reference week ({healthy[0].message}): a false alarm"
            )
        # an alert fires when its rule starts to hold: the drift's first week, the smallest
        # rise (6.1 points), must start it
        first = weeks[weeks["phase"] == "data_drift"].iloc[0]
        if not any(a.window == first["window"] for a in fired):
            rise = first["decline_rate"] - float(np.mean(reference_rates))
            return False, (
                f"{where} your rule (limit {rule.limit:g}, {rule.direction}) stays quiet on "
                f"the drift's first week, at {first['decline_rate']:.1%}: {100 * rise:.1f} "
                "points above the reference weeks' mean, so it misses the start of the incident"
            )
        if rule.action != "page":
            return False, OptionMiss(
                f"the action {rule.action!r} does not fit: the inputs changed while the ROC AUC "
                "held, so a model retrained on them learns nothing new"
            )
    return True, (
        "from the reference weeks alone, a limit that stays quiet on them and pages when the "
        "applicants change, at decline rates from 5% to 30%"
    )


def _solution_decline_rule():
    def decline_rule(reference_rates):
        return AlertRule(
            "declines_up",
            "decline_rate",
            max(reference_rates) + 0.03,  # clearly above every healthy week
            "above",
            "page",  # a person should look: the inputs changed, the model may still be right
            "share of applications declined",
        )

    return decline_rule


register(
    Exercise(
        id="08.3",
        prompt=(
            "Write decline_rule(reference_rates) -> AlertRule: from the weekly decline rates "
            "of healthy weeks (no labels needed), a rule on 'decline_rate' that stays quiet on "
            "those weeks and fires when the applicants drift (a decline rate more than 6 points "
            "above the healthy weeks' mean), with the action that fits a change of "
            "inputs while the ROC AUC holds ('retrain' or 'page')."
        ),
        hint=(
            "AlertRule(name, metric, limit, direction, action, description): put the limit a "
            "little above the highest reference rate; would retraining help when the model "
            "still ranks applicants well?"
        ),
        checker=_check_decline_rule,
        solution=_solution_decline_rule,
        wrong_answer=lambda: (
            lambda reference_rates: AlertRule(
                "declines", "decline_rate", 0.20, "above", "page", "share declined"
            )
        ),
        max_wrong_tries=2,
        section="'Metric thresholds' in 08 and 'Managing drift' in 08b",
    )
)
