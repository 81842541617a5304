"""What the retention policy costs: `retention --dry-run` (counting), `--apply` (resumable batches, pseudonyms)
and the daily run once nothing is left, on SQLite or PostgreSQL, over generated (synthetic) data.

Seeds POSTS citizen posts by AUTHORS authors (profiles for four in five of them), a note on one post in a hundred,
everything 30 months old so it is all past the default 24-month terms. The baseline, measured in the same run on
the same rows, is one plain UPDATE of the posts' personal columns in a single statement, rolled back: the least
any anonymisation can cost (no batches, no pseudonyms, not resumable).

    python benchmarks/retention.py                                     # SQLite file under var/bench/
    python benchmarks/retention.py --posts 200000 --authors 50000
    python benchmarks/retention.py --database-url postgresql+psycopg://root@127.0.0.1:5432/bench  # bench_retention
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, update

from benchmarks.fresh_db import fresh_engine
from bot.config import RetentionSettings
from bot.retention import apply_retention, due
from domain import Author, Platform, Post, PostKind
from storage.models import PostEventRow, PostRow
from storage.repositories import post_to_row
from storage.retention import Pseudonyms
from storage.unit_of_work import UnitOfWork

NOW = datetime(2029, 6, 1, tzinfo=UTC)
T0 = NOW - timedelta(days=30 * 30)
KEY = "bench-" + "x" * 40


def seed(engine, posts: int, authors: int) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(17)
    rows = []
    with engine.begin() as conn:
        for i in range(posts):
            a = rng.randrange(authors)
            post = Post(platform=Platform.X, external_id=str(1_000_000 + i), kind=PostKind.MENTION,
                        account="Ministerio_TIC", author_id=str(10_000 + a), author_handle=f"autor_{a}",
                        text=f"sin internet en Quibdó hace {i % 9} días, @Ministerio_TIC (sintético {i})",
                        created_at=T0 + timedelta(minutes=i), url=f"https://x.com/autor_{a}/status/{i}",
                        raw={"id": str(1_000_000 + i), "author_id": str(10_000 + a)})
            rows.append(post_to_row(post, T0))
            if len(rows) == 5000:
                conn.execute(insert(PostRow), rows)
                rows = []
        if rows:
            conn.execute(insert(PostRow), rows)
    profiles = [Author(platform=Platform.X, author_id=str(10_000 + a), handle=f"autor_{a}", seen_at=T0,
                       display_name=f"Autor {a}", description="Ciudadano (sintético)", followers=rng.randrange(5000),
                       location="Quibdó, Chocó") for a in range(authors) if a % 5]
    with UnitOfWork(engine) as uow:
        for start in range(0, len(profiles), 2000):
            uow.authors.upsert(profiles[start:start + 2000], lambda _a: ("ciudadania", "default"), "v1", T0)
        assert uow.session is not None
        uow.session.execute(insert(PostEventRow), [
            {"post_id": pid, "user": "ana", "action": "note", "old_value": None, "new_value": "llamar al ciudadano",
             "created_at": T0} for pid in range(1, posts + 1, 100)])
        uow.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--authors", type=int, default=25_000)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    engine = fresh_engine(args.database_url or None, "retention")
    print(f"{engine.dialect.name}: seeding {args.posts} synthetic posts by {args.authors} authors ...", flush=True)
    seed(engine, args.posts, args.authors)
    settings = RetentionSettings(batch_size=args.batch_size)

    started = time.perf_counter()
    pending = due(engine, settings, NOW)
    print(f"dry run (count what is due): {time.perf_counter() - started:.2f} s  {pending}")

    with engine.connect() as conn:  # baseline: one UPDATE of the same columns, rolled back
        trans = conn.begin()
        started = time.perf_counter()
        conn.execute(update(PostRow).where(PostRow.is_own.is_(False), PostRow.anonymized_at.is_(None))
                     .values(text="[texto anonimizado]", search_text="", raw={}, url=None, geo=None,
                             author_handle="anon", anonymized_at=NOW))
        baseline = time.perf_counter() - started
        trans.rollback()
    print(f"baseline, one UPDATE statement of the posts (rolled back): {baseline:.2f} s "
          f"({pending['posts'] / baseline:,.0f} posts/s)")

    started = time.perf_counter()
    spent: dict[str, float] = {}
    mark = [started]

    def progress(kind: str, _done: int, _total: int) -> None:
        now = time.perf_counter()
        spent[kind] = spent.get(kind, 0.0) + now - mark[0]
        mark[0] = now

    done = apply_retention(engine, settings, Pseudonyms(KEY), NOW, requested_by="benchmark", progress=progress)
    applied = time.perf_counter() - started
    rows = sum(done.values())
    print(f"retention --apply (batches of {args.batch_size}): {applied:.2f} s for {rows} rows {done} "
          f"({done['posts'] / applied:,.0f} posts/s counting every kind's time; "
          f"{applied / baseline:.1f}x the baseline)")
    print("  seconds per kind: " + ", ".join(f"{k} {v:.1f}" for k, v in spent.items()))

    started = time.perf_counter()
    again = apply_retention(engine, settings, Pseudonyms(KEY), NOW + timedelta(days=1), requested_by="benchmark")
    print(f"next day's run, nothing left: {time.perf_counter() - started:.2f} s  {again}")
    engine.dispose()


if __name__ == "__main__":
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))  # batch lines off: WARNING+
    main()
