"""The retention policy applied: `config.retention` turned into cut-off dates, and the batches of
storage/retention.py run one transaction each, with progress and one structured log line per batch.

Shared by the daily job (handlers.apply_retention, leader only) and `main.py retention`. A batch commits on its
own, so stopping anywhere (crash, Ctrl-C, a deposed leader) keeps what was done and the next run continues
with what is left. Log lines carry kinds and counts only, never a handle, a name or a text.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import RetentionSettings, Secrets
from storage.retention import KINDS, MIN_KEY_CHARS, Cutoffs, Pseudonyms, pending_counts, record, run_batch

log = structlog.get_logger("vigia.retention")

Progress = Callable[[str, int, int], None]  # (kind, done so far, due at the start)
Guard = Callable[[Session], None]  # raises when this process must stop writing (hot standby fencing)


class PseudonymKeyMissing(Exception):
    """VIGIA_PSEUDONYM_KEY is unset or too short: nothing can be anonymised."""


def pseudonyms_from(secrets: Secrets) -> Pseudonyms:
    key = secrets.pseudonym_key.get_secret_value() if secrets.pseudonym_key else ""
    if len(key) < MIN_KEY_CHARS:
        raise PseudonymKeyMissing(
            f"VIGIA_PSEUDONYM_KEY is {'too short' if key else 'not set'}: set it in the environment to a random "
            f"secret of at least {MIN_KEY_CHARS} characters (e.g. `openssl rand -hex 32`), the same on every "
            "process and kept outside the database (docs/data-protection.md)")
    return Pseudonyms(key)


def months_before(when: datetime, months: int) -> datetime:
    """The same instant `months` calendar months earlier (the day clamped to the month's length)."""
    year, month = divmod(when.year * 12 + when.month - 1 - months, 12)
    month += 1
    day = when.day
    while True:
        try:
            return when.replace(year=year, month=month, day=day)
        except ValueError:
            day -= 1


def cutoffs(settings: RetentionSettings, now: datetime) -> Cutoffs:
    return Cutoffs(posts=months_before(now, settings.post_text_months),
                   authors=months_before(now, settings.author_profile_months),
                   notes=months_before(now, settings.notes_months),
                   audit=months_before(now, settings.audit_months),
                   rejected=now - timedelta(days=settings.rejected_payload_days))


def due(engine: Engine, settings: RetentionSettings, now: datetime) -> dict[str, int]:
    """Rows of each kind past their term (`retention --dry-run`)."""
    with Session(engine) as session:
        return pending_counts(session, cutoffs(settings, now))


def apply_retention(engine: Engine, settings: RetentionSettings, pseudonyms: Pseudonyms, now: datetime, *,
                    requested_by: str, progress: Progress | None = None, stop: threading.Event | None = None,
                    guard: Guard | None = None, max_batches: int | None = None,
                    max_seconds: float | None = None) -> dict[str, int]:
    """Anonymise/delete what is past its term, batch by batch (each its own transaction); returns the rows
    changed per kind. `stop` (set), `max_batches` or `max_seconds` end the run early (after a whole batch):
    the next run continues from there."""
    deadline = time.monotonic() + max_seconds if max_seconds is not None else None
    cut = cutoffs(settings, now)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory() as session:
        pending = pending_counts(session, cut)
    done = dict.fromkeys(KINDS, 0)
    batches = 0
    log.info("retention started", requested_by=requested_by, **{f"due_{k}": v for k, v in pending.items()})
    try:
        paused = False
        for kind in KINDS:
            if paused:
                break
            while pending[kind] and not (stop is not None and stop.is_set()):
                if max_batches is not None and batches >= max_batches:
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    log.info("retention paused until the next run", reason="job_max_seconds", kind=kind)
                    paused = True
                    break
                with factory() as session, session.begin():
                    changed = run_batch(session, kind, cut, pseudonyms, now, settings.batch_size)
                    if changed and guard is not None:
                        guard(session)  # a deposed leader's batch rolls back
                batches += 1
                if not changed:
                    break
                done[kind] += changed
                log.info("retention batch", kind=kind, rows=changed, done=done[kind], due=pending[kind])
                if progress is not None:
                    progress(kind, done[kind], pending[kind])
    finally:
        try:
            if any(done.values()):
                with factory() as session, session.begin():
                    record(session, "retention", requested_by, done, now)
        except Exception as exc:  # the batches are committed already; only the summary row is missing
            log.error("retention run not recorded", error=type(exc).__name__)
        log.info("retention finished", requested_by=requested_by, batches=batches, **done)
    return done
