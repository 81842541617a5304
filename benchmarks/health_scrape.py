"""What health checks cost: `/healthz`, a `/metrics` scrape and `main.py status`'s read, on SQLite or PostgreSQL.

Seeds a SYNTHETIC operational history (generated here, no real data): `--alerts` delivered outbox rows
(months of alerts on every sink) plus `--backlog` undelivered ones, `--streams` stream bookmarks, open
problems, failing lanes, weekly report runs and `run_nodes` rows; then times, in one run:

- the baselines: one `SELECT 1` round trip on a pooled connection, and a static file through the same app
  (the framework's own cost per request, no database);
- `GET /healthz` through the real app (FastAPI TestClient, no network);
- `GET /metrics` with the bearer token (the process counters plus every database gauge);
- `bot.health.check` alone (what `main.py status` reads, without starting Python and importing the app).

    python benchmarks/health_scrape.py                                    # SQLite file under var/bench/
    python benchmarks/health_scrape.py --alerts 200000
    python benchmarks/health_scrape.py --database-url postgresql+psycopg://root@127.0.0.1:5432/bench
"""

from __future__ import annotations

import argparse
import statistics
import sys
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, insert, text
from sqlalchemy.orm import Session

from benchmarks.fresh_db import fresh_engine
from benchmarks.inbox import p95
from benchmarks.inbox import timed as inbox_timed
from bot.config import Config
from bot.health import check
from bot.web.app import create_app, fast_passwords
from storage.models import AlertRow, CursorRow, DeliveryLaneRow, OpsProblemRow, ReportRunRow
from storage.run_nodes import RunNodeRepository

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

TOKEN = "bench-token-0123456789abcdef"


def seed(engine: Engine, alerts: int, backlog: int, streams: int) -> None:
    now = datetime.now(UTC)
    sinks = ("console", "file", "slack")
    rows = []
    for n in range(alerts + backlog):
        created = now - timedelta(minutes=n % (180 * 24 * 60))
        sent = n >= backlog
        rows.append({"key": f"incident:{n}:open", "sink": sinks[n % 3], "kind": "spike", "severity": "aviso",
                     "channel": "alerts", "title": "Pico de menciones", "body": "sintético", "details": {},
                     "created_at": created, "attempts": 1, "sent_at": created if sent else None,
                     "last_error": None if sent else "SlackApiError: ratelimited"})
        if len(rows) == 5000:
            with engine.begin() as conn:
                conn.execute(insert(AlertRow), rows)
            rows = []
    with engine.begin() as conn:
        if rows:
            conn.execute(insert(AlertRow), rows)
        conn.execute(insert(CursorRow), [{"stream": f"x:mentions:cuenta{n}", "value": "k", "updated_at": now}
                                         for n in range(streams)])
    with Session(engine) as s:
        s.add(OpsProblemRow(key="rate_limit:x:mentions", message="sintético", fatal=False, opened_at=now,
                            last_seen_at=now, failures=1, paused_until=now + timedelta(minutes=5), attempts=1,
                            last_stream="x:mentions:cuenta0"))
        s.add(DeliveryLaneRow(sink="slack", channel="alerts", failures=3, down_since=now, retry_at=now,
                              last_error="ratelimited"))
        for week in range(1, 49):
            s.add(ReportRunRow(week=f"2026-W{week:02d}", built_at=now - timedelta(weeks=49 - week), files=[],
                               summary={}))
        for n, role in enumerate(("leader", "standby", "standby")):
            RunNodeRepository(s).heartbeat(f"node{n}", hostname=f"host{n}", pid=100 + n, role=role, started_at=now,
                                           now=now, leader_since=now if role == "leader" else None,
                                           epoch=1 if role == "leader" else None, version="bench")
        s.commit()


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and p95 in ms of `repeat` calls after a warm-up (benchmarks/inbox.py's timing)."""
    values = inbox_timed(fn, repeat)
    return statistics.median(values), p95(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="default: a SQLite file under var/bench/")
    parser.add_argument("--alerts", type=int, default=50_000, help="delivered outbox rows (default 50000)")
    parser.add_argument("--backlog", type=int, default=200, help="undelivered outbox rows (default 200)")
    parser.add_argument("--streams", type=int, default=30, help="stream bookmarks (default 30)")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    engine = fresh_engine(args.database_url or None, "health")
    print(f"{engine.dialect.name}: seeding {args.alerts} delivered + {args.backlog} undelivered alerts (SYNTHETIC), "
          f"{args.streams} streams ...", flush=True)
    seed(engine, args.alerts, args.backlog, args.streams)
    config = Config()
    app = create_app(config, engine, passwords=fast_passwords(), tune=False, metrics_token=TOKEN)
    headers = {"Authorization": f"Bearer {TOKEN}"}

    def select_one() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        scrape = client.get("/metrics", headers=headers)
        assert scrape.status_code == 200 and b"vigia_outbox_backlog" in scrape.content
        results = {
            "baseline: SELECT 1": timed(select_one, args.repeat),
            "baseline: GET /static/app.css": timed(lambda: client.get("/static/app.css"), args.repeat),
            "GET /healthz": timed(lambda: client.get("/healthz"), args.repeat),
            "GET /metrics": timed(lambda: client.get("/metrics", headers=headers), args.repeat),
            "health.check (status's read)": timed(lambda: check(config, engine, "bench"), max(20, args.repeat // 10)),
        }
    print(f"{'what':32} {'p50 ms':>8} {'p95 ms':>8}")
    for name, (p50, top) in results.items():
        print(f"{name:32} {p50:8.2f} {top:8.2f}")
    print(f"/metrics body: {len(scrape.content)} bytes, {scrape.text.count(chr(10))} lines")


if __name__ == "__main__":
    main()
