"""Campaigns from config and admins to the analyzer, and back to stored posts.

- `sync_config_campaigns`: `config.yaml`'s campaigns copied into the `campaigns` table at start-up (the table is
  what the matcher reads, so admin campaigns and config campaigns are matched alike).
- `refresh_matcher`: a running bot reloads its matcher when `CampaignRepository.revision()` moved (an admin
  saved or archived a campaign in the web app, another process synced the config); checked once per analysis
  batch, one small query.
- `post_contexts`: what the analyzers may know of stored posts besides their text (date, expanded links, geo
  tag, the author's profile location), with one batched author lookup.
- `rematch`: after a campaign changes, only the campaign membership of the posts concerned is rewritten (the
  `analyses.campaigns` column and the "campaign" labels), in committed batches, resumable; no full re-analysis,
  since matching costs microseconds a post.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy.orm import Session

from analyzers.campaigns import BOGOTA, CampaignMatcher
from analyzers.pipeline import PostContext
from analyzers.processing import default_processor
from analyzers.text import TextProcessor
from domain import Campaign
from storage.campaigns import CampaignRepository
from storage.repositories import AnalysisRepository, CursorRepository, PostRepository, StoredPost

if TYPE_CHECKING:
    from bot.services import Services
    from storage.unit_of_work import UnitOfWork

log = structlog.get_logger("vigia.campaigns")

REMATCH_BATCH = 1000
Progress = Callable[[int, int], None]  # (posts examined, posts whose campaigns changed)


def sync_config_campaigns(svc: Services) -> bool:
    """Copy `config.yaml`'s campaigns into the table (archiving those removed from the file) and load the matcher
    from the table; True when the table changed. Run at start-up (bootstrap)."""
    with svc.uow() as uow:
        assert uow.session is not None
        repo = CampaignRepository(uow.session, svc.clock)
        changed = repo.sync_config(svc.config.campaign_list())
        if changed:
            uow.commit()
            log.info("campaigns synced from config", campaigns=len(svc.config.campaigns))
        _load(svc, repo)
    return changed


def refresh_matcher(svc: Services, session: Session) -> bool:
    """Reload the analyzer's campaigns if the stored definitions moved since they were loaded; True if reloaded."""
    repo = CampaignRepository(session, svc.clock)
    revision = repo.revision()
    if revision == svc.campaigns_revision:
        return False
    _load(svc, repo, revision)
    return True


def _load(svc: Services, repo: CampaignRepository, revision: str | None = None) -> None:
    if revision is None:
        revision = repo.revision()  # read before the definitions: a change in between is caught at the next check
    campaigns = repo.active()
    svc.analyzer.set_campaigns(campaigns)
    svc.campaigns_revision = revision
    log.info("campaign matcher loaded", campaigns=[c.id for c in campaigns], version=svc.analyzer.campaigns.version)


def post_urls(raw: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The full links of a stored platform payload: X's `entities.urls[].expanded_url` (the text only has t.co
    links), Facebook's `attachments.data[].url`/`unshimmed_url` and `link`. Anything malformed is skipped."""
    if not isinstance(raw, Mapping):
        return ()
    out: list[str] = []
    entities = raw.get("entities")
    if isinstance(entities, Mapping) and isinstance(entities.get("urls"), list):
        for item in entities["urls"]:
            if isinstance(item, Mapping):
                url = item.get("unwound_url") or item.get("expanded_url")
                if isinstance(url, str):
                    out.append(url)
    attachments = raw.get("attachments")
    if isinstance(attachments, Mapping) and isinstance(attachments.get("data"), list):
        for item in attachments["data"]:
            if isinstance(item, Mapping):
                for key in ("unshimmed_url", "url"):
                    if isinstance(item.get(key), str):
                        out.append(item[key])
                        break
    if isinstance(raw.get("link"), str):
        out.append(raw["link"])
    return tuple(dict.fromkeys(out))


def post_contexts(uow: UnitOfWork, stored: Sequence[StoredPost], *, authors: bool = True) -> list[PostContext]:
    """The context of each stored post, with the authors' profile locations read in one query."""
    locations: dict[tuple[str, str], str | None] = {}
    if authors and stored:
        keys = {(str(s.post.platform), s.post.author_id) for s in stored}
        found = uow.authors.by_keys(keys)
        locations = {key: a.author.location for key, a in found.items()}
    return [PostContext(created_at=s.post.created_at, urls=post_urls(s.post.raw), geo=s.post.geo,
                        profile_location=locations.get((str(s.post.platform), s.post.author_id)))
            for s in stored]


@lru_cache(maxsize=1)
def _shared_processor() -> TextProcessor:
    return default_processor()


def _day_start(day: date) -> datetime:
    """Midnight in Bogotá of `day`, as UTC."""
    return datetime.combine(day, dtime(0), tzinfo=BOGOTA).astimezone(UTC)


def campaign_window(campaigns: Sequence[Campaign]) -> tuple[datetime, datetime | None]:
    """The span of posts that may belong to `campaigns`: from the earliest start to the day after the latest end
    (None: one of them is still running)."""
    since = _day_start(min(c.starts_on for c in campaigns))
    ends = [c.ends_on for c in campaigns]
    until = None if any(e is None for e in ends) else _day_start(max(e for e in ends if e) + timedelta(days=1))
    return since, until


@contextmanager
def _session_of(target: Services | Session) -> Iterator[Session]:
    if isinstance(target, Session):
        yield target
        return
    with target.uow() as uow:
        assert uow.session is not None
        yield uow.session


def rematch(target: Services | Session, campaign_ids: str | Sequence[str] | None = None,
            since: datetime | None = None, until: datetime | None = None, progress: Progress | None = None, *,
            processor: TextProcessor | None = None, batch: int = REMATCH_BATCH) -> int:
    """Match stored posts against the current campaign definitions again; the number of posts whose campaigns
    changed.

    `campaign_ids`: the campaigns to re-match (None: every active one). Only their membership moves: a post keeps
    the other campaigns it had, and an archived campaign's posts keep its label. `since`/`until`: the posts'
    publication span; by default the campaigns' own dates, plus every post that already carries one of them
    (so an edit that narrows the dates or drops a hashtag takes the label off). Commits after every batch and
    records where it is in the cursors table: an interrupted run continues where it stopped when called again
    with the same arguments. `target` is the bot's Services (its analyzer's text processor is used) or a
    database session (the web app's; the default processor).
    """
    if processor is None:
        processor = (target.analyzer.processor if not isinstance(target, Session)  # type: ignore[union-attr]
                     else _shared_processor())
    requested = (campaign_ids,) if isinstance(campaign_ids, str) else campaign_ids
    with _session_of(target) as session:
        active = CampaignRepository(session).active()
    chosen = [c for c in active if requested is None or c.id in requested]
    targets = frozenset(c.id for c in chosen) if requested is None else frozenset(requested)
    live = frozenset(c.id for c in chosen)
    if not live:  # unknown or archived campaigns: nothing to match, and archived labels stay
        return 0
    matcher = CampaignMatcher(chosen, processor)
    if since is None and chosen:
        since, default_until = campaign_window(chosen)
        until = until if until is not None else default_until
    job = _job_key(targets, since, until)
    started = time.perf_counter()
    examined = changed = 0
    passes: list[tuple[str, Callable[[AnalysisRepository, int], list[int]]]] = [
        ("labelled", lambda repo, after: repo.ids_with_campaigns(sorted(targets), after, batch)),
    ]
    if since is not None:
        window_since = since
        passes.append(("window", lambda repo, after: repo.analysed_ids_between(window_since, until, after, batch)))
    for name, page in passes:
        while True:
            with _session_of(target) as session:
                cursors = CursorRepository(session)
                saved = cursors.get(f"{job}:{name}")
                if saved is not None and saved.value == "done":
                    break
                after = int(saved.value) if saved and saved.value else 0
                analyses = AnalysisRepository(session)
                ids = page(analyses, after)
                if not ids:
                    cursors.save(f"{job}:{name}", "done")
                    session.commit()
                    break
                stored = PostRepository(session).by_ids(ids)
                current = analyses.campaigns_of(ids)
                updates: dict[int, tuple[str, ...]] = {}
                for s in stored:
                    if s.id not in current:
                        continue
                    old = current[s.id]
                    found = matcher.match(s.post.text, created_at=s.post.created_at, urls=post_urls(s.post.raw))
                    new = _merge(old, found, targets & live)
                    if new != old:
                        updates[s.id] = new
                analyses.set_campaigns(updates)
                cursors.save(f"{job}:{name}", str(ids[-1]))
                session.commit()
            examined += len(ids)
            changed += len(updates)
            if progress is not None:
                progress(examined, changed)
    with _session_of(target) as session:  # finished: the next call with the same arguments starts afresh
        cursors = CursorRepository(session)
        for name, _ in passes:
            cursors.save(f"{job}:{name}", None)
        session.commit()
    log.info("campaigns re-matched", campaigns=sorted(targets), since=since.isoformat() if since else None,
             until=until.isoformat() if until else None, examined=examined, changed=changed,
             duration_ms=round((time.perf_counter() - started) * 1000, 1))
    return changed


def _job_key(targets: frozenset[str], since: datetime | None, until: datetime | None) -> str:
    """The cursors-table key of a re-match (`cursors.stream` holds 256 characters: long id lists are hashed)."""
    spec = (f"{','.join(sorted(targets)) or '-'}:{since.isoformat() if since else '-'}:"
            f"{until.isoformat() if until else '-'}")
    if len(spec) > 200:
        spec = hashlib.sha256(spec.encode()).hexdigest()[:24]
    return f"job:campaigns:{spec}"


def _merge(old: tuple[str, ...], found: tuple[str, ...], rematched: frozenset[str]) -> tuple[str, ...]:
    """`old` with the re-matched campaigns replaced by what was found now; the others (not re-matched, or
    archived) kept. Sorted by id, like the matcher's own order."""
    kept = [cid for cid in old if cid not in rematched]
    return tuple(sorted({*kept, *(cid for cid in found if cid in rematched)}))
