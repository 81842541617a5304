"""What authors cost: the poll's per-page author write, the backfill from stored payloads and a resegment.

Seeds posts whose stored X payloads carry their authors' user objects (as the X connector stores them, in
`raw["_expansions"]["author"]`), then measures, on SQLite or PostgreSQL:

- a poll page's author write (100 authors, in the page's transaction) for new authors, for known ones seen the
  same day (the common case: nothing is written) and for known ones due for their daily refresh; the page's
  post upsert is timed beside it as the baseline;
- `backfill_authors` over every stored post (posts per second);
- a resegment of every author after the rules' version changed (authors per second).

    python benchmarks/authors.py                                   # SQLite file under var/bench/
    python benchmarks/authors.py --posts 200000 --authors 50000
    python benchmarks/authors.py --database-url postgresql+psycopg://root@127.0.0.1:5432/bench  # schema bench_authors
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text

from benchmarks.fresh_db import fresh_engine
from bot.bootstrap import resegment_authors
from bot.commands.authors import backfill_authors
from bot.config import segmenter
from domain import Author, Platform
from storage.models import PostRow
from storage.repositories import post_to_row
from storage.unit_of_work import UnitOfWork

T0 = datetime(2026, 1, 1, tzinfo=UTC)
BIOS = ("Periodista de tecnología", "Concejal de Pasto", "Me gusta el fútbol", "Ingeniera de sistemas",
        "Docente universitario", "", "Mamá, emprendedora", "Senador de la República")


def user(n: int, rng: random.Random) -> dict:
    return {"id": str(10_000 + n), "username": f"autor_{n}", "name": f"Autor {n}", "verified": False,
            "verified_type": rng.choice(("none", "none", "none", "blue")), "description": rng.choice(BIOS),
            "public_metrics": {"followers_count": int(rng.paretovariate(1.2) * 50), "following_count": 100,
                               "tweet_count": 1000}}


def seed(engine, posts: int, authors: int) -> None:  # type: ignore[no-untyped-def]
    from domain import Post, PostKind

    rng = random.Random(15)
    users = [user(n, rng) for n in range(authors)]
    now = T0 + timedelta(days=400)
    rows = []
    with engine.begin() as conn:
        for i in range(posts):
            u = users[rng.randrange(authors)]
            post = Post(platform=Platform.X, external_id=str(1_000_000 + i), kind=PostKind.MENTION,
                        account="Ministerio_TIC", author_id=u["id"], author_handle=u["username"],
                        text=f"mensaje {i} al @Ministerio_TIC", created_at=T0 + timedelta(minutes=i),
                        raw={"id": str(1_000_000 + i), "_expansions": {"author": u}})
            rows.append(post_to_row(post, now))
            if len(rows) == 5000:
                conn.execute(insert(PostRow), rows)
                rows = []
        if rows:
            conn.execute(insert(PostRow), rows)


def timed(fn, repeat: int = 20) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--authors", type=int, default=25_000)
    args = parser.parse_args()
    engine = fresh_engine(args.database_url or None, "authors")
    rules = segmenter(None)
    print(f"{engine.dialect.name}: seeding {args.posts} posts by {args.authors} authors ...", flush=True)
    seed(engine, args.posts, args.authors)

    start = time.perf_counter()
    result = backfill_authors(engine, rules, batch=1000)
    seconds = time.perf_counter() - start
    print(f"backfill: {result.posts} posts, {result.new} authors in {seconds:.1f} s "
          f"({result.posts / seconds:.0f} posts/s)")

    with UnitOfWork(engine) as uow:  # the page: 100 known authors
        known = [s.author for s in uow.authors.by_keys([("x", str(10_000 + n)) for n in range(100)]).values()]
    same_day = [replace(a, seen_at=a.seen_at + timedelta(hours=1)) for a in known]
    due = [replace(a, seen_at=T0 + timedelta(days=500), followers=(a.followers or 0) + 1) for a in known]
    fresh_base = 1_000_000

    def page(authors: list[Author], now: datetime) -> None:
        with UnitOfWork(engine) as uow:
            uow.authors.upsert(authors, rules.place, rules.version, now)
            uow.session.rollback()  # the same page every time: measure, do not keep

    counter = iter(range(10**9))

    def new_page() -> None:
        k = next(counter)
        page([Author(Platform.X, str(fresh_base + k * 100 + n), f"nuevo_{k}_{n}", T0, followers=10)
              for n in range(100)], T0)

    def posts_page() -> None:
        from domain import Post, PostKind

        k = next(counter)
        with UnitOfWork(engine) as uow:
            uow.posts.upsert([Post(Platform.X, f"page-{k}-{n}", PostKind.MENTION, "Ministerio_TIC", "1", "a", "t",
                                   T0) for n in range(100)])
            uow.session.rollback()

    for name, fn in (("posts upsert, 100 new posts (baseline)", posts_page),
                     ("authors upsert, 100 new authors", new_page),
                     ("authors upsert, 100 known, same day (no write)", lambda: page(same_day, T0 + timedelta(days=1))),
                     ("authors upsert, 100 known, due for refresh", lambda: page(due, T0 + timedelta(days=500)))):
        median, p95 = timed(fn)
        print(f"{name}: median {median:.1f} ms, p95 {p95:.1f} ms")

    with UnitOfWork(engine) as uow:
        uow.session.execute(text("UPDATE authors SET segment_rules_version = 'old'"))
        uow.commit()
        total = uow.authors.count()
    start = time.perf_counter()
    done = resegment_authors(lambda: UnitOfWork(engine), rules)
    seconds = time.perf_counter() - start
    print(f"resegment: {done} of {total} authors in {seconds:.1f} s ({done / seconds:.0f} authors/s)")
    start = time.perf_counter()
    resegment_authors(lambda: UnitOfWork(engine), rules)
    print(f"start-up check with every author current: {(time.perf_counter() - start) * 1000:.1f} ms")
    engine.dispose()


if __name__ == "__main__":
    main()
