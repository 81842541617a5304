"""Facebook and Instagram connector efficiency: HTTP requests per poll against the minimum, and a quiet poll.

    .venv/bin/python benchmarks/graph_api_efficiency.py [--quick]

Everything runs against the local fake Graph API (tests/fakes/graph_api.py) on 127.0.0.1 through the real
client and connectors; nothing leaves the machine.

1. Comments. A page has 30 posts in the comment look-back window (an Instagram account 30 media), each with
   history already collected. N new comments arrive, spread over some posts, and one poll collects them. Its
   HTTP requests are counted against the minimum an oracle needs that knows where the new comments are but
   still has to ask: 1 listing + for each paging round r, ceil(m_r / 50) batch calls, where m_r is the number
   of posts with at least r pages of new comments (pages of 100 on Facebook, 50 on Instagram; a batch holds
   50 requests, and page r+1 needs page r's cursor). Every new comment must be stored exactly once.
   Baseline, measured in the same run on the same data: the straightforward poller (list the posts, then for
   every post page its comments newest first, 25 per page by default, down to the bookmark).
2. A quiet poll (nothing new) of every stream, ours against the baseline's.
3. Authors and follower snapshots (issue 15). The same polls of every stream, on the same data, by the connector
   as it is ("after") and by the same connector with authors and the daily snapshot switched off ("before":
   what it asked until then): requests per stream must be equal except for the snapshot, which costs at most
   one light request per account per Bogotá day (none when the one-time id lookup carried the counts). Authors
   are counted to show they come from the pages already read.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import ManualClock
from connectors.facebook import build_facebook_connector
from connectors.graph_client import GraphClient
from connectors.instagram import build_instagram_connector
from connectors.meta_base import DailySnapshot
from connectors.meta_paging import parse_time
from tests.fakes.graph_api import APP_SECRET, TOKEN, FakeGraphAPI, run_poll

NOW = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
PAGE, PAGE_ID, USER, IG_ID = "MinTICColombia", "1001", "mintic_colombia", "17841400000000001"
OBJECTS = 30
HISTORY = 40  # comments each object already has
TEXTS = ["Llevo 3 días sin internet en el Centro Digital", "¿Cuándo abren la convocatoria Talento TI?",
         "Gracias MinTIC por la ayuda", "Denuncio una estafa que usa el nombre del ministerio",
         "La Zona Wi-Fi del parque no funciona", "¿Dónde consulto el estado de mi trámite?"]
# (new comments, over how many objects)
CASES = [(0, 0), (1, 1), (10, 3), (100, 10), (250, 1), (1000, 20), (3000, 1), (5000, 30)]
QUICK_CASES = [(0, 0), (1, 1), (100, 10), (1000, 20)]


@dataclass
class Platform:
    name: str
    page_max: int  # largest page the edge serves
    stream: str

    def objects(self, fake: FakeGraphAPI) -> list[str]:
        if self.name == "facebook":
            return [fake.add_post(PAGE_ID, NOW - timedelta(hours=2 + i), f"Publicación {i}") for i in range(OBJECTS)]
        return [fake.add_media(IG_ID, NOW - timedelta(hours=2 + i), f"Publicación {i}") for i in range(OBJECTS)]

    def comment(self, fake: FakeGraphAPI, obj: str, at: datetime, text: str) -> str:
        if self.name == "facebook":
            return fake.add_comment(obj, at, text)
        return fake.add_ig_comment(obj, at, text)


FACEBOOK = Platform("facebook", 100, f"facebook:comments:{PAGE}")
INSTAGRAM = Platform("instagram", 50, f"instagram:comments:{USER}")


def new_fake() -> FakeGraphAPI:
    fake = FakeGraphAPI(app_secret=APP_SECRET).start()
    fake.add_page("MinTIC Colombia", PAGE, page_id=PAGE_ID)
    fake.add_ig_user(USER, page_id=PAGE_ID, ig_id=IG_ID)
    return fake


def connector(fake: FakeGraphAPI, platform: str, clock: ManualClock):
    settings = {"api_base_url": fake.base_url, "page_ids": {PAGE: PAGE_ID}, "instagram_user_ids": {USER: IG_ID},
                "backfill_hours": 24 * 7, "timeout_seconds": 60}  # request counts, not speed: a busy machine is fine
    build = build_facebook_connector if platform == "facebook" else build_instagram_connector
    account = PAGE if platform == "facebook" else USER
    return build(settings, [account], TOKEN, APP_SECRET, clock, sleep=lambda _s: None)


class NaivePoller:
    """The baseline: every recent object's comments, newest first at the default page size, to the bookmark."""

    def __init__(self, fake: FakeGraphAPI, platform: Platform):
        self.client = GraphClient(TOKEN, base_url=fake.base_url, app_secret=APP_SECRET, sleep=lambda _s: None)
        self.platform = platform
        self.marks: dict[str, datetime] = {}

    def poll(self) -> set[str]:
        seen: set[str] = set()
        if self.platform.name == "facebook":
            pages = self.client.pages(f"{PAGE_ID}/posts", fields="id,created_time",
                                      params={"since": int((NOW - timedelta(days=7)).timestamp())})
            time_field, params = "created_time", {"filter": "stream", "order": "reverse_chronological",
                                                  "fields": "id,message,created_time,from,parent{id}"}
        else:
            pages = self.client.pages(f"{IG_ID}/media", fields="id,timestamp")
            time_field, params = "timestamp", {"fields": "id,text,timestamp,username,replies{id,text,timestamp}"}
        for obj in [item for page in pages for item in page.data]:
            mark = self.marks.get(obj["id"])
            page = self.client.get_page(f"{obj['id']}/comments", params=params)
            newest = mark
            while page is not None:
                reached = False
                for item in page.data:
                    at = parse_time(item[time_field])
                    if mark is not None and at <= mark:
                        reached = True
                        break
                    seen.add(item["id"])
                    newest = max(newest or at, at)
                page = None if reached else self.client.next_page(page)
            if newest is not None:
                self.marks[obj["id"]] = newest
        return seen


def oracle_minimum(per_object: list[int], page_max: int) -> int:
    rounds = max((math.ceil(n / page_max) for n in per_object), default=0)
    return 1 + sum(math.ceil(sum(1 for n in per_object if math.ceil(n / page_max) >= r) / 50)
                   for r in range(1, rounds + 1))


def spread(total: int, over: int, rng: random.Random) -> list[int]:
    if total == 0:
        return []
    counts = [total // over] * over
    for i in range(total % over):
        counts[i] += 1
    rng.shuffle(counts)
    return counts


def comments_case(platform: Platform, total: int, over: int, rng: random.Random) -> dict[str, object]:
    fake = new_fake()
    try:
        clock = ManualClock(NOW)
        objects = platform.objects(fake)
        for obj in objects:
            for i in range(HISTORY):
                platform.comment(fake, obj, NOW - timedelta(hours=1, minutes=59 - i), rng.choice(TEXTS))
        ours = connector(fake, platform.name, clock)
        naive = NaivePoller(fake, platform)
        fake.clear_log()
        backfill = run_poll(ours, platform.stream)
        backfill_requests = len(fake.http_requests())
        fake.clear_log()
        naive.poll()
        naive_backfill = len(fake.http_requests())
        counts = spread(total, over, rng)
        new_ids: set[str] = set()
        for obj, n in zip(rng.sample(objects, len(counts)), counts, strict=True):
            for i in range(n):
                at = NOW - timedelta(minutes=50) + timedelta(seconds=i * 2400 / max(n, 1))
                new_ids.add(platform.comment(fake, obj, at, rng.choice(TEXTS)))
        clock.advance(timedelta(minutes=5))
        fake.clear_log()
        result = run_poll(ours, platform.stream, backfill.cursor)
        our_requests = len(fake.http_requests())
        if result.error is not None or len(result.ids) != len(set(result.ids)) or set(result.ids) != new_ids:
            raise SystemExit(f"{platform.name} N={total}: collected {len(result.ids)} of {len(new_ids)} "
                             f"(error: {result.error})")
        fake.clear_log()
        naive_seen = naive.poll()
        naive_requests = len(fake.http_requests())
        assert naive_seen == new_ids, "the baseline must collect the same comments"
        return {"requests": our_requests, "minimum": oracle_minimum(counts, platform.page_max),
                "naive": naive_requests, "items": len(new_ids), "backfill": backfill_requests,
                "backfill_items": len(backfill.ids), "naive_backfill": naive_backfill,
                "backfill_minimum": oracle_minimum([HISTORY] * OBJECTS, platform.page_max)}
    finally:
        fake.stop()


def quiet_cycle() -> list[tuple[str, int, int | str]]:
    """Requests of one poll of every stream when nothing changed (after a backfill), ours and the baseline's."""
    fake = new_fake()
    try:
        clock = ManualClock(NOW)
        rng = random.Random(7)
        for platform in (FACEBOOK, INSTAGRAM):
            for obj in platform.objects(fake):
                for i in range(HISTORY):
                    platform.comment(fake, obj, NOW - timedelta(hours=1, minutes=59 - i), rng.choice(TEXTS))
        fake.add_post(PAGE_ID, NOW - timedelta(hours=3), "Sin señal @MinTIC", kind="tagged")
        fake.add_media(None, NOW - timedelta(hours=3), "Con @mintic_colombia", owner_username="v", tagged=[IG_ID])
        rows: list[tuple[str, int, int | str]] = []
        naive = {"facebook": NaivePoller(fake, FACEBOOK), "instagram": NaivePoller(fake, INSTAGRAM)}
        for name in ("facebook", "instagram"):
            conn = connector(fake, name, clock)
            cursors = {s: run_poll(conn, s).cursor for s in conn.streams()}
            naive[name].poll()
            clock.advance(timedelta(minutes=5))
            for stream in conn.streams():
                fake.clear_log()
                run_poll(conn, stream, cursors[stream])
                baseline: int | str = "-"
                if ":comments:" in stream:
                    fake.clear_log()
                    naive[name].poll()
                    baseline = len(fake.http_requests())
                    fake.clear_log()
                    run_poll(conn, stream, cursors[stream])
                rows.append((stream, len(fake.http_requests()), baseline))
        return rows
    finally:
        fake.stop()


def without_profiles(conn):
    """The connector as it was before issue 15: no authors, no daily snapshot (same requests otherwise)."""
    conn._author_of = lambda post, seen_at: None
    conn._daily_snapshot = lambda stream, account, state: DailySnapshot()
    return conn


def profiles_cycle() -> list[tuple[str, str, int, int, int, int]]:
    """(stream, phase, requests before, requests after, authors, snapshots) for a first poll, a later poll the
    same day and the first poll of the next day, with 150 posts (2 pages) and 30 x 40 comments by 400 people."""
    rows: list[tuple[str, str, int, int, int, int]] = []
    for configured in (True, False):
        fakes = [new_fake(), new_fake()]  # identical data: one for "before", one for "after"
        try:
            conns = []
            for fake, wrap in zip(fakes, (without_profiles, lambda c: c), strict=True):
                rng = random.Random(11)
                for platform in (FACEBOOK, INSTAGRAM):
                    for obj in platform.objects(fake):
                        for i in range(HISTORY):
                            at = NOW - timedelta(hours=1, minutes=59 - i)
                            if platform is FACEBOOK:
                                fake.add_comment(obj, at, rng.choice(TEXTS), author=(f"7{i % 20:03d}{obj[-2:]}",
                                                                                     f"Persona {i}"))
                            else:
                                fake.add_ig_comment(obj, at, rng.choice(TEXTS), username=f"persona_{i}_{obj[-2:]}",
                                                    user_id=f"6{i:03d}{obj[-2:]}")
                for i in range(120):  # older own posts/media: the posts streams read 150 items (2 pages)
                    fake.add_post(PAGE_ID, NOW - timedelta(hours=40 + i), f"Anterior {i}")
                    fake.add_media(IG_ID, NOW - timedelta(hours=40 + i), f"Anterior {i}")
                fake.add_post(PAGE_ID, NOW - timedelta(hours=3), "Gracias @MinTIC", kind="tagged",
                              author=("2002", "Alcaldía"), author_is_page=True)
                fake.add_media(None, NOW - timedelta(hours=3), "Con @mintic_colombia", owner_username="v",
                               tagged=[IG_ID])
                clock = ManualClock(NOW)
                settings = {"api_base_url": fake.base_url, "backfill_hours": 24 * 7, "metrics_refresh_days": 7}
                if configured:
                    settings |= {"page_ids": {PAGE: PAGE_ID}, "instagram_user_ids": {USER: IG_ID}}
                fb = build_facebook_connector(settings, [PAGE], TOKEN, APP_SECRET, clock, sleep=lambda _s: None)
                ig = build_instagram_connector(settings, [USER], TOKEN, APP_SECRET, clock, sleep=lambda _s: None)
                conns.append((fake, clock, [wrap(fb), wrap(ig)]))
            cursors: list[dict[str, str | None]] = [{}, {}]
            for phase, step in (("first poll", timedelta(0)), ("same day", timedelta(minutes=5)),
                                ("next day", timedelta(hours=14))):
                per_stream: dict[str, list[int]] = {}
                for side, (fake, clock, connectors) in enumerate(conns):
                    clock.advance(step)
                    for conn in connectors:
                        for stream in conn.streams():
                            if stream.endswith(":token"):
                                continue
                            fake.clear_log()
                            batches = list(conn.poll(stream, cursors[side].get(stream)))
                            if batches:
                                cursors[side][stream] = batches[-1].cursor
                            per_stream.setdefault(stream, []).extend(
                                [len(fake.http_requests()), sum(len(b.authors) for b in batches),
                                 sum(len(b.snapshots) for b in batches)])
                for stream, (before, _a0, _s0, after, authors, snaps) in per_stream.items():
                    label = phase if configured else f"{phase} (ids looked up)"
                    rows.append((stream, label, before, after, authors, snaps))
        finally:
            for fake in fakes:
                fake.stop()
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer cases (for CI)")
    args = parser.parse_args(argv)
    cases = QUICK_CASES if args.quick else CASES
    print("1. One poll of the comments stream after N new comments "
          f"({OBJECTS} recent posts/media with {HISTORY} comments each already collected)")
    header = f"{'platform':<10}{'new':>6}{'spread':>7}{'ours':>7}{'min':>6}{'ratio':>7}{'req/new':>9}{'baseline':>10}"
    print(header)
    worst = 0.0
    run: Callable[[Platform, int, int, random.Random], dict[str, object]] = comments_case
    backfills: list[str] = []
    for platform in (FACEBOOK, INSTAGRAM):
        for total, over in cases:
            row = run(platform, total, over, random.Random(total * 31 + over))
            if total == 0:
                backfills.append(f"{platform.name:<10}{int(row['backfill_items']):>6}{int(row['backfill']):>7}"
                                 f"{int(row['backfill_minimum']):>6}{int(row['naive_backfill']):>10}")
            ours, minimum, naive, items = (int(row[k]) for k in ("requests", "minimum", "naive", "items"))
            ratio = ours / minimum
            worst = max(worst, ratio)
            per_item = f"{ours / items:.3f}" if items else "-"
            print(f"{platform.name:<10}{total:>6}{over:>7}{ours:>7}{minimum:>6}{ratio:>7.2f}{per_item:>9}{naive:>10}")
    print(f"worst ratio to the minimum: {worst:.2f} (a page exactly full of new comments costs one more "
          "request to see the bookmark)")
    print()
    print(f"   the first poll (backfill of {OBJECTS} x {HISTORY} comments) in the same runs:")
    print(f"{'platform':<10}{'items':>6}{'ours':>7}{'min':>6}{'baseline':>10}")
    for line in backfills:
        print(line)
    print()
    print("2. A quiet poll (nothing new since the last one), HTTP requests per stream")
    print(f"{'stream':<36}{'ours':>6}{'baseline':>10}")
    for stream, ours_quiet, baseline in quiet_cycle():
        print(f"{stream:<36}{ours_quiet:>6}{baseline!s:>10}")
    print("(token: 0 between the daily /debug_token checks; tagged: one request per configured edge)")
    print()
    print("3. Authors and follower snapshots: HTTP requests per poll before (no authors, no snapshot) and after;")
    print("   authors and snapshots as the poll's batches carried them (summed over its batches)")
    print(f"{'stream':<36}{'poll':<28}{'before':>7}{'after':>7}{'authors':>9}{'snapshots':>10}")
    extra = 0
    for stream, phase, before, after, authors, snaps in profiles_cycle():
        print(f"{stream:<36}{phase:<28}{before:>7}{after:>7}{authors:>9}{snaps:>10}")
        if not 0 <= after - before <= snaps or (snaps and stream.split(":")[1] not in ("posts", "media")):
            raise SystemExit(f"{stream} {phase}: {after - before} more requests for {snaps} snapshot(s)")
        extra += after - before
    print(f"extra requests over the whole run: {extra} (one per account per Bogotá day when the ids are "
          "configured; none on the day the id lookup carried the counts); every other poll asks exactly what "
          "it asked before")


if __name__ == "__main__":
    main()
