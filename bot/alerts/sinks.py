"""Where queued alerts are delivered: the console and a local outbox file (Slack comes with its own sink).

Every sink is idempotent on the alert key where it can be, because the outbox worker delivers at least once.
"""

from __future__ import annotations

import json
import sys
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TextIO


@dataclass(frozen=True)
class OutgoingAlert:
    key: str
    kind: str
    severity: str
    channel: str
    title: str
    body: str
    created_at: datetime
    details: dict[str, Any]
    thread_ref: str | None = None  # the sink's id of the message to reply under (an incident's first alert)
    outbox_id: int | None = None  # the outbox row, carried in the message's metadata with the key


class AlertSink(Protocol):
    name: str
    threads: bool  # whether replies can go under an earlier message

    def send(self, alert: OutgoingAlert) -> str | None:
        """Deliver or raise; return the sink's id of the message, if it has one."""
        ...


_ICONS = {"critico": "🔴", "aviso": "🟠", "info": "🟢"}


def render_text(alert: OutgoingAlert) -> str:
    icon = _ICONS.get(alert.severity, "•")
    return f"{icon} [{alert.channel}] {alert.title}\n{alert.body}"


class ConsoleSink:
    name = "console"
    threads = False

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stdout

    def send(self, alert: OutgoingAlert) -> str | None:
        print(render_text(alert) + "\n", file=self.stream, flush=True)
        return None


class FileSink:
    """Appends one JSON object per alert to a local outbox file (JSON Lines)."""

    name = "file"
    threads = False

    def __init__(self, path: Path):
        self.path = path
        self._keys: set[str] | None = None
        self._lock = threading.Lock()

    def _known_keys(self) -> set[str]:
        if self._keys is None:
            self._keys = set()
            if self.path.exists():
                for line in self.path.read_text(encoding="utf-8").splitlines():
                    try:
                        self._keys.add(json.loads(line)["key"])
                    except (ValueError, KeyError, TypeError):
                        continue  # a torn last line from a crash: the alert will be written again
        return self._keys

    def _ends_with_newline(self) -> bool:
        with self.path.open("rb") as fh:
            fh.seek(-1, 2)
            return fh.read(1) == b"\n"

    def send(self, alert: OutgoingAlert) -> str | None:
        with self._lock:
            keys = self._known_keys()
            if alert.key in keys:
                return None
            self.path.parent.mkdir(parents=True, exist_ok=True)
            record = {
                "key": alert.key,
                "kind": alert.kind,
                "severity": alert.severity,
                "channel": alert.channel,
                "title": alert.title,
                "body": alert.body,
                "created_at": alert.created_at.isoformat(),
                "details": alert.details,
            }
            torn = self.path.exists() and self.path.stat().st_size > 0 and not self._ends_with_newline()
            with self.path.open("a", encoding="utf-8") as fh:
                if torn:  # a crash cut the last line: start ours on a fresh line
                    fh.write("\n")
                fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
                fh.flush()
            keys.add(alert.key)
            return None
