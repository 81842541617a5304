"""The `report` command and the scheduler's Monday job, end to end on the sample week."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.alerts.slack_sink import build_slack_sink
from bot.bootstrap import bootstrap
from bot.clock import ManualClock
from bot.commands import report as report_command
from bot.config import parse_config
from bot.scheduler import build_scheduler
from storage.models import ReportRunRow
from storage.unit_of_work import UnitOfWork
from tests.fakes.slack_api import TOKEN, SlackServer
from tests.reports.sample_data import SAMPLE_WEEK

BOGOTA = ZoneInfo("America/Bogota")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py")
    parser.add_argument("--config")
    report_command.register(parser.add_subparsers(dest="command", required=True))
    return parser


@pytest.fixture
def cli_env(sample, tmp_path, monkeypatch):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "connectors": {"sample": {"enabled": False}},
        "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
        "report": {"out_dir": str(tmp_path / "reports"), "pdf": False},
        "logging": {"level": "WARNING"},
    }), encoding="utf-8")
    monkeypatch.setenv("VIGIA_DATABASE_URL", str(sample.url))
    for name in ("SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    return config


def test_a_report_is_already_built_only_for_the_database_that_built_it(cli_env, sample, tmp_path, monkeypatch,
                                                                         capsys):
    from storage import db

    empty = f"sqlite:///{tmp_path / 'other.db'}"
    db.upgrade(db.create_db_engine(empty))
    args = _parser().parse_args(["--config", str(cli_env), "report", "--week", SAMPLE_WEEK])
    assert args.func(args) == 0  # the sample database builds it (and records it)
    capsys.readouterr()
    monkeypatch.setenv("VIGIA_DATABASE_URL", empty)  # another database, same output folder
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "generado en" in out and "ya estaba generado" not in out
    assert "no tiene publicaciones de la semana" in out and "el informe está vacío" in out
    monkeypatch.setenv("VIGIA_DATABASE_URL", str(sample.url))  # back: its files were overwritten, so rebuilt
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "ya estaba generado" not in out and "no tiene publicaciones" not in out


def test_report_command_builds_the_week_once(cli_env, tmp_path, capsys):
    args = _parser().parse_args(["--config", str(cli_env), "report", "--week", SAMPLE_WEEK])
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert f"Informe {SAMPLE_WEEK} generado en {tmp_path / 'reports' / SAMPLE_WEEK}" in out
    assert f"informe-{SAMPLE_WEEK}.html" in out and "Slack no está configurado" in out
    assert args.func(args) == 0
    assert "ya estaba generado" in capsys.readouterr().out
    other = tmp_path / "otra"
    args = _parser().parse_args(["--config", str(cli_env), "report", "--week", SAMPLE_WEEK, "--out", str(other),
                                 "--force", "--no-slack"])
    assert args.func(args) == 0
    assert (other / SAMPLE_WEEK / f"informe-{SAMPLE_WEEK}.html").exists()
    assert "--no-slack" in capsys.readouterr().out


def test_report_command_rejects_a_bad_week(cli_env, capsys):
    args = _parser().parse_args(["--config", str(cli_env), "report", "--week", "2026-47"])
    assert args.func(args) == 2
    assert "must look like 2026-W47" in capsys.readouterr().err


def test_monday_job_builds_and_posts_the_previous_week_once(sample, tmp_path):
    config = parse_config({
        "connectors": {"sample": {"enabled": False}},
        "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
        "report": {"out_dir": str(tmp_path / "reports"), "pdf": False, "time": "08:00", "weekday": "mon"},
        "paths": {"models_dir": str(tmp_path / "models")},
    })
    monday_8am = datetime(2026, 11, 23, 8, 0, tzinfo=BOGOTA)
    with SlackServer() as slack:
        sink = build_slack_sink(TOKEN, None, slack.base_url, {"alerts": "#vigia-alertas", "ops": "#vigia-operaciones"})
        bus = bootstrap(config, engine=sample, clock=ManualClock(monday_8am), connectors={},
                        sinks={"slack": sink})
        scheduler = build_scheduler(bus)
        job = scheduler.get_job("weekly-report")
        assert job.trigger.get_next_fire_time(None, datetime(2026, 11, 20, 12, tzinfo=BOGOTA)) == monday_8am
        job.func()
        job.func()  # a second firing (restart, misfire catch-up) posts nothing more
        assert (tmp_path / "reports" / SAMPLE_WEEK / f"informe-{SAMPLE_WEEK}.html").exists()
        [message] = slack.fake.posted("C0REPORT1")
        assert SAMPLE_WEEK in json.dumps(message["blocks"])
        assert len(slack.fake.uploads) == 1
    with UnitOfWork(sample) as uow:
        assert uow.session.get(ReportRunRow, SAMPLE_WEEK).posted_at is not None
