"""`python main.py backtest FILE.csv`: the live detector over a saved series, alerts on stdout."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from bot.commands import backtest

LINE = re.compile(r"^(?P<ts>[^,]+),(?P<severity>aviso|critico),(?P<value>\d+(\.\d+)?),(?P<expected>[\d.e-]+)$")
START = datetime(2024, 3, 4, 5, tzinfo=UTC)  # Monday 00:00 Bogotá


def run_cli(tmp_path: Path, *argv: str) -> int:
    config = tmp_path / "config.yaml"
    if not config.exists():
        config.write_text("spikes:\n  sensitivity: balanced\n", encoding="utf-8")
    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    backtest.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["--config", str(config), "backtest", *argv])
    return args.func(args)


def series(days: int, minutes: int, seed: int, spike_at: int | None = None, factor: float = 6.0) -> list[int]:
    """A daily rhythm with Poisson-gamma noise; optionally three hours at `factor` times the volume."""
    rng = np.random.default_rng(seed)
    hours = np.arange(days * 24 * 60 // minutes) * minutes / 60.0
    rate = 12.0 * (0.15 + np.sin(np.pi * np.clip((hours % 24 - 6) / 16, 0, 1)) ** 2) * (minutes / 15)
    if spike_at is not None:
        rate[spike_at : spike_at + 180 // minutes] *= factor
    return rng.poisson(rate * rng.gamma(20, 0.05, len(rate))).tolist()


def write_csv(path: Path, values: list[float], minutes: int, fmt: str = "%Y-%m-%d %H:%M:%S") -> Path:
    lines = ["timestamp,value"]
    lines += [f"{(START + i * timedelta(minutes=minutes)).strftime(fmt)},{v}" for i, v in enumerate(values)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_prints_one_line_per_spike_start_and_escalation(tmp_path, capsys):
    at = (16 * 24 + 11) * 4  # Wednesday of the third week, 11:00 Bogotá
    path = write_csv(tmp_path / "s.csv", series(21, 15, seed=1, spike_at=at), 15)
    assert run_cli(tmp_path, str(path)) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines and all(LINE.match(line) for line in lines), lines
    spike_start = START + at * timedelta(minutes=15)
    during = [m for m in map(LINE.match, lines)
              if spike_start <= datetime.fromisoformat(m["ts"]).replace(tzinfo=UTC) < spike_start + timedelta(hours=3)]
    assert [m["severity"] for m in during] == ["aviso", "critico"]  # the start, then one escalation
    first = during[0]
    assert datetime.fromisoformat(first["ts"]).replace(tzinfo=UTC) <= spike_start + timedelta(minutes=30)
    assert float(first["value"]) > 2 * float(first["expected"])
    summary = re.search(r"15-minute buckets \(median step\), sensitivity balanced: (\d+) spikes, (\d+) escal", err)
    assert summary and int(summary[1]) + int(summary[2]) == len(lines) and int(summary[2]) >= 1


def test_a_file_without_header_or_with_other_column_names_is_read(tmp_path, capsys):
    at = (16 * 24 + 11) * 4
    values = series(21, 15, seed=1, spike_at=at)
    path = write_csv(tmp_path / "s.csv", values, 15)
    assert run_cli(tmp_path, str(path)) == 0
    expected = capsys.readouterr().out
    rows = path.read_text(encoding="utf-8").splitlines()[1:]
    (tmp_path / "bare.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "named.csv").write_text("\n".join(["Date,Volume", *rows]) + "\n", encoding="utf-8")
    for name in ("bare.csv", "named.csv"):
        assert run_cli(tmp_path, str(tmp_path / name)) == 0
        assert capsys.readouterr().out == expected != ""


def test_quiet_series_prints_nothing(tmp_path, capsys):
    path = write_csv(tmp_path / "q.csv", series(14, 15, seed=2), 15)
    assert run_cli(tmp_path, str(path)) == 0
    assert capsys.readouterr().out == ""


def test_bucket_size_is_inferred_and_timestamps_are_echoed_as_written(tmp_path, capsys):
    at = (16 * 24 + 11) * 12
    path = write_csv(tmp_path / "five.csv", series(21, 5, seed=3, spike_at=at, factor=8.0), 5,
                     fmt="%Y-%m-%dT%H:%M:%S+00:00")
    assert run_cli(tmp_path, str(path)) == 0
    out, err = capsys.readouterr()
    assert "5-minute buckets" in err
    stamps = [LINE.match(line)["ts"] for line in out.splitlines()]
    assert stamps and all(ts.endswith("+00:00") and "T" in ts for ts in stamps)
    spike_start = START + at * timedelta(minutes=5)
    assert any(spike_start <= datetime.fromisoformat(ts) <= spike_start + timedelta(minutes=15) for ts in stamps)


def test_coarser_bucket_option_adds_up_rows(tmp_path, capsys):
    at = (16 * 24 + 11) * 12
    values = series(21, 5, seed=3, spike_at=at, factor=8.0)
    path = write_csv(tmp_path / "five.csv", values, 5)
    assert run_cli(tmp_path, str(path), "--bucket-minutes", "15", "--sensitivity", "fewer") == 0
    out, err = capsys.readouterr()
    assert "15-minute buckets (given), sensitivity fewer" in err
    first = LINE.match(out.splitlines()[0])
    row = int((datetime.strptime(first["ts"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC) - START)
              / timedelta(minutes=5))
    # the timestamp is the bucket's last row (the bucket is known only then: no look-ahead)
    assert row % 3 == 2 and float(first["value"]) == sum(values[row - 2 : row + 1])


def test_daily_series_with_dates_only_and_decimal_values(tmp_path, capsys):
    rng = np.random.default_rng(4)
    values = [round(float(v), 2) for v in 1000 * np.where(np.arange(120) % 7 >= 5, 0.6, 1.0)
              * rng.lognormal(0, 0.05, 120)]
    values[110] *= 2.5
    path = write_csv(tmp_path / "daily.csv", values, 24 * 60, fmt="%Y-%m-%d")
    assert run_cli(tmp_path, str(path)) == 0
    out, err = capsys.readouterr()
    assert "1440-minute buckets" in err
    day = (START + timedelta(days=110)).strftime("%Y-%m-%d")
    assert [line.split(",")[0] for line in out.splitlines()] == [day]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("timestamp,value\n2024-03-04 05:00:00,1\n2024-03-04 05:15:00,2\nyesterday,3\n", "line 4"),
        ("timestamp,value\n2024-03-04 05:00:00,1\n2024-03-04 05:15:00,many\n", "line 3"),
        ("timestamp,value\n2024-03-04 05:00:00,1\n2024-03-04 05:15:00,-4\n", "line 3"),
        ("timestamp,value\n2024-03-04 05:00:00,1\n2024-03-04 05:15:00\n", "line 3"),
        ("timestamp,value\n2024-03-04 05:15:00,1\n2024-03-04 05:00:00,2\n", "line 3"),
        ("timestamp,value\n2024-03-04 05:00:00,1\n", "at least two"),
        ("timestamp,value\n2024-03-04 05:00:00,1\n2024-03-04 05:00:10,1\n2024-03-04 05:00:20,1\n", "under a minute"),
    ],
)
def test_malformed_files_exit_2_naming_the_problem(tmp_path, capsys, content, message):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    assert run_cli(tmp_path, str(path)) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert message in err and "bad.csv" in err


def test_missing_file_exits_2(tmp_path, capsys):
    assert run_cli(tmp_path, str(tmp_path / "nowhere.csv")) == 2
    assert "cannot read" in capsys.readouterr().err


def test_finer_bucket_than_the_series_is_refused(tmp_path, capsys):
    path = write_csv(tmp_path / "hourly.csv", series(3, 60, seed=5), 60)
    assert run_cli(tmp_path, str(path), "--bucket-minutes", "15") == 2
    assert "finer than the series" in capsys.readouterr().err
