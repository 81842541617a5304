"""AuthorRepository on SQLite and PostgreSQL: daily refresh, newest profile wins, overrides, snapshots."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, select

from domain import AccountSnapshot, Author, Platform
from storage.authors import resegment
from storage.models import AuthorRow
from storage.unit_of_work import UnitOfWork

T0 = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)  # 10:00 in Bogotá


def place_v1(author: Author) -> tuple[str, str]:
    """Rules of the test: a bio word, else the default."""
    if author.description and "periodista" in author.description.lower():
        return "medios_periodistas", "bio:periodista"
    return "ciudadania", "default"


def place_v2(author: Author) -> tuple[str, str]:
    """Changed rules: 10,000 followers make an influencer first."""
    if (author.followers or 0) >= 10_000:
        return "influenciadores", "followers>=10000"
    return place_v1(author)


def author(n: int, *, seen: datetime = T0, **fields) -> Author:  # type: ignore[no-untyped-def]
    base = {"handle": f"autor_{n}", "display_name": f"Autor {n}", "description": "Ciudadano",
            "followers": 100 * n, "verified_type": "none"}
    base.update(fields)
    return Author(platform=Platform.X, author_id=str(1000 + n), seen_at=seen, **base)


def upsert(engine, authors, place=place_v1, version="v1", now=None):  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        result = uow.authors.upsert(authors, place, version, now or max(a.seen_at for a in authors))
        uow.commit()
    return result


def stored(engine, n: int):  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        return uow.authors.get("x", str(1000 + n))


def test_new_authors_are_stored_and_placed(engine):
    result = upsert(engine, [author(1), author(2, description="Periodista de Caracol")])
    assert (result.new, result.refreshed, result.touched) == (2, 0, 0)
    one, two = stored(engine, 1), stored(engine, 2)
    assert (one.segment, one.segment_rule, one.segment_rules_version) == ("ciudadania", "default", "v1")
    assert (two.segment, two.segment_rule) == ("medios_periodistas", "bio:periodista")
    assert two.author.followers == 200 and two.author.handle == "autor_2"
    assert two.first_seen == two.last_seen == two.author.seen_at == T0


def test_only_a_new_segment_or_follower_band_asks_for_the_inbox_order_again(engine):
    upsert(engine, [author(1)])  # 100 followers: band 0
    day = timedelta(hours=25)
    same_band = upsert(engine, [author(1, seen=T0 + day, followers=9_999)])
    assert (same_band.refreshed, same_band.changed) == (1, ())  # rewritten, but reach_rank cannot move
    new_band = upsert(engine, [author(1, seen=T0 + 2 * day, followers=10_000)])
    assert (new_band.refreshed, new_band.changed) == (1, (("x", "1001"),))


def test_profile_is_rewritten_at_most_daily(engine):
    upsert(engine, [author(1)])
    later = T0 + timedelta(hours=5)
    result = upsert(engine, [author(1, seen=later, followers=999, description="Periodista")])
    assert (result.refreshed, result.touched) == (0, 0)  # same day: no write at all
    same = stored(engine, 1)
    assert same.author.followers == 100 and same.segment == "ciudadania" and same.last_seen == T0

    next_day = T0 + timedelta(hours=25)
    result = upsert(engine, [author(1, seen=next_day, followers=999, description="Periodista"),
                             author(2, seen=next_day)])
    assert (result.new, result.refreshed, result.replaced, result.touched) == (1, 1, 1, 1)
    assert result.changed == (("x", "1001"),)  # segment and followers changed (the new author is not listed)
    fresh = stored(engine, 1)
    assert fresh.author.followers == 999 and fresh.author.seen_at == next_day
    assert (fresh.segment, fresh.segment_rule) == ("medios_periodistas", "bio:periodista")  # placed again
    assert fresh.first_seen == T0 and fresh.last_seen == next_day


def test_a_field_the_platform_did_not_give_keeps_its_value(engine):
    upsert(engine, [author(1, location="Bogotá")])
    upsert(engine, [author(1, seen=T0 + timedelta(days=2), location=None, followers=None, handle="")])
    kept = stored(engine, 1)
    assert kept.author.location == "Bogotá" and kept.author.followers == 100 and kept.author.handle == "autor_1"


def test_first_and_last_seen_follow_the_sightings(engine):
    upsert(engine, [author(1)])
    upsert(engine, [author(1, seen=T0 - timedelta(days=3))])  # an older sighting (a backfill): first_seen back
    row = stored(engine, 1)
    assert row.first_seen == T0 - timedelta(days=3) and row.last_seen == T0
    assert row.author.seen_at == T0  # an older profile never overwrites a newer one
    upsert(engine, [author(1, seen=T0 + timedelta(days=2))], now=T0 + timedelta(days=2))
    assert stored(engine, 1).last_seen == T0 + timedelta(days=2)


def test_several_profiles_of_one_author_in_a_batch_the_newest_wins(engine):
    newest = author(1, seen=T0 + timedelta(minutes=9), followers=50_000)
    upsert(engine, [author(1, seen=T0 + timedelta(minutes=5), followers=5), newest,
                    author(1, seen=T0 + timedelta(minutes=1), followers=1)])
    kept = stored(engine, 1)
    assert kept.author.followers == 50_000 and kept.author.seen_at == newest.seen_at
    assert kept.first_seen == T0 + timedelta(minutes=1) and kept.last_seen == newest.seen_at
    upsert(engine, [author(1, seen=T0 + timedelta(days=1, minutes=1), followers=7),
                    author(1, seen=T0 + timedelta(days=1, minutes=9), followers=70)])
    assert stored(engine, 1).author.followers == 70


def test_rules_version_change_places_again_without_profile_rewrite(engine):
    upsert(engine, [author(1, followers=20_000), author(2)])
    result = upsert(engine, [author(1, seen=T0 + timedelta(hours=1), followers=1)], place_v2, "v2")
    assert (result.refreshed, result.replaced, result.touched) == (0, 1, 1)
    one = stored(engine, 1)
    assert (one.segment, one.segment_rule, one.segment_rules_version) == ("influenciadores", "followers>=10000", "v2")
    assert one.author.followers == 20_000  # placed on the stored profile: the new one is not a day newer
    assert stored(engine, 2).segment_rules_version == "v1"  # not in the batch: left to resegment


def test_override_wins_over_rules_and_is_audited(engine):
    upsert(engine, [author(1)])
    with UnitOfWork(engine) as uow:
        state = uow.authors.set_override("x", "1001", "gobierno_y_politica", "admin", T0 + timedelta(minutes=1))
        again = uow.authors.set_override("x", "1001", "gobierno_y_politica", "admin", T0 + timedelta(minutes=2))
        uow.commit()
    assert (state.segment, state.segment_rule, state.segment_override) == ("gobierno_y_politica", "override",
                                                                          "gobierno_y_politica")
    assert again == state
    # new rules and a profile rewrite do not undo it
    upsert(engine, [author(1, seen=T0 + timedelta(days=2), description="Periodista")], place_v2, "v2")
    with UnitOfWork(engine) as uow:
        assert resegment(lambda: UnitOfWork(engine), place_v1, "v3") == 1
    kept = stored(engine, 1)
    assert (kept.segment, kept.segment_rule, kept.segment_rules_version) == ("gobierno_y_politica", "override", "v3")
    assert kept.author.description == "Periodista"

    with UnitOfWork(engine) as uow:
        removed = uow.authors.set_override("x", "1001", None, "jefa", T0 + timedelta(days=3), place=place_v1,
                                           rules_version="v3")
        uow.commit()
    assert (removed.segment, removed.segment_rule, removed.segment_override) == ("medios_periodistas",
                                                                                "bio:periodista", None)
    with UnitOfWork(engine) as uow:
        history = uow.authors.history("x", "1001")
        assert uow.authors.set_override("x", "nobody", "ciudadania", "admin", T0) is None
    assert [(e.user, e.action, e.old_value, e.new_value) for e in history] == [
        ("admin", "segment_override", "ciudadania", "gobierno_y_politica"),
        ("jefa", "segment_override_removed", "gobierno_y_politica", "medios_periodistas"),
    ]


def test_override_removed_without_rules_waits_for_resegment(engine):
    upsert(engine, [author(1, description="periodista")])
    with UnitOfWork(engine) as uow:
        uow.authors.set_override("x", "1001", "academia", "admin", T0)
        pending = uow.authors.set_override("x", "1001", None, "admin", T0)
        uow.commit()
    assert pending.segment_rule == "pending" and pending.segment_rules_version is None
    assert resegment(lambda: UnitOfWork(engine), place_v1, "v1") == 1
    assert stored(engine, 1).segment == "medios_periodistas"


def test_resegment_goes_in_batches_reports_progress_and_resumes(engine):
    upsert(engine, [author(n, followers=n * 1000) for n in range(1, 26)])
    seen: list[tuple[int, int]] = []
    done = resegment(lambda: UnitOfWork(engine), place_v2, "v2", batch_size=10,
                     progress=lambda d, t: seen.append((d, t)), stop=lambda: len(seen) == 2)
    assert done == 20 and seen == [(10, 25), (20, 25)]
    with UnitOfWork(engine) as uow:
        assert uow.authors.outdated_count("v2") == 5
    assert resegment(lambda: UnitOfWork(engine), place_v2, "v2", batch_size=10) == 5
    assert resegment(lambda: UnitOfWork(engine), place_v2, "v2", batch_size=10) == 0
    assert stored(engine, 9).segment == "ciudadania" and stored(engine, 10).segment == "influenciadores"


def test_upsert_reads_and_writes_in_a_few_statements(engine):
    """No N+1: 1,200 authors (new, then known and due) take a bounded number of statements."""
    statements: list[str] = []
    first = [author(n) for n in range(1200)]

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        upsert(engine, first)
        inserted = len(statements)
        statements.clear()
        upsert(engine, [replace(a, seen_at=T0 + timedelta(days=1), followers=7) for a in first])
        refreshed = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert inserted <= 10, inserted
    assert refreshed <= 12, refreshed
    with UnitOfWork(engine) as uow:
        assert uow.session.scalar(select(AuthorRow.followers).where(AuthorRow.author_id == "1500")) == 7
        assert len(uow.authors.by_keys([("x", "1000"), ("x", "2199"), ("x", "missing")])) == 2


def test_snapshots_one_per_local_day_first_kept_and_idempotent(engine):
    # 03:00 UTC on the 17th is still the 16th in Bogotá (UTC-5)
    late = AccountSnapshot(Platform.X, "Ministerio_TIC", 1000, datetime(2026, 11, 17, 3, 0, tzinfo=UTC))
    earlier = replace(late, followers=990, taken_at=datetime(2026, 11, 16, 14, 0, tzinfo=UTC))
    next_day = replace(late, followers=1010, taken_at=datetime(2026, 11, 17, 6, 0, tzinfo=UTC))
    with UnitOfWork(engine) as uow:
        assert uow.authors.save_snapshots([late]) == 1
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.authors.save_snapshots([late, next_day, earlier]) == 2  # earlier replaces late; next_day new
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.authors.save_snapshots([late, next_day, earlier]) == 0  # a retry changes nothing
        uow.commit()
        rows = [(r.day, r.followers, r.taken_at) for r in uow.authors.snapshots("x", "Ministerio_TIC")]
    assert rows == [("2026-11-16", 990, earlier.taken_at), ("2026-11-17", 1010, next_day.taken_at)]


def test_a_refresh_that_finds_the_same_profile_does_not_place_again(engine):
    calls: list[str] = []

    def counting(a: Author) -> tuple[str, str]:
        calls.append(a.author_id)
        return place_v1(a)

    upsert(engine, [author(1)], counting)
    result = upsert(engine, [author(1, seen=T0 + timedelta(days=1))], counting)
    assert (result.refreshed, result.replaced, result.touched, result.changed) == (1, 0, 1, ())
    assert calls == ["1001"] and stored(engine, 1).author.seen_at == T0 + timedelta(days=1)
    # a backfill walking older payloads of the same day: neither a rewrite nor a placement
    result = upsert(engine, [author(1, seen=T0 + timedelta(days=1, hours=20), followers=5)], counting,
                    now=T0 + timedelta(days=30))
    assert (result.refreshed, result.touched) == (0, 0) and calls == ["1001"]
