"""Weekly-report benchmark: a synthetic year of posts (5 million by default) on SQLite or PostgreSQL.

    .venv/bin/python benchmarks/report_year.py [--posts 5000000] [--database-url URL] [--reuse] [--pdf]

Prints, each measured in this run:
- seeding time (generation and bulk load: executemany on SQLite, COPY on PostgreSQL; secondary indexes are
  dropped during the load and rebuilt after, then ANALYZE), skipped with `--reuse` when the database already
  holds the same synthetic year;
- the weekly report (indicators, charts, HTML, CSV; PDF with `--pdf`) of the year's last full ISO week, as
  the Monday job builds it — the target is under 60 s;
- the indicators and tables of the WHOLE year as one period (every figure over all posts);
- the same weekly report over the bundled sample week (a fresh SQLite database);
- a baseline: the week's volume/sentiment/category/interaction counts done the naive way (every post of the
  week loaded through the ORM and counted in Python) next to the SQL aggregation that replaces it.

The year imitates the sample's proportions at 20x its volume: about 1.5 % ministry posts, 17 % ministry
replies (to a quarter of the questions, minutes to days later), the rest citizens' mentions, comments,
replies and search hits with a daily rhythm, PQRSD categories, sentiments, topics and crisis flags. Default
database: SQLite at var/bench/report_year.db; PostgreSQL runs in its own schema `vigia_bench` (dropped and
recreated when seeding, never touching other schemas).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, create_engine, func, select, text

from bot.clock import ManualClock
from bot.config import business_calendar
from bot.reports.model import build_report, days_period, report_tables, week_period
from bot.reports.weekly import build_files
from storage import db
from storage import indicators as q
from storage.models import AnalysisRow, PostRow
from storage.unit_of_work import UnitOfWork

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = REPO / "var" / "bench" / "report_year.db"
PG_SCHEMA = "vigia_bench"
SEED = 20260101
CHUNK = 200_000

PLATFORMS = np.array(["x", "facebook", "instagram"])
PLATFORM_SHARE = [0.54, 0.28, 0.18]
ACCOUNTS = {"x": "Ministerio_TIC", "facebook": "MinTICColombia", "instagram": "mintic_colombia"}
HOUR_WEIGHT = np.array([0.5, 0.3, 0.15, 0.1, 0.15, 0.4, 1.2, 2.6, 4.2, 5.4, 6.0, 5.7,
                        4.6, 4.1, 4.6, 4.9, 4.7, 4.5, 4.9, 5.6, 6.1, 5.4, 3.6, 1.7])
DAY_FACTOR = np.array([1.08, 1.0, 0.98, 0.97, 0.92, 0.72, 0.66])
CATEGORIES = np.array(["reclamo", "peticion", "queja", "otro", "felicitacion", "denuncia", "sugerencia"])
CATEGORY_SHARE = [0.30, 0.25, 0.12, 0.12, 0.09, 0.06, 0.06]
QUESTIONS = {"peticion", "queja", "reclamo", "denuncia"}
SENTIMENTS = np.array(["negative", "neutral", "positive"])
TOPICS = np.array(["conectividad", "operadores_usuarios", "formacion_tic", "gobierno_digital", "ciberseguridad_fraude",
                   "television_radio", "empleo_convocatorias", "computadores_para_educar", "servicios_postales",
                   "espectro", ""])
TOPIC_SHARE = [0.17, 0.14, 0.14, 0.11, 0.08, 0.08, 0.08, 0.07, 0.06, 0.04, 0.03]
FLAGS = np.array(["", "outage", "fraud", "misinformation", "data_leak", "threat"])
FLAG_SHARE = [0.92, 0.035, 0.035, 0.006, 0.002, 0.002]
OWN_SHARE = 0.015
ANSWERED_SHARE = 0.25
BOGOTA_OFFSET = -5 * 3600  # the generator's clock only; the report uses the configured zone

POST_COLUMNS = ("id", "platform", "external_id", "kind", "account", "author_id", "author_handle", "text", "lang",
                "created_at", "url", "in_reply_to_id", "conversation_id", "is_own", "likes", "reposts", "replies",
                "quotes", "bookmarks", "impressions", "reactions", "comments", "shares", "saves", "views", "reach",
                "raw", "collected_at", "updated_at")
AUTHOR_COLUMNS = ("id", "platform", "author_id", "handle", "display_name", "description", "verified_type", "followers",
                  "following", "post_count", "profile_url", "first_seen", "last_seen", "refreshed_at", "segment",
                  "segment_rule")
SNAPSHOT_COLUMNS = ("id", "platform", "account", "day", "followers", "following", "post_count", "taken_at")
# Audience segments of the synthetic authors (config ids) and their shares; the rest of the authors posting
# (PROFILED_SHARE) have a profile, the others none yet ("sin perfil").
SEGMENT_SHARE = {"ciudadania": 0.80, "medios_periodistas": 0.04, "gobierno_y_politica": 0.03,
                 "operadores_y_empresas_tic": 0.02, "academia": 0.03, "influenciadores": 0.03,
                 "entidades_gubernamentales": 0.02, "sector_tic": 0.03}
PROFILED_SHARE = 0.85
FOLLOWERS_START = {"x": 1_450_000, "facebook": 820_000, "instagram": 310_000}
ANALYSIS_COLUMNS = ("post_id", "lang", "sentiment", "sentiment_score", "category", "topics", "flags", "rules",
                    "version", "analyzed_at")


# --- the synthetic year ------------------------------------------------------------------------------------


@dataclass
class Year:
    """Column arrays of every post, sorted by time (ids 1..n in that order)."""

    epoch: np.ndarray  # float seconds
    platform: np.ndarray  # index into PLATFORMS
    kind: np.ndarray  # str
    own: np.ndarray  # bool
    label: np.ndarray  # stable external id number
    reply_to: np.ndarray  # label of the answered post, or -1
    conversation: np.ndarray  # label of the thread root
    author: np.ndarray  # citizen number, or -1 for the ministry
    category: np.ndarray
    sentiment: np.ndarray
    topic: np.ndarray
    flag: np.ndarray
    metrics: dict[str, np.ndarray]  # -1 = not reported (NULL)

    @property
    def size(self) -> int:
        return int(self.epoch.size)


def _times(rng: np.random.Generator, n: int, start: float, days: int) -> np.ndarray:
    """Local-time rhythm: quieter weekends and nights (the sample's shape), returned as UTC epochs."""
    first = date.fromtimestamp(start + 12 * 3600)
    weekday = (np.arange(days) + first.weekday()) % 7
    day = rng.choice(days, size=n, p=DAY_FACTOR[weekday] / DAY_FACTOR[weekday].sum())
    hour = rng.choice(24, size=n, p=HOUR_WEIGHT / HOUR_WEIGHT.sum())
    return start + day * 86400.0 + hour * 3600.0 + rng.uniform(0, 3600, size=n)


def generate_year(total: int, year: int) -> Year:
    rng = np.random.default_rng(SEED)
    start = datetime(year, 1, 1, tzinfo=UTC).timestamp() - BOGOTA_OFFSET
    days = (date(year + 1, 1, 1) - date(year, 1, 1)).days
    end = start + days * 86400.0
    own_n = int(total * OWN_SHARE)
    question_share = sum(s for c, s in zip(CATEGORIES, CATEGORY_SHARE, strict=True) if c in QUESTIONS)
    citizen_n = int((total - own_n) / (1 + ANSWERED_SHARE * question_share)) + 2000

    own_t = np.sort(_times(rng, own_n, start, days))
    own_p = rng.choice(3, size=own_n, p=PLATFORM_SHARE)
    cit_t = _times(rng, citizen_n, start, days)
    cit_p = rng.choice(3, size=citizen_n, p=PLATFORM_SHARE)
    cit_cat = rng.choice(CATEGORIES, size=citizen_n, p=CATEGORY_SHARE)
    is_q = np.isin(cit_cat, list(QUESTIONS))
    answered = is_q & (rng.random(citizen_n) < ANSWERED_SHARE)
    delay = np.clip(rng.lognormal(np.log(5 * 3600), 1.2, size=citizen_n), 120, 10 * 86400)
    reply_t = cit_t + delay
    answered &= reply_t < end
    rep_src = np.flatnonzero(answered)
    rep_n = rep_src.size

    # trim citizen posts nobody answered so the year holds exactly `total` posts
    excess = own_n + citizen_n + rep_n - total
    if excess > 0:
        droppable = np.flatnonzero(~answered)
        drop = rng.choice(droppable, size=excess, replace=False)
        keep = np.ones(citizen_n, dtype=bool)
        keep[drop] = False
        remap = np.cumsum(keep) - 1
        cit_t, cit_p, cit_cat = cit_t[keep], cit_p[keep], cit_cat[keep]
        rep_src = remap[rep_src]
        reply_t_kept = reply_t[answered]
        citizen_n = int(keep.sum())
    else:
        reply_t_kept = reply_t[answered]

    # labels: own posts 0.., citizens after, replies last (stable external ids, independent of sorting)
    own_label = np.arange(own_n)
    cit_label = own_n + np.arange(citizen_n)
    rep_label = own_n + citizen_n + np.arange(rep_n)
    # threads: comments hang under the platform's latest own post; mentions and search hits start their own
    cit_kind = np.empty(citizen_n, dtype=object)
    conv = cit_label.copy()
    for p in range(3):
        mask = cit_p == p
        roll = rng.random(int(mask.sum()))
        if PLATFORMS[p] == "x":
            cit_kind[mask] = np.where(roll < 0.56, "mention", np.where(roll < 0.79, "search_hit", "reply"))
        else:
            cit_kind[mask] = np.where(roll < 0.75, "comment", "reply")
        threaded = mask & np.isin(cit_kind, ["comment", "reply"])
        own_idx = np.flatnonzero(own_p == p)
        if own_idx.size:
            pos = np.searchsorted(own_t[own_idx], cit_t[threaded]) - 1
            conv[threaded] = np.where(pos >= 0, own_label[own_idx[np.maximum(pos, 0)]], cit_label[threaded])
    n_authors = max(citizen_n // 6, 1)
    authors = np.minimum(rng.zipf(1.6, size=citizen_n) - 1, n_authors - 1)
    authors = (authors * 2654435761) % n_authors  # spread the heavy posters over the id space

    epoch = np.concatenate([own_t, cit_t, reply_t_kept])
    platform = np.concatenate([own_p, cit_p, cit_p[rep_src]])
    kind = np.concatenate([np.full(own_n, "own_post", dtype=object), cit_kind, np.full(rep_n, "reply", dtype=object)])
    own = np.concatenate([np.ones(own_n, bool), np.zeros(citizen_n, bool), np.ones(rep_n, bool)])
    label = np.concatenate([own_label, cit_label, rep_label])
    reply_to = np.concatenate([np.full(own_n, -1), np.where(cit_kind == "reply", conv, -1), cit_label[rep_src]])
    conversation = np.concatenate([own_label, conv, conv[rep_src]])
    author = np.concatenate([np.full(own_n, -1), authors, np.full(rep_n, -1)])
    n = epoch.size
    category = np.concatenate([np.full(own_n, "otro", dtype=object), cit_cat, np.full(rep_n, "otro", dtype=object)])
    sentiment = rng.choice(SENTIMENTS, size=n, p=[0.45, 0.38, 0.17]).astype(object)
    sentiment[own] = "positive"
    topic = rng.choice(TOPICS, size=n, p=TOPIC_SHARE).astype(object)
    flag = rng.choice(FLAGS, size=n, p=FLAG_SHARE).astype(object)
    flag[own] = ""

    metrics = {}
    big = own & (kind == "own_post")
    for name, platforms, own_mean, citizen_mean in (
        ("likes", (0, 2), 250, 0.6), ("reposts", (0,), 60, 0.1), ("replies", (0,), 25, 0.2),
        ("quotes", (0,), 4, 0.02), ("bookmarks", (0,), 15, 0.05), ("reactions", (1,), 180, 0.4),
        ("comments", (1, 2), 40, 0.0), ("shares", (1,), 30, 0.0), ("saves", (2,), 35, 0.0),
        ("impressions", (0,), 20000, 300), ("views", (1, 2), 15000, 0), ("reach", (2,), 9000, 0),
    ):
        reported = np.isin(platform, platforms)
        if name in ("views", "reach"):  # Meta reports them for the Page's and account's own media only
            reported &= big
        mean = np.where(big, own_mean, np.where(own, own_mean / 40, citizen_mean))
        values = rng.poisson(mean)
        metrics[name] = np.where(reported, values, -1)

    order = np.argsort(epoch, kind="stable")
    return Year(epoch[order], platform[order], kind[order], own[order], label[order], reply_to[order],
                conversation[order], author[order], category[order], sentiment[order], topic[order], flag[order],
                {k: v[order] for k, v in metrics.items()})


# --- loading -----------------------------------------------------------------------------------------------


def _stamps(epochs: np.ndarray, pg: bool) -> list[str]:
    values = np.datetime_as_string((epochs * 1e6).astype("datetime64[us]"), unit="us")
    return [v.replace("T", " ") + ("+00" if pg else "") for v in values.tolist()]


def _rows(y: Year, lo: int, hi: int, pg: bool) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]],
                                                        list[tuple[Any, ...]]]:
    stamps = _stamps(y.epoch[lo:hi], pg)
    now = stamps[0]
    yes, no = ("t", "f") if pg else (1, 0)
    metric_lists = {k: [None if v < 0 else v for v in arr[lo:hi].tolist()] for k, arr in y.metrics.items()}
    posts, analyses, labels = [], [], []
    for i in range(hi - lo):
        g = lo + i
        post_id = g + 1
        platform = str(PLATFORMS[y.platform[g]])
        own = bool(y.own[g])
        ext = f"b{y.label[g]}"
        author = "ministry" if own else f"c{y.author[g]}"
        reply_to = int(y.reply_to[g])
        posts.append((
            post_id, platform, ext, y.kind[g], ACCOUNTS[platform], author, author,
            f"Publicación sintética {ext} sobre {y.topic[g] or 'varios'} #MinTIC", "es", stamps[i],
            f"https://example.invalid/{platform}/{ext}", f"b{reply_to}" if reply_to >= 0 else None,
            f"b{y.conversation[g]}", yes if own else no,
            *(metric_lists[m][i] for m in ("likes", "reposts", "replies", "quotes", "bookmarks", "impressions",
                                           "reactions", "comments", "shares", "saves", "views", "reach")),
            '{"synthetic": true}', now, now,
        ))
        topic, flag = y.topic[g], y.flag[g]
        analyses.append((post_id, "es", y.sentiment[g], 0.0, y.category[g],
                         f'["{topic}"]' if topic else "[]", f'["{flag}"]' if flag else "[]", "[]", "bench", now))
        if topic:
            labels.append((post_id, "topic", topic))
        if flag:
            labels.append((post_id, "flag", flag))
    return posts, analyses, labels


def author_rows(y: Year, year: int, pg: bool) -> list[tuple[Any, ...]]:
    """A public profile for most (platform, citizen) pairs that post, with a segment and followers."""
    rng = np.random.default_rng(SEED + 1)
    citizen = y.author >= 0
    pairs = np.unique(y.platform[citizen].astype(np.int64) * 10_000_000 + y.author[citizen])
    pairs = pairs[rng.random(pairs.size) < PROFILED_SHARE]
    segments = rng.choice(list(SEGMENT_SHARE), size=pairs.size, p=list(SEGMENT_SHARE.values()))
    followers = rng.lognormal(np.log(300), 2.0, size=pairs.size).astype(np.int64)
    stamp = _stamps(np.array([datetime(year, 1, 1, tzinfo=UTC).timestamp()]), pg)[0]
    rows = []
    for i, (pair, segment, fans) in enumerate(zip(pairs.tolist(), segments.tolist(), followers.tolist(),
                                                 strict=True)):
        platform, number = str(PLATFORMS[pair // 10_000_000]), pair % 10_000_000
        boost = 200 if segment in ("medios_periodistas", "influenciadores") else 1
        rows.append((i + 1, platform, f"c{number}", f"c{number}", f"Autor sintético {number}", "perfil sintético",
                     None, int(fans * boost), 150, 1000, f"https://example.invalid/{platform}/c{number}", stamp,
                     stamp, stamp, segment, f"bench:{segment}"))
    return rows


def snapshot_rows(year: int, pg: bool) -> list[tuple[Any, ...]]:
    """One follower count per ministry account and day of the year, growing a little each day."""
    rng = np.random.default_rng(SEED + 2)
    rows = []
    first = date(year, 1, 1)
    for platform, account in ACCOUNTS.items():
        fans = FOLLOWERS_START[platform]
        for d in range((date(year + 1, 1, 1) - first).days):
            day = first + timedelta(days=d)
            fans += int(rng.normal(fans * 0.0004, fans * 0.0002))
            taken = _stamps(np.array([datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp()]), pg)[0]
            rows.append((len(rows) + 1, platform, account, day.isoformat(), fans, 300, 20_000 + d, taken))
    return rows


SECONDARY = {"posts": [ix for ix in PostRow.__table__.indexes], "analyses": list(AnalysisRow.__table__.indexes)}


def year_of(y: Year) -> int:
    return datetime.fromtimestamp(float(np.median(y.epoch)), UTC).year


def load(engine: Engine, y: Year) -> None:
    pg = engine.dialect.name == "postgresql"
    for indexes in SECONDARY.values():
        for ix in indexes:
            ix.drop(engine, checkfirst=True)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if not pg:
            cur.execute("PRAGMA synchronous=OFF")
        for lo in range(0, y.size, CHUNK):
            hi = min(lo + CHUNK, y.size)
            posts, analyses, labels = _rows(y, lo, hi, pg)
            for table, columns, rows in (("posts", POST_COLUMNS, posts), ("analyses", ANALYSIS_COLUMNS, analyses),
                                         ("post_labels", ("post_id", "kind", "value"), labels)):
                if pg:
                    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    marks = ", ".join("?" * len(columns))
                    cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
            raw.commit()
            print(f"  loaded {hi:,} / {y.size:,} posts", end="\r", flush=True)
        print()
        for table, columns, rows in (("authors", AUTHOR_COLUMNS, author_rows(y, year_of(y), pg)),
                                     ("account_snapshots", SNAPSHOT_COLUMNS, snapshot_rows(year_of(y), pg))):
            if pg:
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                                rows)
            raw.commit()
        if pg:
            for table in ("posts", "authors", "account_snapshots"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            raw.commit()
    finally:
        raw.close()
    for indexes in SECONDARY.values():
        for ix in indexes:
            ix.create(engine)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


# --- engines -----------------------------------------------------------------------------------------------


def make_engine(url: str | None, fresh: bool) -> Engine:
    if url and make_url_backend(url) == "postgresql":
        base = db.normalise_url(url)
        admin = create_engine(base)
        with admin.begin() as conn:
            if fresh:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{PG_SCHEMA}"'))
        admin.dispose()
        engine = create_engine(base, connect_args={"options": f"-csearch_path={PG_SCHEMA}"})
    else:
        path = Path(url.removeprefix("sqlite:///")) if url else DEFAULT_SQLITE
        if fresh and path.exists():
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        engine = db.create_db_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    return engine


def make_url_backend(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(db.normalise_url(url)).get_backend_name()


def stored_marker(engine: Engine) -> dict[str, Any] | None:
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(PostRow)).scalar() or 0
        first = conn.execute(select(func.min(PostRow.created_at))).scalar()
    return {"posts": int(count), "first": first} if count else None


# --- measurements ------------------------------------------------------------------------------------------


def services_for(engine: Engine, out: Path, now: datetime, pdf: bool) -> Any:
    from bot.config import Secrets, parse_config
    from bot.services import Services

    config = parse_config({"connectors": {"sample": {"enabled": False}},
                           "alerts": {"outbox_file": str(out / "outbox.jsonl"), "console": False},
                           "report": {"out_dir": str(out), "pdf": pdf}})
    return Services(config=config, secrets=Secrets(), engine=engine, connectors={}, analyzer=None,  # type: ignore[arg-type]
                    clock=ManualClock(now), sinks={}, spike_keys=[])


def weekly(engine: Engine, label: str, out: Path, pdf: bool) -> tuple[float, dict[str, float], int]:
    svc = services_for(engine, out, datetime.now(UTC), pdf)
    period = week_period(label, svc.config.tz)
    svc.clock.set(period.end.astimezone(UTC) + timedelta(hours=8))  # the Monday job, 08:00 Bogotá
    started = time.perf_counter()
    built = build_files(svc, period, out / label)
    return time.perf_counter() - started, built.seconds, built.report.current.posts


def whole_year(engine: Engine, year: int) -> tuple[float, int]:
    svc = services_for(engine, Path(tempfile.gettempdir()), datetime.now(UTC), False)
    period = days_period(date(year, 1, 1), date(year, 12, 31), svc.config.tz, label=str(year))
    as_of = period.end.astimezone(UTC) + timedelta(days=3)
    started = time.perf_counter()
    with UnitOfWork(engine) as uow:
        report = build_report(uow.session, period, as_of, business_calendar(svc.config))
        report_tables(report)
    return time.perf_counter() - started, report.current.posts


def baseline_week(engine: Engine, label: str, tz: Any) -> tuple[float, float, int]:
    """Naive Python counting of one week (ORM objects) vs the SQL aggregation, same figures checked equal."""
    period = week_period(label, tz)
    ranges = period.day_ranges()
    started = time.perf_counter()
    counts: Counter[tuple[Any, ...]] = Counter()
    interactions = 0
    with UnitOfWork(engine) as uow:
        rows = uow.session.execute(
            select(PostRow, AnalysisRow.sentiment, AnalysisRow.category)
            .outerjoin(AnalysisRow, AnalysisRow.post_id == PostRow.id)
            .where(PostRow.created_at >= period.utc_start, PostRow.created_at < period.utc_end))
        for post, sentiment, category in rows:
            day = next(i for i, (s, e) in enumerate(ranges) if s <= post.created_at < e)
            counts[(day, post.platform, post.is_own, post.kind, sentiment, category)] += 1
            if post.is_own:
                interactions += sum(getattr(post, m) or 0 for m in q.INTERACTION_METRICS)
    naive = time.perf_counter() - started
    started = time.perf_counter()
    with UnitOfWork(engine) as uow:
        activity = q.activity_by_day(uow.session, ranges)
    sql = time.perf_counter() - started
    assert sum(r.posts for r in activity) == sum(counts.values())
    assert sum(r.interactions for r in activity if r.is_own) == interactions
    return naive, sql, sum(counts.values())


def sample_week(pdf: bool) -> float:
    from tests.reports.sample_data import load_sample_week

    tmp = Path(tempfile.mkdtemp(prefix="vigia-bench-sample-"))
    try:
        engine = db.create_db_engine(f"sqlite:///{tmp / 'sample.db'}")
        db.upgrade(engine)
        load_sample_week(engine)
        seconds, _, _ = weekly(engine, "2026-W47", tmp, pdf)
        engine.dispose()
        return seconds
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def last_full_week(year: int) -> str:
    day = date(year, 12, 31)
    while day.isoweekday() != 7:
        day -= timedelta(days=1)
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5_000_000)
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--database-url", help="default: SQLite at var/bench/report_year.db")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database with the same size")
    parser.add_argument("--pdf", action="store_true", help="also print the weekly report to PDF (Chromium)")
    parser.add_argument("--skip-year", action="store_true", help="skip the whole-year indicators")
    args = parser.parse_args(argv)

    backend = make_url_backend(args.database_url) if args.database_url else "sqlite"
    print(f"Vigía report benchmark — {backend}, {args.posts:,} synthetic posts over {args.year}")
    engine = make_engine(args.database_url, fresh=False)
    marker = stored_marker(engine)
    expected_first = datetime(args.year, 1, 1, tzinfo=UTC)
    reuse = (args.reuse and marker is not None and marker["posts"] == args.posts
             and abs((marker["first"] - expected_first).days) <= 1)
    if reuse:
        print(f"seeding: reused the stored year ({marker['posts']:,} posts)")  # type: ignore[index]
    else:
        engine.dispose()
        engine = make_engine(args.database_url, fresh=True)
        started = time.perf_counter()
        year = generate_year(args.posts, args.year)
        generated = time.perf_counter() - started
        load(engine, year)
        seeded = time.perf_counter() - started
        print(f"seeding: {year.size:,} posts, {year.size:,} analyses in {seeded:.1f} s "
              f"(generation {generated:.1f} s, load + indexes + ANALYZE {seeded - generated:.1f} s)")

    week = last_full_week(args.year)
    out = Path(tempfile.mkdtemp(prefix="vigia-bench-report-"))
    try:
        seconds, steps, posts = weekly(engine, week, out, args.pdf)
        detail = ", ".join(f"{k} {v:.2f} s" for k, v in steps.items() if k != "total")
        print(f"weekly report {week} ({posts:,} posts in the week): {seconds:.2f} s ({detail}) — target < 60 s: "
              f"{'OK' if seconds < 60 else 'MISSED'}")
        again, _, _ = weekly(engine, week, out, False)
        print(f"weekly report {week}, second run (warm cache, no PDF): {again:.2f} s")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    if not args.skip_year:
        seconds, posts = whole_year(engine, args.year)
        print(f"whole year {args.year} as one period ({posts:,} posts, every indicator and table): {seconds:.2f} s "
              f"— {'under' if seconds < 60 else 'OVER'} 60 s")
    naive, sql, n = baseline_week(engine, week, ZoneInfo("America/Bogota"))
    print(f"baseline, week {week} counted in Python over {n:,} ORM rows: {naive:.2f} s; "
          f"the same counts in SQL: {sql:.2f} s ({naive / max(sql, 1e-9):.0f}x)")
    print(f"sample week 2026-W47 report (4,449 posts, fresh SQLite): {sample_week(args.pdf):.2f} s")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
