"""The outbox worker: delivers queued alerts once each, in order, one lane (sink × channel) at a time.

- Order: a lane delivers its oldest undelivered alert first and nothing behind it until that one is through,
  so an incident's opening always precedes its escalation (a reply also needs its parent's `ts`).
- Back-off per lane, stored in `delivery_lanes`: when Slack is down it is down for every message, so the
  lane waits as a whole (15 s doubling to 5 min, or Slack's Retry-After), and a restart remembers it.
- At most once per attempt: each attempt is committed (`sending_at`) before the sink is called. The next
  attempt of an alert whose previous one was cut off (a crash, a lost answer) first asks the sink whether it
  arrived, and waits while the sink cannot tell. That check only runs `CHECK_GRACE` after the cut-off
  attempt, so Slack's history has had time to show the message.
- After an outage, when more than `BACKLOG_NOTICE_OVER` alerts wait, one line goes first ("5 alertas
  retrasadas por caída de Slack"); the backlog then drains at the sink's pace (Slack: ≥1.1 s a message).
- A lease on the lane keeps two flushers (scheduler threads, `run` and a cron `poll --once`) from posting the
  same alert; the lease of a process that died on this host is taken over at once.

All times here are wall-clock (`Services.wall_clock`): an outage lasts real seconds even in a replay.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from bot import events
from bot.alerts.sinks import AlertSink, OutgoingAlert
from domain import Alert
from storage.delivery_repository import BACKLOG_KIND
from storage.models import AlertRow
from storage.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from bot.services import Services

log = structlog.get_logger("vigia.delivery")

BACKOFF_FIRST = 15.0  # seconds after a lane's first failure
BACKOFF_CAP = 300.0  # a lane probes Slack at least every 5 minutes, so a recovery is noticed soon
LEASE = timedelta(seconds=90)  # longer than one attempt (check + post, each bounded by the client timeout)
CHECK_GRACE = timedelta(seconds=10)  # an interrupted attempt younger than this is not checked yet
BACKLOG_NOTICE_OVER = 3
DRAIN_BUDGET = 30.0  # seconds per flush (the bus is busy meanwhile); the rest waits for the next tick
SINK_LABELS = {"slack": "Slack"}


def backoff_seconds(failures: int, retry_after: float | None = None) -> float:
    delay = min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** max(0, failures - 1))
    return max(delay, retry_after or 0.0)


def owner_is_dead(owner: str | None, me: str) -> bool:
    """True when `owner` is a process on this host that no longer exists (killed, crashed), or an earlier
    life of our own pid (a container's pid 1 restarted). Anything else waits for its lease to expire."""
    if not owner or owner == me:
        return False
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    if int(pid_text) == os.getpid():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def flush_outbox(cmd: events.FlushOutbox, svc: Services) -> list[events.Event]:
    """Deliver what is due in every lane; returns at once if another thread of this process is at it."""
    state = svc.delivery
    if not state.lock.acquire(blocking=False):
        state.again.set()  # the running flush makes one more pass
        return []
    try:
        deadline = time.monotonic() + DRAIN_BUDGET
        while True:
            state.again.clear()
            with svc.uow() as uow:
                lanes = uow.lanes.pending()
            delivered = 0
            for sink_name, channel in lanes:
                sink = svc.sinks.get(sink_name)
                if sink is None:
                    continue  # a sink not configured now (e.g. Slack without a token): keep it queued
                delivered += _drain(svc, sink, channel, deadline)
            if (not delivered and not state.again.is_set()) or time.monotonic() >= deadline or svc.stop.is_set():
                break
    finally:
        state.lock.release()
    return []


def _drain(svc: Services, sink: AlertSink, channel: str, deadline: float) -> int:
    """Deliver a lane's queue in order until it is empty, fails, or the budget is spent."""
    owner = svc.delivery.owner
    now = svc.wall_clock()
    with svc.uow() as uow:
        lane = uow.lanes.get(sink.name, channel)
        if lane.retry_at is not None and lane.retry_at > now:
            uow.commit()
            return 0
        dead = lane.lease_owner if owner_is_dead(lane.lease_owner, owner) or svc.fence.deposed(lane.lease_owner) \
            else None
        if not uow.lanes.claim(sink.name, channel, owner, now, now + LEASE, dead):
            uow.commit()
            log.info("lane busy in another process", sink=sink.name, channel=channel, owner=lane.lease_owner)
            return 0
        if lane.failures and getattr(sink, "announces_backlog", False) and lane.down_since is not None \
                and uow.lanes.backlog(sink.name, channel) > BACKLOG_NOTICE_OVER:
            uow.alerts.add(_backlog_notice(channel, lane.down_since), sink.name)
        svc.fence.guard(uow.session)  # the lane is claimed only under the current leader epoch
        uow.commit()
    delivered = 0
    try:
        while time.monotonic() < deadline and not svc.stop.is_set():
            with svc.uow() as uow:
                head = uow.lanes.queue(sink.name, channel, limit=1)
                if not head or not _deliver(uow, svc, sink, head[0]):
                    break
            delivered += 1
    finally:
        with svc.uow() as uow:
            uow.lanes.release(sink.name, channel, owner)
            uow.commit()
    return delivered


def _backlog_notice(channel: str, down_since: datetime) -> Alert:
    """Queued ahead of the backlog (`queue` orders it first); its count is filled in when it is sent."""
    return Alert(key=f"backlog:{channel}:{down_since.isoformat()}", kind=BACKLOG_KIND, severity="info",
                 title="Alertas retrasadas", body="", created_at=down_since, channel=channel,
                 details={"down_since": down_since.isoformat()})


def _outgoing(uow: UnitOfWork, sink: AlertSink, row: AlertRow) -> OutgoingAlert | None:
    """The message to send for `row`, or None while its thread parent is not delivered yet."""
    details = dict(row.details or {})
    title, body = row.title, row.body
    if row.kind == BACKLOG_KIND:
        waiting = uow.lanes.backlog(row.sink, row.channel)
        label = SINK_LABELS.get(sink.name, sink.name)
        since = datetime.fromisoformat(details["down_since"])
        title = f"{waiting} alertas retrasadas por caída de {label}"
        body = (f"{label} no aceptó mensajes desde las {since:%H:%M} UTC. Siguen en orden, de la más antigua "
                "a la más reciente.")
    thread_ref = None
    parent_key = details.get("thread_of")
    if parent_key and getattr(sink, "threads", False):
        parent = uow.alerts.get(parent_key, row.sink)
        if parent is not None and parent.sent_at is None:
            log.warning("reply waits for its parent", key=row.key, parent=parent_key)
            return None
        thread_ref = parent.remote_id if parent is not None else None
    return OutgoingAlert(row.key, row.kind, row.severity, row.channel, title, body, row.created_at, details,
                         thread_ref, row.id)


def _failed(uow: UnitOfWork, svc: Services, row: AlertRow, exc: Exception) -> None:
    lane = uow.lanes.get(row.sink, row.channel)
    delay = backoff_seconds((lane.failures or 0) + 1, getattr(exc, "retry_after", None))
    now = svc.wall_clock()
    error = f"{type(exc).__name__}: {exc}"
    uow.lanes.failed(row.sink, row.channel, error, now, now + timedelta(seconds=delay))
    uow.alerts.mark_failed(row.id, error, now + timedelta(seconds=delay))
    uow.commit()
    svc.metrics.alerts_failed.labels(row.sink).inc()
    log.warning("alert delivery failed; lane waits", sink=row.sink, channel=row.channel, key=row.key,
                retry_in_s=round(delay, 1), error=error[:300])


def _delivered(uow: UnitOfWork, svc: Services, row: AlertRow, remote: str | None, how: str) -> None:
    uow.alerts.mark_sent(row.id, svc.wall_clock(), remote)
    uow.lanes.recovered(row.sink, row.channel)
    uow.commit()
    svc.metrics.alerts_delivered.labels(row.sink).inc()
    log.info(how, sink=row.sink, channel=row.channel, key=row.key, remote=remote)


def _deliver(uow: UnitOfWork, svc: Services, sink: AlertSink, row: AlertRow) -> bool:
    """One alert; True when it is through (sent now or found sent), False when the lane must stop."""
    alert = _outgoing(uow, sink, row)
    if alert is None:
        return False
    if row.kind == BACKLOG_KIND and uow.lanes.backlog(row.sink, row.channel) == 0:
        _delivered(uow, svc, row, None, "backlog notice dropped: nothing left to announce")
        return True
    now = svc.wall_clock()
    finder = getattr(sink, "find_delivered", None)
    if row.sending_at is not None and finder is not None:
        if now - row.sending_at < CHECK_GRACE:
            return False  # too early to trust the channel's history: the next flush checks
        try:
            remote = finder(alert, row.sending_at.timestamp() - 60)
        except Exception as exc:  # Slack cannot say now: posting again could duplicate, so wait
            _failed(uow, svc, row, exc)
            return False
        log.info("earlier-delivery check", sink=row.sink, key=row.key, found=remote is not None,
                 gap_s=round((now - row.sending_at).total_seconds(), 1))
        if remote is not None:
            _delivered(uow, svc, row, remote, "alert found already delivered")
            return True
    if not uow.lanes.claim(row.sink, row.channel, svc.delivery.owner, now, now + LEASE):
        return False  # the lease was lost (a very slow attempt): whoever holds it now carries on
    uow.alerts.mark_sending(row.id, now)
    svc.fence.guard(uow.session)  # a deposed leader's send mark rolls back and nothing is sent
    uow.commit()  # marked before the attempt: a crash from here on is recovered by the check above
    try:
        remote = sink.send(alert)
    except Exception as exc:
        _failed(uow, svc, row, exc)
        return False
    _delivered(uow, svc, row, remote, "alert delivered")
    return True
