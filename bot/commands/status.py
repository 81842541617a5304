"""`main.py status`: is Vigía doing its job? Exit 0 healthy, 1 degraded, 2 down (for cron, systemd, Nagios).

It only reads the database (never migrates it, never creates a SQLite file), with a short connection
timeout, so it answers from any host within seconds even when the database is gone; `--json` gives the
same facts to machines. The verdict and its thresholds are `bot.health` and `health:` in config.yaml.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from bot.commands.common import load, setup_logging
from bot.config import Config, database_url, masked_url
from bot.health import DOWN, STATE_ES, DatabaseHealth, Finding, HealthReport, StreamHealth, check, held_es, span_es
from storage import db

CONNECT_TIMEOUT_SECONDS = 5


def cmd_status(args: argparse.Namespace) -> int:
    config = load(args)
    setup_logging(config, level="ERROR")
    report = gather(config, database_url())
    if args.json:
        json.dump(report.as_json(), sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        render(report, config, sys.stdout)
    return report.exit_code


def gather(config: Config, url: str, now: datetime | None = None) -> HealthReport:
    """The health report, or a `down` one that says why the database could not even be tried."""
    shown = masked_url(url)
    try:
        parsed = make_url(db.normalise_url(url))
    except (ArgumentError, ValueError) as exc:
        return _unreachable(shown, f"URL de base de datos no válida: {exc}")
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file not in (None, "", ":memory:") and not Path(str(file)).exists():  # connecting would create it empty
        return _unreachable(shown, f"el archivo {parsed.database} no existe (¿VIGIA_DATABASE_URL correcta? "
                                       "`main.py db upgrade` crea la base)")
    try:
        if parsed.get_backend_name() == "postgresql":  # fail within seconds, not after the OS's TCP timeout
            engine = create_engine(db.normalise_url(url), connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})
        else:
            engine = db.create_db_engine(url)
    except (ArgumentError, NoSuchModuleError, SQLAlchemyError, ImportError) as exc:
        return _unreachable(shown, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    try:
        return check(config, engine, shown, now)
    finally:
        engine.dispose()


def _unreachable(url: str, reason: str) -> HealthReport:
    from datetime import UTC

    return HealthReport(status=DOWN, checked_at=datetime.now(UTC),
                        database=DatabaseHealth(reachable=False, url=url, error=reason),
                        findings=[Finding(DOWN, f"base de datos inaccesible: {reason}")])


# --- the human table --------------------------------------------------------------------------------------


def _when(moment: datetime | None, config: Config) -> str:
    return "—" if moment is None else moment.astimezone(config.tz).strftime("%Y-%m-%d %H:%M:%S")


def _ago(seconds: float | None) -> str:
    return span_es(seconds, "—")


def _pause(stream: StreamHealth, report: HealthReport, config: Config) -> str:
    """The problem pausing the stream (its key: the problem is listed below), or the connector's own hold,
    said in full since it is listed nowhere else."""
    if stream.paused_by is None:
        return "—"
    if stream.paused_until is not None and stream.paused_reason and not any(
            p.key == stream.paused_by for p in report.problems):
        return held_es(stream.paused_reason, stream.paused_until, config)
    return f"{stream.paused_by} hasta {_when(stream.paused_until, config)}"


def _table(rows: list[list[str]], out: TextIO) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        print("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip(), file=out)
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths), file=out)


def render(report: HealthReport, config: Config, out: TextIO) -> None:
    """Spanish, for staff; times in the bot's time zone."""
    tz = config.timezone
    print(f"Estado de Vigía: {STATE_ES[report.status].upper()} (código {report.exit_code}) — "
          f"{_when(report.checked_at, config)} ({tz})", file=out)
    database = report.database
    print("\nBase de datos", file=out)
    print(f"  {database.url}", file=out)
    if not database.reachable:
        print(f"  INACCESIBLE: {database.error}", file=out)
        _findings(report, out)
        return
    pending = " — PENDIENTE DE MIGRAR" if database.pending_migration else " (al día)"
    print(f"  revisión {database.revision or 'ninguna'}; código {database.head or '?'}{pending}", file=out)

    print("\nProcesos `run`", file=out)
    nodes = report.nodes
    if nodes is None or not nodes.available:
        print(f"  {nodes.note if nodes else 'sin información de nodos'}", file=out)
    else:
        rows = [["rol", "nodo", "host", "pid", "último latido", "líder desde", "versión"]]
        for node in ([nodes.leader] if nodes.leader else []) + nodes.standbys:
            role = {"leader": "líder", "standby": "en espera"}.get(node.role, node.role)
            beat = f"hace {_ago(node.heartbeat_age_seconds)}" + ("" if node.alive else " (SIN LATIDO)")
            rows.append([role, node.node_id, node.hostname, str(node.pid), beat, _when(node.leader_since, config),
                         node.version or "—"])
        if len(rows) == 1:
            print("  ningún proceso registrado", file=out)
        else:
            _table(rows, out)

    print("\nFlujos (último sondeo exitoso)", file=out)
    if report.streams:
        rows = [["flujo", "estado", "último sondeo", "retraso", "intervalo", "pausa"]]
        for s in report.streams:
            rows.append([s.stream, STATE_ES[s.state], _when(s.last_ok_at, config), _ago(s.lag_seconds),
                         f"{s.interval_seconds} s", _pause(s, report, config)])
        _table(rows, out)
    else:
        print("  ningún flujo con sondeos registrados", file=out)

    print("\nProblemas operativos abiertos", file=out)
    if report.problems:
        for p in report.problems:
            until = f"; en pausa hasta {_when(p.paused_until, config)}" if p.paused_until else ""
            print(f"  - {p.title} [{p.key}] desde {_when(p.opened_at, config)}, {p.failures} fallo(s){until}",
                  file=out)
            print(f"    {p.message[:200]}", file=out)
    else:
        print("  ninguno", file=out)

    print("\nBandeja de salida (alertas)", file=out)
    box = report.outbox
    if box is None:
        print("  no se pudo leer", file=out)
    else:
        oldest = f"; la más antigua desde {_when(box.oldest_undelivered_at, config)} (hace " \
                 f"{_ago(box.oldest_age_seconds)})" if box.oldest_undelivered_at else ""
        print(f"  {box.backlog} sin entregar{oldest}", file=out)
        for sink in box.sinks:
            print(f"  - {sink['sink']}: {sink['undelivered']} pendientes, {sink['failing']} con intentos fallidos",
                  file=out)
        for lane in box.lanes_down:
            print(f"  - entrega a {lane['sink']} ({lane['channel']}) fallando desde "
                  f"{_when(lane['down_since'], config)}: {lane['last_error'][:120]}", file=out)

    print("\nTokens", file=out)
    if report.tokens:
        for token in report.tokens:
            print(f"  - {token.platform}: {token.note}" + (f" (revisado {_when(token.checked_at, config)})"
                                                          if token.checked_at else ""), file=out)
    else:
        print("  ningún conector con token activo", file=out)

    print("\nReporte semanal", file=out)
    if report.report is None:
        print("  no se pudo leer", file=out)
    elif report.report.built_at is None:
        print("  ninguno generado todavía", file=out)
    else:
        posted = f", enviado a Slack {_when(report.report.posted_at, config)}" if report.report.posted_at else \
            ", no enviado a Slack"
        print(f"  {report.report.week}: generado {_when(report.report.built_at, config)}{posted}", file=out)
    _findings(report, out)


def _findings(report: HealthReport, out: TextIO) -> None:
    print("\nQué revisar", file=out)
    if not report.findings:
        print("  nada: todo en orden", file=out)
    for finding in sorted(report.findings, key=lambda f: f.state != DOWN):
        print(f"  [{STATE_ES[finding.state]}] {finding.what}", file=out)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("status", help="health of the service: exit 0 healthy, 1 degraded, 2 down")
    p.add_argument("--json", action="store_true", help="print the report as JSON instead of the table")
    p.set_defaults(func=cmd_status)
