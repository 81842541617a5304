"""Citizens' personal data kept only as long as allowed (docs/data-protection.md, Ley 1581 de 2012).

Each kind of data has one batch function: it changes at most `limit` rows in the caller's session and returns how
many it changed; the caller commits after each batch. Every batch selects only rows that still hold personal
data (`anonymized_at IS NULL`, a note not yet replaced by the marker, a row older than the term), so a run that
stops half-way (crash, Ctrl-C) loses nothing and the next run repeats nothing: it simply finds fewer rows.

Anonymising keeps every figure the reports and indicators use: analyses, labels, review states, interactions,
places and campaigns are untouched, and an author's posts get one keyed pseudonym (`Pseudonyms.author`) in
`author_id` and `author_handle` in a single statement, so "distinct citizens" still counts each person once.
The pseudonym is an HMAC with a key kept outside the database (VIGIA_PSEUDONYM_KEY): without the key nobody can
test a guessed handle against it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Text, and_, bindparam, cast, delete, exists, func, not_, or_, select, update
from sqlalchemy.orm import Session

from storage.models import (
    AlertRow,
    AuditEventRow,
    AuthorEventRow,
    AuthorRow,
    DataRequestRow,
    PostEventRow,
    PostRow,
    RejectedPayloadRow,
)

PSEUDONYM_PREFIX = "anon-"
MARKER_PREFIX = "[texto anonimizado"
MIN_KEY_CHARS = 32
# Kinds in the order a run applies them (authors before posts would work too; posts first reads better).
KINDS = ("posts", "authors", "notes", "alerts", "audit_events", "rejected_payloads")
KIND_LABELS_ES = {
    "posts": "textos de publicaciones ciudadanas anonimizados",
    "authors": "perfiles de autores anonimizados",
    "notes": "notas internas anonimizadas",
    "alerts": "alertas con citas de publicaciones anonimizadas",
    "audit_events": "eventos de auditoría eliminados",
    "rejected_payloads": "datos rechazados eliminados",
}


def marker(day: datetime) -> str:
    """What replaces a text: says that it was anonymised and when, never what it said."""
    return f"{MARKER_PREFIX} {day:%Y-%m-%d}]"


class Pseudonyms:
    """Keyed, irreversible, stable pseudonyms: the same author always gets the same one (counts stay right)."""

    def __init__(self, key: str):
        if len(key) < MIN_KEY_CHARS:
            raise ValueError(f"the pseudonym key must have at least {MIN_KEY_CHARS} characters")
        self._key = key.encode()

    def _mac(self, message: str) -> str:
        return hmac.new(self._key, message.encode(), hashlib.sha256).hexdigest()

    def author(self, platform: str, author_id: str) -> str:
        if author_id.startswith(PSEUDONYM_PREFIX):
            return author_id
        return PSEUDONYM_PREFIX + self._mac(f"author:{platform}:{author_id}")[:24]

    def subject(self, platform: str, handle: str) -> str:
        """The hash a forget request is recorded under: finds the request again, never reveals the handle."""
        return self._mac(f"forget:{platform}:{normalize_handle(handle)}")


def normalize_handle(handle: str) -> str:
    return handle.strip().lstrip("@").lower()


@dataclass(frozen=True)
class Cutoffs:
    """Rows older than these instants are past their term."""

    posts: datetime
    authors: datetime
    notes: datetime
    audit: datetime
    rejected: datetime


# --- which rows are due -----------------------------------------------------------------------------------


def _posts_due(cut: Cutoffs) -> Any:
    return and_(PostRow.anonymized_at.is_(None), PostRow.created_at < cut.posts, PostRow.is_own.is_(False))


def _authors_due(cut: Cutoffs) -> Any:
    """Citizens' profiles not seen for the term; the ministry's own accounts (authors of own posts) are kept."""
    own = exists().where(PostRow.platform == AuthorRow.platform, PostRow.author_id == AuthorRow.author_id,
                         PostRow.is_own.is_(True))
    return and_(AuthorRow.anonymized_at.is_(None), AuthorRow.last_seen < cut.authors, ~own)


def _profileless_authors_due(cut: Cutoffs) -> Any:
    """(platform, author_id) of citizens with no profile row whose newest post is older than the term."""
    has_profile = exists().where(AuthorRow.platform == PostRow.platform, AuthorRow.author_id == PostRow.author_id)
    return (select(PostRow.platform, PostRow.author_id)
            .where(PostRow.is_own.is_(False), not_(PostRow.author_id.startswith(PSEUDONYM_PREFIX)), ~has_profile)
            .group_by(PostRow.platform, PostRow.author_id)
            .having(func.max(PostRow.created_at) < cut.authors))


def _notes_due(cut: Cutoffs) -> Any:
    return and_(PostEventRow.action == "note", PostEventRow.created_at < cut.notes,
                or_(PostEventRow.new_value.is_(None), not_(PostEventRow.new_value.startswith(MARKER_PREFIX))))


def _alerts_due(cut: Cutoffs) -> Any:
    """Sent alerts older than the post term: their body and details quote citizens' posts (top posts, voices)."""
    return and_(AlertRow.created_at < cut.posts, AlertRow.sent_at.is_not(None),
                not_(AlertRow.body.startswith(MARKER_PREFIX)))


def pending_counts(session: Session, cut: Cutoffs) -> dict[str, int]:
    """How many rows of each kind are past their term (what `retention --dry-run` prints)."""
    profileless = session.scalar(select(func.count()).select_from(_profileless_authors_due(cut).subquery())) or 0
    return {
        "posts": session.scalar(select(func.count()).select_from(PostRow).where(_posts_due(cut))) or 0,
        "authors": (session.scalar(select(func.count()).select_from(AuthorRow).where(_authors_due(cut))) or 0)
        + profileless,
        "notes": session.scalar(select(func.count()).select_from(PostEventRow).where(_notes_due(cut))) or 0,
        "alerts": session.scalar(select(func.count()).select_from(AlertRow).where(_alerts_due(cut))) or 0,
        "audit_events": (session.scalar(select(func.count()).select_from(AuditEventRow)
                                        .where(AuditEventRow.created_at < cut.audit)) or 0)
        + (session.scalar(select(func.count()).select_from(AuthorEventRow)
                          .where(AuthorEventRow.created_at < cut.audit)) or 0),
        "rejected_payloads": session.scalar(select(func.count()).select_from(RejectedPayloadRow)
                                            .where(RejectedPayloadRow.created_at < cut.rejected)) or 0,
    }


# --- one batch of each kind -------------------------------------------------------------------------------


def anonymize_post_rows(session: Session, rows: Sequence[tuple[int, str, str]], pseudonyms: Pseudonyms,
                        now: datetime) -> int:
    """Replace the personal data of these posts ((id, platform, author_id) each): text, search text, raw
    payload, link and place tag go; the handle becomes the author's pseudonym. Counts, analyses stay."""
    if not rows:
        return 0
    posts = PostRow.__table__
    # `anonymized_at IS NULL` again: a concurrent run (the CLI beside the daily job) never re-stamps a post.
    session.execute(update(posts).where(posts.c.id == bindparam("pid"), posts.c.anonymized_at.is_(None))
                    .values(text=marker(now), search_text="", raw={}, url=None, geo=None,
                            author_handle=bindparam("alias"), anonymized_at=now),
                    [{"pid": pid, "alias": pseudonyms.author(platform, author_id)}
                     for pid, platform, author_id in rows])
    return len(rows)


def anonymize_posts_batch(session: Session, cut: Cutoffs, pseudonyms: Pseudonyms, now: datetime,
                          limit: int) -> int:
    rows = session.execute(select(PostRow.id, PostRow.platform, PostRow.author_id).where(_posts_due(cut))
                           .order_by(PostRow.created_at, PostRow.id).limit(limit)).all()
    return anonymize_post_rows(session, [tuple(r) for r in rows], pseudonyms, now)  # type: ignore[misc]


def pseudonymize_authors(session: Session, keys: Sequence[tuple[str, str]], pseudonyms: Pseudonyms,
                         now: datetime) -> int:
    """Each author's identity becomes their pseudonym everywhere at once: the profile row (its public fields
    emptied; counts and segment kept for the aggregates) and every post. Returns the posts changed.

    Two executemany statements for the whole batch (Core, bound parameters): one round of Python per author
    instead of two ORM statements."""
    if not keys:
        return 0
    params = [{"p": platform, "a": author_id, "alias": pseudonyms.author(platform, author_id)}
              for platform, author_id in keys]
    posts, authors = PostRow.__table__, AuthorRow.__table__
    changed = session.execute(
        update(posts).where(posts.c.platform == bindparam("p"), posts.c.author_id == bindparam("a"))
        .values(author_id=bindparam("alias"), author_handle=bindparam("alias")), params).rowcount or 0
    session.execute(
        update(authors).where(authors.c.platform == bindparam("p"), authors.c.author_id == bindparam("a"))
        .values(author_id=bindparam("alias"), handle=bindparam("alias"), display_name=None, description=None,
                location=None, website=None, profile_url=None, anonymized_at=now), params)
    return changed


def anonymize_authors_batch(session: Session, cut: Cutoffs, pseudonyms: Pseudonyms, now: datetime,
                            limit: int) -> int:
    keys = [tuple(r) for r in session.execute(select(AuthorRow.platform, AuthorRow.author_id)
                                                .where(_authors_due(cut)).order_by(AuthorRow.id).limit(limit))]
    if len(keys) < limit:
        keys += [tuple(r) for r in session.execute(_profileless_authors_due(cut).limit(limit - len(keys)))]
    pseudonymize_authors(session, keys, pseudonyms, now)  # type: ignore[arg-type]
    return len(keys)


def anonymize_notes_batch(session: Session, cut: Cutoffs, now: datetime, limit: int) -> int:
    ids = list(session.scalars(select(PostEventRow.id).where(_notes_due(cut)).order_by(PostEventRow.id)
                               .limit(limit)))
    return _scrub_notes(session, ids, now)


def _scrub_notes(session: Session, ids: Sequence[int], now: datetime) -> int:
    if ids:
        text = marker(now)
        session.execute(update(PostEventRow).where(PostEventRow.id.in_(ids))
                        .values(new_value=text, old_value=None).execution_options(synchronize_session=False))
    return len(ids)


ALERT_STRUCTURE_KEYS = ("incident", "thread_of", "down_since")  # delivery needs these; they quote nobody


def _scrub_alerts(session: Session, ids: Sequence[int], now: datetime) -> int:
    """Keep what the alert was (kind, severity, title, when, delivery state, its thread and incident); drop
    the body and the details that quote posts and authors."""
    if not ids:
        return 0
    rows = session.execute(select(AlertRow.id, AlertRow.details).where(AlertRow.id.in_(ids))).all()
    alerts = AlertRow.__table__
    session.execute(update(alerts).where(alerts.c.id == bindparam("aid"))
                    .values(body=marker(now), details=bindparam("kept")),
                    [{"aid": aid, "kept": {k: v for k, v in (details or {}).items() if k in ALERT_STRUCTURE_KEYS}}
                     for aid, details in rows])
    return len(rows)


def anonymize_alerts_batch(session: Session, cut: Cutoffs, now: datetime, limit: int) -> int:
    ids = list(session.scalars(select(AlertRow.id).where(_alerts_due(cut)).order_by(AlertRow.id).limit(limit)))
    return _scrub_alerts(session, ids, now)


def delete_audit_batch(session: Session, cut: Cutoffs, limit: int) -> int:
    ids = list(session.scalars(select(AuditEventRow.id).where(AuditEventRow.created_at < cut.audit)
                               .order_by(AuditEventRow.id).limit(limit)))
    if ids:
        session.execute(delete(AuditEventRow).where(AuditEventRow.id.in_(ids)))
    left = limit - len(ids)
    author_ids = list(session.scalars(select(AuthorEventRow.id).where(AuthorEventRow.created_at < cut.audit)
                                      .order_by(AuthorEventRow.id).limit(left))) if left > 0 else []
    if author_ids:
        session.execute(delete(AuthorEventRow).where(AuthorEventRow.id.in_(author_ids)))
    return len(ids) + len(author_ids)


def delete_rejected_batch(session: Session, cut: Cutoffs, limit: int) -> int:
    ids = list(session.scalars(select(RejectedPayloadRow.id).where(RejectedPayloadRow.created_at < cut.rejected)
                               .order_by(RejectedPayloadRow.id).limit(limit)))
    if ids:
        session.execute(delete(RejectedPayloadRow).where(RejectedPayloadRow.id.in_(ids)))
    return len(ids)


def run_batch(session: Session, kind: str, cut: Cutoffs, pseudonyms: Pseudonyms, now: datetime,
              limit: int) -> int:
    """One batch of `kind` (see KINDS); 0 when nothing of that kind is due any more."""
    if kind == "posts":
        return anonymize_posts_batch(session, cut, pseudonyms, now, limit)
    if kind == "authors":
        return anonymize_authors_batch(session, cut, pseudonyms, now, limit)
    if kind == "notes":
        return anonymize_notes_batch(session, cut, now, limit)
    if kind == "alerts":
        return anonymize_alerts_batch(session, cut, now, limit)
    if kind == "audit_events":
        return delete_audit_batch(session, cut, limit)
    if kind == "rejected_payloads":
        return delete_rejected_batch(session, cut, limit)
    raise ValueError(f"unknown retention kind {kind!r}; one of {', '.join(KINDS)}")


def record(session: Session, kind: str, requested_by: str, counts: dict[str, int], now: datetime, *,
           platform: str | None = None, subject_hash: str | None = None) -> None:
    session.add(DataRequestRow(created_at=now, kind=kind, platform=platform, subject_hash=subject_hash,
                               requested_by=requested_by[:128], counts=dict(counts)))


# --- a data-subject request (`main.py forget`) ---------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """Who a forget request is about: the platform and the author ids found for the handle or id given."""

    platform: str
    handle: str | None
    author_ids: tuple[str, ...]


@dataclass
class ForgetCounts:
    posts: int = 0
    profiles: int = 0
    notes: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, int]:
        return {"posts": self.posts, "profiles": self.profiles, "notes": self.notes, **self.extra}

    @property
    def total(self) -> int:
        return self.posts + self.profiles + self.notes


def find_subject(session: Session, platform: str, *, handle: str | None = None,
                 author_id: str | None = None) -> Subject:
    """The author ids still holding personal data for this handle (case-insensitive, with or without @) or id
    (profiles and posts alike); none found: an empty `author_ids`."""
    if author_id is not None:
        ids = {author_id} if (
            session.scalar(select(func.count()).select_from(AuthorRow)
                           .where(AuthorRow.platform == platform, AuthorRow.author_id == author_id))
            or session.scalar(select(func.count()).select_from(PostRow)
                              .where(PostRow.platform == platform, PostRow.author_id == author_id))) else set()
        return Subject(platform, None, tuple(sorted(i for i in ids if not i.startswith(PSEUDONYM_PREFIX))))
    assert handle is not None
    wanted = normalize_handle(handle)
    ids = set(session.scalars(select(AuthorRow.author_id).where(AuthorRow.platform == platform,
                                                                 func.lower(AuthorRow.handle) == wanted)))
    ids |= set(session.scalars(select(PostRow.author_id).where(PostRow.platform == platform,
                                                                func.lower(PostRow.author_handle) == wanted)
                               .distinct()))
    return Subject(platform, wanted, tuple(sorted(i for i in ids if not i.startswith(PSEUDONYM_PREFIX))))


def _alerts_quoting(session: Session, subject: Subject) -> list[int]:
    """Alerts whose body or details name the subject's handle (spike alerts quote top posts and voices)."""
    if not subject.handle:
        return []
    body, details = func.lower(AlertRow.body), func.lower(cast(AlertRow.details, Text))
    stmt = select(AlertRow.id).where(not_(AlertRow.body.startswith(MARKER_PREFIX)), or_(
        body.contains(f"@{subject.handle}", autoescape=True),
        *(details.contains(f'"{key}": "{subject.handle}"', autoescape=True) for key in ("author", "handle"))))
    return [i for i in session.scalars(stmt)]


def subject_counts(session: Session, subject: Subject) -> ForgetCounts:
    """What `forget` would change (its --dry-run)."""
    out = ForgetCounts()
    alerts = len(_alerts_quoting(session, subject))
    if alerts:
        out.extra["alerts"] = alerts
    for author_id in subject.author_ids:
        posts = PostRow.platform == subject.platform, PostRow.author_id == author_id
        out.posts += session.scalar(select(func.count()).select_from(PostRow).where(*posts)) or 0
        out.profiles += session.scalar(select(func.count()).select_from(AuthorRow).where(
            AuthorRow.platform == subject.platform, AuthorRow.author_id == author_id)) or 0
        out.notes += session.scalar(select(func.count()).select_from(PostEventRow).join(
            PostRow, PostRow.id == PostEventRow.post_id).where(*posts, PostEventRow.action == "note")) or 0
    return out


def forget_subject(session: Session, subject: Subject, pseudonyms: Pseudonyms, now: datetime) -> ForgetCounts:
    """Anonymise everything personal about the subject in the caller's transaction: every post (own text,
    raw payload, link, place tag, handle and id → pseudonym), the profile (public fields emptied, location
    included), and the notes written about those posts. Analyses, labels, reviews and counts stay."""
    out = subject_counts(session, subject)
    _scrub_alerts(session, _alerts_quoting(session, subject), now)
    for author_id in subject.author_ids:
        post_ids = list(session.scalars(select(PostRow.id).where(PostRow.platform == subject.platform,
                                                                  PostRow.author_id == author_id)))
        for start in range(0, len(post_ids), 500):
            chunk = post_ids[start:start + 500]
            anonymize_post_rows(session, [(pid, subject.platform, author_id) for pid in chunk], pseudonyms, now)
            note_ids = list(session.scalars(select(PostEventRow.id).where(PostEventRow.post_id.in_(chunk),
                                                                          PostEventRow.action == "note")))
            _scrub_notes(session, note_ids, now)
    pseudonymize_authors(session, [(subject.platform, a) for a in subject.author_ids], pseudonyms, now)
    return out


def previous_forget(session: Session, platform: str, subject_hash: str) -> datetime | None:
    """When a forget request for this subject was last carried out (None: never)."""
    return session.scalar(select(func.max(DataRequestRow.created_at)).where(
        DataRequestRow.kind == "forget", DataRequestRow.platform == platform,
        DataRequestRow.subject_hash == subject_hash))
