"""How often does ``detect_drift`` cry wolf, and how often does it catch real drift?

Run with ``python -m benchmarks.bench_drift`` (``--quick`` for a small version).

- **False-alarm rate**: two independent samples of the reference scenario, many times over;
  a trial is a false alarm when *any* column is flagged. Shown for each correction: without
  one, 12 tests at 0.05 alarm on a large share of healthy trials.
- **Power** on the data-drift scenario: the share of trials in which each column is flagged,
  for the columns the generator shifts (directly, or through the young broker segment) and the
  columns it leaves alone.

The quality bar: false-alarm rate <= 5% (Bonferroni), every directly shifted column flagged
in at least 95% of trials, and no unchanged column flagged in more than 5%.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd

from workshop_lib import data
from workshop_lib.monitoring.model_health import DEFAULT_ALPHA, adjust_p_values, detect_drift

# What workshop_lib.data's data_drift scenario changes, read from its generator:
DIRECT_SHIFT = {
    "annual_income": "incomes x0.75",
    "loan_amount": "drawn as a multiple of income, so it falls with it",
    "age": "a 25% segment of applicants aged about 26",
    "credit_score": "the segment scores 60 points lower (and younger people score lower)",
    "channel": "the segment comes through brokers",
    "purpose": "12% of loans use the new green_energy purpose",
}
KNOCK_ON_SHIFT = {
    "num_credit_lines": "drawn from age: the younger segment has fewer lines",
    "delinquencies_2y": "drawn from credit score: lower scores, more late payments",
    "employment_years": "capped at age - 18: the younger segment has shorter careers",
}
UNCHANGED = ("debt_to_income", "home_ownership", "term")
CORRECTIONS = ("none", "holm", "bonferroni")
MAX_FALSE_ALARM_RATE = 0.05
MIN_DIRECT_POWER = 0.95


@dataclass(frozen=True)
class DriftBenchmark:
    """The figures of one run."""

    trials: int
    rows: int
    false_alarm_rate: dict[str, float]
    flag_rate_when_healthy: pd.Series
    power: pd.Series
    seconds_per_test: float

    def passed(self) -> bool:
        direct = self.power[list(DIRECT_SHIFT)]
        return bool(
            self.false_alarm_rate["bonferroni"] <= MAX_FALSE_ALARM_RATE
            and (direct >= MIN_DIRECT_POWER).all()
            and (self.power[list(UNCHANGED)] <= MAX_FALSE_ALARM_RATE).all()
        )


def run(trials: int, rows: int, seed: int = 0) -> DriftBenchmark:
    """``trials`` healthy and ``trials`` drifted comparisons of ``rows``-row samples."""
    healthy, drifted = [], []
    # Unrelated seeds for every sample, drawn from one seed (not seed, seed + 1, ...).
    seeds = np.random.SeedSequence(seed).generate_state(3 * trials).reshape(trials, 3)
    started = time.perf_counter()
    for reference_seed, same_seed, shifted_seed in seeds.tolist():
        reference = data.make_applications(rows, seed=reference_seed)
        same = data.make_applications(rows, seed=same_seed)
        shifted = data.make_applications(rows, "data_drift", seed=shifted_seed)
        healthy.append(detect_drift(reference, same, correction="none"))
        drifted.append(detect_drift(reference, shifted))
    seconds = (time.perf_counter() - started) / (2 * trials)
    columns = healthy[0]["column"]
    p_healthy = np.vstack([r["p_value"].to_numpy() for r in healthy])
    false_alarms = {
        c: float(np.mean([(adjust_p_values(p, c) < DEFAULT_ALPHA).any() for p in p_healthy]))
        for c in CORRECTIONS
    }
    flagged_healthy = np.vstack([adjust_p_values(p) < DEFAULT_ALPHA for p in p_healthy])
    flagged_drifted = np.vstack([r["drifted"].to_numpy() for r in drifted])
    return DriftBenchmark(
        trials=trials,
        rows=rows,
        false_alarm_rate=false_alarms,
        flag_rate_when_healthy=pd.Series(flagged_healthy.mean(axis=0), index=columns),
        power=pd.Series(flagged_drifted.mean(axis=0), index=columns),
        seconds_per_test=seconds,
    )


def wilson_interval(rate: float, trials: int, z: float = 1.96) -> tuple[float, float]:
    """A 95% confidence interval for a rate measured in ``trials`` trials (Wilson score)."""
    centre = (rate + z**2 / (2 * trials)) / (1 + z**2 / trials)
    half = z * np.sqrt(rate * (1 - rate) / trials + z**2 / (4 * trials**2)) / (1 + z**2 / trials)
    return float(centre - half), float(centre + half)


def report(result: DriftBenchmark) -> str:
    """The figures as text."""
    lines = [
        f"detect_drift: {result.trials} trials of {result.rows:,} vs {result.rows:,} rows, "
        f"alpha={DEFAULT_ALPHA}, {1000 * result.seconds_per_test:.0f} ms per 12-column test",
        "",
        "False-alarm rate (two reference samples; any column flagged):",
    ]
    for c in CORRECTIONS:
        low, high = wilson_interval(result.false_alarm_rate[c], result.trials)
        lines.append(
            f"  correction={c:<10} {result.false_alarm_rate[c]:6.1%}  "
            f"(95% interval {low:.1%} to {high:.1%})"
        )
    lines += ["", "Share of trials flagging each column (Bonferroni):"]
    groups = (
        ("shifted directly", list(DIRECT_SHIFT)),
        ("shifted as a knock-on", list(KNOCK_ON_SHIFT)),
        ("unchanged", list(UNCHANGED)),
    )
    lines.append(f"  {'column':<18} {'group':<22} {'data drift':>10} {'healthy':>8}")
    for group, names in groups:
        for name in names:
            lines.append(
                f"  {name:<18} {group:<22} {result.power[name]:10.1%} "
                f"{result.flag_rate_when_healthy[name]:8.1%}"
            )
    verdict = "PASS" if result.passed() else "FAIL"
    lines += [
        "",
        f"Quality bar (false alarms <= {MAX_FALSE_ALARM_RATE:.0%}, direct shifts flagged in >= "
        f"{MIN_DIRECT_POWER:.0%} of trials, unchanged columns in <= "
        f"{MAX_FALSE_ALARM_RATE:.0%}): {verdict}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> DriftBenchmark:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--rows", type=int, default=5_000, help="rows in each sample")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="20 trials of 2,000 rows")
    args = parser.parse_args(argv)
    trials, rows = (20, 2_000) if args.quick else (args.trials, args.rows)
    result = run(trials, rows, args.seed)
    print(report(result))
    return result


if __name__ == "__main__":
    main()
