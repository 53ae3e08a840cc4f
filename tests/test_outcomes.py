"""The one verdict type: a stage over several checks passes only when all of them pass."""

from __future__ import annotations

import pytest

from workshop_lib.cicd.outcomes import Outcome, summarise


def test_a_stage_fails_naming_the_checks_that_failed():
    checks = [Outcome("size", True, "enough rows"), Outcome("nulls", False, "3 missing")]
    stage = summarise("data_validation", checks, "data checks")
    assert not stage.passed and stage.reason == "1 of 2 failed: nulls"
    assert stage.outcome("nulls").reason == "3 missing"
    assert str(stage).splitlines() == [
        "FAIL  data_validation: 1 of 2 failed: nulls",
        "      PASS  size: enough rows",
        "      FAIL  nulls: 3 missing",
    ]
    with pytest.raises(KeyError, match="ran no check 'schema'"):
        stage.outcome("schema")


def test_all_passed_and_skipped():
    stage = summarise("gates", [Outcome("min_roc_auc", True, "0.8 >= 0.7")], "gates")
    assert stage.passed and stage.reason == "all 1 gates passed" and stage.mark == "PASS"
    assert Outcome("code_tests", True, "not asked", skipped=True).mark == "SKIP"
