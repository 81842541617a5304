"""Cells for CSV files that people open in Excel: citizens' text must never run as a formula or a link.

Spreadsheet programs execute a cell that starts with = + - @ (and tab or CR, which some strip first) as a
formula (CSV injection, OWASP); a `javascript:` or `data:` text may become a live link. Such text gets a
leading apostrophe, which the program shows as plain text. Numbers stay numbers (a negative score is -0.8,
not the text '-0.80), so sums and charts still work.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
SCRIPT_SCHEMES = ("javascript:", "vbscript:", "data:")


def safe_cell(value: Any) -> Any:
    """The value to write: numbers as they are, risky text neutralised, None as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.startswith(FORMULA_STARTS) or text.lstrip().lower().startswith(SCRIPT_SCHEMES):
        return "'" + text
    return text
