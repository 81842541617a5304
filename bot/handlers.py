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
from bot.alerts.incidents import Transition, apply_transition, note_spike_bucket
from bot.alerts.problems import problem_failed, problems_recovered
from bot.alerts.spike_keys import bucket_start, keys_for
from bot.campaign_matching import post_contexts, refresh_matcher
from bot.detector_cache import CachedDetector
from bot.metrics import platform_of
from connectors.base import ConnectorError, Hold, causes_of, held_of
from domain import Alert
from storage.reach import ReachRule, refresh_reach
from storage.repositories import DetectorHead, DetectorSave, StaleDetectorState
from storage.review_changes import ReviewRepository

if TYPE_CHECKING:
    from bot.services import Services
    from storage.unit_of_work import UnitOfWork

log = structlog.get_logger("vigia.handlers")

MAX_CATCH_UP = timedelta(days=35)  # after a long outage, evaluate at most this much history


# --- ingestion ----------------------------------------------------------------------------------------


def poll_stream(cmd: events.PollStream, svc: Services) -> list[events.Event]:
    """Fetch a stream page by page; store each page (posts, their authors' profiles, the accounts' follower
    counts) and its bookmark in one transaction.

    A stream whose cause has an open, paused problem (stored, so also across processes) makes no request, nor
    does one its connector holds back on its own (Meta's usage slow-down, X's spent request budget): neither is
    a successful poll, so the bookmark's `updated_at` stays at the last real collection; the hold is stored
    for `main.py status`.
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
    hold = held_of(connector, cmd.stream)
    if hold is not None:
        log.info("stream held back by its connector", stream=cmd.stream, hold=hold.key, until=hold.until.isoformat())
        _record_poll(cmd.stream, svc, touched=False, hold=hold)
        return [events.PollCompleted(cmd.stream, 0, 0, 0, 0, 0.0, paused_by=hold.key, paused_until=hold.until)]
    cursor = current.value if current else None
    proven: frozenset[str] | None = None
    svc.fence.guard()  # a deposed leader asks the platform nothing
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
                    authors = uow.authors.upsert(batch.authors, svc.segmenter.place, svc.segmenter.version,
                                                 svc.clock())
                    if authors.changed:  # a known author's new segment or followers reorder their pending posts
                        refresh_reach(uow.session, ReachRule.of(svc.segmenter), authors.changed)
                if batch.snapshots:
                    uow.authors.save_snapshots(batch.snapshots, svc.config.timezone)
                uow.cursors.save(cmd.stream, batch.cursor)
                svc.fence.guard(uow.session)  # posts and bookmark commit only under the current leader epoch
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
    hold = held_of(connector, cmd.stream)  # met during this poll (after a page), or just before its first request
    skipped = hold is not None and pages == 0 and not proven  # the connector asked nothing: collected nothing
    # A clean poll that asked is current: what `main.py status` calls the stream's last successful poll.
    _record_poll(cmd.stream, svc, touched=not failed and not skipped and not svc.stop.is_set(), hold=hold)
    if proven is None:  # a connector that does not report (sample replay): a clean poll is its own proof
        proven = frozenset() if failed else frozenset({f"connector:{cmd.stream}"})
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    log.info("poll", stream=cmd.stream, new=new, updated=updated, rejected=rejected, pages=pages,
             duration_ms=duration_ms, failed=failed)
    out.append(events.PollCompleted(cmd.stream, new, updated, rejected, pages, duration_ms, failed,
                                    tuple(sorted(proven)), paused_by=hold.key if hold and skipped else None,
                                    paused_until=hold.until if hold and skipped else None, started_at=started_at))
    return out


def _record_poll(stream: str, svc: Services, *, touched: bool, hold: Hold | None) -> None:
    """What `main.py status` reads of a poll: its time when it was a successful one, and the connector's own
    hold on the stream (stored while it lasts, removed once the connector asks freely again)."""
    with svc.uow() as uow:
        if touched:
            uow.cursors.touch(stream)
        if hold is not None:
            uow.cursors.hold(stream, hold.key, hold.reason, hold.until, svc.clock())
        else:
            uow.cursors.release(stream)
        uow.commit()


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
    started = time.perf_counter()
    with svc.uow() as uow:
        assert uow.session is not None
        refresh_matcher(svc, uow.session)  # an admin's campaign edit reaches the next batch
        stored = uow.posts.by_ids(post_ids)
        results = svc.analyzer.analyze_many([s.post.text for s in stored], [s.post.lang for s in stored],
                                            post_contexts(uow, stored))
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
        ReviewRepository(uow.session, svc.clock, ReachRule.of(svc.segmenter)).sync_rows(sorted(inserted))
        uow.commit()
    svc.metrics.analysis_seconds.observe(time.perf_counter() - started)
    svc.metrics.posts_analysed.inc(len(inserted))
    return [events.PostsAnalyzed(tuple(sorted(inserted)))] if inserted else []


# --- spikes and alerts ----------------------------------------------------------------------------------


def _detector_state(svc: Services, stored: dict[str, Any], revision: int) -> CachedDetector:
    episode = stored.get("episode_start")
    detector = SpikeDetector.from_state(svc.config.spikes, stored["detector"])
    return CachedDetector(detector, datetime.fromisoformat(episode) if episode else None, revision)


def _current_detectors(uow: UnitOfWork, svc: Services,
                       heads: dict[str, DetectorHead]) -> dict[str, CachedDetector]:
    """The detectors in memory that are still the stored revision; the others are read from the database.

    A key read again gets the head read with its state (they agree even if another process saved in between).
    """
    detectors: dict[str, CachedDetector] = {}
    for key, head in heads.items():
        item = svc.detectors.get(key, head.revision)
        if item is not None:
            detectors[key] = item
    stale = [key for key in heads if key not in detectors]
    if stale:
        for key, (head, stored) in uow.spikes.load_states(stale).items():
            heads[key] = head
            detectors[key] = _detector_state(svc, stored, head.revision)
            svc.detectors.loaded(key, detectors[key])
        for key in stale:
            if key not in detectors:  # its row went away since the heads were read: not evaluated this time
                del heads[key]
    return detectors


def evaluate_spikes(cmd: events.EvaluateSpikes, svc: Services) -> list[events.Event]:
    """Run the detector over every closed bucket, bucket by bucket across keys, and apply the policy.

    The detectors stay in memory between steps (`svc.detectors`); a save refused because another process
    saved the same key since it was read (StaleDetectorState) rolls everything back and the step is run
    again on what that process stored.
    """
    try:
        return _evaluate_spikes(cmd, svc)
    except StaleDetectorState as exc:
        log.warning("detector state saved by another process meanwhile; evaluating again", error=str(exc))
        return _evaluate_spikes(cmd, svc)


def _evaluate_spikes(cmd: events.EvaluateSpikes, svc: Services) -> list[events.Event]:
    bucket = timedelta(minutes=svc.config.spikes.bucket_minutes)
    closed_until = bucket_start(cmd.now - timedelta(seconds=svc.config.alerts.bucket_close_delay_seconds),
                                bucket)  # buckets starting before this have ended
    out: list[events.Event] = []
    with svc.uow() as uow:
        wanted = set(svc.spike_keys)
        heads = {key: head for key, head in uow.spikes.heads().items() if key in wanted}
        missing = [key for key in svc.spike_keys if key not in heads]
        if missing:  # keys new to this database start learning from now on
            fresh = {"detector": SpikeDetector(svc.config.spikes).to_state(), "episode_start": None}
            for key in missing:
                uow.spikes.ensure_state(key, fresh, closed_until)
            uow.commit()
            heads = {key: head for key, head in uow.spikes.heads().items() if key in wanted}
        if not heads:
            return []
        if min(head.next_bucket for head in heads.values()) >= closed_until:
            return []  # nothing closed since the last step: no detector is read
        detectors = _current_detectors(uow, svc, heads)
        next_bucket = {key: max(head.next_bucket, closed_until - MAX_CATCH_UP) for key, head in heads.items()}
        start = min(next_bucket.values())
        try:
            out = _run_buckets(uow, svc, cmd, heads, detectors, next_bucket, start, closed_until)
            svc.fence.guard(uow.session)  # alerts are queued only under the current leader epoch
            uow.commit()
        except BaseException:
            svc.detectors.forget(detectors)  # their memory may be ahead of what the database kept
            raise
    return out


def _run_buckets(uow: UnitOfWork, svc: Services, cmd: events.EvaluateSpikes, heads: dict[str, DetectorHead],
                 detectors: dict[str, CachedDetector], next_bucket: dict[str, datetime], start: datetime,
                 closed_until: datetime) -> list[events.Event]:
    """Advance the detectors, apply the policy, and stage states, incidents and alerts in `uow` (no commit).

    Only the keys that moved are saved; the in-memory copies are re-tagged with the revision they will have
    once the caller commits (the caller drops them all if it does not).
    """
    bucket = timedelta(minutes=svc.config.spikes.bucket_minutes)
    out: list[events.Event] = []
    levels = {key: head.level for key, head in heads.items()}
    episodes = {key: item.episode for key, item in detectors.items()}
    counts = uow.spikes.counts_for_keys(list(heads), start, closed_until)
    alerts: list[tuple[Alert, int | None]] = []
    moment = start
    while moment < closed_until:
        for key in heads:
            if next_bucket[key] > moment:
                continue
            verdict = detectors[key].detector.update(moment, counts[key].get(moment, 0))
            svc.metrics.detector_evaluations.inc()
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
                episode = episodes[key]
                episodes[key] = moment if previous == "none" else (None if level == "none" else episode)
                levels[key] = level
            elif level != "none":  # a bucket inside the spike: it may be its incident's peak
                note_spike_bucket(uow, key, int(verdict.value), verdict.expected)
            next_bucket[key] = moment + bucket
        moment += bucket
    moved = [key for key, head in heads.items() if next_bucket[key] != head.next_bucket or levels[key] != head.level]
    uow.spikes.save_states([
        DetectorSave(key, {"detector": detectors[key].detector.to_state(),
                           "episode_start": episodes[key].isoformat() if episodes[key] else None},
                     next_bucket[key], levels[key], heads[key].revision)
        for key in moved
    ])
    for key in moved:
        svc.detectors.put(key, CachedDetector(detectors[key].detector, episodes[key], heads[key].revision + 1))
    for alert, incident_id in alerts:
        for sink in svc.sinks_for(alert.channel):
            uow.alerts.add(alert, sink.name, incident_id)
        out.append(events.AlertRaised(alert.key, alert.kind, alert.severity, alert.title))
    return out


def notify_outbox(event: events.AlertRaised, svc: Services) -> list[events.Event]:
    """Deliver right away instead of waiting for the next flush tick."""
    return [events.FlushOutbox(svc.clock())]  # type: ignore[list-item]


# --- process metrics (bot/metrics.py): counted from the events where the work is reported -------------------


def count_poll(event: events.PollCompleted, svc: Services) -> None:
    outcome = "paused" if event.paused_by is not None else "failed" if event.failed else "ok"
    svc.metrics.polls.labels(event.stream, outcome).inc()
    if event.paused_by is not None and event.paused_by.startswith("rate_limit:"):
        svc.metrics.rate_limit_waits.labels(platform_of(event.stream)).inc()


def count_collected(event: events.PostsCollected, svc: Services) -> None:
    svc.metrics.posts_stored.labels(event.stream).inc(len(event.new_post_ids))
    svc.metrics.posts_updated.labels(event.stream).inc(event.updated)
    svc.metrics.payloads_rejected.labels(event.stream).inc(event.rejected)


def count_failure(event: events.ConnectorFailed, svc: Services) -> None:
    kind = (event.problem or "connector").split(":", 1)[0]
    svc.metrics.connector_failures.labels(platform_of(event.stream), kind).inc()
    if kind == "rate_limit":
        svc.metrics.rate_limit_waits.labels(platform_of(event.stream)).inc()


def count_alert(event: events.AlertRaised, svc: Services) -> None:
    svc.metrics.alerts_queued.labels(event.kind).inc()


def log_spike(event: events.SpikeDetected, svc: Services) -> None:
    log.info("spike level changed", key=event.key, level=event.level, previous=event.previous_level,
             value=event.value, expected=round(event.expected, 2), bucket=event.bucket_start.isoformat())


def build_weekly_report(cmd: events.BuildWeeklyReport, svc: Services) -> list[events.Event]:
    from bot.reports.weekly import write_weekly_summary

    svc.fence.guard()
    write_weekly_summary(svc, cmd.week, force=cmd.force)
    return []


def apply_retention(cmd: events.ApplyRetention, svc: Services) -> list[events.Event]:
    """The daily retention job: leader only; each batch checks the fencing token before it commits."""
    from bot.retention import PseudonymKeyMissing, apply_retention, pseudonyms_from

    if not svc.config.retention.enabled:
        return []
    try:
        pseudonyms = pseudonyms_from(svc.secrets)
    except PseudonymKeyMissing as exc:
        log.error("retention skipped", reason=str(exc))
        return []
    svc.fence.guard()
    apply_retention(svc.engine, svc.config.retention, pseudonyms, cmd.now, requested_by="scheduler",
                    stop=svc.stop, guard=svc.fence.guard, max_seconds=svc.config.retention.job_max_seconds)
    return []


EVENT_HANDLERS: dict[type[events.Event], list[Any]] = {
    events.PostsCollected: [count_collected, analyze_collected],
    events.PostsAnalyzed: [],
    events.PollCompleted: [problems_recovered, count_poll],
    events.ConnectorFailed: [count_failure, problem_failed],
    events.SpikeDetected: [log_spike],
    events.AlertRaised: [count_alert, notify_outbox],
}

COMMAND_HANDLERS: dict[type[events.Command], Any] = {
    events.PollStream: poll_stream,
    events.AnalyzePending: analyze_pending,
    events.EvaluateSpikes: evaluate_spikes,
    events.FlushOutbox: flush_outbox,
    events.BuildWeeklyReport: build_weekly_report,
    events.ApplyRetention: apply_retention,
}
