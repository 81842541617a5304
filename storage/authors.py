"""Authors: their public profiles, the audience segment each is in, admins' overrides and the ministry accounts'
daily followers.

Written in the poll's transaction (with the posts and the bookmark), so it must stay cheap: a batch of authors
costs one read per 500 keys and at most one insert and one update statement, and a known author's row is
rewritten at most once a day (its profile, `last_seen`) unless its segment must change. Instagram batches read
once more (rows keyed by their usernames, by the unique key), and once more for authors known only by username
(their scoped-id author, through `ix_authors_handle`); a merge, when one is due, writes a few statements more.
The placement rules live in `analyzers/` and come in as a function (`place`): storage knows no rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from domain import AccountSnapshot, Author, Platform, utc
from storage.models import AccountSnapshotRow, AuthorEventRow, AuthorRow, PostRow
from storage.reach import follower_band
from storage.repositories import _chunks, dialect_insert

# an author -> (segment id, rule that placed it); anything that unpacks into the two will do (a Placement)
Place = Callable[[Author], Iterable[str]]
Key = tuple[str, str]  # (platform, author_id)

REFRESH_EVERY = timedelta(hours=24)  # a known author's profile and last_seen are written at most this often
OVERRIDE_RULE = "override"
PENDING_RULE = "pending"  # override removed without a placement at hand: the next resegment places it
ALIASES_JOB = "job:authors:aliases"  # the bookmark of merge_handle_aliases: the last author row id looked at

# Platforms whose handle names one person at a time (an Instagram username): there an author keyed by the
# handle (Meta gives only `username` for tagged and @-mentioning media, @-mentioning comments, and comments
# without `from`) is the person keyed by the platform's id whose row has that handle (comments give
# `from{id,username}`), and is merged into it. Facebook's "handle" is a display name, and X always gives ids.
HANDLE_IDENTIFIES = frozenset({str(Platform.INSTAGRAM)})

PROFILE_FIELDS = ("handle", "display_name", "description", "verified_type", "followers", "following",
                  "post_count", "location", "website", "profile_url")
# Reads select plain rows of these columns, never ORM objects: the upserts write by primary key without
# synchronising the session, so no stale object can be read back (only set_override loads one, afresh).
_COLUMNS = tuple(AuthorRow.__table__.c)
_WRITABLE = (*PROFILE_FIELDS, "first_seen", "last_seen", "refreshed_at", "segment", "segment_rule",
             "segment_rules_version")


@dataclass(frozen=True)
class StoredAuthor:
    """An author's row as the rest of the bot reads it."""

    id: int
    author: Author  # the stored profile; `seen_at` is when it was observed (refreshed_at)
    first_seen: datetime
    last_seen: datetime
    segment: str  # effective: the override if any, else what the rules said
    segment_rule: str  # "override", or the rule's name such as "bio:periodista"
    segment_override: str | None
    segment_rules_version: str | None

    @property
    def key(self) -> Key:
        return self.author.key


@dataclass(frozen=True)
class AuthorEvent:
    """One admin change of an author's segment."""

    user: str
    action: str  # segment_override | segment_override_removed
    old_value: str | None  # effective segment before
    new_value: str | None  # effective segment after (None: to be placed by the rules at the next resegment)
    created_at: datetime


@dataclass(frozen=True)
class AuthorUpsert:
    new: int  # authors stored for the first time
    refreshed: int  # known authors whose profile was rewritten
    replaced: int  # known authors whose segment was computed again (profile rewritten or rules changed)
    touched: int  # known authors whose row was written at all (any of the above, or first/last seen)
    # known authors whose segment or follower band changed (all reach_rank reads): their posts' rank must follow
    # (storage/reach.py refresh_reach); a new author's posts are ranked when they are analysed
    changed: tuple[Key, ...] = ()
    merged: int = 0  # rows keyed by a handle merged into the author with the platform's id (HANDLE_IDENTIFIES)


def _row_to_author(row: Any) -> Author:  # an AuthorRow or a plain row of the table
    return Author(platform=Platform(row.platform), author_id=row.author_id, seen_at=row.refreshed_at,
                  **{name: getattr(row, name) for name in PROFILE_FIELDS})


def _stored(row: Any) -> StoredAuthor:
    return StoredAuthor(row.id, _row_to_author(row), row.first_seen, row.last_seen, row.segment, row.segment_rule,
                        row.segment_override, row.segment_rules_version)


def _placed(author: Author, override: str | None, place: Place) -> tuple[str, str]:
    if override:
        return override, OVERRIDE_RULE
    segment, rule = place(author)
    return segment, rule


def local_day(moment: datetime, tz: str) -> str:
    """The ISO date of `moment` in `tz` (snapshots are one per account per local day)."""
    return utc(moment).astimezone(ZoneInfo(tz)).date().isoformat()


class AuthorRepository:
    def __init__(self, session: Session):
        self.session = session

    # --- writes from the poll ---------------------------------------------------------------------------

    def upsert(self, authors: Sequence[Author], place: Place, rules_version: str, now: datetime) -> AuthorUpsert:
        """Store new authors and keep known ones current without a write per post.

        Several profiles of one author in `authors`: the newest `seen_at` wins. A known author's profile is
        rewritten when the stored one is at least a day old, both by `now` and by when this one was observed
        (so a backfill walking old payloads rewrites it at most once per day of them, and never with an older
        profile); a field the platform did not give (None) keeps its stored value. `first_seen` moves back
        whenever an earlier sighting arrives; `last_seen` moves forward at most daily. The segment is placed
        again when a profile field changed or the rules' version did; an admin's override always wins.
        """
        newest: dict[Key, Author] = {}
        earliest: dict[Key, datetime] = {}
        for author in authors:
            kept = newest.get(author.key)
            if kept is None or author.seen_at >= kept.seen_at:
                newest[author.key] = author
            earliest[author.key] = min(author.seen_at, earliest.get(author.key, author.seen_at))
        if not newest:
            return AuthorUpsert(0, 0, 0, 0, ())
        now = utc(now)
        existing = self._rows_for(list(newest))
        fresh = [a for k, a in newest.items() if k not in existing]
        inserted = self._insert(fresh, earliest, place, rules_version) if fresh else set()
        raced = [a.key for a in fresh if a.key not in inserted]  # another process stored them meanwhile
        if raced:
            existing.update(self._rows_for(raced))
        changes: list[dict[str, Any]] = []
        changed: list[Key] = []
        refreshed = replaced = 0
        for key, row in existing.items():
            change = self._change(row, newest[key], earliest[key], place, rules_version, now)
            if change is None:
                continue
            values, was_refreshed, was_replaced = change
            refreshed += was_refreshed
            replaced += was_replaced
            changes.append(values)
            if (values["segment"] != row.segment
                    or follower_band(values["followers"]) != follower_band(row.followers)):
                changed.append(key)
        for chunk in _chunks(changes):  # executemany by primary key; no ORM object of these rows is loaded
            self.session.execute(update(AuthorRow).execution_options(synchronize_session=False), list(chunk))
        gone, moved = self._merge_aliases(newest.values())
        changed = [key for key in changed if key not in gone]
        changed += [key for key in moved if key not in changed]
        return AuthorUpsert(len(inserted), refreshed, replaced, len(changes), tuple(changed), len(gone))

    # --- one person, one author (HANDLE_IDENTIFIES) -------------------------------------------------------

    def _merge_aliases(self, authors: Iterable[Author]) -> tuple[set[Key], list[Key]]:
        """Merge the rows keyed by these authors' handles into the author with the platform's id and that handle.

        An author with an id holds its handle (it is being seen now): one read by the unique key looks for a row
        keyed by the handle. Only handle-keyed authors (tags, @-mentions) need the handle's holder looked up."""
        by_id: dict[str, dict[str, Author]] = {}
        by_handle: dict[str, set[str]] = {}
        for a in authors:
            platform = str(a.platform)
            if platform not in HANDLE_IDENTIFIES or not a.handle:
                continue
            if a.author_id == a.handle:
                by_handle.setdefault(platform, set()).add(a.handle)
                continue
            held = by_id.setdefault(platform, {}).get(a.handle)
            if held is None or a.seen_at >= held.seen_at:
                by_id[platform][a.handle] = a
        gone: set[Key] = set()
        moved: list[Key] = []
        for platform in sorted({*by_id, *by_handle}):
            holders = {handle: a.author_id for handle, a in by_id.get(platform, {}).items()}
            names = by_handle.get(platform, set()) - set(holders)
            if names:
                holders.update({handle: row.author_id for handle, row in self._holders(platform, names).items()})
            merged, keys = self.merge_handles(platform, holders)
            gone |= merged
            moved += keys
        return gone, moved

    def _holders(self, platform: str, handles: Iterable[str]) -> dict[str, Any]:
        """handle -> the row of the author with the platform's id that holds it. Several rows with one handle (a
        username given up and taken by someone else): the most recently refreshed holds it now."""
        found: dict[str, Any] = {}
        for chunk in _chunks(sorted(set(handles))):
            stmt = select(AuthorRow.id, AuthorRow.author_id, AuthorRow.handle, AuthorRow.refreshed_at).where(
                AuthorRow.platform == platform, AuthorRow.handle.in_(chunk), AuthorRow.author_id != AuthorRow.handle,
                AuthorRow.anonymized_at.is_(None))
            for row in self.session.execute(stmt):
                held = found.get(row.handle)
                if held is None or (row.refreshed_at, row.id) > (held.refreshed_at, held.id):
                    found[row.handle] = row
        return found

    def merge_handles(self, platform: str, holders: Mapping[str, str], *,
                      every_post: bool = False) -> tuple[set[Key], list[Key]]:
        """For each handle -> author id (of the author holding the handle): move the posts keyed by the handle to
        that author and merge the row keyed by the handle into it (earliest first_seen, latest last_seen, the
        admin's segment if only the handle's row had one, its history), then delete that row.

        `every_post`: move posts keyed by the handle even without a row for it (posts stored before authors
        were). Returns (the rows merged away, the authors whose posts moved: their review rows' reach must
        follow). Idempotent: a merged handle has nothing left to merge.
        """
        if not holders:
            return set(), []
        aliases = self._rows_for([(platform, handle) for handle in holders])
        moving = list(holders) if every_post else [handle for _, handle in aliases]
        if moving:
            posts = PostRow.__table__
            self.session.execute(
                update(posts).where(posts.c.platform == platform, posts.c.author_id == bindparam("alias"))
                .values(author_id=bindparam("canonical")),
                [{"alias": handle, "canonical": holders[handle]} for handle in moving])
        if aliases:
            kept = self._rows_for([(platform, holders[handle]) for _, handle in aliases])
            self._absorb([(kept[(platform, holders[key[1]])], alias) for key, alias in aliases.items()
                          if (platform, holders[key[1]]) in kept])
        return set(aliases), [(platform, holders[handle]) for handle in moving]

    def _absorb(self, pairs: Sequence[tuple[Any, Any]]) -> None:
        """Fold each (kept, alias) row pair into the kept row: dates, an override only the alias had, history."""
        values = []
        for keep, alias in pairs:
            override = keep.segment_override or alias.segment_override
            took = keep.segment_override is None and alias.segment_override is not None
            values.append({"id": keep.id, "first_seen": min(keep.first_seen, alias.first_seen),
                           "last_seen": max(keep.last_seen, alias.last_seen), "segment_override": override,
                           "segment": override if took else keep.segment,
                           "segment_rule": OVERRIDE_RULE if took else keep.segment_rule})
        self.session.execute(update(AuthorRow).execution_options(synchronize_session=False), values)
        events = AuthorEventRow.__table__
        self.session.execute(update(events).where(events.c.author_row_id == bindparam("alias"))
                             .values(author_row_id=bindparam("keep")),
                             [{"alias": alias.id, "keep": keep.id} for keep, alias in pairs])
        self.session.execute(delete(AuthorRow).where(AuthorRow.id.in_([alias.id for _, alias in pairs]))
                             .execution_options(synchronize_session=False))

    def merge_aliases_batch(self, after_id: int = 0, limit: int = 1000) -> tuple[int, list[Key], int | None]:
        """Merge the handle-keyed rows and posts of the handles of up to `limit` authors with the platform's id
        (row id above `after_id`) of the HANDLE_IDENTIFIES platforms: what was stored before the poll merged it.

        Returns (rows merged away, authors whose posts moved, the last row id looked at; None when none is left).
        """
        stmt = (select(AuthorRow.id, AuthorRow.platform, AuthorRow.handle)
                .where(AuthorRow.id > after_id, AuthorRow.platform.in_(sorted(HANDLE_IDENTIFIES)),
                       AuthorRow.author_id != AuthorRow.handle, AuthorRow.anonymized_at.is_(None))
                .order_by(AuthorRow.id).limit(limit))
        rows = list(self.session.execute(stmt))
        if not rows:
            return 0, [], None
        by_platform: dict[str, set[str]] = {}
        for _, platform, handle in rows:
            by_platform.setdefault(platform, set()).add(handle)
        merged, moved = 0, []
        for platform, handles in sorted(by_platform.items()):
            holders = {handle: row.author_id for handle, row in self._holders(platform, handles).items()}
            gone, keys = self.merge_handles(platform, holders, every_post=True)
            merged += len(gone)
            moved += keys
        return merged, moved, rows[-1].id

    def _rows_for(self, keys: Sequence[Key]) -> dict[Key, Any]:
        by_platform: dict[str, list[str]] = {}
        for platform, author_id in keys:
            by_platform.setdefault(platform, []).append(author_id)
        out: dict[Key, AuthorRow] = {}
        for platform, ids in by_platform.items():
            for chunk in _chunks(ids):
                stmt = select(*_COLUMNS).where(AuthorRow.platform == platform,
                                                            AuthorRow.author_id.in_(chunk))
                for row in self.session.execute(stmt):
                    out[(row.platform, row.author_id)] = row
        return out

    def _insert(self, authors: Sequence[Author], earliest: dict[Key, datetime], place: Place,
                rules_version: str) -> set[Key]:
        rows = []
        for a in authors:
            segment, rule = place(a)
            rows.append({"platform": str(a.platform), "author_id": a.author_id,
                         **{name: getattr(a, name) for name in PROFILE_FIELDS},
                         "first_seen": earliest[a.key], "last_seen": a.seen_at, "refreshed_at": a.seen_at,
                         "segment": segment, "segment_rule": rule, "segment_override": None,
                         "segment_rules_version": rules_version})
        table = AuthorRow.__table__
        stmt = (dialect_insert(self.session, table)
                .on_conflict_do_nothing(index_elements=["platform", "author_id"])
                .returning(table.c.platform, table.c.author_id))
        inserted: set[Key] = set()
        for chunk in _chunks(rows):
            inserted.update((p, i) for p, i in self.session.execute(stmt, list(chunk)))
        return inserted

    @staticmethod
    def _change(row: Any, seen: Author, first: datetime, place: Place, rules_version: str,
                now: datetime) -> tuple[dict[str, Any], bool, bool] | None:
        """The new values of a known author's row, or None when nothing needs writing."""
        values = {name: getattr(row, name) for name in _WRITABLE}
        # a day old by the clock and by the observations (a backfill walking old payloads: once per day of them)
        refresh = row.refreshed_at <= now - REFRESH_EVERY and seen.seen_at >= row.refreshed_at + REFRESH_EVERY
        if refresh:
            for name in PROFILE_FIELDS:
                given = getattr(seen, name)
                if given is not None and not (name == "handle" and given == ""):
                    values[name] = given
            values["refreshed_at"] = seen.seen_at
        if first < row.first_seen:
            values["first_seen"] = first
        if seen.seen_at >= row.last_seen + REFRESH_EVERY or (refresh and seen.seen_at > row.last_seen):
            values["last_seen"] = seen.seen_at
        profile_changed = any(values[name] != getattr(row, name) for name in PROFILE_FIELDS)
        replace = profile_changed or row.segment_rules_version != rules_version
        if replace:
            profile = Author(platform=seen.platform, author_id=row.author_id, seen_at=values["refreshed_at"],
                             **{name: values[name] for name in PROFILE_FIELDS})
            values["segment"], values["segment_rule"] = _placed(profile, row.segment_override, place)
            values["segment_rules_version"] = rules_version
        if all(values[name] == getattr(row, name) for name in _WRITABLE):
            return None
        values["id"] = row.id
        return values, refresh, replace

    def save_snapshots(self, snapshots: Sequence[AccountSnapshot], tz: str = "America/Bogota") -> int:
        """One row per (platform, account, local day): the day's first observation is kept, so a retried page
        or a later poll the same day changes nothing. Returns how many days were stored or moved earlier."""
        first: dict[tuple[str, str, str], AccountSnapshot] = {}
        for s in snapshots:
            key = (str(s.platform), s.account, local_day(s.taken_at, tz))
            if key not in first or s.taken_at < first[key].taken_at:
                first[key] = s
        if not first:
            return 0
        rows = [{"platform": p, "account": a, "day": d, "followers": s.followers, "following": s.following,
                 "post_count": s.post_count, "taken_at": s.taken_at} for (p, a, d), s in first.items()]
        table = AccountSnapshotRow.__table__
        stmt = dialect_insert(self.session, table)
        stmt = stmt.on_conflict_do_update(
            index_elements=["platform", "account", "day"],
            set_={name: stmt.excluded[name] for name in ("followers", "following", "post_count", "taken_at")},
            where=table.c.taken_at > stmt.excluded.taken_at,  # an earlier observation of the same day wins
        ).returning(table.c.id)
        written = 0
        for chunk in _chunks(rows):
            written += len(self.session.execute(stmt, list(chunk)).all())
        return written

    # --- admins' overrides --------------------------------------------------------------------------------

    def set_override(self, platform: str, author_id: str, segment: str | None, user: str, now: datetime, *,
                     place: Place | None = None, rules_version: str | None = None) -> StoredAuthor | None:
        """Set (or, with None, remove) an admin's segment for an author, with an audit row; None if the author
        is unknown. Removing places the author by the rules again when `place` is given; without it the row
        waits for the next resegment (rule "pending", rules version cleared). Setting the same value again
        writes nothing."""
        row = self.session.scalars(
            select(AuthorRow).where(AuthorRow.platform == platform, AuthorRow.author_id == author_id)
            .with_for_update().execution_options(populate_existing=True)
        ).first()
        if row is None:
            return None
        segment = segment or None
        if segment == row.segment_override:
            return _stored(row)
        old = row.segment
        if segment is not None:
            row.segment, row.segment_rule = segment, OVERRIDE_RULE
            new: str | None = segment
        elif place is not None:
            row.segment, row.segment_rule = _placed(_row_to_author(row), None, place)
            row.segment_rules_version = rules_version
            new = row.segment
        else:
            row.segment_rule, row.segment_rules_version, new = PENDING_RULE, None, None
        row.segment_override = segment
        self.session.add(AuthorEventRow(author_row_id=row.id, user=user,
                                        action="segment_override" if segment else "segment_override_removed",
                                        old_value=old, new_value=new, created_at=utc(now)))
        self.session.flush()
        return _stored(row)

    def history(self, platform: str, author_id: str) -> list[AuthorEvent]:
        """The author's admin changes, oldest first."""
        stmt = (select(AuthorEventRow).join(AuthorRow, AuthorRow.id == AuthorEventRow.author_row_id)
                .where(AuthorRow.platform == platform, AuthorRow.author_id == author_id)
                .order_by(AuthorEventRow.created_at, AuthorEventRow.id))
        return [AuthorEvent(r.user, r.action, r.old_value, r.new_value, r.created_at)
                for r in self.session.scalars(stmt)]

    # --- rules changed ------------------------------------------------------------------------------------

    def resegment_batch(self, place: Place, rules_version: str, after_id: int = 0,
                        limit: int = 1000) -> tuple[int, int | None]:
        """Place again up to `limit` authors (id above `after_id`) placed by another rules version.

        Returns (how many, the last id looked at; None when none is left). Overrides keep their segment and
        only take the new version. A row once done no longer matches, so an interrupted run simply resumes.
        """
        stmt = (select(*_COLUMNS)
                .where(AuthorRow.id > after_id, AuthorRow.anonymized_at.is_(None),  # anonymised: segment frozen
                       or_(AuthorRow.segment_rules_version.is_(None), AuthorRow.segment_rules_version != rules_version))
                .order_by(AuthorRow.id).limit(limit))
        rows = list(self.session.execute(stmt))
        if not rows:
            return 0, None
        changes = []
        for row in rows:
            segment, rule = _placed(_row_to_author(row), row.segment_override, place)
            changes.append({"id": row.id, "segment": segment, "segment_rule": rule,
                            "segment_rules_version": rules_version})
        self.session.execute(update(AuthorRow).execution_options(synchronize_session=False), changes)
        return len(rows), rows[-1].id

    def outdated_count(self, rules_version: str) -> int:
        """How many authors were placed by another rules version (what a resegment would do)."""
        return self.session.scalar(
            select(func.count()).select_from(AuthorRow)
            .where(AuthorRow.anonymized_at.is_(None),
                   or_(AuthorRow.segment_rules_version.is_(None), AuthorRow.segment_rules_version != rules_version))
        ) or 0

    # --- reads --------------------------------------------------------------------------------------------

    def get(self, platform: str, author_id: str) -> StoredAuthor | None:
        row = self.session.execute(
            select(*_COLUMNS).where(AuthorRow.platform == platform, AuthorRow.author_id == author_id)
        ).first()
        return _stored(row) if row else None

    def by_keys(self, keys: Iterable[Key]) -> dict[Key, StoredAuthor]:
        """The stored authors among `keys` (missing ones are simply absent): one query per 500 keys."""
        return {key: _stored(row) for key, row in self._rows_for(list(dict.fromkeys(keys))).items()}

    def by_handle(self, platform: str, handle: str) -> list[StoredAuthor]:
        """Authors of `platform` whose handle is `handle` (case ignored, leading @ dropped); for the CLI."""
        wanted = handle.lstrip("@").lower()
        stmt = (select(*_COLUMNS).where(AuthorRow.platform == platform, func.lower(AuthorRow.handle) == wanted)
                .order_by(AuthorRow.id))
        return [_stored(r) for r in self.session.execute(stmt)]

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(AuthorRow)) or 0

    def snapshots(self, platform: str | None = None, account: str | None = None) -> list[AccountSnapshotRow]:
        stmt = select(AccountSnapshotRow).order_by(AccountSnapshotRow.platform, AccountSnapshotRow.account,
                                                   AccountSnapshotRow.day)
        if platform is not None:
            stmt = stmt.where(AccountSnapshotRow.platform == platform)
        if account is not None:
            stmt = stmt.where(AccountSnapshotRow.account == account)
        return list(self.session.scalars(stmt))


def resegment(uow_factory: Callable[[], Any], place: Place, rules_version: str, batch_size: int = 1000,
              progress: Callable[[int, int], None] | None = None, stop: Callable[[], bool] | None = None) -> int:
    """Place again every author placed by another rules version, one committed transaction per batch.

    `uow_factory` opens a `UnitOfWork`; `progress(done, total)` is called after each batch; `stop()` returning
    True ends the run after the current batch (what is done stays done: the next run does the rest).
    """
    with uow_factory() as uow:
        total = uow.authors.outdated_count(rules_version)
    done, after = 0, 0
    while total:
        with uow_factory() as uow:
            count, last = uow.authors.resegment_batch(place, rules_version, after, batch_size)
            uow.commit()
        if last is None:
            break
        done, after = done + count, last
        if progress is not None:
            progress(done, total)
        if stop is not None and stop():
            break
    return done


def merge_handle_aliases(uow_factory: Callable[[], Any], batch_size: int = 1000,
                         moved: Callable[[Session, Sequence[Key]], Any] | None = None,
                         stop: Callable[[], bool] | None = None) -> tuple[int, int]:
    """Merge, one committed batch at a time, the handle-keyed authors and posts stored before the poll merged
    them itself (AuthorRepository.merge_aliases_batch); `moved(session, keys)` runs in each batch's transaction
    for the authors whose posts moved (the bot re-ranks their inbox rows).

    The bookmark (ALIASES_JOB: the last author row id looked at) is committed with each batch, so an interrupted
    run resumes after it, and a finished one only looks at rows stored since. Returns (rows merged, batches).
    """
    with uow_factory() as uow:
        saved = uow.cursors.get(ALIASES_JOB)
    after = int(saved.value) if saved is not None and saved.value and saved.value.isdigit() else 0
    merged = batches = 0
    while True:
        with uow_factory() as uow:
            count, keys, last = uow.authors.merge_aliases_batch(after, batch_size)
            if last is None:
                break
            if keys and moved is not None:
                moved(uow.session, keys)
            uow.cursors.save(ALIASES_JOB, str(last))
            uow.commit()
        merged, after = merged + count, last
        batches += 1
        if stop is not None and stop():
            break
    return merged, batches
