"""The message bus: commands to one handler, events to many, failures isolated."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.events import Command, Event
from bot.messagebus import MessageBus


@dataclass(frozen=True)
class Ping(Command):
    n: int


@dataclass(frozen=True)
class Ponged(Event):
    n: int


def test_command_events_cascade_to_every_handler_in_order():
    seen: list[str] = []

    def ping(cmd, svc):
        seen.append(f"ping{cmd.n}")
        return [Ponged(cmd.n)]

    def first(evt, svc):
        seen.append(f"first{evt.n}")
        return [Ping(evt.n + 1)] if evt.n < 2 else []

    def second(evt, svc):
        seen.append(f"second{evt.n}")

    bus = MessageBus(object(), {Ponged: [first, second]}, {Ping: ping})
    handled = bus.handle(Ping(1))
    assert seen == ["ping1", "first1", "second1", "ping2", "first2", "second2"]
    assert handled == [Ponged(1), Ponged(2)]


def test_failing_event_handler_does_not_stop_the_others(caplog):
    calls: list[str] = []

    def broken(evt, svc):
        raise RuntimeError("boom")

    def fine(evt, svc):
        calls.append("fine")

    bus = MessageBus(object(), {Ponged: [broken, fine]}, {})
    bus.handle(Ponged(1))
    assert calls == ["fine"]
    assert "event handler failed" in caplog.text


def test_failing_command_propagates_and_unknown_command_is_an_error():
    def broken(cmd, svc):
        raise ValueError("bad")

    bus = MessageBus(object(), {}, {Ping: broken})
    with pytest.raises(ValueError, match="bad"):
        bus.handle(Ping(1))

    @dataclass(frozen=True)
    class Other(Command):
        pass

    with pytest.raises(LookupError, match="Other"):
        bus.handle(Other())
    with pytest.raises(TypeError):
        bus.handle("not a message")  # type: ignore[arg-type]


def test_events_are_immutable():
    with pytest.raises(AttributeError):
        Ponged(1).n = 2  # type: ignore[misc]
