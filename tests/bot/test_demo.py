"""End to end: `python main.py demo` on the bundled synthetic week, as a new user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

REPO = Path(__file__).resolve().parents[2]
BOGOTA = ZoneInfo("America/Bogota")
OUTAGE_START = datetime(2026, 11, 18, 10, 0, tzinfo=BOGOTA)  # data/sample/README.md: Wednesday 10:00-15:00
OUTAGE_END = datetime(2026, 11, 18, 15, 0, tzinfo=BOGOTA)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    # What an earlier run leaves behind (its database, alerts and report files, here made unusable): the
    # demo must start afresh over it. One run instead of two keeps the suite inside CI's time.
    (out / "demo.db").write_bytes(b"not a database: an earlier run's leftovers")
    (out / "outbox").mkdir()
    (out / "outbox" / "alerts.jsonl").write_text('{"title": "STALE alert of an earlier run"}\n')
    (out / "reports" / "2026-W47").mkdir(parents=True)
    (out / "reports" / "2026-W47" / "stale.csv").write_text("STALE\n")
    proc = subprocess.run([sys.executable, "main.py", "demo", "--out", str(out)], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    return proc, out


def test_demo_completes_and_prints_a_summary(demo_run):
    proc, _ = demo_run
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "SINTÉTICA" in proc.stdout
    assert "Publicaciones almacenadas: 4533" in proc.stdout
    assert "Incidentes de crisis detectados:" in proc.stdout
    summary = proc.stdout.split("Resumen de la demostración", 1)[1]
    # Spanish labels and names, as in the alerts
    assert "negativo" in summary and "negative" not in summary and "petición" in summary
    assert "CRÍTICO" in summary and "category:" not in summary and "topic:" not in summary
    assert "PDF:" in summary


def test_demo_raises_the_two_planted_crises_with_escalation_and_nothing_else(demo_run):
    _, out = demo_run
    alerts = [json.loads(line) for line in (out / "outbox" / "alerts.jsonl").read_text(encoding="utf-8").splitlines()]
    opened = [a for a in alerts if a["kind"] == "spike"]
    starts = [datetime.fromisoformat(a["details"]["since"]).astimezone(BOGOTA) for a in opened]
    assert [(s.strftime("%A"), s.hour) for s in starts] in (
        [("Wednesday", 10), ("Friday", 17)], [("Wednesday", 11), ("Friday", 17)]), [a["title"] for a in opened]
    for alert in opened:
        incident = alert["details"]["incident"]
        assert any(a["kind"] == "escalation" and a["details"]["incident"] == incident for a in alerts)


def test_demo_detects_the_outage_as_one_incident_with_escalation_and_recovery(demo_run):
    proc, out = demo_run
    alerts = [json.loads(line) for line in (out / "outbox" / "alerts.jsonl").read_text(encoding="utf-8").splitlines()]
    outage = [a for a in alerts if a["kind"] in ("spike", "escalation", "recovery")
              and OUTAGE_START <= datetime.fromisoformat(a["created_at"]) <= OUTAGE_END.replace(hour=23)]
    opened = [a for a in outage if a["kind"] == "spike"]
    assert len(opened) == 1, [a["title"] for a in alerts]
    start = datetime.fromisoformat(opened[0]["details"]["since"])
    assert OUTAGE_START <= start <= OUTAGE_START.replace(hour=11), start
    incident = opened[0]["details"]["incident"]
    assert any(a["kind"] == "escalation" and a["details"]["incident"] == incident for a in alerts)
    assert any(a["kind"] == "recovery" and a["details"]["incident"] == incident for a in alerts)
    # every recovery quotes the incident's true peak: never below a count its own alerts already gave for that signal
    for end in (a for a in alerts if a["kind"] == "recovery"):
        quoted = [a["details"]["value"] for a in alerts if a["kind"] in ("spike", "escalation")
                  and a["details"]["incident"] == end["details"]["incident"]
                  and a["details"]["key"] == end["details"]["peak_key"]]
        assert end["details"]["peak_value"] >= max(quoted, default=0), (end["body"], quoted)
        assert f"con {end['details']['peak_value']} en 15 min" in end["body"]
    # the alert says what drove it, printed to the console too
    assert opened[0]["details"]["top_posts"] and opened[0]["details"]["top_terms"]
    assert opened[0]["title"] in proc.stdout


def test_demo_writes_the_weekly_report(demo_run):
    _, out = demo_run
    reports = list((out / "reports").glob("2026-W47/*"))
    assert any(p.suffix == ".html" for p in reports) and any(p.suffix == ".csv" for p in reports)


def test_demo_starts_afresh_over_an_earlier_run(demo_run):
    """A run over the folder of an earlier one replaces its database, alerts and report files."""
    proc, out = demo_run
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "STALE" not in (out / "outbox" / "alerts.jsonl").read_text()
    assert not (out / "reports" / "2026-W47" / "stale.csv").exists()
    assert proc.stdout.count("Posible crisis") >= 1
