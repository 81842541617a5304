"""Slack delivery through the real slack-sdk against the local fake Slack (tests/fakes/slack_api.py)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot import events
from bot.alerts.sinks import FileSink, OutgoingAlert
from bot.alerts.slack_sink import SlackDeliveryError, SlackSink, build_blocks, build_slack_sink
from domain import Alert
from storage.unit_of_work import UnitOfWork
from tests.factories import T0
from tests.fakes.slack_api import TOKEN, Fault

CHANNELS = {"alerts": "#vigia-alertas", "ops": "#vigia-operaciones"}



def _sink(slack, **kw) -> SlackSink:
    sink = build_slack_sink(TOKEN, None, slack.base_url, CHANNELS)
    assert isinstance(sink, SlackSink)
    sink._pacer.interval = kw.get("interval", 0.0)
    return sink


def _alert(key="incident:1:open", **details) -> OutgoingAlert:
    base = {"incident": 1, "key": "category:reclamo", "label": "reclamos", "value": 42, "expected": 5.0,
            "since": "2026-11-18T15:00:00+00:00", "posts": 40, "sentiment": {"negative": 36, "neutral": 4},
            "top_terms": ["plataforma", "caida"], "top_hashtags": ["#MinTIC"],
            "top_posts": [{"text": "La plataforma está caída <!channel> @todos", "url": "https://x.com/a/status/1",
                           "author": "ciudadana1", "engagement": 15, "platform": "x"}],
            "inbox_url": "http://127.0.0.1:8000/inbox?incidente=1"}
    base.update(details)
    return OutgoingAlert(key, "spike", "critico", "alerts", "Posible crisis (CRÍTICO): pico de reclamos",
                         "Volumen de reclamos: 42 en 15 min frente a 5.0 esperados (x8.4)", T0, base)


def test_alert_is_posted_as_block_kit_to_the_channel_with_the_token(slack):
    remote = _sink(slack).send(_alert())
    [msg] = slack.fake.posted("C0ALERTS1")
    assert remote == f"C0ALERTS1:{msg['ts']}"
    request = next(r for r in slack.fake.requests if r.path == "/api/chat.postMessage")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    types = [b["type"] for b in msg["blocks"]]
    assert types[0] == "header" and "actions" in types and types[-1] == "context"
    text = json.dumps(msg["blocks"], ensure_ascii=False)
    assert "x8.4" in text and "negativo 90%" in text and "plataforma, caida" in text
    assert "<https://x.com/a/status/1|ver>" in text
    assert "&lt;!channel&gt;" in text and "<!channel>" not in text  # citizens' text cannot ping the channel
    assert "Ref. incident:1:open" in text


def test_ops_alerts_go_to_the_operations_channel(slack):
    alert = OutgoingAlert("ops:connector:x:1", "operational", "critico", "ops", "Falla del conector",
                          "HTTP 401: token inválido", T0, {})
    _sink(slack).send(alert)
    assert len(slack.fake.posted("C0OPS0001")) == 1 and slack.fake.posted("C0ALERTS1") == []


def test_rate_limit_is_retried_after_retry_after(slack):
    slack.fake.faults.extend([Fault(429, retry_after=1, method="chat.postMessage")])
    _sink(slack).send(_alert())
    assert len(slack.fake.posted()) == 1
    assert len([r for r in slack.fake.requests if r.path == "/api/chat.postMessage"]) == 2


def test_server_errors_are_retried_then_reported(slack):
    slack.fake.faults.extend([Fault(500)])
    _sink(slack).send(_alert())
    assert len(slack.fake.posted()) == 1
    slack.fake.down = True
    with pytest.raises(SlackDeliveryError):
        _sink(slack).send(_alert("incident:2:open"))


def test_invalid_token_is_a_delivery_error(slack):
    sink = build_slack_sink("xoxb-wrong", None, slack.base_url, CHANNELS)
    with pytest.raises(SlackDeliveryError, match="invalid_auth"):
        sink.send(_alert())  # type: ignore[union-attr]


def test_messages_are_paced_to_one_per_interval(slack):
    slept: list[float] = []
    now = [100.0]
    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    sink = SlackSink(_sink(slack).client, CHANNELS, min_interval=1.1, sleep=sleep, monotonic=lambda: now[0])
    for n in range(3):
        sink.send(_alert(f"incident:{n}:open"))
    assert len(slept) == 2 and all(abs(s - 1.1) < 1e-9 for s in slept)


def test_webhook_sink_posts_blocks(slack):
    sink = build_slack_sink(None, slack.webhook_url, "unused", CHANNELS)
    sink._pacer.interval = 0  # type: ignore[union-attr]
    assert sink.send(_alert()) is None  # type: ignore[union-attr]
    [msg] = slack.fake.posted("webhook")
    assert msg["blocks"][0]["type"] == "header"


def test_blocks_stay_within_slack_limits():
    long = _alert(top_posts=[{"text": "x" * 5000, "url": "https://x.com/1", "author": "a", "engagement": 1}] * 3)
    for block in build_blocks(long):
        if "text" in block:
            assert len(block["text"]["text"]) <= (150 if block["type"] == "header" else 3000)


# --- through the outbox ---------------------------------------------------------------------------------


def _queue(engine, alert: Alert, sinks=("slack",)) -> None:
    with UnitOfWork(engine) as uow:
        for sink in sinks:
            uow.alerts.add(alert, sink)  # threading follows details["thread_of"], not the incident row
        uow.commit()


def _incident_alerts() -> list[Alert]:
    common = {"incident": 7, "key": "all", "value": 30, "expected": 3.0}
    return [
        Alert("incident:7:open", "spike", "aviso", "Posible crisis", "Volumen x10", T0, details=common),
        Alert("incident:7:escalate:critico", "escalation", "critico", "Escala", "x20", T0 + timedelta(minutes=15),
              details={**common, "thread_of": "incident:7:open"}),
        Alert("incident:7:recovery", "recovery", "info", "Fin", "Duró 2 h", T0 + timedelta(hours=2),
              details={"incident": 7, "thread_of": "incident:7:open"}),
    ]


def _outbox_bus(engine, tmp_path, slack):
    from bot.bootstrap import bootstrap
    from bot.clock import ManualClock
    from bot.config import parse_config

    config = parse_config({"connectors": {"sample": {"enabled": False}},
                           "paths": {"models_dir": str(tmp_path / "m")}})
    clock = ManualClock(T0 + timedelta(hours=3))
    sinks = {"slack": _sink(slack), "file": FileSink(tmp_path / "outbox.jsonl")}
    return bootstrap(config, engine=engine, clock=clock, connectors={}, sinks=sinks, wall_clock=clock), clock


def test_outage_in_the_middle_of_an_incident_delays_but_neither_loses_nor_duplicates(engine, tmp_path, slack):
    bus, clock = _outbox_bus(engine, tmp_path, slack)
    opened, escalated, recovered = _incident_alerts()
    _queue(engine, opened, ("slack", "file"))
    bus.handle(events.FlushOutbox(clock()))
    assert len(slack.fake.posted("C0ALERTS1")) == 1

    slack.fake.down = True  # Slack goes down while the incident grows and ends
    _queue(engine, escalated, ("slack", "file"))
    _queue(engine, recovered, ("slack", "file"))
    bus.handle(events.FlushOutbox(clock()))
    with UnitOfWork(engine) as uow:
        pending = {(a.key, a.sink): a.attempts for a in uow.alerts.all() if a.sent_at is None}
    # one back-off for the channel: the head was tried once, what queues behind it waits its turn
    assert pending == {("incident:7:escalate:critico", "slack"): 1, ("incident:7:recovery", "slack"): 0}
    assert len((tmp_path / "outbox.jsonl").read_text(encoding="utf-8").splitlines()) == 3  # file unaffected

    slack.fake.down = False
    bus.handle(events.FlushOutbox(clock()))  # too early: back-off not over
    assert len(slack.fake.posted("C0ALERTS1")) == 1
    clock.advance(timedelta(minutes=5))
    bus.handle(events.FlushOutbox(clock()))
    messages = slack.fake.posted("C0ALERTS1")
    assert len(messages) == 3
    parent = messages[0]
    assert [m.get("thread_ts") for m in messages[1:]] == [parent["ts"], parent["ts"]]
    assert "Escala" in messages[1]["text"] and "Fin" in messages[2]["text"]
    bus.handle(events.FlushOutbox(clock() + timedelta(hours=2)))
    assert len(slack.fake.posted("C0ALERTS1")) == 3


def test_a_crash_after_posting_does_not_post_twice(engine, tmp_path, slack):
    bus, clock = _outbox_bus(engine, tmp_path, slack)
    opened = _incident_alerts()[0]
    _queue(engine, opened)
    # The previous process marked the attempt, Slack got the message, then the process died.
    with UnitOfWork(engine) as uow:
        row = uow.alerts.get(opened.key, "slack")
        uow.alerts.mark_sending(row.id, T0)  # type: ignore[union-attr]
        uow.commit()
    sink = bus.services.sinks["slack"]
    sink.send(OutgoingAlert(opened.key, opened.kind, opened.severity, "alerts", opened.title, opened.body, T0,
                            dict(opened.details)))
    bus.handle(events.FlushOutbox(clock()))
    assert len(slack.fake.posted("C0ALERTS1")) == 1
    with UnitOfWork(engine) as uow:
        row = uow.alerts.get(opened.key, "slack")
        assert row is not None and row.sent_at is not None and row.remote_id.startswith("C0ALERTS1:")
