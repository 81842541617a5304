"""The `Services` handed to every handler, kept apart from the composition root that builds it.

Handlers, reports and alert delivery import this module; `bootstrap` imports them all. Keeping the type here
(and not in `bootstrap`) is what keeps those imports one-way.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Engine

from analyzers.pipeline import TextAnalyzer
from analyzers.segments import Segmenter
from bot.alerts.sinks import AlertSink
from bot.clock import Clock, system_clock
from bot.config import Config, Secrets
from bot.config import segmenter as build_segmenter
from bot.detector_cache import DetectorCache
from bot.leader import Leadership
from bot.metrics import Metrics
from connectors.base import Connector
from storage.unit_of_work import UnitOfWork


@dataclass
class DeliveryState:
    """Per-process state of the worker: who we are (for leases) and the in-process lock."""

    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}")
    lock: threading.Lock = field(default_factory=threading.Lock)
    again: threading.Event = field(default_factory=threading.Event)  # work arrived while another flush ran


@dataclass
class Services:
    """Everything handlers may use. Built once per process by `bootstrap`."""

    config: Config
    secrets: Secrets
    engine: Engine
    connectors: Mapping[str, Connector]  # by stream name
    analyzer: TextAnalyzer
    clock: Clock
    sinks: Mapping[str, AlertSink]
    spike_keys: list[str]
    stop: threading.Event = field(default_factory=threading.Event)
    rng: random.Random = field(default_factory=random.Random)  # jitter of operational back-off
    wall_clock: Clock = system_clock  # real time for delivery back-off and leases, even in a replay
    delivery: DeliveryState = field(default_factory=DeliveryState)
    detectors: DetectorCache = field(default_factory=DetectorCache)  # spike detectors kept between steps
    # places authors in audience segments; built from `config` when not given, so the two always agree
    segmenter: Segmenter = None  # type: ignore[assignment]
    # CampaignRepository.revision() of the campaigns the analyzer matches (bot/campaign_matching.refresh_matcher)
    campaigns_revision: str | None = None
    # this process's Prometheus counters (bot/metrics.py); bootstrap passes the one the process exposes
    metrics: Metrics = field(default_factory=Metrics)
    # hot standby (bot/leader.py): whether this process may still act as leader; never refuses unless `run`
    # leads under a PostgreSQL lock. Handlers call `fence.guard(session)` before the commits that matter.
    fence: Leadership = field(default_factory=Leadership)

    def __post_init__(self) -> None:
        if self.segmenter is None:
            self.segmenter = build_segmenter(self.config)

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine)

    def sinks_for(self, channel: str) -> list[AlertSink]:
        """Every configured sink takes both channels; Slack maps them to its two channel names."""
        return list(self.sinks.values())
