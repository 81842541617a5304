"""A hot-standby cluster for tests and benchmarks: several real `python main.py run` processes on one PostgreSQL
schema, the fake X API and the fake Slack Web API on 127.0.0.1, citizens' mentions and queued Slack alerts
fed while the leader is killed with SIGKILL.

Used by tests/bot/test_standby.py (a few kills) and benchmarks/standby_takeover.py (many). The figures:
- posts: every mention the fake X API serves is stored exactly once (lost = served and not stored; the posts
  table's unique key makes a second copy impossible, so duplicates are counted as bookmarks that went
  backwards: a mention fetched again and reported "new" twice in the processes' logs);
- Slack: every alert queued for Slack is in Slack exactly once (by the alert key in the message metadata);
- takeover: from the kill to the successor's first poll log line, and to its `leader_epoch.acquired_at`.
All data is synthetic (made up here); nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from domain import Alert
from storage.models import AlertRow, LeaderEpochRow, PostRow
from storage.run_nodes import RunNodeRepository
from storage.unit_of_work import UnitOfWork
from tests.fakes.slack_api import TOKEN as SLACK_TOKEN
from tests.fakes.slack_api import SlackServer
from tests.fakes.x_api import TOKEN as X_TOKEN
from tests.fakes.x_api import FakeXApi, XApiServer

ROOT = Path(__file__).resolve().parents[2]
HANDLE = "Ministerio_TIC"
CHANNEL_IDS = ("C0ALERTS1", "C0OPS0001")


def schema_url(base_url: str, schema: str) -> str:
    """The database URL a subprocess gets: the test schema through libpq's `options`."""
    url = make_url(base_url)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


@dataclass
class Node:
    proc: subprocess.Popen[bytes]
    log: Path
    started: float
    killed_at: float | None = None


@dataclass
class Takeover:
    killed_pid: int
    killed_at: float  # time.time()
    lock_s: float | None = None  # kill → the successor's leader_epoch.acquired_at
    first_poll_s: float | None = None  # kill → the successor's first `poll` log line
    new_pid: int | None = None


@dataclass
class Cluster:
    tmp: Path
    database_url: str  # with the schema in it (schema_url)
    engine: Engine  # the test's own engine on the same schema
    rng: random.Random = field(default_factory=lambda: random.Random(17))
    poll_seconds: int = 10
    nodes: list[Node] = field(default_factory=list)
    takeovers: list[Takeover] = field(default_factory=list)
    served: set[str] = field(default_factory=set)
    queued: set[str] = field(default_factory=set)
    _alerts: int = 0
    _mentions: int = 0

    def __enter__(self) -> Cluster:
        self.x = XApiServer(FakeXApi(limits={"users_by_username": 100_000, "mentions": 100_000,
                                             "user_tweets": 100_000, "search_recent": 100_000},
                                     validate=False, record_bodies=False)).start()
        self.x.fake.add_user(HANDLE)
        self.slack = SlackServer().__enter__()
        self.logs = self.tmp / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.config = self._write_config()
        self.env = {**os.environ, "VIGIA_DATABASE_URL": self.database_url, "X_BEARER_TOKEN": X_TOKEN,
                    "SLACK_BOT_TOKEN": SLACK_TOKEN, "PYTHONUNBUFFERED": "1"}
        for name in ("META_ACCESS_TOKEN", "SLACK_WEBHOOK_URL", "VIGIA_CONFIG"):
            self.env.pop(name, None)
        return self

    def __exit__(self, *exc: object) -> None:
        for node in self.nodes:
            if node.proc.poll() is None:
                node.proc.kill()
                node.proc.wait()
        self.slack.__exit__(None, None, None)
        self.x.stop()

    def _write_config(self) -> Path:
        data = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
        data["accounts"] = {"x": [HANDLE]}
        connectors = data["connectors"]
        connectors["sample"]["enabled"] = False
        for platform in ("facebook", "instagram"):
            if platform in connectors:
                connectors[platform]["enabled"] = False
        connectors["x"].update({"enabled": True, "api_base_url": self.x.base_url, "searches": [],
                                "poll_interval_seconds": self.poll_seconds, "metrics_refresh_days": 0,
                                "backfill_hours": 1})
        data["scheduler"].update({"jitter_seconds": 0, "spike_check_seconds": 5, "outbox_flush_seconds": 2})
        data["alerts"].update({"console": False, "outbox_file": str(self.tmp / "outbox.jsonl"),
                               "slack_api_base_url": self.slack.base_url})
        data["report"]["out_dir"] = str(self.tmp / "reports")
        data["report"]["pdf"] = False
        data["paths"] = {"var_dir": str(self.tmp / "var"), "models_dir": str(self.tmp / "models")}
        data["logging"] = {"level": "INFO", "format": "json"}
        path = self.tmp / "config.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return path

    # --- processes --------------------------------------------------------------------------------------

    def start_node(self) -> Node:
        log = self.logs / f"run-{len(self.nodes) + 1:03d}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen([sys.executable, "main.py", "--config", str(self.config), "run"], cwd=ROOT,
                                    env=self.env, stdout=out, stderr=subprocess.STDOUT)
        node = Node(proc, log, time.time())
        self.nodes.append(node)
        return node

    def live(self) -> list[Node]:
        return [n for n in self.nodes if n.proc.poll() is None]

    def leader(self, timeout: float = 60.0, after_epoch: int = 0) -> tuple[Node, int]:
        """The live process that holds the current epoch (> `after_epoch`), once its heartbeat says so."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with Session(self.engine) as session:
                current = RunNodeRepository(session).current_leader()
            if current is not None and (current.epoch or 0) > after_epoch:
                for node in self.live():
                    if node.proc.pid == current.pid:
                        return node, int(current.epoch or 0)
            time.sleep(0.1)
        raise AssertionError(f"no leader after epoch {after_epoch} within {timeout} s; logs in {self.logs}")

    def standbys_ready(self, count: int, timeout: float = 90.0) -> None:
        """Wait until `count` live processes beat as standbys (bootstrapped, waiting for the lock)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = {n.proc.pid for n in self.live()}
            with Session(self.engine) as session:
                waiting = [n for n in RunNodeRepository(session).nodes()
                           if n.role == "standby" and n.pid in pids and n.alive(datetime.now(UTC))]
            if len(waiting) >= count:
                return
            time.sleep(0.2)
        raise AssertionError(f"fewer than {count} standbys within {timeout} s; logs in {self.logs}")

    def kill_leader(self) -> tuple[Takeover, int]:
        """SIGKILL the current leader; returns the takeover record and the killed epoch."""
        node, epoch = self.leader()
        node.proc.send_signal(signal.SIGKILL)
        node.killed_at = time.time()
        node.proc.wait()
        takeover = Takeover(node.proc.pid, node.killed_at)
        self.takeovers.append(takeover)
        return takeover, epoch

    def freeze_leader(self) -> tuple[Node, Takeover, int]:
        """SIGSTOP the current leader (a hung process, a paused VM: its kernel still answers TCP, so only the
        lock session's idle timeout ends it); SIGCONT it later with `thaw`."""
        node, epoch = self.leader()
        node.proc.send_signal(signal.SIGSTOP)
        takeover = Takeover(node.proc.pid, time.time())
        self.takeovers.append(takeover)
        return node, takeover, epoch

    @staticmethod
    def thaw(node: Node, timeout: float = 60.0) -> int | None:
        """SIGCONT a frozen process; returns its exit code once it stood down (None if it did not)."""
        node.proc.send_signal(signal.SIGCONT)
        try:
            return node.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def measure(self, takeover: Takeover, epoch: int) -> None:
        """Fill in the takeover times once the successor (epoch + 1 or later) leads and has polled."""
        successor, _ = self.leader(timeout=180, after_epoch=epoch)
        takeover.new_pid = successor.proc.pid
        with Session(self.engine) as session:
            acquired = session.scalar(select(LeaderEpochRow.acquired_at))
        if acquired is not None:
            takeover.lock_s = acquired.timestamp() - takeover.killed_at
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and takeover.first_poll_s is None:
            for line in _json_lines(successor.log):
                if line.get("event") == "poll":
                    at = datetime.fromisoformat(line["timestamp"]).timestamp()
                    if at >= takeover.killed_at:
                        takeover.first_poll_s = at - takeover.killed_at
                        break
            time.sleep(0.1)

    def stop_all(self) -> list[int | None]:
        codes = []
        for node in self.live():
            node.proc.send_signal(signal.SIGTERM)
        for node in self.nodes:
            try:
                codes.append(node.proc.wait(timeout=60))
            except subprocess.TimeoutExpired:
                node.proc.kill()
                codes.append(node.proc.wait())
        return codes

    # --- traffic ----------------------------------------------------------------------------------------

    def mentions(self, count: int) -> None:
        """Citizens mention the account (synthetic text); each is one post to be stored exactly once."""
        now = datetime.now(UTC)
        for _ in range(count):
            self._mentions += 1
            n = self._mentions
            tweet = self.x.fake.post(f"ciudadano_{n % 40}", f"@{HANDLE} sin señal en la vereda {n} 😡",
                                     at=now - timedelta(seconds=1))
            self.served.add(str(tweet))

    def alerts(self, count: int) -> None:
        """Alerts queued in the outbox for Slack (as the detector would), alternating the two channels."""
        now = datetime.now(UTC)
        with UnitOfWork(self.engine) as uow:
            for _ in range(count):
                self._alerts += 1
                n = self._alerts
                channel = "ops" if n % 4 == 0 else "alerts"
                alert = Alert(f"standby:{n}", "operational" if channel == "ops" else "spike", "aviso",
                              f"Alerta sintética {n}", "Prueba de relevo (datos sintéticos)", now, channel=channel)
                if uow.alerts.add(alert, "slack"):
                    self.queued.add(alert.key)
            uow.commit()

    # --- figures ----------------------------------------------------------------------------------------

    def stored_posts(self) -> Counter[str]:
        with Session(self.engine) as session:
            rows = session.execute(select(PostRow.external_id, func.count()).where(PostRow.platform == "x")
                                   .group_by(PostRow.external_id))
            return Counter({external_id: count for external_id, count in rows})

    def slack_messages(self) -> Counter[str]:
        seen: Counter[str] = Counter()
        for channel in CHANNEL_IDS:
            for message in self.slack.fake.posted(channel):
                key = ((message.get("metadata") or {}).get("event_payload") or {}).get("alert_key")
                if key is not None and not key.startswith("backlog:"):
                    seen[key] += 1
        return seen

    def undelivered(self) -> int:
        with Session(self.engine) as session:
            return int(session.scalar(select(func.count()).select_from(AlertRow).where(
                AlertRow.sink == "slack", AlertRow.sent_at.is_(None), AlertRow.kind != "backlog")) or 0)

    def settle(self, timeout: float = 90.0) -> None:
        """Wait until every served mention is stored and every queued alert delivered (or time runs out)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.served <= set(self.stored_posts()) and self.undelivered() == 0:
                return
            time.sleep(0.5)

    def figures(self) -> dict[str, Any]:
        stored, in_slack = self.stored_posts(), self.slack_messages()
        new_reported = sum(int(line.get("new", 0)) for node in self.nodes for line in _json_lines(node.log)
                           if line.get("event") == "poll")
        wanted = {k for k in self.queued} | {k for k in in_slack}
        with Session(self.engine) as session:
            slack_rows = {key for (key,) in session.execute(select(AlertRow.key).where(
                AlertRow.sink == "slack", AlertRow.kind != "backlog"))}
        wanted |= slack_rows
        return {
            "posts_served": len(self.served),
            "posts_stored": sum(stored[k] for k in self.served if k in stored),
            "posts_lost": len(self.served - set(stored)),
            "posts_unexpected": len(set(stored) - self.served),
            "posts_duplicated": sum(c - 1 for c in stored.values() if c > 1) + max(0, new_reported - len(stored)),
            "alerts_queued": len(slack_rows),
            "alerts_delivered": sum(1 for k in slack_rows if in_slack[k] >= 1),
            "alerts_lost": sum(1 for k in slack_rows if in_slack[k] == 0),
            "alerts_duplicated": sum(in_slack[k] - 1 for k in wanted if in_slack[k] > 1),
            "alerts_unknown": sum(1 for k in in_slack if k not in slack_rows),
        }


def _json_lines(path: Path) -> list[dict[str, Any]]:
    lines = []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return lines
    for raw in text.splitlines():
        if raw.startswith("{"):
            try:
                lines.append(json.loads(raw))
            except ValueError:
                continue
    return lines
