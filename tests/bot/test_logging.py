"""Structured logs: one JSON object per line, secrets masked, stdlib and structlog alike."""

from __future__ import annotations

import io
import json
import logging

import structlog

from bot.logging_setup import configure_logging


def test_one_json_line_per_event_with_fields_and_masked_secrets():
    out = io.StringIO()
    configure_logging("INFO", "json", secrets=["xoxb-secret-token-123"], stream=out)
    structlog.get_logger("vigia.test").info("poll", stream="x:mentions", new=3, url="https://h/?t=xoxb-secret-token-123")
    logging.getLogger("analyzers.test").warning("model missing", extra={"path": "var/models/x"})
    logging.getLogger("analyzers.test").debug("hidden")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["event"] == "poll" and first["new"] == 3 and first["level"] == "info"
    assert first["url"] == "https://h/?t=***"
    assert "xoxb-secret-token-123" not in out.getvalue()
    assert second["event"] == "model missing" and second["path"] == "var/models/x"
    assert "timestamp" in first and first["timestamp"].endswith("Z")
