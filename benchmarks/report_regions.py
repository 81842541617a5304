"""Regions benchmark: the report's per-department pass (storage/region_indicators.py) on a synthetic year.

    .venv/bin/python benchmarks/report_regions.py [--posts 1000000] [--database-url URL] [--reuse] [--runs 3]

Seeds the synthetic year of benchmarks/report_year.py (its own SQLite file var/bench/report_regions.db, or
the PostgreSQL schema `vigia_bench_regions`, never the report benchmark's), then places PLACED_SHARE of the
citizen posts in a department (a municipality for two thirds of them; evidence text / profile / geo), with
departments drawn by a fixed, population-like weighting. All of it is synthetic, made by this script.

Prints, measured in this run, alternating, `--runs` times each (median and range):
- `region_activity` for the year's last full week and for the whole year as one period;
- the baseline in the same run: the report's existing segment pass (`audience_indicators.segment_activity`),
  one grouped pass over the same citizen posts joined to their analyses, the closest comparable query;
- for the week, a naive count in Python over ORM rows, with the same totals checked equal.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, bindparam, func, select, text, update

import benchmarks.report_year as ry
from analyzers.places import load_gazetteer
from bot.reports.model import days_period, week_period
from storage import audience_indicators as aq
from storage import region_indicators as rq
from storage.models import AnalysisRow, PostRow
from storage.unit_of_work import UnitOfWork

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE = REPO / "var" / "bench" / "report_regions.db"
PG_SCHEMA = "vigia_bench_regions"
PLACED_SHARE = 0.14  # of the citizen posts
SEED = 20261203
# Rough weights (people, talk volume) of a few big departments; every other department weighs 1.
WEIGHT = {"11": 16, "05": 13, "76": 9, "08": 5, "68": 4, "13": 4, "25": 6, "54": 3, "17": 2, "66": 2, "73": 2,
          "19": 3, "52": 3, "27": 2}
CHUNK = 20_000


def place_posts(engine: Engine) -> int:
    """Write synthetic places into PLACED_SHARE of the citizen posts' analyses; returns how many."""
    gaz = load_gazetteer()
    codes = sorted(gaz.departments)
    weights = np.array([WEIGHT.get(c, 1) for c in codes], dtype=float)
    towns = {c: sorted(m.code for m in gaz.in_department(c)) for c in codes}
    with UnitOfWork(engine) as uow:
        ids = np.array(uow.session.scalars(select(PostRow.id).where(PostRow.is_own.is_(False))
                                           .order_by(PostRow.id)).all())
    rng = np.random.default_rng(SEED)
    chosen = ids[rng.random(ids.size) < PLACED_SHARE]
    dpto = rng.choice(len(codes), size=chosen.size, p=weights / weights.sum())
    with_town = rng.random(chosen.size) < 2 / 3
    evidence = rng.choice(["text", "profile", "geo"], size=chosen.size, p=[0.6, 0.35, 0.05])
    rows = []
    for pid, d, t, e in zip(chosen.tolist(), dpto.tolist(), with_town.tolist(), evidence.tolist(), strict=True):
        code = codes[d]
        mpio = towns[code][pid % len(towns[code])] if t else None
        rows.append({"pid": pid, "dpto": code, "mpio": mpio, "ev": e})
    stmt = (update(AnalysisRow.__table__).where(AnalysisRow.__table__.c.post_id == bindparam("pid"))
            .values(place_dpto=bindparam("dpto"), place_mpio=bindparam("mpio"), place_evidence=bindparam("ev")))
    with engine.begin() as conn:
        conn.execute(text("UPDATE analyses SET place_dpto = NULL, place_mpio = NULL, place_evidence = NULL "
                          "WHERE place_dpto IS NOT NULL"))
        for i in range(0, len(rows), CHUNK):
            conn.execute(stmt, rows[i:i + CHUNK])
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE analyses"))
    return len(rows)


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def naive_week(engine: Engine, start: datetime, end: datetime) -> tuple[int, int, Counter[str]]:
    """The week's citizen posts through the ORM, counted in Python: (citizen posts, placed, per department)."""
    per: Counter[str] = Counter()
    total = 0
    with UnitOfWork(engine) as uow:
        rows = uow.session.execute(select(PostRow, AnalysisRow)
                                   .outerjoin(AnalysisRow, AnalysisRow.post_id == PostRow.id)
                                   .where(PostRow.created_at >= start, PostRow.created_at < end,
                                          PostRow.is_own.is_(False)))
        for _post, analysis in rows:
            total += 1
            if analysis is not None and analysis.place_dpto is not None:
                per[analysis.place_dpto] += 1
    return total, sum(per.values()), per


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):.3f} s (range {min(values):.3f}-{max(values):.3f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--database-url", help="default: SQLite at var/bench/report_regions.db")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded and placed database")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)

    ry.PG_SCHEMA = PG_SCHEMA  # never the report benchmark's schema
    url = args.database_url or f"sqlite:///{DEFAULT_SQLITE}"
    DEFAULT_SQLITE.parent.mkdir(parents=True, exist_ok=True)
    backend = ry.make_url_backend(url)
    print(f"Vigía regions benchmark — {backend}, {args.posts:,} synthetic posts over {args.year}")
    engine = ry.make_engine(url, fresh=False)
    marker = ry.stored_marker(engine)
    with UnitOfWork(engine) as uow:
        placed_now = uow.session.scalar(select(func.count()).select_from(AnalysisRow)
                                        .where(AnalysisRow.place_dpto.is_not(None))) if marker else 0
    if args.reuse and marker is not None and marker["posts"] == args.posts and placed_now:
        print(f"seeding: reused the stored year ({marker['posts']:,} posts, {placed_now:,} placed)")
    else:
        engine.dispose()
        engine = ry.make_engine(url, fresh=True)
        seconds, year = timed(ry.generate_year, args.posts, args.year)
        load_s, _ = timed(ry.load, engine, year)
        place_s, placed = timed(place_posts, engine)
        print(f"seeding: {year.size:,} posts in {seconds + load_s:.1f} s; {placed:,} citizen posts placed "
              f"(synthetic) in {place_s:.1f} s")

    tz = ZoneInfo("America/Bogota")
    week = week_period(ry.last_full_week(args.year), tz)
    whole = days_period(date(args.year, 1, 1), date(args.year, 12, 31), tz, label=str(args.year))
    for name, period in ((f"week {week.label}", week), (f"year {args.year}", whole)):
        start, end = period.utc_start, period.utc_end
        ours, base = [], []
        result: rq.RegionActivity | None = None
        for _ in range(args.runs):
            with UnitOfWork(engine) as uow:
                if backend == "postgresql":
                    uow.session.execute(text("SET LOCAL work_mem = '64MB'"))  # as build_report does
                s, result = timed(rq.region_activity, uow.session, start, end)
                ours.append(s)
                s, _ = timed(aq.segment_activity, uow.session, start, end)
                base.append(s)
        assert result is not None
        print(f"{name}: {result.citizen_posts:,} citizen posts, {result.placed:,} placed in "
              f"{len(result.departments)} departments, {result.unplaced:,} unplaced")
        print(f"  region_activity:               {summary(ours)}")
        print(f"  baseline segment_activity:     {summary(base)}")
        if period is week:
            s, (total, placed, per) = timed(naive_week, engine, start, end)
            assert (total, placed) == (result.citizen_posts, result.placed)
            assert per == Counter({c: d.posts for c, d in result.departments.items()})
            print(f"  naive ORM count in Python:     {s:.3f} s (same totals)")
    engine.dispose()
    print(f"measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    return 0


if __name__ == "__main__":
    sys.exit(main())
