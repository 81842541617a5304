"""Is Vigía doing its job? One read of the database that `main.py status`, `/healthz` and `/metrics` share.

The verdict is `ok`, `degraded` (working, but someone should look: a late stream, a paused stream, an open
operational problem, alerts waiting, a token about to expire, a migration pending) or `down` (not doing its
job: database unreachable, no leader heartbeat, a stream far behind, alerts stuck for an hour). The thresholds
are `health:` in config.yaml (bot.config.HealthSettings, documented in docs/deploy.md).

Only the database is read, so the verdict is the same from any host and any process: it says what the
`run` processes stored (bookmarks touched by every clean poll, `ops_problems`, the outbox, `run_nodes`), not
what this process happens to know. Each section is read on its own connection: one failing query (a table a
pending migration has not created yet) marks its section unknown and leaves the others intact.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from bot.alerts.problems import pauses, title_for
from bot.config import Config
from storage import health_queries as q

log = structlog.get_logger("vigia.health")

OK, DEGRADED, DOWN, UNKNOWN = "ok", "degraded", "down", "unknown"
EXIT_CODES = {OK: 0, DEGRADED: 1, DOWN: 2}
_RANK = {OK: 0, UNKNOWN: 0, DEGRADED: 1, DOWN: 2}
STREAM_PLATFORMS = ("sample", "x", "facebook", "instagram")
META_PLATFORMS = ("facebook", "instagram")
STATE_ES = {OK: "bien", DEGRADED: "degradado", DOWN: "caído", UNKNOWN: "desconocido"}
NO_NODE_INFO = "sin información de nodos"


def worst(*states: str) -> str:
    return max(states, key=lambda s: _RANK[s], default=OK)


@dataclass
class Finding:
    """One reason the verdict is not `ok`, in Spanish for staff."""

    state: str
    what: str


@dataclass
class DatabaseHealth:
    reachable: bool
    url: str
    revision: str | None = None
    head: str | None = None
    error: str | None = None

    @property
    def pending_migration(self) -> bool:
        return self.reachable and self.revision != self.head


@dataclass
class NodeHealth:
    node_id: str
    hostname: str
    pid: int
    role: str
    started_at: datetime | None
    heartbeat_at: datetime | None
    leader_since: datetime | None
    epoch: int | None
    version: str | None
    heartbeat_age_seconds: float | None
    alive: bool


@dataclass
class NodesHealth:
    available: bool
    note: str | None = None
    leader: NodeHealth | None = None
    standbys: list[NodeHealth] = field(default_factory=list)


@dataclass
class StreamHealth:
    stream: str
    platform: str
    interval_seconds: int
    last_ok_at: datetime | None
    lag_seconds: float | None
    state: str
    paused_by: str | None = None  # the open problem's key, or the connector's own hold (`usage:facebook`)
    paused_until: datetime | None = None
    paused_reason: str | None = None  # Spanish: the problem's title, or why the connector holds back


@dataclass
class ProblemHealth:
    key: str
    title: str
    message: str
    fatal: bool
    opened_at: datetime
    failures: int
    paused_until: datetime | None
    last_stream: str | None


@dataclass
class OutboxHealth:
    backlog: int
    oldest_undelivered_at: datetime | None
    oldest_age_seconds: float | None
    sinks: list[dict[str, Any]]
    lanes_down: list[dict[str, Any]]


@dataclass
class TokenHealth:
    platform: str
    expires_at: datetime | None
    data_access_expires_at: datetime | None
    checked_at: datetime | None
    note: str
    state: str


@dataclass
class ReportHealth:
    week: str | None
    built_at: datetime | None
    posted_at: datetime | None


@dataclass
class HealthReport:
    status: str
    checked_at: datetime
    database: DatabaseHealth
    nodes: NodesHealth | None = None
    streams: list[StreamHealth] = field(default_factory=list)
    problems: list[ProblemHealth] = field(default_factory=list)
    outbox: OutboxHealth | None = None
    tokens: list[TokenHealth] = field(default_factory=list)
    report: ReportHealth | None = None
    findings: list[Finding] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # sections that could not be read (and why)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    def as_json(self) -> dict[str, Any]:
        """The `--json` shape: plain types, times as ISO 8601 UTC strings."""
        return _plain(asdict(self))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value


# --- the check ------------------------------------------------------------------------------------------


def check(config: Config, engine: Engine, url: str, now: datetime | None = None, *,
          head: str | None = None) -> HealthReport:
    """Read everything and judge it. Never raises for a database problem: that is the verdict `down`.
    `head`: the code's migration head when the caller already knows it (reading the scripts costs ~40 ms)."""
    now = now or datetime.now(UTC)
    database = DatabaseHealth(reachable=False, url=url)
    report = HealthReport(status=OK, checked_at=now, database=database)
    try:
        with engine.connect() as conn:
            q.ping(conn)
            database.reachable = True
            database.revision = q.database_revision(conn)
    except SQLAlchemyError as exc:
        database.error = _reason(exc)
        report.findings.append(Finding(DOWN, f"base de datos inaccesible: {database.error}"))
        report.status = DOWN
        return report
    try:
        database.head = head or q.head_revision(engine)
    except Exception as exc:  # the migration scripts themselves are unreadable: a broken install
        report.unknown.append(f"migraciones: {exc}")
    if database.pending_migration:
        shown = database.revision or "ninguna (base vacía)"
        report.findings.append(Finding(DEGRADED, f"pendiente de migrar: la base está en {shown} y el código "
                                                 f"espera {database.head}; ejecute `main.py db upgrade`"))
    sections: list[tuple[str, Callable[[Session], None]]] = [
        ("nodos", lambda s: _nodes(report, config, s, now)),
        ("problemas", lambda s: _problems(report, s, now)),
        ("flujos", lambda s: _streams(report, config, s, now)),
        ("bandeja de salida", lambda s: _outbox(report, config, s, now)),
        ("reporte semanal", lambda s: _report(report, config, s, now)),
    ]
    for name, read in sections:
        try:
            with Session(engine) as session:
                read(session)
        except SQLAlchemyError as exc:
            report.unknown.append(name)
            report.findings.append(Finding(DEGRADED, f"no se pudo leer {name}: {_reason(exc)}"))
    report.status = worst(*(f.state for f in report.findings))
    return report


def _reason(exc: BaseException) -> str:
    cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return cause[0] if cause else type(exc).__name__


def _age(then: datetime | None, now: datetime) -> float | None:
    return None if then is None else max(0.0, (now - then).total_seconds())


def _nodes(report: HealthReport, config: Config, session: Session, now: datetime) -> None:
    try:
        from storage.run_nodes import RunNodeRepository  # the hot standby's table (migration 0013)
    except ImportError:
        report.nodes = NodesHealth(available=False, note=NO_NODE_INFO)
        return
    try:
        rows = list(RunNodeRepository(session).nodes())
    except SQLAlchemyError:
        report.nodes = NodesHealth(available=False, note=f"{NO_NODE_INFO} (tabla run_nodes no disponible)")
        return
    limit = config.health.leader_heartbeat_down_seconds
    nodes = NodesHealth(available=True)
    for row in rows:
        get = row.get if isinstance(row, dict) else lambda k, r=row: getattr(r, k, None)
        age = _age(get("heartbeat_at"), now)
        node = NodeHealth(str(get("node_id")), str(get("hostname") or ""), int(get("pid") or 0),
                          str(get("role") or ""), get("started_at"), get("heartbeat_at"), get("leader_since"),
                          get("epoch"), get("version"), age, age is not None and age <= limit)
        if node.role == "leader" and (nodes.leader is None or (node.alive and not nodes.leader.alive)):
            nodes.leader = node
        elif node.role == "standby":
            nodes.standbys.append(node)
    report.nodes = nodes
    if nodes.leader is None or not nodes.leader.alive:
        last = (f"; último latido hace {nodes.leader.heartbeat_age_seconds:.0f} s"
                if nodes.leader and nodes.leader.heartbeat_age_seconds is not None else "")
        report.findings.append(Finding(DOWN, f"ningún proceso `run` lidera (sin latido del líder en {limit} s"
                                             f"{last}): nadie recolecta ni envía alertas"))
    alive = sum(1 for n in nodes.standbys if n.alive)
    if alive < config.health.min_standbys:
        report.findings.append(Finding(DEGRADED, f"{alive} procesos en espera activos; se esperan al menos "
                                                 f"{config.health.min_standbys} (health.min_standbys)"))


def _problems(report: HealthReport, session: Session, now: datetime) -> None:
    for row in q.open_problems(session):
        paused = row.paused_until if row.paused_until is not None and row.paused_until > now and pauses(row.key) \
            else None
        report.problems.append(ProblemHealth(row.key, title_for(row.key, row.severity or "aviso"), row.message,
                                             bool(row.fatal), row.opened_at, row.failures or 0, paused,
                                             row.last_stream))
        report.findings.append(Finding(DEGRADED, f"problema abierto: {title_for(row.key)} ({row.key})"))


def _pausing(stream: str, problems: list[ProblemHealth]) -> ProblemHealth | None:
    """The open problem that holds `stream` back, by its cause: the stream's own, its platform's shared
    cause (token, app limit, availability, quota), or an endpoint limit last met on this very stream."""
    platform = stream.split(":", 1)[0]
    for problem in problems:
        if problem.paused_until is None:
            continue
        kind, _, rest = problem.key.partition(":")
        target = rest.split("|", 1)[0]
        if target == stream or (problem.last_stream == stream and kind in ("rate_limit", "access")):
            return problem
        owner = rest.split(":", 1)[0]
        shared = owner == platform or (owner in ("meta", "meta_app") and platform in META_PLATFORMS)
        if (shared and kind in ("token", "unavailable", "quota")) or (kind == "rate_limit" and rest == "meta_app"
                                                                      and platform in META_PLATFORMS):
            return problem
    return None


def _streams(report: HealthReport, config: Config, session: Session, now: datetime) -> None:
    settings = config.health
    seen: set[str] = set()
    holds = q.holds(session, now)
    for stream, _value, updated_at in q.cursors(session):
        platform = stream.split(":", 1)[0]
        if platform not in STREAM_PLATFORMS or stream.count(":") < 1:
            continue  # a job's bookmark (re-analysis, backfills), not a stream
        if not getattr(config.connectors, platform).enabled:
            continue  # left over from a connector since turned off: not watched
        seen.add(platform)
        interval = int(getattr(config.connectors, platform).poll_interval_seconds)
        if stream.endswith(":token"):  # the token check runs once every token_check_hours
            interval = max(interval, 3600 * int(getattr(config.connectors, platform).token_check_hours))
        lag = _age(updated_at, now)
        state = OK
        if lag is not None and lag > settings.stream_down_intervals * interval:
            state = DOWN
        elif lag is not None and lag > settings.stream_degraded_intervals * interval:
            state = DEGRADED
        pause = _pausing(stream, report.problems)
        hold = holds.get(stream)
        item = StreamHealth(stream, platform, interval, updated_at, lag, state)
        if pause is not None:
            item.paused_by, item.paused_until, item.paused_reason = pause.key, pause.paused_until, pause.title
        elif hold is not None:
            item.paused_by, item.paused_until, item.paused_reason = hold.key, hold.until, hold.reason
        report.streams.append(item)
        if state != OK:
            held = f"; {held_es(hold.reason, hold.until, config)}" if hold is not None and pause is None else ""
            report.findings.append(Finding(state, f"{stream}: último sondeo exitoso hace {span_es(lag)} (intervalo "
                                                  f"{interval} s){held}"))
        if pause is not None:
            report.findings.append(Finding(DEGRADED, f"{stream}: en pausa por {pause.title} hasta "
                                                     f"{pause.paused_until:%Y-%m-%d %H:%M} UTC"))
    for platform in STREAM_PLATFORMS:
        if getattr(config.connectors, platform).enabled and platform not in seen:
            report.findings.append(Finding(DEGRADED, f"{platform}: conector activo sin ningún sondeo registrado"))
    _tokens(report, config, session, now)


def _tokens(report: HealthReport, config: Config, session: Session, now: datetime) -> None:
    if config.connectors.x.enabled:
        report.tokens.append(TokenHealth("x", None, None, None, "el bearer token de app de X no tiene fecha de "
                                         "vencimiento (deja de servir solo si se revoca o regenera)", OK))
    stored = {stream: value for stream, value, _ in q.cursors(session) if stream.endswith(":token")}
    for platform in META_PLATFORMS:
        settings = getattr(config.connectors, platform)
        if not settings.enabled:
            continue
        state = _token_state(stored.get(f"{platform}:token"))
        expires, data_access, checked = (state.get(k) for k in ("expires_at", "data_access_expires_at", "checked_at"))
        if checked is None:
            report.tokens.append(TokenHealth(platform, None, None, None, "aún sin revisión del token "
                                             "(debug_token se consulta una vez cada token_check_hours)", UNKNOWN))
            continue
        soonest = min((m for m in (expires, data_access) if m is not None), default=None)
        verdict, note = OK, "sin vencimiento" if soonest is None else f"vence el {soonest:%Y-%m-%d} UTC"
        if soonest is not None and soonest <= now:
            verdict, note = DOWN, f"vencido el {soonest:%Y-%m-%d %H:%M} UTC"
        elif soonest is not None and soonest <= now + timedelta(days=settings.token_warn_days):
            verdict = DEGRADED
        report.tokens.append(TokenHealth(platform, expires, data_access, checked, note, verdict))
        if verdict != OK:
            report.findings.append(Finding(verdict, f"token de Meta ({platform}): {note}"))


def _token_state(cursor: str | None) -> dict[str, datetime | None]:
    """expires_at, data_access_expires_at and checked_at from the token stream's bookmark (written by the
    connector's daily `debug_token` check; see connectors/meta_token.py)."""
    try:
        data = json.loads(cursor) if cursor else {}
    except ValueError:
        return {}
    out: dict[str, datetime | None] = {}
    for key in ("expires_at", "data_access_expires_at", "checked_at"):
        value = data.get(key) if isinstance(data, dict) else None
        try:
            out[key] = datetime.fromisoformat(value).astimezone(UTC) if isinstance(value, str) else None
        except ValueError:
            out[key] = None
    return out


def _outbox(report: HealthReport, config: Config, session: Session, now: datetime) -> None:
    settings = config.health
    sinks = q.outbox(session)
    backlog = sum(s.undelivered for s in sinks)
    oldest = min((s.oldest_created_at for s in sinks if s.oldest_created_at is not None), default=None)
    down = [{"sink": lane.sink, "channel": lane.channel, "failures": lane.failures, "down_since": lane.down_since,
             "retry_at": lane.retry_at, "last_error": (lane.last_error or "")[:300]}
            for lane in q.lanes(session) if lane.down_since is not None]
    age = _age(oldest, now)
    per_sink = [{"sink": s.sink, "undelivered": s.undelivered, "oldest_created_at": s.oldest_created_at,
                 "failing": s.failing} for s in sinks]
    report.outbox = OutboxHealth(backlog, oldest, age, per_sink, down)
    if age is not None and age > settings.outbox_down_seconds:
        report.findings.append(Finding(DOWN, f"bandeja de salida: la alerta pendiente más antigua lleva "
                                             f"{span_es(age)} sin entregarse"))
    elif age is not None and age > settings.outbox_degraded_seconds:
        report.findings.append(Finding(DEGRADED, f"bandeja de salida: la alerta pendiente más antigua lleva "
                                                 f"{span_es(age)} sin entregarse"))
    if backlog >= settings.outbox_backlog_degraded:
        report.findings.append(Finding(DEGRADED, f"bandeja de salida: {backlog} alertas sin entregar"))
    for lane in down:
        report.findings.append(Finding(DEGRADED, f"entrega a {lane['sink']} ({lane['channel']}) fallando desde "
                                                 f"{lane['down_since']:%Y-%m-%d %H:%M} UTC"))


def _report(report: HealthReport, config: Config, session: Session, now: datetime) -> None:
    row = q.last_report(session)
    report.report = ReportHealth(row.week if row else None, row.built_at if row else None,
                                 row.posted_at if row else None)
    if row is not None and row.built_at is not None:
        age = now - row.built_at
        if age > timedelta(days=config.health.report_max_age_days):
            report.findings.append(Finding(DEGRADED, f"el último reporte semanal ({row.week}) se generó hace "
                                                     f"{age.days} días"))


def held_es(reason: str, until: datetime, config: Config) -> str:
    """A connector's own hold for staff, e.g. 'en pausa por uso de la Graph API al 93 % (x-app-usage.call_count)
    hasta 2026-12-03 10:45 (America/Bogota)'. The hold alone is not a finding (it is quiet and lifts itself);
    it is said next to the stream, and with its lateness once the thresholds call the stream late."""
    return f"en pausa por {reason} hasta {until.astimezone(config.tz):%Y-%m-%d %H:%M} ({config.timezone})"


def span_es(seconds: float | None, missing: str = "?") -> str:
    """An age for staff: '45 s', '12 min', '3.5 h', '8.3 días' (`missing` when unknown); findings and the
    `main.py status` table say ages alike."""
    if seconds is None:
        return missing
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} días"


# --- /healthz ------------------------------------------------------------------------------------------


class Liveness:
    """The cheap check of `/healthz`: the database answers and is at the code's migration. The head revision
    is read from the scripts once; each call costs one `SELECT version_num`."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._head: str | None = None

    def ok(self) -> bool:
        try:
            if self._head is None:
                self._head = q.head_revision(self.engine)
            with self.engine.connect() as conn:
                return q.database_revision(conn) == self._head
        except Exception as exc:  # any failure is "not healthy", never a 500
            log.warning("healthz: not healthy", error=_reason(exc))
            return False


# --- /metrics gauges ----------------------------------------------------------------------------------


class HealthCollector(Collector):
    """Prometheus gauges computed from the database at scrape time (the cross-process truth)."""

    def __init__(self, config: Config, engine: Engine, url: str, clock: Callable[[], datetime] | None = None):
        self.config = config
        self.engine = engine
        self.url = url
        self.clock = clock or (lambda: datetime.now(UTC))
        self._head: str | None = None  # the scripts do not change while the process runs

    def describe(self) -> list[Any]:
        return []  # computed at scrape time: not read at registration

    def collect(self) -> Iterator[Any]:
        report = check(self.config, self.engine, self.url, self.clock(), head=self._head)
        self._head = self._head or report.database.head
        yield _gauge("vigia_health_status", "0 ok, 1 degraded, 2 down (the verdict of `main.py status`).",
                     report.exit_code)
        yield _gauge("vigia_database_up", "1 when the database answers.", int(report.database.reachable))
        if not report.database.reachable:
            return
        yield _gauge("vigia_migration_pending", "1 when the database is behind the code's migrations.",
                     int(report.database.pending_migration))
        if report.nodes is not None and report.nodes.available:
            yield _gauge("vigia_leader_present", "1 when a `run` leader has a fresh heartbeat.",
                         int(report.nodes.leader is not None and report.nodes.leader.alive))
            yield _gauge("vigia_standbys_alive", "Standby `run` processes with a fresh heartbeat.",
                         sum(1 for n in report.nodes.standbys if n.alive))
        if report.outbox is not None:
            backlog = GaugeMetricFamily("vigia_outbox_backlog", "Undelivered outbox rows by sink.", labels=["sink"])
            for sink in report.outbox.sinks:
                backlog.add_metric([sink["sink"]], sink["undelivered"])
            yield backlog
            yield _gauge("vigia_outbox_oldest_undelivered_age_seconds", "Age of the oldest undelivered alert "
                         "(0 when none waits).", report.outbox.oldest_age_seconds or 0.0)
            yield _gauge("vigia_delivery_lanes_down", "Delivery lanes (sink, channel) currently failing.",
                         len(report.outbox.lanes_down))
        lag = GaugeMetricFamily("vigia_stream_lag_seconds", "Seconds since the stream's last successful poll.",
                                labels=["stream"])
        paused = GaugeMetricFamily("vigia_stream_paused", "1 while an open problem, or the connector's own hold "
                                   "(Meta usage slow-down, X request budget), keeps the stream back.",
                                   labels=["stream"])
        for stream in report.streams:
            if stream.lag_seconds is not None:
                lag.add_metric([stream.stream], stream.lag_seconds)
            paused.add_metric([stream.stream], int(stream.paused_by is not None))
        yield lag
        yield paused
        yield _gauge("vigia_ops_problems_open", "Open operational problems.", len(report.problems))
        expiry = GaugeMetricFamily("vigia_token_expiry_timestamp_seconds", "When the Meta token (or its data "
                                   "access) expires, Unix time; absent when it never does.", labels=["platform"])
        for token in report.tokens:
            soonest = min((m for m in (token.expires_at, token.data_access_expires_at) if m), default=None)
            if soonest is not None:
                expiry.add_metric([token.platform], soonest.timestamp())
        yield expiry
        if report.report is not None and report.report.built_at is not None:
            yield _gauge("vigia_last_report_built_timestamp_seconds", "When the last weekly report was built.",
                         report.report.built_at.timestamp())


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)
