"""Spike detectors stay in memory between evaluations and are read again only when the stored state moved.

Two buses on one database stand for two processes (`run` and a `poll --once`): each has its own Services and
so its own detector cache, as separate processes do.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import events
from bot.alerts.sinks import FileSink
from bot.bootstrap import bootstrap
from bot.clock import ManualClock
from bot.config import parse_config
from storage.repositories import DetectorSave, SpikeRepository, StaleDetectorState
from storage.unit_of_work import UnitOfWork
from tests.factories import T0, make_post
from tests.fake_connector import ListConnector

STREAM = "fake:x:Ministerio_TIC"
STEP = timedelta(minutes=15)


def _bus(engine, tmp_path, clock, connector):
    config = parse_config({
        "connectors": {"sample": {"enabled": False}},
        "accounts": {"x": ["Ministerio_TIC"]},
        "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
        "paths": {"models_dir": str(tmp_path / "models")},
    })
    return bootstrap(config, engine=engine, clock=clock, connectors={connector.stream: connector},
                     sinks={"file": FileSink(config.alerts.outbox_file)})


def _step(bus, clock, connector, posts):
    clock.advance(STEP)
    connector.posts = [p for p in posts if p.created_at <= clock()]
    bus.handle(events.PollStream(STREAM))
    return bus.handle(events.EvaluateSpikes(clock()))


def _stored(engine):
    with UnitOfWork(engine) as uow:
        heads = uow.spikes.heads()
        return heads, uow.spikes.load_states(sorted(heads))


@pytest.fixture
def two_processes(engine, tmp_path):
    posts = [make_post(n, minutes=3 * n) for n in range(200)]  # one post every 3 minutes
    clock = ManualClock(T0)
    connector = ListConnector([], page=100)
    first = _bus(engine, tmp_path, clock, connector)
    second = _bus(engine, tmp_path, clock, connector)  # another process on the same database
    first.handle(events.EvaluateSpikes(clock()))
    return first, second, clock, connector, posts


def test_steps_reuse_the_detectors_in_memory_and_store_exactly_their_state(engine, two_processes):
    first, _, clock, connector, posts = two_processes
    cache = first.services.detectors
    _step(first, clock, connector, posts)
    keys = sorted(first.services.spike_keys)
    assert keys
    assert cache.loads == len(keys)  # read once, when the process evaluates for the first time
    heads, _ = _stored(engine)
    kept = {key: cache.get(key, heads[key].revision) for key in keys}
    for _ in range(3):
        _step(first, clock, connector, posts)
    assert cache.loads == len(keys), "nothing changed underneath: no detector is read again"
    heads, stored = _stored(engine)
    for key in keys:
        item = cache.get(key, heads[key].revision)
        assert item is not None and item.detector is kept[key].detector  # the same object, advanced in place
        assert stored[key][1]["detector"] == item.detector.to_state()  # the database holds what memory holds
    assert all(head.next_bucket == clock() - STEP for head in heads.values())


def test_a_state_saved_by_another_process_is_read_again_and_continued(engine, two_processes):
    first, second, clock, connector, posts = two_processes
    for _ in range(2):
        _step(first, clock, connector, posts)
    before, _ = _stored(engine)
    assert before
    loads = first.services.detectors.loads
    _step(second, clock, connector, posts)  # the other process evaluates the next bucket and saves
    moved, saved = _stored(engine)
    assert all(moved[k].revision == before[k].revision + 1 for k in before)
    _step(first, clock, connector, posts)
    assert first.services.detectors.loads == loads + len(before), "every key the other process saved is read"
    after, stored = _stored(engine)
    for key in before:
        assert after[key].revision == moved[key].revision + 1
        assert after[key].next_bucket == moved[key].next_bucket + STEP  # continued from it, not re-evaluated
        item = first.services.detectors.get(key, after[key].revision)
        assert item is not None and stored[key][1]["detector"] == item.detector.to_state()
        assert stored[key][1]["detector"] != saved[key][1]["detector"]


def test_a_save_racing_another_process_is_refused_and_the_step_runs_again(engine, two_processes, monkeypatch):
    """The other process saves between our read and our write: nothing of ours is kept, nothing is doubled."""
    first, second, clock, connector, posts = two_processes
    _step(first, clock, connector, posts)
    clock.advance(STEP)
    connector.posts = [p for p in posts if p.created_at <= clock()]
    first.handle(events.PollStream(STREAM))
    original = SpikeRepository.counts_for_keys
    raced = []

    def counts_then_race(self, keys, start, end):  # type: ignore[no-untyped-def]
        counts = original(self, keys, start, end)
        if not raced:
            raced.append(True)
            second.handle(events.EvaluateSpikes(clock()))  # commits while the first holds its detectors
        return counts

    monkeypatch.setattr(SpikeRepository, "counts_for_keys", counts_then_race)
    before, _ = _stored(engine)
    first.handle(events.EvaluateSpikes(clock()))
    after, stored = _stored(engine)
    assert raced and all(after[k].revision == before[k].revision + 1 for k in before)  # the other's save only
    assert all(after[k].next_bucket == clock() - STEP for k in before)
    with UnitOfWork(engine) as uow, pytest.raises(StaleDetectorState):
        key = sorted(before)[0]
        uow.spikes.save_states([DetectorSave(key, stored[key][1], after[key].next_bucket, "none",
                                             before[key].revision)])
