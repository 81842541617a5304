"""The bot's own commands: run, demo, poll, db, report, analyze."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from wsgiref.simple_server import WSGIServer

import structlog
from sqlalchemy.exc import IntegrityError, OperationalError

from bot import events
from bot.bootstrap import bootstrap, build_engine
from bot.commands.common import load, setup_logging
from bot.commands.demo import print_summary, run_demo
from bot.commands.web import demo_hint
from bot.config import Config
from bot.leader import SQLITE_NOTE, AlreadyRunning, Leadership, serve
from bot.messagebus import MessageBus
from bot.metrics import start_metrics_server
from bot.scheduler import run_forever
from bot.services import Services
from storage import db

log = structlog.get_logger("vigia.cli")


STARTUP_RETRY_CAP_SECONDS = 300.0
STARTUP_RACE_RETRIES = 3


def bootstrap_when_reachable(config: Config, sleep: Callable[[float], None] = time.sleep) -> MessageBus:
    """`run` is a service: a database that is down at start-up is waited for (back-off up to 5 min).

    Every attempt uses the same engine (its pool reconnects once the database is back), so a retry neither
    leaks connections nor builds a second pool; if start-up finally fails, the engine is disposed."""
    from bot.config import database_url, masked_url

    engine = db.create_db_engine(database_url())
    attempt = races = 0
    try:
        while True:
            try:
                db.upgrade(engine)
                return bootstrap(config, engine=engine)
            except IntegrityError as exc:
                # Hot standby: processes started together write the same start-up rows; the loser of such a
                # race starts again and finds them written (config campaigns are also serialised at source).
                races += 1
                if races > STARTUP_RACE_RETRIES:
                    raise
                log.warning("start-up raced another process on the same rows; starting again", attempt=races,
                            error=str(exc.orig or exc).strip().splitlines()[0][:200])
                sleep(1.0)
            except OperationalError as exc:
                attempt += 1
                wait = min(STARTUP_RETRY_CAP_SECONDS, 5.0 * 2 ** (attempt - 1))
                reason = str(exc.orig or exc).strip().splitlines()[0]
                log.error("database unreachable at start-up", url=masked_url(database_url()), error=reason,
                          attempt=attempt, retry_in_s=wait)
                print(f"database error: cannot reach {masked_url(database_url())}: {reason}; "
                      f"retrying in {wait:.0f} s (attempt {attempt})", file=sys.stderr, flush=True)
                sleep(wait)
    except BaseException:
        engine.dispose()
        raise


def cmd_run(args: argparse.Namespace) -> int:
    """Lead, or wait as a hot standby (PostgreSQL) until the leader is gone; see bot/leader.py.

    Exit codes: 0 stopped by SIGINT/SIGTERM; 2 SQLite database already used by another `run`; 3 this process
    led and lost its lock (restart it: it comes back as a standby)."""
    config = load(args)
    setup_logging(config)
    bus = bootstrap_when_reachable(config)
    svc = bus.services
    stop = svc.stop

    def _on_signal(signum: int, _frame: object) -> None:
        log.info("shutdown requested", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)

    def lead(leadership: Leadership) -> int:
        svc.fence = leadership
        svc.delivery.owner += leadership.owner_tag()  # a successor takes this lease at once (epoch is older)
        return run_forever(bus, install_signals=False)

    exporter = _metrics_exporter(config, svc)
    try:
        return serve(svc.engine, stop, lead)
    except AlreadyRunning as exc:
        hint = "" if SQLITE_NOTE in str(exc) else "; stop it first (one `run` per database)"
        print(f"error: {exc}{hint}", file=sys.stderr)
        return 2
    finally:
        if exporter is not None:
            exporter.shutdown()
            exporter.server_close()


def _metrics_exporter(config: Config, svc: Services) -> WSGIServer | None:
    """`health.run_metrics_port`: this process's counters for Prometheus (same VIGIA_METRICS_TOKEN as the web
    app's /metrics; a standby serves zeros until it leads). Off by default."""
    port = config.health.run_metrics_port
    if port is None:
        return None
    token = svc.secrets.metrics_token.get_secret_value() if svc.secrets.metrics_token else None
    if token is None:
        log.warning("health.run_metrics_port is set but VIGIA_METRICS_TOKEN is not: every scrape is refused")
    try:
        server = start_metrics_server(svc.metrics, config.health.run_metrics_host, port, token)
    except OSError as exc:  # the port is taken: polling matters more than the counters
        log.error("metrics endpoint not started", host=config.health.run_metrics_host, port=port, error=str(exc))
        return None
    log.info("metrics endpoint listening", host=config.health.run_metrics_host, port=port)
    return server


def cmd_demo(args: argparse.Namespace) -> int:
    config = load(args)
    setup_logging(config, level=None if args.verbose else "WARNING")
    print("Vigía — demostración con la semana de muestra SINTÉTICA (datos generados, no reales).\n", flush=True)
    summary = run_demo(config, Path(args.out))
    print_summary(summary, sys.stdout)
    print()
    print("\n".join(demo_hint(config, f"sqlite:///{Path(args.out) / 'demo.db'}")))
    return 0


def cmd_poll(args: argparse.Namespace) -> int:
    config = load(args)
    setup_logging(config)
    bus = bootstrap(config)
    svc = bus.services
    new = 0
    paused: list[events.PollCompleted] = []
    failures: dict[str, str] = {}
    for stream in sorted(svc.connectors):
        for event in bus.handle(events.PollStream(stream)):
            if isinstance(event, events.ConnectorFailed):
                if event.problem.startswith("rate_limit:"):  # the platform's pace, not a failure: said, exit 0
                    print(f"{event.stream}: rate-limited ({event.problem}); asked again after the reset")
                else:
                    failures[event.stream] = event.error
            if isinstance(event, events.PollCompleted):
                new += event.new
                if event.paused_by is not None:
                    paused.append(event)
    bus.handle(events.AnalyzePending())
    bus.handle(events.EvaluateSpikes(svc.clock()))
    bus.handle(events.FlushOutbox(svc.clock()))
    asked = len(svc.connectors) - len(paused)
    print(f"{asked} streams polled, {new} new posts stored")
    if config.connectors.sample.enabled and new == 0:
        moment = svc.clock().astimezone(config.tz)
        print(f"nothing new: the sample replay's clock is at {moment:%Y-%m-%d %H:%M} ({config.timezone}) of the "
              f"SYNTHETIC week and moves {config.connectors.sample.speed:g}x faster than real time only while a "
              "command runs; a poll sees only what was posted before that moment. `main.py run` replays the week "
              "as it goes; `main.py demo` replays it all at once.")
    for event in paused:  # a stored pause (a 429's reset, a back-off) holds between runs too
        until = f"{event.paused_until:%Y-%m-%d %H:%M:%S} UTC" if event.paused_until else "?"
        print(f"{event.stream}: not asked, paused by {event.paused_by} until {until}")
    for stream, error in failures.items():
        print(f"{stream}: FAILED: {error}", file=sys.stderr)
    if failures:
        print(f"poll: {len(failures)} of {len(svc.connectors)} streams failed", file=sys.stderr)
        return 1
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    config = load(args)
    setup_logging(config)
    engine = build_engine(migrate=False)
    db.upgrade(engine)
    print(f"database at revision {db.current_revision(engine)} ({engine.url.render_as_string(hide_password=True)})")
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    """Recompute stored analyses (after a model or rule change) for posts created since a date."""
    from bot.commands.reanalysis import reanalyze_since

    config = load(args)
    setup_logging(config)
    try:
        since = datetime.fromisoformat(args.since)
    except ValueError:
        print(f"error: --since {args.since!r} must be a date like 2026-11-16", file=sys.stderr)
        return 2
    if since.tzinfo is None:
        since = since.replace(tzinfo=config.tz)
    bus = bootstrap(config, connectors={})
    done = reanalyze_since(bus.services, since.astimezone(UTC), progress=sys.stderr)
    print(f"{done} analyses recomputed")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("run", help="run the bot: scheduler, connectors, alerts, weekly report")
    p.set_defaults(func=cmd_run)

    p = subparsers.add_parser("demo", help="replay the bundled synthetic week through the whole pipeline")
    p.add_argument("--out", default="var/demo", help="where the demo writes its database, outbox and report")
    p.add_argument("--verbose", action="store_true", help="show the structured log lines too")
    p.set_defaults(func=cmd_demo)

    p = subparsers.add_parser("poll", help="poll every enabled connector")
    p.add_argument("--once", action="store_true", required=True, help="poll once and exit")
    p.set_defaults(func=cmd_poll)

    p = subparsers.add_parser("db", help="database maintenance")
    dbsub = p.add_subparsers(dest="db_command", required=True)
    up = dbsub.add_parser("upgrade", help="apply migrations")
    up.set_defaults(func=cmd_db_upgrade)

    p = subparsers.add_parser("analyze", help="recompute stored analyses since a date")
    p.add_argument("--since", required=True, help="date or datetime, e.g. 2026-11-16 (Bogotá time if naive)")
    p.set_defaults(func=cmd_analyze)
