"""Tables a loan officer downloads: safe to open in a spreadsheet.

A cell whose text starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage return) is run as
a formula by Excel, LibreOffice and Google Sheets ("CSV injection"): an uploaded file could make
the officer's spreadsheet fetch a URL or run a command. Such text cells are prefixed with ``'``,
which spreadsheets show as plain text. Number cells are left alone: ``-5`` is a number, not a
formula.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """``'=1+1`` for ``=1+1``; any other value unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``table`` whose text cells (and column names) cannot run as formulas."""
    safe = table.copy()
    for column in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[column]):
            safe[column] = safe[column].map(neutralise_cell)
    safe.columns = [neutralise_cell(str(name)) for name in safe.columns]
    return safe


def safe_csv(table: pd.DataFrame) -> str:
    """The table as CSV text that is safe to open in a spreadsheet."""
    return neutralise_formulas(table).to_csv(index=False)
