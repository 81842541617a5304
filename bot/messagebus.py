"""An in-process message bus (after cosmicpython's).

Handlers are plain functions `handler(message, services) -> events | None`, registered in one table
(`bot.handlers.EVENT_HANDLERS` / `COMMAND_HANDLERS`). A command's failure propagates to the caller; an event
handler's failure is logged and the other handlers still run, so one broken consumer cannot stop ingestion.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bot.events import Command, Event

log = logging.getLogger("vigia.bus")

Handler = Callable[[Any, Any], Iterable[Event] | None]


class MessageBus:
    def __init__(
        self,
        services: Any,
        event_handlers: Mapping[type[Event], list[Handler]],
        command_handlers: Mapping[type[Command], Handler],
    ):
        self.services = services
        self.event_handlers = event_handlers
        self.command_handlers = command_handlers
        # Jobs run on scheduler threads; handling one message chain at a time keeps SQLite writes serial and
        # the detector state consistent. Network waits happen inside connectors, which poll in the caller.
        self._lock = threading.RLock()

    def handle(self, message: Command | Event) -> list[Event]:
        """Handle a message and every event it causes; returns the events, for callers and tests."""
        handled: list[Event] = []
        queue: deque[Command | Event] = deque([message])
        with self._lock:
            while queue:
                msg = queue.popleft()
                if isinstance(msg, Event):
                    handled.append(msg)
                    queue.extend(self._handle_event(msg))
                elif isinstance(msg, Command):
                    queue.extend(self._handle_command(msg))
                else:
                    raise TypeError(f"{msg!r} is neither a Command nor an Event")
        return handled

    def _handle_event(self, event: Event) -> list[Event]:
        new: list[Event] = []
        for handler in self.event_handlers.get(type(event), []):
            try:
                new.extend(handler(event, self.services) or ())
            except Exception:
                log.exception(
                    "event handler failed",
                    extra={"handler": handler.__name__, "event": type(event).__name__},
                )
        return new

    def _handle_command(self, command: Command) -> list[Event]:
        handler = self.command_handlers.get(type(command))
        if handler is None:
            raise LookupError(f"no handler registered for {type(command).__name__}")
        return list(handler(command, self.services) or ())
