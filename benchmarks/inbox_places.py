"""Inbox response times with the campaign and department filters (issue 16), on SQLite or PostgreSQL.

Seeds the synthetic year of `benchmarks/inbox.py` (same generator, same seed), then places a synthetic share
of the posts in departments and labels two synthetic campaigns, set-based from the post id (deterministic):

- 35 % of the posts placed; among them Bogotá 30 %, Antioquia 14 %, Valle 10 %, … down to Vaupés and
  Guainía at 0.1 % each (a skew like a capital-heavy conversation); evidence text 70 %, profile 25 %, geo 5 %;
- "conecta-vereda" on 2 % of the posts of the last 30 days (a running campaign);
- "talento-ti" on 5 % of the posts from 260 to 200 days ago (an old campaign: none of its posts is in the
  newest-first windows of 2, 15 or 120 days).

Then it requests the inbox through the real app and prints the median and 95th percentile per scenario, with
the unfiltered list as the baseline of the same run, and (PostgreSQL) the plan of the department and campaign
page queries.

    python benchmarks/inbox_places.py --database-url postgresql+psycopg://root@127.0.0.1:5432/bench16
    python benchmarks/inbox_places.py --reuse …     # an already seeded and placed database

Target: median and p95 under 200 ms for each list scenario (docs/inbox.md).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import warnings
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, func, insert, select, text

from benchmarks.inbox import NOW, PASSWORD, p95, seed, timed
from bot.config import Config
from bot.web.app import create_app, fast_passwords
from storage import db
from storage.inbox_filters import InboxFilters
from storage.inbox_queries import InboxRepository
from storage.models import CampaignRow, PostRow
from storage.unit_of_work import UnitOfWork

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

# Department code, per-mille of the placed posts (adds up to 1000).
DEPARTMENTS = (("11", 300), ("05", 140), ("76", 100), ("08", 60), ("68", 50), ("13", 40), ("25", 40),
               ("54", 30), ("17", 25), ("66", 25), ("73", 25), ("52", 20), ("19", 20), ("27", 15), ("47", 15),
               ("50", 15), ("23", 10), ("20", 10), ("41", 10), ("15", 10), ("63", 8), ("70", 7), ("44", 5),
               ("18", 3), ("85", 3), ("81", 2), ("86", 2), ("88", 2), ("91", 2), ("95", 2), ("99", 2),
               ("94", 1), ("97", 1))
PLACED_PERCENT = 35
# A per-mille draw from the post id, scattered (a multiplicative hash) so that every department has posts on
# every day, as real ones do; consecutive ids would put whole days in one department.
SCATTER = "((post_id * 2654435761) % 1000003) % 1000"


def place_and_label(engine: Engine) -> None:
    """The synthetic places and campaigns (see the module docstring), in a few set-based statements."""
    assert sum(share for _, share in DEPARTMENTS) == 1000
    bounds, low = [], 0
    for code, share in DEPARTMENTS:
        bounds.append(f"WHEN {SCATTER} < {low + share} THEN '{code}'")
        low += share
    dpto = "CASE " + " ".join(bounds) + " END"
    evidence = "CASE WHEN post_id % 20 = 0 THEN 'geo' WHEN post_id % 20 < 6 THEN 'profile' ELSE 'text' END"
    with engine.begin() as conn:
        conn.execute(text("UPDATE analyses SET place_dpto = NULL, place_mpio = NULL, place_evidence = NULL, "
                          "campaigns = '[]' WHERE place_dpto IS NOT NULL OR CAST(campaigns AS TEXT) <> '[]'"))
        conn.execute(text("DELETE FROM post_labels WHERE kind = 'campaign'"))
        conn.execute(text("DELETE FROM campaigns"))
        conn.execute(text(f"UPDATE analyses SET place_dpto = {dpto}, place_evidence = {evidence} "
                          f"WHERE post_id % 100 < {PLACED_PERCENT}"))
        conn.execute(text("UPDATE analyses SET place_mpio = place_dpto || '001' WHERE place_evidence = 'geo'"))
        conn.execute(insert(CampaignRow), [
            {"id": "conecta-vereda", "name": "Conecta tu vereda", "hashtags": ["ConectaTuVereda"], "keywords": [],
             "links": [], "starts_on": (NOW - timedelta(days=30)).date(), "ends_on": None, "source": "admin",
             "archived": False, "updated_at": NOW, "updated_by": "benchmark", "description": ""},
            {"id": "talento-ti", "name": "#TalentoTI", "hashtags": ["TalentoTI"], "keywords": [], "links": [],
             "starts_on": (NOW - timedelta(days=260)).date(), "ends_on": (NOW - timedelta(days=200)).date(),
             "source": "admin", "archived": False, "updated_at": NOW, "updated_by": "benchmark", "description": ""},
        ])
        for cid, days, modulo in (("conecta-vereda", (0, 30), 50), ("talento-ti", (200, 260), 20)):
            newest, oldest = NOW - timedelta(days=days[0]), NOW - timedelta(days=days[1])
            where = ("FROM posts WHERE created_at >= :oldest AND created_at < :newest AND is_own = :own "
                     f"AND id % {modulo} = 0")
            params = {"oldest": oldest, "newest": newest, "own": False}
            conn.execute(text(f"INSERT INTO post_labels (post_id, kind, value) SELECT id, 'campaign', '{cid}' "
                              + where), params)
            conn.execute(text(f"UPDATE analyses SET campaigns = '[\"{cid}\"]' WHERE post_id IN (SELECT id {where})"),
                         params)
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE analyses"))
            conn.execute(text("ANALYZE post_labels"))


def explain(engine: Engine, filters: InboxFilters) -> str:
    """PostgreSQL's plan of the newest-first page query for `filters` (its first window)."""
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        repo = InboxRepository(uow.session)
        top = uow.session.scalar(select(func.max(PostRow.created_at)))
        cond = repo._query(filters).conditions()
        stmt = (repo._base(*repo._row_columns()).where(*cond, PostRow.created_at >= top - timedelta(days=2))
                .order_by(PostRow.created_at.desc(), PostRow.id.desc()).limit(51))
        compiled = stmt.compile(engine, compile_kwargs={"literal_binds": True})
        uow.session.execute(text("SET random_page_cost = 1.1"))  # as bot/web/dbtuning.py does
        plan = uow.session.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) {compiled}")).scalars()
        return "\n".join(plan)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="sqlite:///var/bench/inbox_places.db")
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="reuse an already seeded and placed database")
    parser.add_argument("--seed", type=int, default=20261120)
    parser.add_argument("--replace", action="store_true", help="with --reuse: draw the places and campaigns again")
    parser.add_argument("--only", default="", help="comma-separated scenario name prefixes (the baselines always run)")
    parser.add_argument("--explain", action="store_true", help="print PostgreSQL's plans of the filtered pages")
    args = parser.parse_args(argv)

    engine = db.create_db_engine(db.normalise_url(args.database_url))
    with engine.connect() as conn:
        existing = conn.scalar(select(func.count()).select_from(PostRow)) if engine.dialect.has_table(
            conn, "posts") else 0
    if existing and not args.reuse:
        print(f"the database already holds {existing:,} posts: pass --reuse", file=sys.stderr)
        return 2
    db.upgrade(engine)
    if not existing:
        print(f"seeding {args.posts:,} synthetic posts …", file=sys.stderr)
        seed(engine, args.posts, random.Random(args.seed))
        place_and_label(engine)
    elif args.replace:
        place_and_label(engine)

    with engine.connect() as conn:
        shares = conn.execute(text("SELECT place_dpto, count(*) FROM analyses GROUP BY place_dpto")).all()
        labels = conn.execute(text("SELECT value, count(*) FROM post_labels WHERE kind = 'campaign' "
                                   "GROUP BY value")).all()
    total = sum(n for _, n in shares)
    top = sorted(shares, key=lambda kv: -kv[1])[:4]
    print(f"{total:,} analysed posts; " + ", ".join(f"{k or 'sin ubicación'} {n / total:.1%}" for k, n in top)
          + f"; Vaupés {dict(shares).get('97', 0):,} posts; campaigns " + ", ".join(f"{k} {n:,}" for k, n in labels))

    app = create_app(Config(), engine, passwords=fast_passwords(), clock=lambda: NOW)
    client = TestClient(app)
    token = client.get("/login").text.split('name="login_csrf" value="')[1].split('"')[0]
    assert client.post("/login", data={"username": "cm1", "password": PASSWORD, "login_csrf": token},
                       follow_redirects=False).status_code == 303
    cache = app.state.web.counts_cache

    def page(path: str) -> Callable[[], Any]:
        def call() -> Any:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code, response.text[:300])
            return response
        return call

    def windows(path: str) -> Callable[[], Any]:
        """The page as before the single query for small campaigns: through the newest-first windows."""
        def call() -> Any:
            InboxRepository.small_campaign_posts = 0
            try:
                return page(path)()
            finally:
                InboxRepository.small_campaign_posts = small
        return call

    small = InboxRepository.small_campaign_posts

    def state_walks(path: str) -> Callable[[], Any]:
        """The urgency page as before the single sorted query over a small campaign's or department's set: one
        walk of the urgency index per state, each row checked against the filter."""
        def call() -> Any:
            saved = (InboxRepository.small_campaign_posts, InboxRepository.small_set_posts)
            InboxRepository.small_campaign_posts = InboxRepository.small_set_posts = 0
            try:
                return page(path)()
            finally:
                InboxRepository.small_campaign_posts, InboxRepository.small_set_posts = saved
        return call

    def counts(path: str) -> Callable[[], Any]:
        def call() -> Any:
            cache.clear()
            return page(path)()
        return call

    scenarios: list[tuple[str, Callable[[], Any]]] = [
        ("baseline: pending, newest first", page("/inbox")),
        ("baseline: all states, newest first", page("/inbox?estado=all")),
        ("baseline: urgency order (pending)", page("/inbox?orden=urgency")),
        ("department: Bogotá (11), pending", page("/inbox?departamento=11")),
        ("department: Antioquia (05), pending", page("/inbox?departamento=05")),
        ("department: Chocó (27), pending", page("/inbox?departamento=27")),
        ("department: Vaupés (97), pending", page("/inbox?departamento=97")),
        ("department: Vaupés (97), all states", page("/inbox?departamento=97&estado=all")),
        ("department: sin ubicación, pending", page("/inbox?departamento=sin_ubicacion")),
        ("department: Bogotá, reclamo, negative",
         page("/inbox?departamento=11&categoria=reclamo&sentimiento=negative")),
        ("department: Chocó, urgency order", page("/inbox?departamento=27&orden=urgency")),
        ("department: Chocó, urgency, state walks (before)", state_walks("/inbox?departamento=27&orden=urgency")),
        ("department: Vaupés, urgency order", page("/inbox?departamento=97&orden=urgency")),
        ("department: Vaupés, urgency, state walks (before)", state_walks("/inbox?departamento=97&orden=urgency")),
        ("department: Antioquia, urgency order", page("/inbox?departamento=05&orden=urgency")),
        ("campaign: conecta-vereda (running), pending", page("/inbox?campana=conecta-vereda")),
        ("campaign: conecta-vereda, all states", page("/inbox?campana=conecta-vereda&estado=all")),
        ("campaign: talento-ti (old), all states", page("/inbox?campana=talento-ti&estado=all")),
        ("campaign: talento-ti, all states, via windows (before)", windows("/inbox?campana=talento-ti&estado=all")),
        ("campaign: conecta-vereda, pending, via windows (before)", windows("/inbox?campana=conecta-vereda")),
        ("campaign: talento-ti, urgency, all states", page("/inbox?campana=talento-ti&estado=all&orden=urgency")),
        ("campaign: talento-ti, urgency, state walks (before)",
         state_walks("/inbox?campana=talento-ti&estado=all&orden=urgency")),
        ("campaign: conecta-vereda, urgency", page("/inbox?campana=conecta-vereda&orden=urgency")),
        ("campaign + department: conecta-vereda, Bogotá", page("/inbox?campana=conecta-vereda&departamento=11")),
        ("counts: pending, no filter (uncached)", counts("/inbox/counts")),
        ("counts: all states, no filter (uncached)", counts("/inbox/counts?estado=all")),
        ("counts: department Bogotá (uncached)", counts("/inbox/counts?departamento=11")),
        ("counts: department Vaupés (uncached)", counts("/inbox/counts?departamento=97")),
        ("counts: department Vaupés, all states (uncached)", counts("/inbox/counts?departamento=97&estado=all")),
        ("counts: campaign conecta-vereda (uncached)", counts("/inbox/counts?campana=conecta-vereda")),
        ("counts: campaign talento-ti, all states (uncached)", counts("/inbox/counts?campana=talento-ti&estado=all")),
        ("counts: campaign + Bogotá, reclamo (uncached)",
         counts("/inbox/counts?campana=conecta-vereda&departamento=11&categoria=reclamo")),
    ]
    only = tuple(p.strip() for p in args.only.split(",") if p.strip())
    scenarios = [(n, c) for n, c in scenarios if not only or n.startswith(("baseline", *only))]
    print(f"{engine.dialect.name}, {args.repeat} requests each, median / p95 ms")
    for name, call in scenarios:
        times = timed(call, args.repeat)
        print(f"  {name:<58} {statistics.median(times):7.1f} / {p95(times):7.1f}")
    if args.explain and engine.dialect.name == "postgresql":
        for label, filters in (("Bogotá", InboxFilters(dpto="11")), ("Vaupés", InboxFilters(dpto="97")),
                               ("talento-ti", InboxFilters(campaign="talento-ti", state="all"))):
            print(f"\nplan, {label} (first window):\n{explain(engine, filters)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
