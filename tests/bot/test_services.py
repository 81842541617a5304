"""`analyze --since`: recomputes stored analyses, keeps people's corrections, resumes after a stop."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot import events
from bot.alerts.sinks import FileSink
from bot.bootstrap import bootstrap
from bot.clock import ManualClock
from bot.commands.reanalysis import reanalyze_since
from bot.config import parse_config
from domain import TextAnalysis
from storage.unit_of_work import UnitOfWork
from tests.factories import T0, make_post
from tests.fake_connector import ListConnector


def _bus(engine, tmp_path, posts):
    config = parse_config({"connectors": {"sample": {"enabled": False}},
                           "paths": {"models_dir": str(tmp_path / "m")}})
    connector = ListConnector(posts)
    return bootstrap(config, engine=engine, clock=ManualClock(T0 + timedelta(days=1)),
                     connectors={connector.stream: connector}, sinks={"file": FileSink(tmp_path / "o.jsonl")})


def _stale(uow, post_id):
    """Pretend an older analyzer said something else."""
    uow.analyses.replace([(post_id, TextAnalysis("es", "positive", 0.9, "felicitacion", version="old"))], T0)


def test_reanalysis_recomputes_but_keeps_corrections(engine, tmp_path):
    posts = [make_post(i, text="La plataforma está caída otra vez, llevo dos días sin poder inscribirme 😡")
             for i in range(3)]
    bus = _bus(engine, tmp_path, posts)
    bus.handle(events.PollStream("fake:x:Ministerio_TIC"))
    with UnitOfWork(engine) as uow:
        ids = [uow.posts.get("x", f"test-{i}").id for i in range(3)]  # type: ignore[union-attr]
        fresh = uow.analyses.get(ids[0])
        for pid in ids:
            _stale(uow, pid)
        uow.corrections.add(ids[1], "category", "reclamo", "queja", "ana")
        uow.corrections.add(ids[1], "topics", "[]", '["gobierno_digital"]', "ana")
        uow.commit()
    done = reanalyze_since(bus.services, T0 - timedelta(days=1))
    assert done == 3
    with UnitOfWork(engine) as uow:
        first, second = uow.analyses.get(ids[0]), uow.analyses.get(ids[1])
    assert first is not None and second is not None
    assert replace(first, rules=()) == replace(fresh, rules=()) and first.version != "old"
    assert second.category == "queja" and second.topics == ("gobierno_digital",)
    assert "manual:category" in second.rules and "manual:topics" in second.rules
    assert second.sentiment == fresh.sentiment  # not corrected: recomputed


def test_reanalysis_resumes_from_its_checkpoint(engine, tmp_path):
    posts = [make_post(i) for i in range(5)]
    bus = _bus(engine, tmp_path, posts)
    bus.handle(events.PollStream("fake:x:Ministerio_TIC"))
    since = T0 - timedelta(days=1)
    bus.services.stop.set()  # stop after the first committed batch
    assert reanalyze_since(bus.services, since, batch=2) == 2
    bus.services.stop.clear()
    assert reanalyze_since(bus.services, since, batch=2) == 3  # the rest, not all five again
    assert reanalyze_since(bus.services, since, batch=2) == 5  # a finished run starts over when asked again
