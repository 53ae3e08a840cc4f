"""The notebook environment check reports pins, installed versions and what to do."""

from __future__ import annotations

from workshop_lib.support.environment import check_environment, locked_versions, python_ok


def test_this_environment_matches_the_lock():
    report = check_environment()
    assert (report["status"] == "ok").all(), report
    assert report.loc["pandas", "pinned"] == locked_versions()["pandas"]


def test_a_missing_package_says_how_to_install_it():
    report = check_environment(("pandas", "surely-not-installed-pkg"))
    assert report.loc["surely-not-installed-pkg", "status"].startswith("MISSING")
    assert "make install" in report.loc["surely-not-installed-pkg", "status"]


def test_python_version_is_3_11():
    ok, message = python_ok()
    assert ok, message
