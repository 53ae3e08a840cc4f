"""The shortcuts that used to pass an exercise without the work now fail, each with a message
that says what the answer did (issue 28). One block per exercise; SEEDS hidden draws each."""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from workshop_lib import data, schema, training
from workshop_lib.cicd.gates import GateLimits
from workshop_lib.edge import compression
from workshop_lib.exercises import check
from workshop_lib.exercises.core import _WRONG_TRIES, grade
from workshop_lib.monitoring.alerts import AlertRule
from workshop_lib.monitoring.model_health import detect_drift

SEEDS = range(10)


def refused(exercise_id: str, answer, *words: str, seeds=SEEDS) -> None:
    """``answer`` fails on every seed, and each message contains ``words``."""
    for seed in seeds:
        result = grade(exercise_id, answer, seed)
        assert result.passed is False, (seed, result)
        for word in words:
            assert word in result.message, (seed, word, result.message)


def accepted(exercise_id: str, answer, seeds=SEEDS) -> None:
    for seed in seeds:
        result = grade(exercise_id, answer, seed)
        assert result.passed is True, (seed, result)


def test_00_1_a_number_or_a_made_up_sample_no_longer_passes():
    with pytest.raises(TypeError, match="not sample="):
        check("00.1", 0.5, sample=pd.DataFrame({"defaulted": [0, 1]}))
    refused("00.1", 0.16, "pass your function default_rate(frame)")
    refused("00.1", lambda frame: 0.16, "your function says 0.16, not their share")
    accepted("00.1", lambda frame: np.float32(frame["defaulted"].mean()))  # float32 is right
    refused("00.1", lambda frame: frame["defaulted"].sum(), "a share is between 0 and 1")
    accepted("00.1", lambda frame: float((frame["defaulted"] == 1).sum() / len(frame)))


def test_01_1_the_precision_a_strict_cut_and_a_fixed_threshold_fail():
    refused("01.1", 0.45, "pass your function recall_at")
    refused(
        "01.1",
        lambda y, p, t: (y[p >= t] == 1).mean(),
        "gives the precision",
    )
    refused("01.1", lambda y, p, t: ((p > t) & (y == 1)).sum() / y.sum(), "equals the threshold")
    refused("01.1", lambda y, p, t: ((p >= 0.5) & (y == 1)).sum() / y.sum(), "recall at 0.5")
    accepted("01.1", lambda y, p, t: float(np.mean(p[y == 1] >= t)))


def _register(registry, model, train_frame, metrics):
    return registry.register(
        model,
        metrics=metrics,
        data_fingerprint=data.fingerprint(train_frame),
        kind="logistic",
        threshold=training.DECISION_THRESHOLD,
    )


def test_01_2_an_unfitted_model_other_data_or_made_up_metrics_fail():
    def unfitted(registry, train_frame, holdout):
        return _register(registry, training.build_pipeline("logistic"), train_frame, {})

    def other_data(registry, train_frame, holdout):
        other = data.make_applications(3_000, seed=5)
        result = training.train(other, holdout, kind="logistic")
        return _register(registry, result.model, train_frame, result.metrics)

    def made_up_metrics(registry, train_frame, holdout):
        result = training.train(train_frame, holdout, kind="logistic")
        return _register(registry, result.model, train_frame, {"roc_auc": 0.99})

    seeds = range(1)
    refused("01.2", unfitted, "never fitted", seeds=seeds)
    refused("01.2", other_data, "it is not a logistic model trained on train_frame", seeds=seeds)

    def other_kind(registry, train_frame, holdout):  # boosting, registered as logistic
        result = training.train(train_frame, holdout, kind="gradient_boosting")
        return _register(registry, result.model, train_frame, result.metrics)

    refused("01.2", other_kind, "it is not a logistic model trained on train_frame", seeds=seeds)
    refused("01.2", made_up_metrics, "records ROC AUC 0.99", seeds=seeds)
    refused("01.2", lambda registry, train_frame, holdout: "1.0.0", "no new version", seeds=seeds)

    def hard_coded(registry, train_frame, holdout):  # registers, then returns a constant
        result = training.train(train_frame, holdout, kind="logistic")
        _register(registry, result.model, train_frame, result.metrics)
        return "1.0.0"

    refused("01.2", hard_coded, "whose latest is", "but the version it registered is", seeds=seeds)

    def half_threshold(registry, train_frame, holdout):  # the trained result decides at 0.35
        result = training.train(train_frame, holdout, kind="logistic")
        return registry.register(
            result.model,
            metrics=result.metrics,
            data_fingerprint=data.fingerprint(train_frame),
            kind="logistic",
            threshold=0.5,
        )

    refused("01.2", half_threshold, "decides at threshold 0.5", seeds=seeds)


def test_01_3_a_name_or_the_plain_minimum_fails():
    refused("01.3", "concept_drift", "pass your function most_harmful")
    lowest = lambda aucs: min(aucs, key=lambda k: (aucs[k], k != "reference"))  # noqa: E731
    refused("01.3", lowest, "names the reference")
    refused("01.3", lambda aucs: "concept_drift", "your function says 'concept_drift'")

    def at_most(aucs):  # a scenario equal to the reference counted as lowering it
        low = {k: v for k, v in aucs.items() if k != "reference" and v <= aucs["reference"]}
        return min(low, key=low.get) if low else None

    def sorted_drops(aucs):  # another style: the drops, largest first
        drops = sorted((aucs["reference"] - v, k) for k, v in aucs.items() if k != "reference")
        return drops[-1][1] if drops and drops[-1][0] > 0 else None

    refused("01.3", at_most, "equals the reference's")

    def first_below(aucs):  # the first scenario below the reference, not the lowest
        below = [k for k, v in aucs.items() if k != "reference" and v < aucs["reference"]]
        return below[0] if below else None

    refused("01.3", first_below, "another scenario hurts more")

    def lowest_unless_reference(aucs):  # the minimum over every key, None if the reference
        name = min(aucs, key=aucs.get)
        return None if name == "reference" else name

    refused("01.3", lowest_unless_reference, "equals the reference's")
    accepted("01.3", sorted_drops)


def test_02_1_the_notebooks_value_and_a_constant_function_fail():
    refused("02.1", round(100e6 / 76), "pass your function")
    refused("02.1", lambda sample, target_mb: round(100e6 / 76), "MB partitions, not")


def test_02_2_a_daily_or_sunday_to_thursday_schedule_fails():
    refused("02.2", "0 6 * * *", "fires", "Sat")
    refused("02.2", "0 6 * * 0-4", "fires", "Sun")
    refused("02.2", 6, "a cron expression (a str)")
    accepted("02.2", "0 6 * * MON-FRI")


def test_02_3_the_printed_arithmetic_and_timedelta_seconds_fail():
    refused("02.3", 30.56, "pass your function age_hours")

    def seconds_only(scored_at, now):  # .seconds drops whole days
        return (now - datetime.fromisoformat(scored_at)).seconds / 3600

    refused("02.3", seconds_only, "too low")

    def naive(scored_at, now):  # drops the time zone: off by the offset in some cases
        stored = datetime.fromisoformat(scored_at).replace(tzinfo=None)
        return (now.replace(tzinfo=None) - stored).total_seconds() / 3600

    refused("02.3", naive, "your age in hours")

    def unsigned(scored_at, now):  # hides a clock that runs ahead
        return abs((now - datetime.fromisoformat(scored_at)).total_seconds()) / 3600

    refused("02.3", unsigned, "stamped after now", "too high")


def test_02b_1_the_fastest_per_row_engine_fails():
    refused("02b.1", lambda rows, engines: max(engines, key=lambda n: engines[n][1]), "sooner")
    refused("02b.1", lambda rows, engines: min(engines, key=lambda n: engines[n][0]), "sooner")


def test_03_1_the_mean_and_the_maximum_fail():
    refused("03.1", lambda s: float(np.mean(s)) * 1_000, "too low")
    refused("03.1", lambda s: float(np.max(s)) * 1_000, "too high")
    refused("03.1", lambda s: float(np.percentile(s, 99)), "too low")


def test_03_2_two_identical_or_invalid_applications_fail():
    from workshop_lib.schema import EXAMPLE_APPLICATION

    refused("03.2", {"applications": [EXAMPLE_APPLICATION] * 2}, "identical")
    refused("03.2", {"applications": [EXAMPLE_APPLICATION]}, "holds 1 applications, not 2")
    refused("03.2", [EXAMPLE_APPLICATION], "a dict (JSON object), not list")


def test_03_3_the_printed_arithmetic_and_a_function_ignoring_concurrency_fail():
    refused("03.3", 400.0, "pass your function throughput")
    refused("03.3", lambda in_flight, latency_ms: 1_000 / latency_ms, "too low")
    refused("03.3", lambda in_flight, latency_ms: in_flight / latency_ms, "too low")
    refused("03.3", lambda in_flight, latency_ms: in_flight * 1_000 // latency_ms, "too low")
    refused("03.3", lambda in_flight, latency_ms: round(in_flight * 1_000 / latency_ms), "too")
    accepted("03.3", lambda in_flight, latency_ms: 1_000 * in_flight / latency_ms)


def test_04_1_a_count_floor_and_plus_one_fail():
    refused("04.1", 3, "pass your function calls_needed")
    refused("04.1", lambda rows, m: rows // m, "cannot carry every row")
    refused("04.1", lambda rows, m: rows // m + 1, "one call fewer carries them all")
    refused("04.1", lambda rows, m: rows / m, "whole number")
    accepted("04.1", lambda rows, m: -(-rows // m))


def test_02_1_memory_without_the_index_fails_on_every_draw():
    refused(
        "02.1",
        lambda sample, mb: (
            mb * 1e6 / (sample.memory_usage(index=False, deep=True).sum() / len(sample))
        ),
        "MB partitions",
    )


def test_02_1_memory_without_deep_fails_on_every_draw():
    # every draw holds a text column, whose strings only deep=True counts
    refused(
        "02.1",
        lambda sample, mb: mb * 1e6 / (sample.memory_usage().sum() / len(sample)),
        "MB partitions",
        seeds=range(200),
    )


def test_04_1_round_and_at_least_one_call_fail_on_every_draw():
    refused("04.1", lambda rows, m: round(rows / m), "cannot carry every row")
    refused("04.1", lambda rows, m: max(1, math.ceil(rows / m)), "one call fewer")


def test_04_2_the_printed_path_and_plain_concatenation_fail():
    refused("04.2", "/user/ada-123/proxy/8501/", "pass your function proxied_path")
    refused("04.2", lambda prefix, port: f"{prefix}proxy/{port}/", "one slash between parts")
    refused("04.2", lambda prefix, port: f"http://127.0.0.1:{port}/", "proxy")
    refused("04.2", lambda prefix, port: prefix.rstrip("/") + f"/proxy/{port}", "end it with a")
    accepted("04.2", lambda prefix, port: prefix.rstrip("/") + f"/proxy/{port}/")
    accepted(
        "04.2", lambda prefix, port: f"{prefix}{'' if prefix.endswith('/') else '/'}proxy/{port}/"
    )


def test_05_1_no_floor_and_no_cap_fail():
    refused("05.1", lambda rate, w, cap: rate * w, "too few")
    refused("05.1", lambda rate, w, cap: max(1, rate * w), "too many")


def test_05_2_a_window_from_the_list_or_a_rule_without_the_cap_fail():
    refused("05.2", 5.0, "pass your function smallest_window")
    refused("05.2", lambda windows, *rest: min(windows), "too slow")

    def no_cap(windows, rate, fixed_ms, per_event_ms, max_batch):
        for window in sorted(windows):
            size = max(1, rate * window / 1_000)
            if size / (fixed_ms + per_event_ms * size) * 1_000 >= rate:
                return window
        return None

    refused("05.2", no_cap, "your function says")

    def unsorted(windows, rate, fixed_ms, per_event_ms, max_batch):
        for window in windows:  # the list is not in order
            size = min(max_batch, max(1, rate * window / 1_000))
            if size / (fixed_ms + per_event_ms * size) * 1_000 >= rate:
                return window
        return None

    refused("05.2", unsorted, "a smaller window of the list also does")

    def no_floor(windows, rate, fixed_ms, per_event_ms, max_batch):  # a batch of 0.3 events
        for window in sorted(windows):
            size = min(max_batch, rate * window / 1_000)
            if size / (fixed_ms + per_event_ms * size) * 1_000 >= rate:
                return window
        return None

    refused("05.2", no_floor, "a smaller window of the list also does")

    def strict(windows, rate, fixed_ms, per_event_ms, max_batch):  # "faster than", not "keeps up"
        for window in sorted(windows):
            size = min(max_batch, max(1, rate * window / 1_000))
            if size / ((fixed_ms + per_event_ms * size) / 1_000) > rate:
                return window
        return None

    refused("05.2", strict, "exactly", "keeping up includes equal")

    def in_seconds(windows, rate, fixed_ms, per_event_ms, max_batch):  # another order of sums
        for window in sorted(windows):
            size = min(max_batch, max(1.0, rate * (window / 1_000)))
            if size >= rate * (fixed_ms / 1_000 + per_event_ms / 1_000 * size):
                return window
        return None

    accepted("05.2", in_seconds)


def test_06_1_the_printed_name_and_the_library_function_fail():
    refused("06.1", "student int8", "pass your function variant_to_ship")
    refused(
        "06.1",
        lambda table, auc_drop, max_ms: compression.smallest_within(table, auc_drop),
        "whose p50 is",
    )
    refused(
        "06.1",
        lambda table, auc_drop, max_ms: table[table["p50_ms"] <= max_ms]["size_kb"].idxmin(),
        "below the teacher's",
    )

    def best_auc(table, auc_drop, max_ms):  # measures the drop from the best, not the teacher
        good = table[
            (table["roc_auc"] >= table["roc_auc"].max() - auc_drop) & (table["p50_ms"] <= max_ms)
        ]
        return good["size_kb"].idxmin() if len(good) else None

    refused("06.1", best_auc, "it qualifies, but another is smaller")

    def strict(table, auc_drop, max_ms):  # "at most" read as "below"
        teacher_auc = table["roc_auc"].iloc[0]
        good = table[(table["roc_auc"] > teacher_auc - auc_drop) & (table["p50_ms"] < max_ms)]
        return good["size_kb"].idxmin() if len(good) else None

    def skips_teacher(table, auc_drop, max_ms):  # never considers the first row
        rest = table.iloc[1:]
        teacher_auc = table["roc_auc"].iloc[0]
        good = rest[(rest["roc_auc"] >= teacher_auc - auc_drop) & (rest["p50_ms"] <= max_ms)]
        return good["size_kb"].idxmin() if len(good) else None

    def sorted_first(table, auc_drop, max_ms):  # another style: sort, then the first that fits
        teacher_auc = float(table["roc_auc"].iloc[0])
        for name, row in table.sort_values("size_kb").iterrows():
            if teacher_auc - row["roc_auc"] <= auc_drop + 1e-12 and row["p50_ms"] <= max_ms:
                return name
        return None

    refused("06.1", strict, "includes the limit")

    def strict_auc(table, auc_drop, max_ms):  # "at most auc_drop below" read as "less than"
        teacher_auc = table["roc_auc"].iloc[0]
        good = table[(table["roc_auc"] > teacher_auc - auc_drop) & (table["p50_ms"] <= max_ms)]
        return good["size_kb"].idxmin() if len(good) else None

    refused("06.1", strict_auc, "ROC AUC is exactly", "includes the limit")
    refused("06.1", skips_teacher, "says None, but a variant meets both limits")
    accepted("06.1", sorted_first)


def test_06_2_a_two_valued_guess_fitted_to_the_three_models_fails():
    with pytest.raises(TypeError, match="not measured_ratio=, sizes="):
        check("06.2", lambda s: 1.0, sizes={}, measured_ratio={})
    refused("06.2", lambda s: 3.5 if s["matmul_weights"] else 1.0, "a network of")
    refused("06.2", lambda s: 4.0, "too much shrinking")
    ignores_rest = lambda s: 4.0 if s["matmul_weights"] else 1.0  # noqa: E731
    refused("06.2", ignores_rest, "too much shrinking")


def test_07_1_a_wrong_share_a_wrong_ratio_and_the_median_fail():
    def share_check(limit_share, times=5):
        def check_loan_to_income(frame, context):
            from workshop_lib.cicd.outcomes import Outcome

            share = float((frame["loan_amount"] > times * frame["annual_income"]).mean())
            return Outcome("loan_to_income", share <= limit_share, f"{share:.1%}")

        return check_loan_to_income

    refused("07.1", share_check(0.02), "passes a hidden table with 1.5% of loans at 5.5x")
    refused("07.1", share_check(0.005), "fails a hidden table with 0.7% of loans at 5.5x")
    refused("07.1", share_check(0.01, times=4), "fails a hidden table with 8% of the highest")
    refused("07.1", share_check(0.01, times=6), "passes a hidden table with 1.5% of loans")
    accepted("07.1", share_check(0.01))

    def median_check(frame, context):  # a typical income, not each applicant's own
        from workshop_lib.cicd.outcomes import Outcome

        share = float((frame["loan_amount"] > 5 * frame["annual_income"].median()).mean())
        return Outcome("loan_to_income", share <= 0.01, f"{share:.1%}")

    refused("07.1", median_check, "hidden table with")
    # an inverted ratio fails the clean table first: the message reads as English
    refused("07.1", share_check(0.01, times=0.2), "fails a hidden table with nothing wrong")

    def strict_share(frame, context):  # fails at exactly 1 %
        from workshop_lib.cicd.outcomes import Outcome

        share = float((frame["loan_amount"] > 5 * frame["annual_income"]).mean())
        return Outcome("loan_to_income", share < 0.01, f"{share:.1%}")

    def at_least_5x(frame, context):  # counts a loan of exactly 5x
        from workshop_lib.cicd.outcomes import Outcome

        share = float((frame["loan_amount"] >= 5 * frame["annual_income"]).mean())
        return Outcome("loan_to_income", share <= 0.01, f"{share:.1%}")

    def no_income_dropped(frame, context):  # a zero income becomes NaN, never counted
        from workshop_lib.cicd.outcomes import Outcome

        ratio = frame["loan_amount"] / frame["annual_income"].replace(0, np.nan)
        share = float((ratio > 5).mean())
        return Outcome("loan_to_income", share <= 0.01, f"{share:.1%}")

    def by_division(frame, context):  # another style: a ratio column, counted
        from workshop_lib.cicd.outcomes import Outcome

        above = int((frame["loan_amount"] / frame["annual_income"] > 5).sum())
        return Outcome("loan_to_income", above <= 0.01 * len(frame), f"{above} above 5x")

    refused("07.1", strict_share, "fails a hidden table with exactly 1% of loans")
    refused("07.1", at_least_5x, "fails a hidden table with 1.5% of loans at exactly 5x")
    refused("07.1", no_income_dropped, "passes a hidden table with 1.5% of applicants with no")
    accepted("07.1", by_division)


def test_07_2_a_floor_between_the_printed_numbers_fails():
    refused("07.2", GateLimits(min_roc_auc=0.798), "min_roc_auc")
    refused("07.2", GateLimits(max_auc_drop=0.005), "still passes both ROC AUC gates")
    refused("07.2", GateLimits(max_auc_drop=-0.001), "too strict: a production model")
    accepted("07.2", GateLimits(max_auc_drop=0.0))
    accepted("07.2", GateLimits(max_auc_drop=0.001))
    accepted("07.2", GateLimits(min_roc_auc=0.7, max_auc_drop=0.0015))


def test_08_1_a_dict_a_fixed_column_or_a_fixed_direction_fails():
    fast = range(3)  # each draw makes and tests up to four pairs of 3,000-row samples
    refused("08.1", {"column": "credit_score", "direction": "higher"}, "pass your function")
    constant = lambda ref, cur: {"column": "credit_score", "direction": "up"}  # noqa: E731
    refused("08.1", constant, "hidden pair", seeds=fast)

    def always_higher(ref, cur):
        column = detect_drift(ref, cur).sort_values("p_adjusted").iloc[0]["column"]
        return {"column": column, "direction": "higher"}

    refused("08.1", always_higher, "(right) and higher, but its values went lower", seeds=fast)

    def largest_relative_mean_change(ref, cur):  # effect size without a test
        column = max(schema.NUMERIC_FEATURES, key=lambda c: abs(cur[c].mean() / ref[c].mean() - 1))
        higher = cur[column].mean() > ref[column].mean()
        return {"column": column, "direction": "higher" if higher else "lower"}

    refused("08.1", largest_relative_mean_change, "compare distributions, not means", seeds=fast)
    not_a_feature = lambda ref, cur: {"column": "application_id", "direction": "up"}  # noqa: E731
    refused("08.1", not_a_feature, "not one of the model's features", seeds=fast)


def test_08_2_the_printed_level_and_the_old_hidden_cases_fail():
    refused("08.2", 0.05 / 12, "a number only answers the case printed above")
    old_cases = {(0.05, 12): 0.05 / 12, (0.01, 7): 0.01 / 7, (0.10, 30): 0.1 / 30}
    refused("08.2", lambda a, n: old_cases.get((a, n), 0.05 / 12), "stricter than needed")
    refused("08.2", lambda a, n: a, "false alarm")
    accepted("08.2", lambda a, n: 1 - (1 - a) ** (1 / n))


def test_08_3_a_fixed_rule_and_the_wrong_action_fail_and_guessing_is_cut_short():
    with pytest.raises(TypeError, match="not windows="):
        check("08.3", None, windows=pd.DataFrame())
    fixed = AlertRule("d", "decline_rate", 0.20, "above", "page", "declined")
    refused("08.3", fixed, "pass your function decline_rule")
    _WRONG_TRIES.clear()
    result = grade("08.3", lambda rates: fixed, 0)
    assert result.passed is False and "your rule" in result.message  # not a guess: always said
    retrain = lambda rates: AlertRule(  # noqa: E731
        "d", "decline_rate", max(rates) + 0.03, "above", "retrain", "declined"
    )
    for seed in (1, 2):  # two wrong choices are named...
        assert "'retrain' does not fit" in grade("08.3", retrain, seed).message
    third = grade("08.3", retrain, 5)  # ...the third is not: reread the section
    assert third.passed is False and "no longer says which part is wrong" in third.message
    right = lambda rates: AlertRule(  # noqa: E731
        "d", "decline_rate", max(rates) + 0.03, "above", "page", "declined"
    )
    assert grade("08.3", right, 3).passed is True
    assert "'retrain' does not fit" in grade("08.3", retrain, 4).message  # a pass resets
    _WRONG_TRIES.clear()


def test_08_3_a_limit_that_misses_a_six_point_rise_fails_and_other_right_rules_pass():
    def rule(limit_of):
        return lambda rates: AlertRule(
            "d", "decline_rate", float(limit_of(np.asarray(rates))), "above", "page", "declined"
        )

    refused(
        "08.3", rule(lambda r: r.max() + 0.07), "stays quiet on the drift's first", "6.1 points"
    )
    refused("08.3", rule(lambda r: r.mean() + 0.065), "stays quiet on the drift's first week")
    accepted("08.3", rule(lambda r: r.mean() + 0.06))  # the task's words, to the letter
    accepted("08.3", rule(lambda r: r.mean() + max(3 * r.std(), 0.02)))
    accepted("08.3", rule(lambda r: r.max() + 0.005))
    _WRONG_TRIES.clear()


def test_09_1_the_printed_answer_truncating_and_plus_one_fail():
    refused("09.1", 5, "pass your function workers_needed")
    refused("09.1", lambda p, w, h: int(p * (1 + h) / w), "less than the peak plus headroom")
    refused("09.1", lambda p, w, h: int(p * (1 + h) / w) + 1, "would also do")
    refused("09.1", lambda p, w, h: math.ceil(p / w), "less than the peak plus headroom")
    refused("09.1", lambda p, w, h: p * (1 + h) / w, "not a whole number of workers")


def test_09_3_the_rule_shown_above_a_loose_tolerance_and_rolling_back_on_drift_fail():
    def shown_above(release, tolerance, min_labelled):  # the chapter's line, no label count
        return release["new_auc"] < release["previous_auc"] - tolerance or not release["slo_met"]

    refused("09.3", shown_above, "too few labelled outcomes", "your function says roll back")

    def rule(loose=None, on_drift=False):
        def should_roll_back(release, tolerance, min_labelled):
            if not release["slo_met"] or (on_drift and release["drifted_share"] > 0.25):
                return True
            margin = tolerance if loose is None else loose
            enough = release["labelled_rows"] >= min_labelled
            return enough and release["new_auc"] < release["previous_auc"] - margin

        return should_roll_back

    accepted("09.3", rule())
    refused("09.3", rule(loose=0.02), "tolerance", "your function says")
    refused("09.3", rule(loose=0.0), "ranks a bit worse")
    refused("09.3", rule(on_drift=True), "inputs drifted")

    def any_gap(release, tolerance, min_labelled):  # also rolls back a better version
        if not release["slo_met"]:
            return True
        enough = release["labelled_rows"] >= min_labelled
        return enough and abs(release["new_auc"] - release["previous_auc"]) > tolerance

    def more_than_min(release, tolerance, min_labelled):  # "at least" read as "more than"
        if not release["slo_met"]:
            return True
        enough = release["labelled_rows"] > min_labelled
        return enough and release["new_auc"] < release["previous_auc"] - tolerance

    def drop_first(release, tolerance, min_labelled):  # another style: the drop, then the rest
        drop = release["previous_auc"] - release["new_auc"]
        evidence = release["labelled_rows"] >= min_labelled and drop > tolerance
        return bool(evidence or not release["slo_met"])

    refused("09.3", any_gap, "ranks clearly better", "your function says roll back")
    refused("09.3", more_than_min, "exactly min_labelled", "your function says keep it")

    def at_least_tolerance(release, tolerance, min_labelled):  # "more than" read as "at least"
        if not release["slo_met"]:
            return True
        drop = release["previous_auc"] - release["new_auc"]
        return release["labelled_rows"] >= min_labelled and drop >= tolerance

    refused("09.3", at_least_tolerance, "a drop of exactly the tolerance", "says roll back")
    accepted("09.3", drop_first)


def test_09_2_a_made_up_registry_is_refused():
    with pytest.raises(TypeError, match="not holdout=, new_data=, registry="):
        check("09.2", None, registry=None, holdout=None, new_data=None)


def test_09_2_a_gate_on_data_of_its_own_and_the_newest_version_fail():
    from workshop_lib.cicd import pipeline

    def own_split(table, holdout, registry):  # gates on a fifth of the table, not the holdout
        exam = table.sample(frac=0.2, random_state=0)
        train = table.drop(exam.index)
        report = pipeline.run_pipeline(train, exam, registry=registry, kind="logistic")
        return {"version": registry.stage(), "stopped_at": report.stopped_at}

    def newest(table, holdout, registry):  # the newest version, not what serves
        report = pipeline.run_pipeline(table, holdout, registry=registry, kind="logistic")
        return {"version": registry.latest_version(), "stopped_at": report.stopped_at}

    refused("09.2", own_split, "no model can rank reached production", seeds=range(2))
    refused("09.2", newest, "shuffled labels", "your function returned", seeds=range(2))
