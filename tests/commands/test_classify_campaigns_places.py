"""`classify` prints `campaigns` and `place` on every line: config.yaml's campaigns (dates applied when a JSONL
line has `created_at`), and the place the text alone names (nothing else is known of a plain line)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

import main
from analyzers.pipeline import build_text_analyzer
from bot.commands.analysis import classify_stream, parse_item
from bot.config import load_config

ROOT = Path(__file__).resolve().parents[2]
CAMPAIGNS = """
campaigns:
  - id: talento-ti
    name: "#TalentoTI"
    hashtags: [TalentoTI]
    links: [mintic.gov.co/talentoti]
    starts_on: 2026-11-16
    ends_on: 2026-11-22
  - id: zonas-wifi
    name: Zonas WiFi
    keywords: [zona wifi]
    starts_on: 2026-11-01
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(f"paths:\n  var_dir: {tmp_path / 'var'}\n  models_dir: {tmp_path / 'models'}\n"
                    "logging:\n  level: WARNING\n  format: console\n" + CAMPAIGNS, encoding="utf-8")
    return path


LINES = [
    "Me inscribí en #TalentoTí desde Quibdó 🙌",
    json.dumps({"id": 1, "text": "#TalentoTI ya cerró?", "created_at": "2026-11-30T10:00:00-05:00"}),
    json.dumps({"id": 2, "text": "inscríbanse 👉 https://t.co/x", "created_at": "2026-11-17T10:00:00-05:00",
                "urls": ["https://www.mintic.gov.co/talentoti/becas"]}),
    json.dumps({"id": 3, "text": "la zona wifi no sirve", "created_at": "mañana"}),
    "",
    "{roto",
    "Sin señal en el Cauca, y #TalentoTIC no es lo mismo",
    "gracias",
]


def test_every_line_has_campaigns_and_place(config_file: Path) -> None:
    config = load_config(config_file)
    analyzer = build_text_analyzer(config.analyzers, config.topics, config.paths.models_dir, config.campaign_list())
    out, bad = io.StringIO(), []  # type: ignore[var-annotated]
    assert classify_stream(analyzer, LINES, out, batch_size=3, bad_dates=bad) == len(LINES)
    records = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(records) == len(LINES) and all("campaigns" in r and "place" in r for r in records)
    assert [r["campaigns"] for r in records] == [["talento-ti"], [], ["talento-ti"], ["zonas-wifi"], [], [], [], []]
    assert records[0]["place"] == {"dpto_code": "27", "departamento": "CHOCÓ", "mpio_code": "27001",
                                   "municipio": "QUIBDÓ", "evidence": "text"}
    assert records[6]["place"]["dpto_code"] == "19" and records[6]["place"]["evidence"] == "text"
    assert [r["place"] for r in records[1:6]] == [None] * 5 and records[7]["place"] is None
    assert bad == [4]  # its campaigns were matched without a date


def test_parse_item_reads_the_context() -> None:
    text, lang, item_id, context, bad = parse_item(LINES[2])
    assert (text, lang, item_id, bad) == ("inscríbanse 👉 https://t.co/x", None, 2, False)
    assert context is not None and context.urls == ("https://www.mintic.gov.co/talentoti/becas",)
    assert context.created_at is not None and context.created_at.utcoffset().total_seconds() == -5 * 3600
    naive = parse_item(json.dumps({"text": "x", "created_at": "2026-11-17T10:00:00", "urls": "no-list"}))[3]
    assert naive is not None and naive.created_at.tzinfo is not None and naive.urls == ()
    assert parse_item("texto plano")[3] is None and parse_item(json.dumps({"text": "x"}))[3] is None


def test_classify_command_reports_unreadable_dates(config_file: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "posts.jsonl"
    source.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    assert main.main(["--config", str(config_file), "classify", str(source)]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == len(LINES)
    assert "1 line(s) have a created_at that is not an ISO 8601 date-time" in captured.err
    assert "(lines 4)" in captured.err


def test_classify_from_stdin_with_the_shipped_config() -> None:
    data = "Inscríbete en #BecasTIC\nsin internet en Cúcuta\n"
    proc = subprocess.run([sys.executable, "main.py", "--config", "config.yaml", "classify"], input=data.encode(),
                          capture_output=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    records = [json.loads(x) for x in proc.stdout.decode().splitlines()]
    assert records[0]["campaigns"] == ["becas-tic"] and records[0]["place"] is None
    assert records[1]["campaigns"] == [] and records[1]["place"]["dpto_code"] == "54"
