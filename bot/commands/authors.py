"""`main.py authors`: rebuild authors from the stored posts, place them again, show one.

The backfill reads the posts already stored, oldest id first, in batches; each batch's authors and the
bookmark (the last post id, in the cursors table) are committed together, so Ctrl-C or a crash loses at most
the batch under way and the next run continues after the bookmark. What a stored payload can tell:

- X: posts collected since the connector asked `expansions=author_id` keep the author's user object in
  `raw["_expansions"]["author"]`; with the profile fields requested now (bio, public_metrics, verified_type,
  location, url) it is a whole profile, on older posts only username, name and the `verified` flag.
- Facebook: `from{id,name}`, a name at most. Instagram: the username. The sample replay: nothing.

Anything a payload does not carry stays unknown (None, never 0) until the author posts again and the live poll
fills it in; the output says how many posts gave which.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

import structlog
from sqlalchemy import Engine

from analyzers.segments import Segmenter
from bot.bootstrap import build_engine, resegment_authors
from bot.commands.common import load, setup_logging
from bot.config import segmenter
from connectors.meta_payload import UNKNOWN_AUTHOR
from connectors.meta_profiles import facebook_author, instagram_author
from connectors.x_profiles import author_from_user
from domain import Author, Platform, Post
from storage.authors import StoredAuthor
from storage.reach import ReachRule, refresh_all_reach
from storage.unit_of_work import UnitOfWork

log = structlog.get_logger("vigia.authors")

BACKFILL_JOB = "job:authors:backfill"  # the bookmark: id of the last post whose author is stored
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# --- what a stored post says about its author -----------------------------------------------------------


def author_of_post(post: Post) -> tuple[Author | None, str]:
    """The post's author as far as its stored payload tells, and how much it told:
    "profile" (followers known), "partial" (a name, a bio or a verification), "handle" (nothing but the post's
    own author id and handle) or "unknown" (no author id: nothing stored)."""
    if not post.author_id or post.author_id == UNKNOWN_AUTHOR:
        return None, "unknown"
    seen = post.created_at  # the payload is at least as new as the post: never overwrites a fresher profile
    author: Author | None = None
    if post.platform == Platform.X:
        expansions = post.raw.get("_expansions") if isinstance(post.raw, Mapping) else None
        user = expansions.get("author") if isinstance(expansions, Mapping) else None
        if isinstance(user, Mapping):
            author = author_from_user({**user, "id": post.author_id}, seen, [])
    elif post.platform == Platform.FACEBOOK:
        author = facebook_author(post, seen)
    elif post.platform == Platform.INSTAGRAM:
        author = instagram_author(post, seen)
    if author is None:
        author = Author(platform=post.platform, author_id=post.author_id,
                        handle=post.author_handle or post.author_id, seen_at=seen)
    if author.followers is not None:
        return author, "profile"
    if any(v is not None for v in (author.display_name, author.description, author.verified_type)):
        return author, "partial"
    return author, "handle"


@dataclass
class BackfillResult:
    posts: int = 0
    new: int = 0  # authors stored for the first time
    refreshed: int = 0  # known authors whose profile a newer payload rewrote
    by_source: dict[str, int] | None = None  # posts per "profile" | "partial" | "handle" | "unknown"
    resumed_after: int = 0  # the bookmark the run started from
    last_id: int = 0
    finished: bool = False


def backfill_authors(engine: Engine, rules: Segmenter, *, batch: int = 1000, restart: bool = False,
                     progress: TextIO | None = None, stop: Any = None) -> BackfillResult:
    """Store the authors of every stored post after the bookmark, one committed batch at a time."""
    with UnitOfWork(engine) as uow:
        saved = uow.cursors.get(BACKFILL_JOB)
        total = uow.posts.count()
    after = 0 if restart or saved is None or not saved.value else int(saved.value)
    result = BackfillResult(by_source={"profile": 0, "partial": 0, "handle": 0, "unknown": 0}, resumed_after=after,
                            last_id=after)
    assert result.by_source is not None
    started = time.perf_counter()
    while True:
        with UnitOfWork(engine) as uow:
            ids = uow.posts.ids_since(_EPOCH, after, batch)
            if not ids:
                result.finished = True
                break
            authors: list[Author] = []
            for stored in uow.posts.by_ids(ids):
                author, source = author_of_post(stored.post)
                result.by_source[source] += 1
                if author is not None:
                    authors.append(author)
            done = uow.authors.upsert(authors, rules.place, rules.version, datetime.now(UTC))
            after = ids[-1]
            uow.cursors.save(BACKFILL_JOB, str(after))
            uow.commit()
        result.posts += len(ids)
        result.new += done.new
        result.refreshed += done.refreshed
        result.last_id = after
        rate = result.posts / max(time.perf_counter() - started, 1e-9)
        log.info("authors backfill progress", posts=result.posts, last_post_id=after, new_authors=result.new,
                 posts_per_s=round(rate))
        if progress is not None:
            print(f"\r{result.posts} posts read (of at most {total}), {result.new} new authors, {rate:.0f} posts/s",
                  end="", file=progress, flush=True)
        if stop is not None and stop():
            break
    if progress is not None and result.posts:
        print(file=progress)
    return result


# --- showing one author -----------------------------------------------------------------------------------


def author_json(stored: StoredAuthor, rules: Segmenter, history: list[Any]) -> dict[str, Any]:
    a = stored.author
    return {
        "platform": str(a.platform), "author_id": a.author_id, "handle": a.handle,
        "display_name": a.display_name, "description": a.description, "verified_type": a.verified_type,
        "followers": a.followers, "following": a.following, "post_count": a.post_count,
        "location": a.location, "website": a.website, "profile_url": a.profile_url,
        "profile_observed_at": a.seen_at.isoformat(), "first_seen": stored.first_seen.isoformat(),
        "last_seen": stored.last_seen.isoformat(),
        "segment": stored.segment, "segment_label": rules.label(stored.segment), "segment_rule": stored.segment_rule,
        "segment_override": stored.segment_override, "segment_rules_version": stored.segment_rules_version,
        "rules_current": stored.segment_rules_version == rules.version,
        "history": [{"user": e.user, "action": e.action, "old": e.old_value, "new": e.new_value,
                     "at": e.created_at.isoformat()} for e in history],
    }


def find_authors(engine: Engine, platform: str, who: str) -> list[tuple[StoredAuthor, list[Any]]]:
    """Authors of `platform` with handle `who` (case and a leading @ ignored), else with that author id."""
    with UnitOfWork(engine) as uow:
        found = uow.authors.by_handle(platform, who)
        if not found:
            one = uow.authors.get(platform, who)
            found = [one] if one is not None else []
        return [(s, uow.authors.history(platform, s.author.author_id)) for s in found]


# --- the command --------------------------------------------------------------------------------------------


def cmd_authors(args: argparse.Namespace) -> int:
    config = load(args)
    setup_logging(config, level=None if args.show is None else "WARNING")
    rules = segmenter(config)
    engine = build_engine()
    try:
        if args.show is not None:
            return _show(engine, rules, args.show)
        if args.backfill:
            result = backfill_authors(engine, rules, batch=args.batch, restart=args.from_start, progress=sys.stderr)
            _print_backfill(result)
        if args.resegment or args.backfill:  # a backfill places with the current rules; older rows follow
            done = resegment_authors(lambda: UnitOfWork(engine), rules)  # re-ranks the inbox when it placed any
            print(f"{done} authors placed again by the current segment rules (version {rules.version})")
            if args.backfill and not done and (result.new or result.refreshed):  # posts ranked "sin perfil"
                with UnitOfWork(engine) as uow:
                    ranked = refresh_all_reach(uow.session, ReachRule.of(rules))
                    uow.commit()
                print(f"{ranked} inbox rows re-ranked by their authors' reach")
        return 0
    finally:
        engine.dispose()


def _show(engine: Engine, rules: Segmenter, target: str) -> int:
    platform, _, who = target.partition(":")
    if platform not in {p.value for p in Platform} or not who:
        print(f"error: --show {target!r}: use PLATFORM:HANDLE (or PLATFORM:AUTHOR_ID), platform one of "
              f"{', '.join(p.value for p in Platform)}, e.g. x:MinTIC", file=sys.stderr)
        return 2
    found = find_authors(engine, platform, who)
    if not found:
        print(f"no stored author {who!r} on {platform}: not seen by a poll yet, or run "
              "`main.py authors --backfill`", file=sys.stderr)
        return 1
    shown = [author_json(s, rules, h) for s, h in found]
    print(json.dumps(shown[0] if len(shown) == 1 else shown, ensure_ascii=False, indent=2))
    return 0


def _print_backfill(r: BackfillResult) -> None:
    src = r.by_source or {}
    where = f"after post id {r.resumed_after}" if r.resumed_after else "from the first post"
    print(f"{r.posts} posts read {where}; {r.new} new authors, {r.refreshed} profiles refreshed; "
          f"bookmark at post id {r.last_id}" + ("" if r.finished else " (interrupted: run again to continue)"))
    print(f"  {src.get('profile', 0)} posts carried a whole profile (followers, bio, verification)")
    print(f"  {src.get('partial', 0)} posts carried part of one (name or verification: older X payloads, Facebook)")
    print(f"  {src.get('handle', 0)} posts carried no profile (Instagram, the sample, X payloads without the "
          "user object): handle only; followers, bio and verification stay unknown until the author posts again")
    if src.get("unknown"):
        print(f"  {src['unknown']} posts without a known author (Meta withheld `from`): skipped")


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("authors", help="authors and audience segments: backfill, resegment, show one")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--backfill", action="store_true",
                      help="store the authors of the posts already stored (resumable: continues after its bookmark)")
    what.add_argument("--resegment", action="store_true",
                      help="place every author again by the current segment rules (done at start-up too)")
    what.add_argument("--show", metavar="PLATFORM:HANDLE", help="print one author's profile, segment and rule (JSON)")
    p.add_argument("--from-start", action="store_true", help="with --backfill: ignore the bookmark, read every post")
    p.add_argument("--batch", type=int, default=1000, help="posts per committed batch (default 1000)")
    p.set_defaults(func=cmd_authors)
