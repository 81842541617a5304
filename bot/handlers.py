"""Handlers: plain functions `handler(message, services) -> events`, registered in the tables at the bottom.

Each handler does its database work in one unit of work, so its effects are all-or-nothing:
- a page of posts and the stream's bookmark are stored together (a crash neither loses nor duplicates);
- analyses and the detector's bucket counts are stored together (a post is counted once);
- detector state, incidents and queued alerts are stored together (an alert is neither lost nor repeated).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import structlog

from analyzers.spikes.detector import SpikeDetector
from bot import events
from bot.alerts.delivery import flush_outbox
from bot.alerts.incidents import Transition, apply_transition
from bot.alerts.problems import problem_failed, problems_recovered
from bot.alerts.spike_keys import bucket_start, keys_for
from connectors.base import ConnectorError, causes_of
from domain import Alert
from storage.review_changes import ReviewRepository

if TYPE_CHECKING:
    from bot.services import Services

log = structlog.get_logger("vigia.handlers")

MAX_CATCH_UP = timedelta(days=35)  # after a long outage, evaluate at most this much history


# --- ingestion ----------------------------------------------------------------------------------------


def poll_stream(cmd: events.PollStream, svc: Services) -> list[events.Event]:
    """Fetch a stream page by page; store each page (posts, their authors' profiles, the accounts' follower
    counts) and its bookmark in one transaction.

    A stream whose cause has an open, paused problem (stored, so also across processes) makes no request.
    """
    connector = svc.connectors[cmd.stream]
    started, started_at = time.perf_counter(), svc.clock()
    new = updated = rejected = pages = 0
    out: list[events.Event] = []
    with svc.uow() as uow:
        pause = uow.ops.pausing(causes_of(connector, cmd.stream), started_at)
        current = uow.cursors.get(cmd.stream)
        paused = (pause.key, pause.paused_until) if pause is not None else None
    if paused is not None:
        log.info("stream paused by an open problem", stream=cmd.stream, problem=paused[0],
                 until=paused[1].isoformat() if paused[1] else None)
        return [events.PollCompleted(cmd.stream, 0, 0, 0, 0, 0.0, paused_by=paused[0], paused_until=paused[1])]
    cursor = current.value if current else None
    proven: frozenset[str] | None = None
    poll = connector.poll(cmd.stream, cursor)
    try:
        while True:
            try:
                batch = next(poll)
            except StopIteration as done:
                proven = done.value if isinstance(done.value, frozenset) else None
                break
            with svc.uow() as uow:
                result = uow.posts.upsert(batch.posts)
                for item in batch.rejected:
                    uow.rejected.add(item.stream, item.reason, item.payload)
                # The page's authors and the accounts' followers go with the posts: all or nothing.
                if batch.authors:
                    uow.authors.upsert(batch.authors, svc.segmenter.place, svc.segmenter.version, svc.clock())
                if batch.snapshots:
                    uow.authors.save_snapshots(batch.snapshots, svc.config.timezone)
                uow.cursors.save(cmd.stream, batch.cursor)
                uow.commit()
            pages += 1
            new += len(result.new_ids)
            updated += result.updated
            rejected += len(batch.rejected)
            for item in batch.rejected:
                log.warning("payload rejected", stream=cmd.stream, reason=item.reason)
            if result.new_ids or batch.rejected:
                out.append(events.PostsCollected(cmd.stream, result.new_ids, result.updated,
                                                 len(batch.rejected)))
            if svc.stop.is_set():
                log.info("poll interrupted by shutdown", stream=cmd.stream, pages=pages)
                proven = frozenset()
                break
    except ConnectorError as exc:
        backoff, problem = exc.backoff, exc.problem or f"connector:{cmd.stream}"
        out.append(events.ConnectorFailed(cmd.stream, str(exc), exc.retry_after, exc.fatal, problem,
                                          backoff.base_seconds if backoff else None,
                                          backoff.max_seconds if backoff else None))
        proven = exc.proven - {problem}  # earlier requests proved other causes, never the one that failed
    finally:
        poll.close()
    failed = any(isinstance(e, events.ConnectorFailed) for e in out)
    if proven is None:  # a connector that does not report (sample replay): a clean poll is its own proof
        proven = frozenset() if failed else frozenset({f"connector:{cmd.stream}"})
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    log.info("poll", stream=cmd.stream, new=new, updated=updated, rejected=rejected, pages=pages,
             duration_ms=duration_ms, failed=failed)
    out.append(events.PollCompleted(cmd.stream, new, updated, rejected, pages, duration_ms, failed,
                                    tuple(sorted(proven)), started_at=started_at))
    return out


def analyze_collected(event: events.PostsCollected, svc: Services) -> list[events.Event]:
    return analyze_ids(event.new_post_ids, svc)


def analyze_pending(cmd: events.AnalyzePending, svc: Services) -> list[events.Event]:
    with svc.uow() as uow:
        ids = uow.posts.unanalyzed_ids(cmd.limit)
    if ids:
        log.info("analysing pending posts", count=len(ids))
    return analyze_ids(ids, svc)


def analyze_ids(post_ids: Sequence[int], svc: Services) -> list[events.Event]:
    """Analyse posts that have no analysis yet and count them towards the spike detector's buckets."""
    if not post_ids:
        return []
    bucket = timedelta(minutes=svc.config.spikes.bucket_minutes)
    with svc.uow() as uow:
        stored = uow.posts.by_ids(post_ids)
        results = svc.analyzer.analyze_many([s.post.text for s in stored], [s.post.lang for s in stored])
        inserted = uow.analyses.insert_new(
            [(s.id, r) for s, r in zip(stored, results, strict=True)], svc.clock()
        )
        counts: Counter[tuple[str, datetime]] = Counter()
        for s, r in zip(stored, results, strict=True):
            if s.id in inserted:
                start = bucket_start(s.post.created_at, bucket)
                for key in keys_for(s.post, r):
                    counts[(key, start)] += 1
        uow.spikes.add_counts(dict(counts))
        # Same transaction: an analysed citizen post is in the inbox (state "new") with its urgency keys.
        assert uow.session is not None
        ReviewRepository(uow.session, svc.clock).sync_rows(sorted(inserted))
        uow.commit()
    return [events.PostsAnalyzed(tuple(sorted(inserted)))] if inserted else []


# --- spikes and alerts ----------------------------------------------------------------------------------


def _detector_state(svc: Services, stored: dict[str, Any]) -> tuple[SpikeDetector, datetime | None]:
    episode = stored.get("episode_start")
    detector = SpikeDetector.from_state(svc.config.spikes, stored["detector"])
    return detector, datetime.fromisoformat(episode) if episode else None


def evaluate_spikes(cmd: events.EvaluateSpikes, svc: Services) -> list[events.Event]:
    """Run the detector over every closed bucket, bucket by bucket across keys, and apply the policy."""
    bucket = timedelta(minutes=svc.config.spikes.bucket_minutes)
    closed_until = bucket_start(cmd.now - timedelta(seconds=svc.config.alerts.bucket_close_delay_seconds),
                                bucket)  # buckets starting before this have ended
    out: list[events.Event] = []
    with svc.uow() as uow:
        wanted = set(svc.spike_keys)
        rows = {row.key: row for row in uow.spikes.states() if row.key in wanted}
        missing = [key for key in svc.spike_keys if key not in rows]
        if missing:  # keys new to this database start learning from now on
            fresh = {"detector": SpikeDetector(svc.config.spikes).to_state(), "episode_start": None}
            for key in missing:
                uow.spikes.ensure_state(key, fresh, closed_until)
            uow.commit()
            rows = {row.key: row for row in uow.spikes.states() if row.key in wanted}
        if not rows:
            return []
        detectors = {key: _detector_state(svc, row.state) for key, row in rows.items()}
        levels = {key: row.level for key, row in rows.items()}
        next_bucket = {key: max(row.next_bucket, closed_until - MAX_CATCH_UP) for key, row in rows.items()}
        start = min(next_bucket.values())
        if start >= closed_until:
            return []
        counts = uow.spikes.counts_for_keys(list(rows), start, closed_until)
        alerts: list[tuple[Alert, int | None]] = []
        moment = start
        while moment < closed_until:
            for key in rows:
                if next_bucket[key] > moment:
                    continue
                detector, episode = detectors[key]
                verdict = detector.update(moment, counts[key].get(moment, 0))
                previous = levels[key]
                level = verdict.level if verdict.in_spike else "none"
                if verdict.in_spike and previous != "none":
                    level = max(previous, verdict.level, key=lambda lv: ("none", "aviso", "critico").index(lv))
                if level != previous:
                    transition = Transition(key, moment, bucket, previous, level, verdict.in_spike,
                                            verdict.value, verdict.expected)
                    cooldown = timedelta(minutes=svc.config.alerts.cooldown_minutes)
                    for alert in apply_transition(uow, transition, svc.config.tz, svc.config.alerts.inbox_url,
                                                  cooldown, segments=svc.segmenter):
                        alerts.append((alert, alert.details.get("incident")))
                    out.append(events.SpikeDetected(key, moment, level, previous, verdict.value,
                                                    verdict.expected, verdict.score))
                    episode = moment if previous == "none" else (None if level == "none" else episode)
                    levels[key] = level
                detectors[key] = (detector, episode)
                next_bucket[key] = moment + bucket
            moment += bucket
        uow.spikes.save_states([
            (key, {"detector": detector.to_state(), "episode_start": episode.isoformat() if episode else None},
             next_bucket[key], levels[key])
            for key, (detector, episode) in detectors.items()
        ])
        for alert, incident_id in alerts:
            for sink in svc.sinks_for(alert.channel):
                uow.alerts.add(alert, sink.name, incident_id)
            out.append(events.AlertRaised(alert.key, alert.kind, alert.severity, alert.title))
        uow.commit()
    return out




def notify_outbox(event: events.AlertRaised, svc: Services) -> list[events.Event]:
    """Deliver right away instead of waiting for the next flush tick."""
    return [events.FlushOutbox(svc.clock())]  # type: ignore[list-item]


def log_spike(event: events.SpikeDetected, svc: Services) -> None:
    log.info("spike level changed", key=event.key, level=event.level, previous=event.previous_level,
             value=event.value, expected=round(event.expected, 2), bucket=event.bucket_start.isoformat())


def build_weekly_report(cmd: events.BuildWeeklyReport, svc: Services) -> list[events.Event]:
    from bot.reports.weekly import write_weekly_summary

    write_weekly_summary(svc, cmd.week, force=cmd.force)
    return []


EVENT_HANDLERS: dict[type[events.Event], list[Any]] = {
    events.PostsCollected: [analyze_collected],
    events.PostsAnalyzed: [],
    events.PollCompleted: [problems_recovered],
    events.ConnectorFailed: [problem_failed],
    events.SpikeDetected: [log_spike],
    events.AlertRaised: [notify_outbox],
}

COMMAND_HANDLERS: dict[type[events.Command], Any] = {
    events.PollStream: poll_stream,
    events.AnalyzePending: analyze_pending,
    events.EvaluateSpikes: evaluate_spikes,
    events.FlushOutbox: flush_outbox,
    events.BuildWeeklyReport: build_weekly_report,
}
