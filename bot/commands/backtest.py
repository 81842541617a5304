"""`python main.py backtest FILE.csv`: run the live spike detector over a saved volume series.

Input: a CSV with a header row and two columns, `timestamp,value` (columns are found by those names in
the header, else the first two are taken). Timestamps are ISO-8601 (`2024-05-01T13:00:00-05:00`,
`2024-05-01T18:00:00Z`, `2024-05-01 18:00:00`, `2024-05-01`); without a zone they are UTC. Values are
volumes per bucket (counts, or non-negative numbers). Rows must go forward in time at a regular step,
which is inferred as the median step between rows unless `--bucket-minutes` is given (a coarser bucket
adds up the rows it covers). Missing steps count as zero.

Output (stdout), one line per alert, in time order, no header:
    timestamp,severity,value,expected
one line when a spike starts and one more each time it escalates (aviso -> critico); nothing while a
spike simply continues or when it ends. `timestamp` is the input's own text for the last row of the
bucket (the moment the bucket is complete: no look-ahead), `value` the bucket's volume, `expected` the
volume the detector expected before seeing it (two decimals; three significant digits below 0.01).
A summary goes to stderr. A malformed file exits with status 2 and a message naming the line.
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

from analyzers.spikes.detector import PRESETS, BacktestAlert, SpikeSettings, backtest
from bot.commands.common import load
from domain import utc


class SeriesError(ValueError):
    """A problem with the input file, worded for the person who gave it."""


@dataclass(frozen=True)
class Series:
    times: list[datetime]  # aware UTC
    values: list[float]
    labels: list[str]  # the timestamp text as written


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "backtest",
        help="run the live spike detector over a timestamp,value CSV and print its alerts",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", type=Path, help="CSV with a header row: timestamp,value")
    parser.add_argument("--bucket-minutes", type=int, default=None,
                        help="bucket size (default: the median step between rows)")
    parser.add_argument("--sensitivity", choices=sorted(PRESETS), default=None,
                        help="sensitivity preset (default: spikes.sensitivity from the configuration)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    base = load(args).spikes
    try:
        series = read_series(args.file)
        settings = settings_for(series, base, args.bucket_minutes, args.sensitivity, args.file)
        alerts = run_detector(series, settings)
    except SeriesError as exc:
        print(f"backtest: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        print(f"backtest: {args.file}: cannot run with these settings ({problems})", file=sys.stderr)
        return 2
    write_alerts(alerts, series, sys.stdout)
    starts = sum(1 for a in alerts if a.event == "start")
    print(f"backtest: {len(series.values)} rows, {settings.bucket_minutes}-minute buckets "
          f"({'given' if args.bucket_minutes else 'median step'}), sensitivity {settings.sensitivity}: "
          f"{starts} spikes, {len(alerts) - starts} escalations", file=sys.stderr)
    return 0


def settings_for(series: Series, base: SpikeSettings, bucket_minutes: int | None, sensitivity: str | None,
                 path: Path) -> SpikeSettings:
    """The configured detector settings with the bucket size of this series (or the one asked for)."""
    step = median_step(series)
    minutes = bucket_minutes or max(1, round(step / timedelta(minutes=1)))
    if step < timedelta(seconds=30):
        raise SeriesError(f"{path}: the series' step is {step}; buckets under a minute are not supported")
    if bucket_minutes is not None and timedelta(minutes=bucket_minutes) < step * 0.99:
        raise SeriesError(f"--bucket-minutes {bucket_minutes} is finer than the series' own step ({step})")
    return SpikeSettings.model_validate(
        {**base.model_dump(), "bucket_minutes": minutes, "sensitivity": sensitivity or base.sensitivity}
    )


def run_detector(series: Series, settings: SpikeSettings, include_ends: bool = False) -> list[BacktestAlert]:
    """The live detector over the whole series, no look-ahead: what `backtest` prints (and benchmarks score)."""
    step = median_step(series)
    rows = zip(series.times, series.values, strict=True)
    return list(backtest(rows, settings, jitter=step / 2, include_ends=include_ends))


def write_alerts(alerts: list[BacktestAlert], series: Series, out: TextIO) -> None:
    for alert in alerts:
        expected = f"{alert.expected:.2f}" if alert.expected >= 0.01 else f"{alert.expected:.3g}"
        out.write(f"{series.labels[alert.row]},{alert.severity},{_number(alert.value)},{expected}\n")


def read_series(path: Path) -> Series:
    """Parse the CSV; every problem raises SeriesError naming the file and line."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise SeriesError(f"cannot read {path}: {exc.strerror or exc}") from None
    times: list[datetime] = []
    values: list[float] = []
    labels: list[str] = []
    columns: tuple[int, int] | None = None
    with handle:
        reader = csv.reader(handle)
        try:
            for row in reader:
                line = reader.line_num
                if not row or all(not cell.strip() for cell in row):
                    continue
                if columns is None:
                    columns = _header(path, line, row)
                    if columns is not None:
                        continue
                    columns = (0, 1)
                moment, value, label = _row(path, line, row, columns)
                if times and moment < times[-1]:
                    raise SeriesError(f"{path}, line {line}: timestamp {label} is earlier than the row before "
                                      f"({labels[-1]}); rows must go forward in time")
                times.append(moment)
                values.append(value)
                labels.append(label)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise SeriesError(f"{path}: not a readable CSV file ({exc})") from None
    if len(times) < 2:
        raise SeriesError(f"{path}: needs at least two data rows, found {len(times)}")
    return Series(times, values, labels)


def median_step(series: Series) -> timedelta:
    steps = [b - a for a, b in zip(series.times, series.times[1:], strict=False) if b > a]
    if not steps:
        raise SeriesError("all rows have the same timestamp; the bucket size cannot be inferred")
    return statistics.median(steps)


def _header(path: Path, line: int, row: list[str]) -> tuple[int, int] | None:
    """Column indexes from a header row, or None when the first row is already data."""
    names = [cell.strip().lower() for cell in row]
    if "timestamp" in names and "value" in names:
        return names.index("timestamp"), names.index("value")
    if len(row) >= 2 and _parse_time(row[0]) is not None and _parse_value(row[1]) is not None:
        return None
    if len(row) < 2:
        raise SeriesError(f"{path}, line {line}: expected a header with two columns (timestamp,value), "
                          f"got {','.join(row)!r}")
    return 0, 1


def _row(path: Path, line: int, row: list[str], columns: tuple[int, int]) -> tuple[datetime, float, str]:
    if len(row) <= max(columns):
        raise SeriesError(f"{path}, line {line}: expected {max(columns) + 1} columns, got {len(row)}: "
                          f"{','.join(row)!r}")
    label, text = row[columns[0]].strip(), row[columns[1]].strip()
    moment = _parse_time(label)
    if moment is None:
        raise SeriesError(f"{path}, line {line}: {label!r} is not an ISO-8601 timestamp "
                          "(e.g. 2024-05-01T13:00:00-05:00 or 2024-05-01 18:00:00)")
    value = _parse_value(text)
    if value is None:
        raise SeriesError(f"{path}, line {line}: value {text!r} is not a number >= 0")
    return moment, value, label


def _parse_time(text: str) -> datetime | None:
    try:
        return utc(datetime.fromisoformat(text.strip()))
    except ValueError:
        return None


def _parse_value(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    if not math.isfinite(value) or value < 0:
        return None
    return value


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"

