"""Downloads that are safe to open in a spreadsheet: no text cell can run as a formula."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from workshop_lib.realtime.spreadsheet import neutralise_cell, safe_csv


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
)
def test_text_that_a_spreadsheet_would_run_is_prefixed(text):
    assert neutralise_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["online", "debt_consolidation", "", 5, -5.0, None])
def test_other_values_are_unchanged(value):
    assert neutralise_cell(value) == value


def test_safe_csv_neutralises_text_cells_and_headers_but_keeps_numbers():
    table = pd.DataFrame(
        {"note": ["=cmd|' /C calc'!A0", "fine"], "amount": [-5.0, 12.5], "=evil": ["a", "b"]}
    )
    back = pd.read_csv(io.StringIO(safe_csv(table)))
    assert back["note"].tolist() == ["'=cmd|' /C calc'!A0", "fine"]
    assert back["amount"].tolist() == [-5.0, 12.5]
    assert list(back.columns) == ["note", "amount", "'=evil"]
    assert table.columns[2] == "=evil"  # the caller's table is not changed
