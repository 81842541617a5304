"""Application services used by commands that need the database (re-analysis, training from corrections)."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

import structlog

from bot.bootstrap import build_engine
from bot.campaign_matching import post_contexts, refresh_matcher
from bot.config import Config
from domain import TextAnalysis
from storage.reach import ReachRule
from storage.review_changes import ReviewRepository
from storage.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from bot.services import Services

log = structlog.get_logger("vigia.services")

_TASK_FIELDS = {"sentiment": "sentiment", "category": "category"}


def correction_examples(config: Config, task: str) -> list[tuple[str, str]]:
    """(label, text) pairs from the community managers' latest correction of each post."""
    if task not in _TASK_FIELDS:
        raise ValueError(f"unknown task {task!r}; use one of {', '.join(_TASK_FIELDS)}")
    engine = build_engine()
    try:
        with UnitOfWork(engine) as uow:
            return uow.corrections.latest_labels(_TASK_FIELDS[task])
    finally:
        engine.dispose()


def keep_corrections(result: TextAnalysis, corrections: dict[str, str]) -> TextAnalysis:
    """Re-apply community managers' corrections on top of a recomputed analysis (marked `manual:<field>`)."""
    if not corrections:
        return result
    changes: dict[str, object] = {}
    for field in ("category", "sentiment"):
        if field in corrections:
            changes[field] = corrections[field]
    if "topics" in corrections:
        try:
            topics = json.loads(corrections["topics"])
            changes["topics"] = tuple(str(t) for t in topics) if isinstance(topics, list) else result.topics
        except ValueError:
            pass
    markers = tuple(f"manual:{f}" for f in changes if f"manual:{f}" not in result.rules)
    return replace(result, **changes, rules=result.rules + markers)  # type: ignore[arg-type]


def reanalyze_since(svc: Services, since: datetime, *, batch: int = 1000, progress: TextIO | None = None) -> int:
    """Recompute analyses of posts created since `since`, batch by batch: sentiment, category, topics, flags,
    campaigns (against the stored definitions: config and admin) and place.

    Progress is checkpointed in the cursors table after each committed batch, so an interrupted run
    (Ctrl-C, a crash) continues where it stopped when started again with the same `since`.
    """
    job = f"job:analyze:{since.isoformat()}"
    with svc.uow() as uow:
        saved = uow.cursors.get(job)
        total = uow.posts.count()
    after_id = int(saved.value) if saved and saved.value else 0
    done = 0
    started = time.perf_counter()
    while True:
        with svc.uow() as uow:
            ids = uow.posts.ids_since(since, after_id, batch)
            if not ids:
                uow.cursors.save(job, None)
                uow.commit()
                break
            assert uow.session is not None
            refresh_matcher(svc, uow.session)  # the stored campaigns, admin ones included
            stored = uow.posts.by_ids(ids)
            results = svc.analyzer.analyze_many([s.post.text for s in stored], [s.post.lang for s in stored],
                                                post_contexts(uow, stored))
            corrected = uow.corrections.latest_for_posts(ids)
            results = [keep_corrections(r, corrected.get(s.id, {})) for s, r in zip(stored, results, strict=True)]
            uow.analyses.replace([(s.id, r) for s, r in zip(stored, results, strict=True)], svc.clock())
            reviews = ReviewRepository(uow.session, svc.clock, ReachRule.of(svc.segmenter))
            reviews.sync_rows([s.id for s in stored])  # urgency follows
            after_id = ids[-1]
            uow.cursors.save(job, str(after_id))
            uow.commit()
        done += len(ids)
        rate = done / max(time.perf_counter() - started, 1e-9)
        log.info("reanalysis progress", done=done, last_id=after_id, posts_per_s=round(rate))
        if progress is not None:
            print(f"\r{done} analyses recomputed (of at most {total}), {rate:.0f}/s", end="", file=progress,
                  flush=True)
        if svc.stop.is_set():
            break
    if progress is not None and done:
        print(file=progress)
    return done
