"""`poll --once` with the shipped configuration says why nothing was new; a missing sample is a clear error."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "META_", "VIGIA_", "X_"))}
    env["VIGIA_DATABASE_URL"] = f"sqlite:///{tmp_path / 'vigia.db'}"
    return env


def test_poll_once_on_the_shipped_config_explains_an_empty_poll(tmp_path):
    proc = subprocess.run([sys.executable, "main.py", "poll", "--once"], cwd=ROOT, env=_env(tmp_path),
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "0 new posts stored" in proc.stdout
    assert "nothing new: the sample replay's clock is at 2026-11-16 00:0" in proc.stdout  # 60x: seconds pass
    assert "`main.py demo`" in proc.stdout


def test_a_missing_sample_file_is_a_configuration_error_naming_the_directory(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "--config", str(ROOT / "config.yaml"), "poll",
                           "--once"], cwd=tmp_path, env=_env(tmp_path), capture_output=True, text=True, timeout=180)
    assert proc.returncode == 2
    assert "connectors.sample.path: data/sample/week.jsonl does not exist" in proc.stderr
    assert str(tmp_path) in proc.stderr and "Traceback" not in proc.stderr
