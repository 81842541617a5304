"""Hot standby: takeover time and lost/duplicated work over many SIGKILLs of the leader (PostgreSQL only).

    VIGIA_TEST_DATABASE_URL=postgresql+psycopg://root@127.0.0.1:5432/test \\
        .venv/bin/python benchmarks/standby_takeover.py [--kills 30] [--processes 3] [--seed 7]

Real `python main.py run` processes (default three) share one fresh PostgreSQL schema, with the fake X API
and the fake Slack Web API on 127.0.0.1 (tests/bot/standby_cluster.py, the harness of tests/bot/test_standby.py).
Synthetic citizens' mentions arrive and synthetic alerts are queued in the outbox while the leader is killed
with SIGKILL at a random moment (0.2–4 s after the previous takeover settled), `--kills` times; each killed
process is started again, as systemd's `Restart=always` would, and comes back as a standby. Then the leader
is frozen with SIGSTOP `--freezes` times (a hung process or paused VM: its kernel still answers TCP, so only
the lock session's 10 s idle timeout releases the lock), woken after the takeover, and must exit 3.

Printed:
- takeover time per kill, p50 and max: from the kill to the successor's first poll (its log line), and to
  the moment it took the lock (`leader_epoch.acquired_at`);
- the baseline measured in the same run: a single `run` (no standby) killed and restarted at once, from the
  kill to its first poll: what the standby saves;
- posts served by the fake vs stored, alerts queued vs in Slack: lost and duplicated (target 0 and 0).
The data is synthetic; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from storage import db  # noqa: E402
from tests.bot.standby_cluster import Cluster, schema_url  # noqa: E402


def fresh_schema(url: str) -> tuple[str, object, object]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    db.upgrade(engine)
    return schema, engine, admin


def drop_schema(admin: object, schema: str) -> None:
    with admin.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def baseline(url: str, tmp: Path, restarts: int) -> list[float]:
    """One process, no standby: kill -9 and start again at once; seconds from the kill to its first poll."""
    schema, engine, admin = fresh_schema(url)
    times: list[float] = []
    try:
        with Cluster(tmp, schema_url(url, schema), engine) as cluster:  # type: ignore[arg-type]
            cluster.start_node()
            cluster.leader(timeout=180)
            for _ in range(restarts):
                cluster.mentions(3)
                time.sleep(1.0)
                takeover, epoch = cluster.kill_leader()
                cluster.start_node()
                cluster.measure(takeover, epoch)
                if takeover.first_poll_s is not None:
                    times.append(takeover.first_poll_s)
            cluster.stop_all()
    finally:
        engine.dispose()  # type: ignore[attr-defined]
        drop_schema(admin, schema)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--freezes", type=int, default=5, help="SIGSTOPs of the leader after the kills")
    parser.add_argument("--baseline-restarts", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=os.environ.get("VIGIA_TEST_DATABASE_URL", ""))
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        print("needs PostgreSQL: set VIGIA_TEST_DATABASE_URL or --database-url (SQLite runs one process only)",
              file=sys.stderr)
        return 2
    url = db.normalise_url(args.database_url)
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="vigia-standby-"))
    schema, engine, admin = fresh_schema(url)
    started = time.monotonic()
    freezes: list[object] = []
    frozen_codes: list[int | None] = []
    try:
        with Cluster(tmp / "standby", schema_url(url, schema), engine, rng=rng) as cluster:  # type: ignore[arg-type]
            for _ in range(args.processes):
                cluster.start_node()
            cluster.mentions(10)
            cluster.alerts(3)
            cluster.leader(timeout=180)
            for n in range(args.kills):
                cluster.standbys_ready(1, timeout=180)
                cluster.mentions(rng.randint(1, 8))
                cluster.alerts(rng.randint(0, 2))
                time.sleep(rng.uniform(0.2, 4.0))
                takeover, epoch = cluster.kill_leader()
                cluster.start_node()
                cluster.measure(takeover, epoch)
                print(f"kill {n + 1:>2}/{args.kills}: pid {takeover.killed_pid} (epoch {epoch}) -> pid "
                      f"{takeover.new_pid}: lock {takeover.lock_s or float('nan'):.2f} s, first poll "
                      f"{takeover.first_poll_s or float('nan'):.2f} s", flush=True)
            for n in range(args.freezes):
                cluster.standbys_ready(1, timeout=180)
                cluster.mentions(rng.randint(1, 8))
                cluster.alerts(rng.randint(0, 2))
                time.sleep(rng.uniform(0.2, 4.0))
                node, takeover, epoch = cluster.freeze_leader()
                cluster.measure(takeover, epoch)
                frozen_codes.append(cluster.thaw(node))
                cluster.start_node()
                freezes.append(takeover)
                print(f"freeze {n + 1}/{args.freezes}: pid {takeover.killed_pid} (epoch {epoch}) -> pid "
                      f"{takeover.new_pid}: lock {takeover.lock_s or float('nan'):.2f} s, first poll "
                      f"{takeover.first_poll_s or float('nan'):.2f} s; woken, it exited {frozen_codes[-1]}",
                      flush=True)
            cluster.mentions(5)
            cluster.alerts(2)
            cluster.settle(timeout=120)
            cluster.stop_all()
            figures = cluster.figures()
            takeovers = [t for t in cluster.takeovers if t not in freezes]
            print(f"logs: {cluster.logs}")
    finally:
        engine.dispose()  # type: ignore[attr-defined]
        drop_schema(admin, schema)
    elapsed = time.monotonic() - started
    print("\nbaseline: a single `run`, killed and restarted at once (no standby) ...", flush=True)
    base = baseline(url, tmp / "baseline", args.baseline_restarts)

    polls = [t.first_poll_s for t in takeovers if t.first_poll_s is not None]
    locks = [t.lock_s for t in takeovers if t.lock_s is not None]
    print(f"\nhot standby, {args.processes} processes, {len(takeovers)} SIGKILLs of the leader "
          f"({elapsed:.0f} s; synthetic mentions and alerts)")
    if polls:
        print(f"  takeover, kill -> successor's first poll: p50 {statistics.median(polls):.2f} s, "
              f"p90 {pct(polls, 0.9):.2f} s, max {max(polls):.2f} s ({len(polls)} measured)")
    if locks:
        print(f"  kill -> successor holds the lock:         p50 {statistics.median(locks):.2f} s, "
              f"max {max(locks):.2f} s")
    frozen = [t.first_poll_s for t in freezes if t.first_poll_s is not None]  # type: ignore[attr-defined]
    if frozen:
        print(f"  frozen leader (SIGSTOP), freeze -> successor's first poll: p50 {statistics.median(frozen):.2f} s, "
              f"max {max(frozen):.2f} s ({len(frozen)} freezes); exit codes once woken: {frozen_codes}")
    if base:
        print(f"  baseline, single process restarted at once: kill -> first poll p50 "
              f"{statistics.median(base):.2f} s, max {max(base):.2f} s ({len(base)} restarts)")
    print(f"  posts: served {figures['posts_served']}, stored {figures['posts_stored']}, lost "
          f"{figures['posts_lost']}, duplicated {figures['posts_duplicated']}, unexpected "
          f"{figures['posts_unexpected']}")
    print(f"  Slack: queued {figures['alerts_queued']}, delivered {figures['alerts_delivered']}, lost "
          f"{figures['alerts_lost']}, duplicated {figures['alerts_duplicated']}, unknown {figures['alerts_unknown']}")
    bad = figures["posts_lost"] + figures["posts_duplicated"] + figures["alerts_lost"] + figures["alerts_duplicated"]
    return 1 if bad or len(polls) < len(takeovers) or any(c != 3 for c in frozen_codes) else 0


if __name__ == "__main__":
    raise SystemExit(main())
