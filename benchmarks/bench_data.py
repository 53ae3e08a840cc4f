"""How fast is the loan-applications generator? (The foundation's target: >= 1 million rows/s.)

Run with ``python -m benchmarks.bench_data``. Prints rows per second for each scenario at a few
table sizes (the best of three runs each), and whether the target is met.
"""

from __future__ import annotations

import argparse

from workshop_lib import data
from workshop_lib.support.benchmarking import rows_per_second

TARGET_ROWS_PER_SECOND = 1_000_000


def measure(sizes: list[int], repeat: int = 3) -> dict[tuple[str, int], float]:
    """Rows per second of ``make_applications`` for every scenario and size."""
    return {
        (scenario, n): rows_per_second(
            lambda n=n, scenario=scenario: data.make_applications(n, scenario=scenario, seed=1),
            rows=n,
            repeat=repeat,
        )
        for scenario in data.SCENARIOS
        for n in sizes
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args(argv)
    figures = measure(args.sizes)
    for (scenario, n), rate in figures.items():
        print(f"{scenario:>14} {n:>10,} rows: {rate:>12,.0f} rows/s")
    slowest = min(figures.values())
    verdict = "met" if slowest >= TARGET_ROWS_PER_SECOND else "NOT met"
    print(f"slowest: {slowest:,.0f} rows/s; target {TARGET_ROWS_PER_SECOND:,} rows/s: {verdict}")
    return 0 if slowest >= TARGET_ROWS_PER_SECOND else 1


if __name__ == "__main__":
    raise SystemExit(main())
