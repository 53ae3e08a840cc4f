"""The soak benchmark's smoke run: mixed good and bad load with a reload, and nothing fails."""

from __future__ import annotations

import pytest

from benchmarks import bench_soak

pytestmark = pytest.mark.slow


def test_quick_soak_has_no_5xx_no_failed_good_request_and_reloads(capsys):
    figures = bench_soak.main(["--quick", "--seconds", "8"])
    assert figures["good"] > 100 and figures["bad"] > 10
    assert figures["server_errors_5xx"] == 0
    assert figures["good_failed"] == 0
    assert figures["bad_answered_4xx"] == figures["bad"]
    assert figures["reload_ok"] == 1
    assert "served 1.1.0 at the end" in capsys.readouterr().out


def test_the_mix_is_seeded_and_mostly_good():
    first, second = bench_soak.request_mix(0), bench_soak.request_mix(0)
    assert first == second and len(first) == 100
    assert sum(kind in bench_soak.GOOD_KINDS for kind, _, _ in first) == 85
