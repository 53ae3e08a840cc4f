"""The record `make lab-answers` leaves: it stands only for the code it was written for."""

from __future__ import annotations

from tools import lab_answers_record as record


def test_the_record_holds_for_the_same_code_and_not_after_a_change(tmp_path, monkeypatch):
    (tmp_path / "workshop_lib").mkdir()
    checker = tmp_path / "workshop_lib" / "lab.py"
    checker.write_text("MAX_DROP = 0.01\n")
    monkeypatch.setattr(record, "ROOT", tmp_path)
    monkeypatch.setattr(record, "RECORD", tmp_path / "runtime" / "record.json")
    assert not record.passed_for_this_code()  # nothing recorded yet
    record.main()
    assert record.passed_for_this_code()
    checker.write_text("MAX_DROP = 0.02\n")  # one changed byte of a checker
    assert not record.passed_for_this_code()
    record.RECORD.write_text("{not json")
    assert not record.passed_for_this_code()
