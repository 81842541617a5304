"""The composition root: the one place that builds real (or, in tests, fake) adapters and wires the bus.

Nothing else in the code base creates engines, connectors, analyzers or alert sinks.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path

import structlog
from sqlalchemy import Engine

from analyzers.pipeline import TextAnalyzer, build_text_analyzer
from analyzers.segments import Segmenter
from bot import handlers
from bot.alerts.sinks import AlertSink, ConsoleSink, FileSink
from bot.alerts.slack_sink import build_slack_sink
from bot.alerts.spike_keys import configured_keys
from bot.campaign_matching import sync_config_campaigns
from bot.clock import Clock, ReplayClock, system_clock
from bot.config import Config, ConfigError, Secrets, database_url
from bot.messagebus import MessageBus
from bot.metrics import Metrics, instrument_connector, platform_of
from bot.services import Services
from bot.slack.channels import DatabaseChannelDirectory
from connectors.base import Connector
from connectors.facebook import build_facebook_connector
from connectors.instagram import PendingMentions, build_instagram_connector
from connectors.sample_replay import SampleReplayConnector, parse_cursor
from connectors.x import build_x_connector
from storage import db
from storage.authors import merge_handle_aliases, resegment
from storage.mentions_repository import pending_mentions_reader
from storage.reach import ReachRule, refresh_all_reach, refresh_reach
from storage.unit_of_work import UnitOfWork

log = structlog.get_logger("vigia.bootstrap")

RESEGMENT_BATCH = 2000


def resegment_authors(uow_factory: Callable[[], UnitOfWork], rules: Segmenter,
                      stop: Callable[[], bool] | None = None, batch_size: int = RESEGMENT_BATCH) -> int:
    """Place again, in committed batches, every stored author the current segment rules did not place.

    Runs at start-up: after `segments:` changes in config.yaml the rules' version changes and every author
    moves to where the new rules put them (overrides stay). An interrupted run resumes at the next start.
    One log line when it starts, one per batch, one at the end; nothing at all when every author is current.
    """
    with uow_factory() as uow:
        outdated = uow.authors.outdated_count(rules.version)
    if not outdated:
        return 0
    started = time.perf_counter()
    log.info("authors resegment started", outdated=outdated, rules_version=rules.version, batch=batch_size)

    def progress(done: int, total: int) -> None:
        elapsed = max(time.perf_counter() - started, 1e-9)
        log.info("authors resegment progress", done=done, total=total, authors_per_s=round(done / elapsed))

    done = resegment(uow_factory, rules.place, rules.version, batch_size, progress, stop)
    if done:  # the inbox's urgency order weighs each author's segment: its stored ranks follow
        with uow_factory() as uow:
            ranked = refresh_all_reach(uow.session, ReachRule.of(rules))
            uow.commit()
        log.info("authors reach ranks refreshed", review_rows=ranked)
    log.info("authors resegment finished", done=done, outdated=outdated, rules_version=rules.version,
             duration_ms=round((time.perf_counter() - started) * 1000, 1), interrupted=done < outdated)
    return done


def merge_author_aliases(uow_factory: Callable[[], UnitOfWork], rules: Segmenter,
                         stop: Callable[[], bool] | None = None) -> int:
    """Merge the Instagram authors stored under a username into the author with the Instagram-scoped id and that
    username (one person, one author: docs/meta-graph-api.md), with their posts, overrides and history.

    Runs at start-up after the resegment: the poll merges what it sees, this merges what was stored before. Its
    bookmark makes a finished run cost one read of the authors stored since; an interrupted one resumes."""
    rule = ReachRule.of(rules)
    started = time.perf_counter()
    merged, batches = merge_handle_aliases(uow_factory, moved=lambda session, keys: refresh_reach(session, rule, keys),
                                           stop=stop)
    if merged:
        log.info("authors merged into one per person", merged=merged, batches=batches,
                 duration_ms=round((time.perf_counter() - started) * 1000, 1))
    return merged


def build_engine(url: str | None = None, *, migrate: bool = True) -> Engine:
    engine = db.create_db_engine(url or database_url())
    if migrate:
        db.upgrade(engine)
    return engine


def default_sinks(config: Config, secrets: Secrets, engine: Engine) -> dict[str, AlertSink]:
    """Console and the local outbox file always (unless turned off); Slack when credentials are set, with
    its channel IDs kept in the database."""
    sinks: dict[str, AlertSink] = {}
    if config.alerts.console:
        sinks["console"] = ConsoleSink()
    sinks["file"] = FileSink(config.alerts.outbox_file)
    token = secrets.slack_bot_token.get_secret_value() if secrets.slack_bot_token else None
    webhook = secrets.slack_webhook_url.get_secret_value() if secrets.slack_webhook_url else None
    slack = build_slack_sink(token, webhook, config.alerts.slack_api_base_url,
                             {"alerts": config.alerts.channel, "ops": config.alerts.ops_channel},
                             DatabaseChannelDirectory(engine))
    if slack is not None:
        sinks["slack"] = slack
    return sinks


def sample_week_start(path: Path, tz: object) -> datetime:
    """Midnight (local time) of the day the sample starts: where the replay clock begins."""
    if not path.exists():
        raise ConfigError(f"connectors.sample.path: {path} does not exist (relative paths are read from the "
                          f"current directory, {Path.cwd()}); run from the repository, give an absolute path, "
                          "or set connectors.sample.enabled: false")
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            try:
                first = datetime.fromisoformat(json.loads(line)["created_at"])
            except (ValueError, KeyError, TypeError):
                continue
            local = first.astimezone(tz)  # type: ignore[arg-type]
            return local.replace(hour=0, minute=0, second=0, microsecond=0)
    raise ConfigError(f"connectors.sample.path: {path} holds no readable post; regenerate it with "
                      "`python scripts/generate_sample.py`")


def replay_clock_for(config: Config, engine: Engine) -> ReplayClock:
    """Resume the replay where the stored bookmarks left it, so a restart does not replay from Monday."""
    path = config.connectors.sample.path
    start = sample_week_start(path, config.tz)
    with UnitOfWork(engine) as uow:
        marks = [parse_cursor(c.value)[0] for c in uow.cursors.all()
                 if c.stream.startswith("sample:") and c.value]
    if marks:
        start = max(start, max(marks))
    return ReplayClock(start, config.connectors.sample.speed)


def real_connectors(config: Config, secrets: Secrets, clock: Clock, *,
                    pending_mentions: PendingMentions | None = None) -> dict[str, Connector]:
    """Connectors enabled in the config, keyed by each of their streams; `pending_mentions` (the webhook's
    queue of Instagram @-mentions) turns on the `instagram:mentions:<user>` streams."""
    connectors: list[Connector] = []
    sample = config.connectors.sample
    if sample.enabled:
        if not sample.path.exists():
            raise ConfigError(
                f"connectors.sample.path: {sample.path} does not exist; run "
                "`python scripts/generate_sample.py` or set connectors.sample.enabled: false"
            )
        connectors.append(SampleReplayConnector(sample.path, clock))
    if config.connectors.x.enabled:
        if secrets.x_bearer_token is None:
            raise ConfigError("connectors.x.enabled is true but X_BEARER_TOKEN is not set in the environment; "
                              "see docs/x-api.md for how to get an app bearer token")
        try:
            connectors.append(build_x_connector(config.connectors.x, config.accounts.x,
                                                secrets.x_bearer_token.get_secret_value(), clock))
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    builders = {"facebook": (build_facebook_connector, config.accounts.facebook),
                "instagram": (build_instagram_connector, config.accounts.instagram)}
    for name, (build, accounts) in builders.items():
        if not getattr(config.connectors, name).enabled:
            continue
        if secrets.meta_access_token is None:
            raise ConfigError(f"connectors.{name}.enabled is true but META_ACCESS_TOKEN is not set in the "
                              "environment; see docs/meta-graph-api.md for the token and permissions needed")
        app_secret = secrets.meta_app_secret.get_secret_value() if secrets.meta_app_secret else None
        extra = {"pending_mentions": pending_mentions} if name == "instagram" else {}
        try:
            connectors.append(build(getattr(config.connectors, name), accounts,
                                    secrets.meta_access_token.get_secret_value(), app_secret, clock, **extra))
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    return {stream: c for c in connectors for stream in c.streams()}


def bootstrap(
    config: Config,
    *,
    engine: Engine | None = None,
    secrets: Secrets | None = None,
    clock: Clock | None = None,
    connectors: Mapping[str, Connector] | None = None,
    analyzer: TextAnalyzer | None = None,
    sinks: Mapping[str, AlertSink] | None = None,
    wall_clock: Clock | None = None,
    resegment_on_start: bool = True,
    metrics: Metrics | None = None,
) -> MessageBus:
    """Wire the bus. Tests pass fakes for the boundaries (connectors, sinks, clock); the rest is real."""
    secrets = secrets or Secrets.from_env()
    engine = engine or build_engine()
    if clock is None:
        clock = replay_clock_for(config, engine) if config.connectors.sample.enabled else system_clock
    if connectors is None:
        connectors = real_connectors(config, secrets, clock, pending_mentions=pending_mentions_reader(engine))
    if analyzer is None:
        # no campaigns here: sync_config_campaigns below loads the matcher from the table (config's and admins')
        analyzer = build_text_analyzer(config.analyzers, config.topics, config.paths.models_dir)
    metrics = metrics or Metrics()
    for stream, connector in connectors.items():  # API requests and errors counted on their own HTTP sessions
        instrument_connector(connector, platform_of(stream), metrics)
    accounts = [(p, h) for p in ("x", "facebook", "instagram") for h in getattr(config.accounts, p)]
    services = Services(
        config=config,
        secrets=secrets,
        engine=engine,
        connectors=connectors,
        analyzer=analyzer,
        clock=clock,
        sinks=dict(sinks) if sinks is not None else default_sinks(config, secrets, engine),
        spike_keys=configured_keys(accounts, [t.name for t in config.topics]),
        wall_clock=wall_clock or system_clock,
        metrics=metrics,
    )
    sync_config_campaigns(services)  # config.yaml's campaigns into the table; the matcher reads the table
    if resegment_on_start:
        resegment_authors(services.uow, services.segmenter, services.stop.is_set)
        merge_author_aliases(services.uow, services.segmenter, services.stop.is_set)
    return MessageBus(services, handlers.EVENT_HANDLERS, handlers.COMMAND_HANDLERS)
