"""Who leads: one `run` per database does the work; on PostgreSQL the others wait as hot standbys.

PostgreSQL: the leader holds a session-level advisory lock on a dedicated connection for as long as it leads.
The server releases the lock when that session ends: at once when the process dies (kill -9 closes its TCP
connection), or, when the host or the network is gone, once the server's TCP keepalive or user timeout drops
the silent session (`SERVER_SOCKET`: at most 11 s after the last exchange). Standbys try the lock every
`TRY_EVERY` seconds, so a takeover happens within about 13 s of a host loss and 2 s of a crash.

Fencing, so that two processes never act as leader at the same time:
- deadline: the leader checks its lock connection every `CHECK_EVERY` seconds. It may act only until
  `LEASE` seconds after the start of its last good check; a watchdog stops it (exit code 3) as soon as
  that passes. The server cannot drop the lock session sooner than 10 s after the last exchange
  (`tcp_user_timeout` 10 s; keepalive 5 s + 3 × 2 s), which came no earlier than the start of that check,
  so the deadline (8 s) always falls before any standby can take the lock.
- epoch: each new leader increments `leader_epoch` while holding the lock. The writes that matter (a stream
  bookmark with its page of posts, an outbox lane claim and an alert's send mark, a report's send mark) check
  the epoch in their own transaction (`Leadership.guard`, a share lock on the epoch row): a deposed
  leader's late commit sees the successor's epoch and rolls back, whatever the clocks and timeouts did.
A leader that loses its lock exits with code 3 instead of becoming a standby again in the same process:
its threads, caches and connections may be mid-way; the service manager (systemd `Restart=always`) starts a
fresh process, which waits as a standby.

SQLite: one process only (an exclusive flock beside the database file); the standby mode needs PostgreSQL.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from storage.run_nodes import (
    HEARTBEAT_SECONDS,
    KEEP_DEAD_NODES,
    LeaderEpochRepository,
    RunNodeRepository,
    StaleLeader,
)

log = structlog.get_logger("vigia.leader")

LOCK_NAME = "vigia:run"
TRY_EVERY = 2.0  # seconds between a standby's lock attempts
CHECK_EVERY = 2.0  # seconds between the leader's checks of its lock connection
LEASE = 8.0  # the leader acts until this long after the start of its last good check
EXIT_LOST = 3  # `run`'s exit code when it stopped leading because its lock or session was lost
LOST_GRACE = 10.0  # seconds the deposed leader's jobs get to notice before the process exits anyway

# Server side, per session (any user may set them): a silent peer is dropped after keepalive idle 5 s plus
# 3 unanswered probes 2 s apart (11 s), or when data it was sent stays unacknowledged for 10 s.
SERVER_SOCKET = {"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "2", "tcp_keepalives_count": "3",
                 "tcp_user_timeout": "10000"}
# Client side (libpq) on the lock connection: a check that cannot reach the server fails within seconds
# instead of hanging for the kernel's default (about 15 minutes for unacknowledged data).
CLIENT_SOCKET = {"keepalives": 1, "keepalives_idle": 2, "keepalives_interval": 1, "keepalives_count": 2,
                 "tcp_user_timeout": 4000, "connect_timeout": 5}
CHECK_STATEMENT_TIMEOUT_MS = 3000
# The lock session is never idle longer than CHECK_EVERY while its process runs; a frozen leader (a stopped
# process, a paused VM) has it ended by the server 10 s after its last check, so a standby takes over.
IDLE_SESSION_TIMEOUT_MS = 10_000
ADVANCE_LOCK_TIMEOUT_MS = 3000
SQLITE_NOTE = "SQLite: un solo proceso; el modo de respaldo requiere PostgreSQL"


class AlreadyRunning(Exception):
    pass


def _pg_key(schema: str = "public") -> int:
    """The advisory lock's key: one per schema (`public` keeps the key of earlier versions), so two Vigía
    deployments in two schemas of one database do not block each other."""
    name = LOCK_NAME if schema == "public" else f"{LOCK_NAME}:{schema}"
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def app_version() -> str:
    try:
        return package_version("vigia")
    except PackageNotFoundError:
        return "0.1.0"


# --- PostgreSQL: the lock connection ------------------------------------------------------------------


def _server_options() -> str:
    return " ".join(f"-c {name}={value}" for name, value in SERVER_SOCKET.items())


def harden(engine: Engine) -> None:
    """Every new session of `engine` gets the server-side timeouts above, so the server also drops the pooled
    sessions of a leader whose host is gone (their open transactions, and the share locks they hold on the
    epoch row, end within seconds instead of after the kernel's 2-hour keepalive). Pooled connections made
    before are closed."""
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine, "connect")
    def _timeouts(dbapi_connection: Any, _record: Any) -> None:
        for name, value in SERVER_SOCKET.items():
            try:
                with dbapi_connection.cursor() as cursor:
                    cursor.execute(f"SET {name} = {int(value)}")
                dbapi_connection.commit()
            except Exception as exc:  # e.g. tcp_user_timeout before PostgreSQL 12: the others still apply
                dbapi_connection.rollback()
                log.warning("server setting refused", setting=name, error=str(exc).strip()[:200])

    engine.dispose()


class LockConnection:
    """The dedicated PostgreSQL session that holds the advisory lock (never pooled, never shared)."""

    def __init__(self, engine: Engine):
        with engine.connect() as conn:
            self.schema = str(conn.execute(text("SELECT current_schema()")).scalar() or "public")
        self.key = _pg_key(self.schema)
        url_options = str(engine.url.query.get("options", ""))
        options = f"{url_options} {_server_options()}".strip()  # pg_catalog only: no search_path needed
        self._engine = create_engine(engine.url, poolclass=NullPool,
                                     connect_args={**CLIENT_SOCKET, "options": options})
        self._conn: Connection | None = None
        self._io = threading.Lock()

    def try_acquire(self) -> bool:
        with self._io:
            if self._conn is None:
                self._conn = self._engine.connect()
                try:
                    self._conn.execute(text(f"SET idle_session_timeout = {IDLE_SESSION_TIMEOUT_MS}"))
                    self._conn.commit()
                except Exception as exc:  # before PostgreSQL 14: a frozen leader keeps its lock until it wakes
                    self._conn.rollback()
                    log.warning("server setting refused", setting="idle_session_timeout",
                                error=str(exc).strip()[:200])
            got = bool(self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key}).scalar())
            self._conn.commit()
            if got:
                self._conn.execute(text(f"SET statement_timeout = {CHECK_STATEMENT_TIMEOUT_MS}"))
                self._conn.commit()
            return got

    def holds(self) -> bool:
        """One round trip on the lock session: True while the session is alive and holds the lock."""
        with self._io:
            if self._conn is None:
                return False
            unsigned = self.key & 0xFFFF_FFFF_FFFF_FFFF  # pg_locks shows a bigint key as two oids
            held = self._conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
                "AND pid = pg_backend_pid() AND classid::bigint = :high AND objid::bigint = :low"),
                {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF}).scalar()
            self._conn.commit()
            return bool(held)

    def close(self) -> None:
        with self._io:
            if self._conn is not None:
                with suppress(Exception):
                    self._conn.execute(text("SELECT pg_advisory_unlock_all()"))
                    self._conn.commit()
                with suppress(Exception):
                    self._conn.close()
                self._conn = None
        self._engine.dispose()


# --- the fence handlers use -----------------------------------------------------------------------------


@dataclass
class Leadership:
    """Whether this process may act as leader now; `Services.fence`. Unfenced (the default: `poll --once`,
    tests, SQLite) it never refuses."""

    epoch: int | None = None
    fenced: bool = False
    valid_until: float = float("inf")  # time.monotonic() deadline
    lost: threading.Event = field(default_factory=threading.Event)
    reason: str = ""

    def leading(self) -> bool:
        """Local check, no I/O: the lock was confirmed recently and not lost since."""
        return not self.fenced or (not self.lost.is_set() and time.monotonic() < self.valid_until)

    def guard(self, session: Session | None = None) -> None:
        """Call right before committing a write that matters (and so before the side effect it allows):
        raises `StaleLeader` when this process no longer leads; in `session`, also checks the epoch and
        share-locks it until that transaction ends."""
        if not self.fenced:
            return
        if not self.leading():
            raise StaleLeader(f"no longer the leader ({self.reason or 'lock not confirmed in time'})")
        if session is not None and self.epoch is not None:
            LeaderEpochRepository(session).check(self.epoch)

    def deposed(self, owner: str | None) -> bool:
        """True when `owner` (a delivery lease holder) is a leader of an earlier epoch: it can no longer
        commit anything, so its lease need not be waited out (`owner_tag`)."""
        if not self.fenced or self.epoch is None or not owner or "#e" not in owner:
            return False
        tail = owner.rpartition("#e")[2]
        return tail.isdigit() and int(tail) < self.epoch

    def owner_tag(self) -> str:
        return f"#e{self.epoch}" if self.fenced and self.epoch is not None else ""

    def lose(self, reason: str) -> None:
        if not self.lost.is_set():
            self.reason = reason
            self.lost.set()


UNFENCED = Leadership()


# --- the node: heartbeat, standby loop, leading ----------------------------------------------------------


@dataclass
class Node:
    """This process in `run_nodes`."""

    node_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    hostname: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    version: str = field(default_factory=app_version)
    role: str = "standby"
    leader_since: datetime | None = None
    epoch: int | None = None


class Heartbeat:
    """Writes the node's row every `HEARTBEAT_SECONDS` from its own thread; a failed beat is logged (the
    database may be away for a while) and the next one tries again. The leader also prunes dead rows."""

    def __init__(self, engine: Engine, node: Node, every: float = HEARTBEAT_SECONDS):
        self.engine, self.node, self.every = engine, node, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)

    def beat(self) -> None:
        now = datetime.now(UTC)
        n = self.node
        with Session(self.engine) as session:
            repo = RunNodeRepository(session)
            repo.heartbeat(n.node_id, hostname=n.hostname, pid=n.pid, role=n.role, started_at=n.started_at,
                           now=now, leader_since=n.leader_since, epoch=n.epoch, version=n.version)
            if n.role == "leader":
                repo.prune(now - KEEP_DEAD_NODES)
            session.commit()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.beat()
            except Exception as exc:
                log.warning("heartbeat failed", error=f"{type(exc).__name__}: {str(exc)[:200]}")

    def start(self) -> None:
        try:
            self.beat()
        except Exception as exc:
            log.warning("heartbeat failed", error=f"{type(exc).__name__}: {str(exc)[:200]}")
        self._thread.start()

    def stop(self, *, remove: bool) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        if remove:
            with suppress(Exception), Session(self.engine) as session:
                RunNodeRepository(session).gone(self.node.node_id)
                session.commit()


def _watch(lock: LockConnection, leadership: Leadership, on_lost: Callable[[], None]) -> list[threading.Thread]:
    """Two threads: the checker renews the deadline after each good check of the lock connection; the
    monitor stops the leader when the deadline passes, even while a check hangs on a dead network."""

    def check() -> None:
        while not leadership.lost.is_set():
            started = time.monotonic()
            try:
                ok = lock.holds()
            except Exception as exc:
                leadership.lose(f"lock connection failed: {type(exc).__name__}: {str(exc).strip()[:200]}")
                break
            if not ok:
                leadership.lose("advisory lock no longer held by this session")
                break
            leadership.valid_until = started + LEASE
            leadership.lost.wait(max(0.0, CHECK_EVERY - (time.monotonic() - started)))
        on_lost()

    def monitor() -> None:
        while not leadership.lost.wait(0.5):
            if time.monotonic() >= leadership.valid_until:
                leadership.lose(f"lock not confirmed for {LEASE:g} s")
        on_lost()

    threads = [threading.Thread(target=check, name="leader-check", daemon=True),
               threading.Thread(target=monitor, name="leader-deadline", daemon=True)]
    for thread in threads:
        thread.start()
    return threads


def _exit_lost() -> None:
    os._exit(EXIT_LOST)  # the deposed leader's jobs did not end in time: a hung database call


def serve(engine: Engine, stop: threading.Event, lead: Callable[[Leadership], int], *,
          node: Node | None = None, try_every: float = TRY_EVERY, hard_exit: Callable[[], None] = _exit_lost) -> int:
    """Wait as a standby until this process holds the lock (PostgreSQL), then lead until `stop` or until the
    lock is lost. `lead(leadership)` runs the scheduler and returns when `stop` is set. Returns the exit
    code: `lead`'s, or `EXIT_LOST` (3) when leadership was lost (`hard_exit` runs when `lead` has not
    returned `LOST_GRACE` seconds after that). SQLite: `AlreadyRunning` when another
    process has the database."""
    node = node or Node()
    heartbeat = Heartbeat(engine, node)
    if engine.dialect.name != "postgresql":
        log.info("SQLite: one process only; hot standby needs PostgreSQL")
        with leader_lock(engine):
            _become_leader(engine, node)
            heartbeat.start()
            try:
                return lead(UNFENCED)
            finally:
                heartbeat.stop(remove=True)
    harden(engine)
    lock = LockConnection(engine)
    heartbeat.start()
    waited_since = time.monotonic()
    announced = False
    try:
        while not stop.is_set():
            attempt = time.monotonic()
            try:
                if lock.try_acquire():
                    break
            except Exception as exc:  # the database is away: keep waiting, on a fresh connection next time
                log.warning("standby cannot reach the database", error=f"{type(exc).__name__}: {str(exc)[:200]}")
                lock.close()
            if not announced:
                log.info("standby: another process leads; waiting to take over", node=node.node_id,
                         try_every_s=try_every)
                announced = True
            stop.wait(try_every)
        if stop.is_set():
            return 0
        leadership = Leadership(epoch=_become_leader(engine, node), fenced=True, valid_until=attempt + LEASE)
        with suppress(Exception):
            heartbeat.beat()  # operators see the new leader now, not at the next beat
        log.info("leader: took over", node=node.node_id, epoch=leadership.epoch,
                 waited_s=round(attempt - waited_since, 1))

        acted = threading.Lock()
        timers: list[threading.Timer] = []

        def on_lost() -> None:
            if not leadership.reason or not acted.acquire(blocking=False):
                return  # a clean stop, or the other watch thread already acted
            log.error("leader: lost the lock; stopping at once", reason=leadership.reason, epoch=leadership.epoch)
            stop.set()
            timer = threading.Timer(LOST_GRACE, hard_exit)
            timer.daemon = True
            timer.start()
            timers.append(timer)

        _watch(lock, leadership, on_lost)
        code = lead(leadership)
        for timer in timers:
            timer.cancel()
        if leadership.lost.is_set() and leadership.reason:
            return EXIT_LOST
        leadership.lost.set()  # a clean stop: the watch threads end
        return code
    finally:
        lock.close()
        heartbeat.stop(remove=True)


def _become_leader(engine: Engine, node: Node) -> int:
    """A new epoch, recorded with the node (only called while holding the lock).

    The increment waits for the share locks of commits in flight under the previous epoch. A deposed leader
    frozen in the middle of such a transaction (a stopped process) would make it wait until it wakes, so
    after `ADVANCE_LOCK_TIMEOUT_MS` the sessions holding them are terminated: we hold the lock, so they can
    only belong to a deposed leader, and ending them is the fencing itself (their transaction rolls back)."""
    now = datetime.now(UTC)
    postgres = engine.dialect.name == "postgresql"
    for _ in range(20):
        with Session(engine) as session:
            try:
                if postgres:
                    session.execute(text(f"SET LOCAL lock_timeout = {ADVANCE_LOCK_TIMEOUT_MS}"))
                epoch = LeaderEpochRepository(session).advance(node.node_id, now)
                session.commit()
                break
            except OperationalError as exc:
                if not postgres or "lock timeout" not in str(exc):
                    raise
                session.rollback()
                ended = session.execute(text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'relation' "
                    "AND relation = 'leader_epoch'::regclass AND mode = 'RowShareLock' "
                    "AND pid <> pg_backend_pid()")).scalars().all()
                session.commit()
                log.warning("leader: ended a deposed leader's sessions holding the epoch", sessions=len(ended))
    else:
        raise RuntimeError("could not advance the leader epoch: its row stays locked")
    node.role, node.leader_since, node.epoch = "leader", now, epoch
    return epoch


# --- the single-process lock (SQLite, and the plain check kept for tests and tools) ---------------------


@contextmanager
def leader_lock(engine: Engine) -> Iterator[None]:
    """Hold the run lock for the block or raise `AlreadyRunning` (no waiting)."""
    if engine.dialect.name == "postgresql":
        lock = LockConnection(engine)
        try:
            if not lock.try_acquire():
                raise AlreadyRunning("another `main.py run` already holds this PostgreSQL database")
            yield
        finally:
            lock.close()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    path = Path(database).with_suffix(Path(database).suffix + ".run.lock")
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise AlreadyRunning(f"another `main.py run` already uses {database} (lock file {path}); "
                                 f"{SQLITE_NOTE}") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def takeover_budget() -> timedelta:
    """The worst case from a leader host's loss to a standby holding the lock (documented in deploy.md)."""
    server = int(SERVER_SOCKET["tcp_keepalives_idle"]) + int(SERVER_SOCKET["tcp_keepalives_count"]) * int(
        SERVER_SOCKET["tcp_keepalives_interval"])
    return timedelta(seconds=server + TRY_EVERY)
