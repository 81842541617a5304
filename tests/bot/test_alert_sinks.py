from __future__ import annotations

import io
import json

from bot.alerts.sinks import ConsoleSink, FileSink, OutgoingAlert
from tests.factories import T0


def _alert(key: str = "incident:1:open") -> OutgoingAlert:
    return OutgoingAlert(key, "spike", "critico", "alerts", "Posible crisis", "Volumen x8", T0, {"incident": 1})


def test_file_sink_appends_json_lines_and_skips_keys_already_written(tmp_path):
    path = tmp_path / "out" / "alerts.jsonl"
    FileSink(path).send(_alert())
    FileSink(path).send(_alert())  # a new process after a crash: the key is already in the file
    FileSink(path).send(_alert("incident:1:recovery"))
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [r["key"] for r in records] == ["incident:1:open", "incident:1:recovery"]
    assert records[0]["title"] == "Posible crisis" and records[0]["details"] == {"incident": 1}


def test_file_sink_survives_a_torn_last_line(tmp_path):
    path = tmp_path / "alerts.jsonl"
    path.write_text('{"key": "a"}\n{"key": "incident:1:op', encoding="utf-8")
    FileSink(path).send(_alert())
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[1] == '{"key": "incident:1:op'  # the torn line is left as it was
    assert json.loads(lines[2])["key"] == "incident:1:open"


def test_console_sink_prints_spanish_text():
    out = io.StringIO()
    ConsoleSink(out).send(_alert())
    assert "🔴 [alerts] Posible crisis" in out.getvalue() and "Volumen x8" in out.getvalue()
