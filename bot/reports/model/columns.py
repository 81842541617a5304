"""A report table: Spanish title and headers, typed columns (for number formats), rows; one CSV each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Column:
    name: str  # Spanish header
    kind: str = "text"  # text | n | pct (0..1) | h (hours) | x (ratio) | date | datetime | url


@dataclass(frozen=True)
class Table:
    key: str  # file stem of its CSV
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    note: str = ""
