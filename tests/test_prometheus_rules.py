"""The alert rules under apps/prometheus/ are valid Prometheus rules and pass their unit tests."""

from __future__ import annotations

import subprocess

from helpers import require_in_ci

from workshop_lib import paths

RULES_DIR = paths.PROJECT_ROOT / "apps" / "prometheus"


def _promtool(*args: str) -> subprocess.CompletedProcess:
    promtool = require_in_ci("promtool")
    assert promtool is not None
    return subprocess.run(
        [promtool, *args], cwd=RULES_DIR, capture_output=True, text=True, timeout=60
    )


def test_alert_rules_are_valid():
    checked = _promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 4 rules found" in checked.stdout


def test_alert_rules_fire_stay_pending_and_stay_quiet_as_tested():
    tested = _promtool("test", "rules", "alerts_test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_a_wrong_expectation_fails(tmp_path):
    """The unit tests can fail: a copy expecting a different value does."""
    wrong = (RULES_DIR / "alerts_test.yml").read_text().replace("496.9ms", "100ms")
    (tmp_path / "alerts_test.yml").write_text(wrong)
    (tmp_path / "alerts.yml").write_text((RULES_DIR / "alerts.yml").read_text())
    promtool = require_in_ci("promtool")
    assert promtool is not None
    tested = subprocess.run(
        [promtool, "test", "rules", "alerts_test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert tested.returncode != 0
    assert "FAILED" in tested.stdout + tested.stderr
