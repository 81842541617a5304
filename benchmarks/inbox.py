"""Inbox response times with a million posts, on SQLite or PostgreSQL.

Seeds a year of synthetic citizen posts (bulk inserts: posts, analyses, labels, a review row per citizen
post as the pipeline writes it, with its author's reach rank and segment; a realistic team that closes most posts within
two weeks) and their authors' profiles (most of them citizens, few press or official accounts, 5 % without
a profile; see AUDIENCES), then requests
the inbox through the real app (routing, queries and template rendering; in-process ASGI, so no network
time) and prints the median and 95th percentile per scenario. The baseline in the same run: the login page
(no query at all) and the naive way to reach a deep page (LIMIT/OFFSET) next to the keyset bookmark the app
uses.

    python benchmarks/inbox.py                                   # SQLite file under var/bench/
    python benchmarks/inbox.py --database-url postgresql+psycopg://root@127.0.0.1:5432/bench
    python benchmarks/inbox.py --reuse                           # keep an already-seeded database

Target: median and p95 under 200 ms for the list scenarios, the audience segment filter included (each
segment, newest first; the common one and a rare one in the urgency order too; the unfiltered lists are the
baseline in the same run). The counts panel is loaded separately by the page (and cached for 30 s), so it is
measured on its own, uncached.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, func, insert, select, text

from bot.config import Config, segmenter
from bot.web.app import create_app, fast_passwords
from domain import NO_PROFILE
from storage import db
from storage.models import AnalysisRow, AuthorRow, IncidentRow, PostLabelRow, PostReviewRow, PostRow, UserRow
from storage.reach import WORST_RANK, reach_rank
from storage.review_changes import urgency_keys

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

NOW = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)
DAYS = 365
PASSWORD = "benchmark-password"
CATEGORIES = (("reclamo", 25), ("peticion", 25), ("otro", 20), ("queja", 10), ("felicitacion", 8),
              ("sugerencia", 7), ("denuncia", 5))
SENTIMENTS = (("negative", 45), ("neutral", 40), ("positive", 15))
TOPICS = ("conectividad", "operadores_usuarios", "formacion_tic", "gobierno_digital", "ciberseguridad_fraude",
          "television_radio", "servicios_postales", "computadores_para_educar", "empleo_convocatorias", "espectro")
FLAGS = ("outage", "fraud", "data_leak", "threat", "misinformation")
ACCOUNTS = (("x", "Ministerio_TIC", 60), ("facebook", "MinTICColombia", 25), ("instagram", "mintic_colombia", 15))
WORDS = ("internet", "señal", "centro digital", "zona wifi", "operador", "factura", "trámite", "convocatoria",
         "Talento TI", "computador", "colegio", "vereda", "antena", "televisión", "correo", "paquete", "curso",
         "beca", "plataforma", "contraseña", "fraude", "mensaje", "llamada", "cobertura", "municipio")
OPENERS = ("Buenas tardes @MinTIC", "Llevo 3 días sin", "Por favor revisen", "Gracias por", "Qué pasa con",
           "Denuncio que", "Sugiero mejorar", "¿Cómo hago para", "Otra vez falla", "Excelente trabajo con")
CHUNK = 20_000
AUTHOR_IDS = 90_001  # posts' authors: u0 … u90000 on each platform
# Share of authors per audience segment (None: no profile yet) and their followers (lognormal mu, sigma): the
# public is most of it, press and official voices are few but heard widely.
AUDIENCES = ((None, 0.05, 0, 0), ("ciudadania", 0.90, 5.0, 1.5), ("influenciadores", 0.02, 11.5, 0.8),
             ("medios_periodistas", 0.012, 10.0, 1.5), ("gobierno_y_politica", 0.006, 9.0, 1.5),
             ("academia", 0.005, 8.0, 1.2), ("sector_tic", 0.004, 8.0, 1.2),
             ("entidades_gubernamentales", 0.002, 10.0, 1.0), ("operadores_y_empresas_tic", 0.001, 11.0, 1.0))


def seed_authors(engine: Engine, rng: random.Random) -> dict[tuple[str, str], tuple[int, str]]:
    """A profile for most (platform, author id) pairs the posts use; returns their reach ranks and segments."""
    seg = segmenter(Config())
    ranks: dict[tuple[str, str], tuple[int, str]] = {}
    rows = []
    for platform in ("x", "facebook", "instagram"):
        for i in range(AUTHOR_IDS):
            segment, _, mu, sigma = rng.choices(AUDIENCES, weights=[a[1] for a in AUDIENCES])[0]
            if segment is None:
                continue
            followers = int(rng.lognormvariate(mu, sigma))
            ranks[(platform, f"u{i}")] = (reach_rank(seg.priority(segment), followers), segment)
            rows.append({"platform": platform, "author_id": f"u{i}", "handle": f"ciudadano{i}",
                         "display_name": f"Persona {i}", "description": None, "verified_type": None,
                         "followers": followers, "following": 100, "post_count": 1000, "location": "Colombia",
                         "website": None, "profile_url": None, "first_seen": NOW - timedelta(days=DAYS),
                         "last_seen": NOW, "refreshed_at": NOW, "segment": segment,
                         "segment_rule": "default" if segment == "ciudadania" else "bench",
                         "segment_override": None, "segment_rules_version": seg.version})
    for start in range(0, len(rows), CHUNK):
        with engine.begin() as conn:
            conn.execute(insert(AuthorRow), rows[start:start + CHUNK])
    print(f"  seeded {len(rows):,} author profiles", file=sys.stderr)
    return ranks


def weighted(rng: random.Random, options: tuple[tuple[Any, ...], ...]) -> tuple[Any, ...]:
    return rng.choices(options, weights=[o[-1] for o in options])[0]


def review_state(rng: random.Random, age_days: float) -> str:
    """A team that keeps up: most posts are closed within two weeks, a small backlog stays open."""
    closed_share = min(0.98, age_days / 14)
    r = rng.random()
    if r < closed_share * 0.92:
        return "attended"
    if r < closed_share:
        return "not_applicable"
    if r < closed_share + (1 - closed_share) * 0.3:
        return "in_progress"
    return "new"


def seed(engine: Engine, n: int, rng: random.Random) -> None:
    started = time.perf_counter()
    with engine.begin() as conn:
        users = [{"username": f"cm{i}", "display_name": f"Community manager {i}",
                  "role": "admin" if i == 0 else "community_manager",
                  "password_hash": fast_passwords().hash(PASSWORD), "active": True, "failed_logins": 0,
                  "created_at": NOW, "password_changed_at": NOW} for i in range(8)]
        conn.execute(insert(UserRow), users)
    ranks = seed_authors(engine, rng)
    span = DAYS * 86400
    for start in range(0, n, CHUNK):
        posts, analyses, labels, reviews = [], [], [], []
        for pid in range(start + 1, min(n, start + CHUNK) + 1):
            age = span * (1 - (pid / n)) + rng.random() * 60  # ids grow with time, as collected
            created = NOW - timedelta(seconds=age)
            platform, account, _ = weighted(rng, ACCOUNTS)
            own = rng.random() < 0.02
            body = f"{rng.choice(OPENERS)} {rng.choice(WORDS)} en {rng.choice(WORDS)} #{pid % 997}"
            posts.append({"id": pid, "platform": platform, "external_id": f"b{pid}",
                          "kind": "own_post" if own else "mention", "account": account,
                          "author_id": f"u{pid % AUTHOR_IDS}",
                          "author_handle": f"ciudadano{pid % AUTHOR_IDS}", "text": body, "lang": "es",
                          "created_at": created, "url": f"https://example.invalid/{pid}", "in_reply_to_id": None,
                          "conversation_id": f"b{pid}", "is_own": own, "likes": pid % 13, "reposts": pid % 3,
                          "replies": None, "quotes": None, "bookmarks": None, "impressions": None, "reactions": None,
                          "comments": None, "shares": None, "saves": None, "raw": {}, "collected_at": created,
                          "updated_at": created})
            category = weighted(rng, CATEGORIES)[0]
            sentiment = weighted(rng, SENTIMENTS)[0]
            topics = rng.sample(TOPICS[:4] if rng.random() < 0.6 else TOPICS, k=rng.choice((0, 1, 1, 1, 2)))
            flags = [rng.choice(FLAGS)] if rng.random() < 0.015 else []
            analyses.append({"post_id": pid, "lang": "es", "sentiment": sentiment,
                             "sentiment_score": -0.6 if sentiment == "negative" else 0.2, "category": category,
                             "topics": topics, "flags": flags, "rules": [f"category:rule:{category}"],
                             "version": "bench-1", "analyzed_at": created})
            labels += [{"post_id": pid, "kind": "topic", "value": t} for t in topics]
            labels += [{"post_id": pid, "kind": "flag", "value": f} for f in flags]
            if not own:  # every analysed citizen post has its review row, as the pipeline writes it
                state = review_state(rng, age / 86400)
                assignee = rng.randint(1, 8) if state in ("in_progress", "attended") else None
                tier, due_at = urgency_keys(created, category, sentiment, flags)
                rank, segment = ranks.get((platform, f"u{pid % AUTHOR_IDS}"), (WORST_RANK, NO_PROFILE))
                reviews.append({"post_id": pid, "state": state, "assignee_id": assignee, "updated_at": created,
                                "updated_by": None if state == "new" else "cm1", "tier": tier, "due_at": due_at,
                                "reach_rank": rank, "segment": segment})
        with engine.begin() as conn:
            conn.execute(insert(PostRow), posts)
            conn.execute(insert(AnalysisRow), analyses)
            if labels:
                conn.execute(insert(PostLabelRow), labels)
            if reviews:
                conn.execute(insert(PostReviewRow), reviews)
        done = min(n, start + CHUNK)
        rate = done / (time.perf_counter() - started)
        print(f"\r  seeded {done:,} / {n:,} posts ({rate:,.0f} posts/s)", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("SELECT setval(pg_get_serial_sequence('posts', 'id'), (SELECT max(id) FROM posts))"))
            conn.execute(text("ANALYZE"))  # what autovacuum would do a minute later


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    call()  # warm-up: first use of the plan and page cache
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="sqlite:///var/bench/inbox.db")
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="reuse an already-seeded database of that size")
    parser.add_argument("--seed", type=int, default=20261120)
    parser.add_argument("--only", default="", help="comma-separated scenario name prefixes to run (baselines and "
                        "the unfiltered lists always run), e.g. --only segment,author")
    args = parser.parse_args(argv)

    url = db.normalise_url(args.database_url)
    engine = db.create_db_engine(url)
    with engine.connect() as conn:
        existing = 0
        if engine.dialect.has_table(conn, "posts"):
            existing = conn.scalar(select(func.count()).select_from(PostRow)) or 0
    if existing and not (args.reuse and existing == args.posts):
        print(f"the database already holds {existing:,} posts: pass --reuse (with --posts {existing}) to measure "
              "it, or point --database-url at an empty database", file=sys.stderr)
        return 2
    db.upgrade(engine)
    if not existing:
        print(f"seeding {args.posts:,} posts into {engine.url.render_as_string(hide_password=True)} …",
              file=sys.stderr)
        seed(engine, args.posts, random.Random(args.seed))

    app = create_app(Config(), engine, passwords=fast_passwords(), clock=lambda: NOW)
    client = TestClient(app)
    login_page = client.get("/login").text
    token = login_page.split('name="login_csrf" value="')[1].split('"')[0]
    assert client.post("/login", data={"username": "cm1", "password": PASSWORD, "login_csrf": token},
                       follow_redirects=False).status_code == 303
    cache = app.state.web.counts_cache

    def page(path: str) -> Callable[[], Any]:
        def call() -> Any:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response
        return call

    def counts(path: str) -> Callable[[], Any]:
        def call() -> Any:
            cache.clear()  # measure the query, not the cache
            return page(path)()
        return call

    # A deep bookmark: follow 20 "next" links once, then time that page; and OFFSET to the same place.
    deep = "/inbox?estado=all"
    for _ in range(20):
        html = client.get(deep).text
        deep = "/inbox?" + html.split('data-next-page')[0].rsplit('href="/inbox?', 1)[1].split('"')[0] \
            .replace("&amp;", "&")
    with engine.connect() as conn:
        incident_start = conn.scalar(select(PostRow.created_at).order_by(PostRow.id.desc()).limit(1).offset(3000))
    with engine.begin() as conn:
        incident_id = conn.execute(insert(IncidentRow).values(
            opened_at=incident_start, closed_at=None, level="critico", keys=["flag:outage", "sentiment:negative"],
            active_keys=[], peak_value=40, peak_expected=4.0).returning(IncidentRow.id)).scalar_one()

    def offset_page() -> Any:
        with engine.connect() as conn:
            return conn.execute(select(PostRow.id).where(PostRow.is_own.is_(False))
                                .order_by(PostRow.created_at.desc(), PostRow.id.desc()).limit(50).offset(1000)).all()

    anonymous = TestClient(app)

    def login_form() -> Any:
        response = anonymous.get("/login")
        assert response.status_code == 200 and "login_csrf" in response.text
        return response

    with engine.connect() as conn:
        author_row = conn.scalar(select(AuthorRow.id).where(AuthorRow.segment == "medios_periodistas").limit(1))
        shares = dict(conn.execute(select(AuthorRow.segment, func.count()).group_by(AuthorRow.segment)).all())
    total_authors = sum(shares.values())
    print("authors per segment: " + ", ".join(f"{k} {v / total_authors:.1%}" for k, v in sorted(
        shares.items(), key=lambda kv: -kv[1])) + f" (and {AUTHOR_IDS * 3 - total_authors:,} without a profile)")
    segment_scenarios: list[tuple[str, Callable[[], Any]]] = [
        (f"segment: {sid}", page(f"/inbox?segmento={sid}")) for sid in [*(a[0] for a in AUDIENCES[1:]), "sin_perfil"]
    ] + [
        ("segment: ciudadania, urgency order", page("/inbox?segmento=ciudadania&orden=urgency")),
        ("segment: gobierno_y_politica, urgency order", page("/inbox?segmento=gobierno_y_politica&orden=urgency")),
        ("segment: operadores_y_empresas_tic, urgency",
         page("/inbox?segmento=operadores_y_empresas_tic&orden=urgency")),
        ("segment: medios_periodistas, negative, all states",
         page("/inbox?segmento=medios_periodistas&sentimiento=negative&estado=all")),
        ("segment: sin_perfil, category reclamo", page("/inbox?segmento=sin_perfil&categoria=reclamo")),
    ]
    scenarios: list[tuple[str, Callable[[], Any]]] = [
        ("baseline: login form (no query)", login_form),
        ("baseline: OFFSET 1000 (ids only, no join)", offset_page),
        ("inbox: pending, newest first", page("/inbox")),
        ("inbox: all states, newest first", page("/inbox?estado=all")),
        ("inbox: page 21 by keyset bookmark", page(deep)),
        ("inbox: category reclamo", page("/inbox?categoria=reclamo")),
        ("inbox: negative on X", page("/inbox?sentimiento=negative&plataforma=x")),
        ("inbox: topic conectividad", page("/inbox?tema=conectividad")),
        ("inbox: any crisis flag", page("/inbox?alerta=any")),
        ("inbox: crisis flag fraud, all states", page("/inbox?alerta=fraud&estado=all")),
        ("inbox: assigned to me", page("/inbox?asignado=yo")),
        ("inbox: attended by state", page("/inbox?estado=attended")),
        ("inbox: urgency order (pending)", page("/inbox?orden=urgency")),
        ("inbox: one week, all states", page("/inbox?estado=all&desde=2026-06-01&hasta=2026-06-07")),
        ("inbox: alert link ?incidente=N", page(f"/inbox?incidente={incident_id}")),
        ("search: common word (señal)", page("/inbox?q=se%C3%B1al")),
        ("search: word in no post", page("/inbox?q=xyzzy")),
        ("post page", page(f"/posts/{args.posts - 1000}")),
        ("author page", page(f"/authors/{author_row}")),
        *segment_scenarios,
        ("counts: pending (uncached)", counts("/inbox/counts")),
        ("counts: category reclamo (uncached)", counts("/inbox/counts?categoria=reclamo")),
        ("counts: one week, all states (uncached)",
         counts("/inbox/counts?estado=all&desde=2026-11-09&hasta=2026-11-15")),
        ("counts: segment medios_periodistas (uncached)", counts("/inbox/counts?segmento=medios_periodistas")),
    ]
    if args.only:
        keep = ("baseline", "inbox: pending, newest first", "inbox: urgency order (pending)",
                *(p.strip() for p in args.only.split(",") if p.strip()))
        scenarios = [(name, call) for name, call in scenarios if name.startswith(keep)]
    print(f"\n{engine.dialect.name}, {args.posts:,} posts, {args.repeat} requests per scenario (after one warm-up); "
          f"machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'scenario':<46} {'median ms':>10} {'p95 ms':>9}  target")
    worst = 0.0
    for name, call in scenarios:
        values = timed(call, args.repeat)
        med, top = statistics.median(values), p95(values)
        is_target = name.startswith(("inbox", "search", "post", "author", "segment"))
        if is_target:
            worst = max(worst, top)
        mark = ("ok" if top < 200 else "SLOW") if is_target else ""
        print(f"{name:<46} {med:>10.1f} {top:>9.1f}  {mark}")
    print(f"worst p95 of the list scenarios: {worst:.1f} ms (target < 200 ms); "
          f"load average now {os.getloadavg()[0]:.1f}")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
