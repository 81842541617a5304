"""A database that cannot be used is one clear line and exit 2, never a traceback; `run` waits for it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.commands import core
from bot.config import load_config, masked_url

ROOT = Path(__file__).resolve().parents[2]
CLOSED_PORT_URL = "postgresql+psycopg://vigia:s3cret-pw@127.0.0.1:9/vigia"  # nothing listens on port 9


@pytest.mark.parametrize("command", [["db", "upgrade"], ["poll", "--once"], ["report", "--week", "2026-W47"],
                                     ["analyze", "--since", "2026-11-16"], ["users", "list"]])
@pytest.mark.parametrize("url", [CLOSED_PORT_URL, "nonsense://whatever"])
def test_an_unusable_database_is_one_line_and_exit_2(command, url, tmp_path):
    env = {**os.environ, "VIGIA_DATABASE_URL": url}
    proc = subprocess.run([sys.executable, "main.py", *command], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("database error: cannot use "), proc.stderr
    assert "Traceback" not in proc.stderr and "s3cret-pw" not in proc.stderr + proc.stdout
    if url == CLOSED_PORT_URL:
        assert "vigia:***@127.0.0.1:9/vigia" in lines[0] and "refused" in lines[0].lower()


def test_masked_url_hides_the_password_even_in_a_broken_url():
    assert masked_url("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"
    assert "pw" not in masked_url("post gres://u:pw@h:xx/db")


def test_run_waits_for_the_database_with_back_off(monkeypatch, tmp_path, capsys):
    config = load_config(ROOT / "config.yaml")
    calls, sleeps = [], []

    real_upgrade = core.db.upgrade

    def upgrade_once_reachable(engine):  # the first three attempts really connect to a closed port
        calls.append(engine)
        if len(calls) < 4:
            real_upgrade(engine)

    monkeypatch.setattr(core.db, "upgrade", upgrade_once_reachable)
    monkeypatch.setattr(core, "bootstrap", lambda cfg, *, engine: ("bus", engine))
    monkeypatch.setenv("VIGIA_DATABASE_URL", "postgresql://u:pw@127.0.0.1:9/x")
    bus, engine = core.bootstrap_when_reachable(config, sleep=sleeps.append)
    assert bus == "bus" and sleeps == [5.0, 10.0, 20.0]
    assert calls == [engine] * 4  # one pool for every attempt, not one per retry
    err = capsys.readouterr().err
    assert err.count("retrying in") == 3 and "pw" not in err
