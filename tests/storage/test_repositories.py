"""Repository behaviour on SQLite and PostgreSQL (the `engine` fixture runs each test on both)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from domain import Alert, Metrics, Platform, PostKind, TextAnalysis
from storage import db
from storage.unit_of_work import UnitOfWork
from tests.factories import T0, make_post


def _analysis(category: str = "reclamo", topics=("conectividad",), flags=("outage",)) -> TextAnalysis:
    return TextAnalysis(lang="es", sentiment="negative", sentiment_score=-0.7, category=category,
                        topics=tuple(topics), flags=tuple(flags), rules=("test",), version="test-1")


def test_upsert_is_idempotent_and_refreshes_metrics(engine):
    posts = [make_post(i, likes=i) for i in range(5)]
    with UnitOfWork(engine) as uow:
        first = uow.posts.upsert(posts)
        uow.commit()
    assert len(first.new_ids) == 5 and first.updated == 0

    refreshed = [make_post(i, likes=100 + i) for i in range(5)] + [make_post(9)]
    with UnitOfWork(engine) as uow:
        second = uow.posts.upsert(refreshed)
        uow.commit()
    assert len(second.new_ids) == 1 and second.updated == 5
    with UnitOfWork(engine) as uow:
        assert uow.posts.count() == 6
        stored = uow.posts.get("x", "test-3")
        assert stored is not None
        assert stored.post.metrics.likes == 103
        assert stored.post.created_at == T0 + timedelta(minutes=3)
        assert stored.post.created_at.tzinfo is not None


def test_refresh_keeps_metrics_the_platform_did_not_send(engine):
    with UnitOfWork(engine) as uow:
        uow.posts.upsert([make_post(1, likes=7)])
        uow.commit()
    with UnitOfWork(engine) as uow:
        uow.posts.upsert([make_post(1, likes=None)])
        uow.commit()
        assert uow.posts.get("x", "test-1").post.metrics.likes == 7  # type: ignore[union-attr]


def test_duplicates_inside_one_batch_are_stored_once(engine):
    with UnitOfWork(engine) as uow:
        result = uow.posts.upsert([make_post(1), make_post(1, likes=5)])
        uow.commit()
    assert len(result.new_ids) == 1
    with UnitOfWork(engine) as uow:
        assert uow.posts.count() == 1
        assert uow.posts.get("x", "test-1").post.metrics.likes == 5  # type: ignore[union-attr]


def test_timestamps_round_trip_in_utc_from_other_offsets(engine):
    bogota = timezone(timedelta(hours=-5))
    post = make_post(1)
    local = post.created_at.astimezone(bogota)
    from dataclasses import replace

    with UnitOfWork(engine) as uow:
        uow.posts.upsert([replace(post, created_at=local)])
        uow.commit()
        stored = uow.posts.get("x", "test-1")
    assert stored.post.created_at == post.created_at  # type: ignore[union-attr]
    assert stored.post.created_at.utcoffset() == timedelta(0)  # type: ignore[union-attr]


def test_large_batch_crosses_statement_chunks(engine):
    posts = [make_post(i) for i in range(1234)]
    with UnitOfWork(engine) as uow:
        result = uow.posts.upsert(posts)
        uow.commit()
    assert len(result.new_ids) == 1234
    with UnitOfWork(engine) as uow:
        assert uow.posts.count() == 1234


def test_rollback_without_commit_stores_nothing(engine):
    with UnitOfWork(engine) as uow:
        uow.posts.upsert([make_post(1)])
        uow.cursors.save("s", "1")
    with UnitOfWork(engine) as uow:
        assert uow.posts.count() == 0
        assert uow.cursors.get("s") is None


def test_cursor_save_overwrites(engine):
    with UnitOfWork(engine) as uow:
        uow.cursors.save("x:mentions:Ministerio_TIC", "100")
        uow.commit()
    with UnitOfWork(engine) as uow:
        uow.cursors.save("x:mentions:Ministerio_TIC", "200")
        uow.commit()
    with UnitOfWork(engine) as uow:
        cursor = uow.cursors.get("x:mentions:Ministerio_TIC")
    assert cursor is not None and cursor.value == "200" and cursor.updated_at.tzinfo is not None


def test_analyses_insert_once_and_write_labels(engine):
    with UnitOfWork(engine) as uow:
        ids = uow.posts.upsert([make_post(1), make_post(2)]).new_ids
        inserted = uow.analyses.insert_new([(i, _analysis()) for i in ids], T0)
        again = uow.analyses.insert_new([(i, _analysis("queja")) for i in ids], T0)
        uow.commit()
    assert inserted == set(ids) and again == set()
    with UnitOfWork(engine) as uow:
        assert uow.analyses.get(ids[0]).category == "reclamo"  # type: ignore[union-attr]
        assert uow.posts.unanalyzed_ids() == []
        assert uow.analyses.counts_by("category") == {"reclamo": 2}


def test_replace_recomputes_and_unanalyzed_lists_missing(engine):
    with UnitOfWork(engine) as uow:
        ids = uow.posts.upsert([make_post(1), make_post(2)]).new_ids
        uow.analyses.insert_new([(ids[0], _analysis())], T0)
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.posts.unanalyzed_ids() == [ids[1]]
        uow.analyses.replace([(ids[0], _analysis("felicitacion", topics=(), flags=()))], T0)
        uow.commit()
    with UnitOfWork(engine) as uow:
        a = uow.analyses.get(ids[0])
    assert a is not None and a.category == "felicitacion" and a.topics == () and a.flags == ()


def test_alert_outbox_is_idempotent_per_key_and_sink(engine):
    alert = Alert(key="incident:1:open", kind="spike", severity="critico", title="t", body="b",
                  created_at=T0)
    with UnitOfWork(engine) as uow:
        assert uow.alerts.add(alert, "console") is True
        assert uow.alerts.add(alert, "file") is True
        assert uow.alerts.add(alert, "console") is False
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.lanes.pending() == [("console", "alerts"), ("file", "alerts")]
        [row] = uow.lanes.queue("console", "alerts")
        uow.alerts.mark_failed(row.id, "boom", T0 + timedelta(minutes=5))
        uow.alerts.mark_sent(uow.lanes.queue("file", "alerts")[0].id, T0)
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.lanes.pending() == [("console", "alerts")]
        [retry] = uow.lanes.queue("console", "alerts")
        assert retry.attempts == 1 and retry.last_error == "boom"


def test_a_lane_queues_oldest_first_behind_its_backlog_notice(engine):
    with UnitOfWork(engine) as uow:
        for n in range(3):
            uow.alerts.add(Alert(key=f"incident:{n}:open", kind="spike", severity="aviso", title="t", body="b",
                                 created_at=T0), "slack")
        uow.alerts.add(Alert(key="backlog:alerts:x", kind="backlog", severity="info", title="t", body="",
                             created_at=T0), "slack")
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert [r.key for r in uow.lanes.queue("slack", "alerts")] == [
            "backlog:alerts:x", "incident:0:open", "incident:1:open", "incident:2:open"]
        assert uow.lanes.backlog("slack", "alerts") == 3


def test_lane_back_off_and_lease_are_stored(engine):
    with UnitOfWork(engine) as uow:
        assert uow.lanes.get("slack", "alerts").failures == 0
        uow.lanes.failed("slack", "alerts", "HTTP 503", T0, T0 + timedelta(seconds=15))
        uow.lanes.failed("slack", "alerts", "HTTP 503", T0 + timedelta(seconds=15), T0 + timedelta(seconds=45))
        assert uow.lanes.claim("slack", "alerts", "a:1:x", T0, T0 + timedelta(seconds=90))
        uow.commit()
    with UnitOfWork(engine) as uow:
        lane = uow.lanes.get("slack", "alerts")
        assert (lane.failures, lane.down_since, lane.retry_at) == (2, T0, T0 + timedelta(seconds=45))
        assert not uow.lanes.claim("slack", "alerts", "b:2:y", T0 + timedelta(seconds=10), T0)  # held
        assert uow.lanes.claim("slack", "alerts", "b:2:y", T0 + timedelta(seconds=10), T0, dead_owner="a:1:x")
        uow.lanes.release("slack", "alerts", "b:2:y")
        uow.lanes.recovered("slack", "alerts")
        uow.commit()
    with UnitOfWork(engine) as uow:
        lane = uow.lanes.get("slack", "alerts")
        assert (lane.failures, lane.retry_at, lane.down_since, lane.lease_owner) == (0, None, None, None)


def test_slack_channel_ids_are_kept(engine):
    with UnitOfWork(engine) as uow:
        assert uow.slack_channels.get("#vigia-alertas") is None
        uow.slack_channels.put("#vigia-alertas", "C0ALERTS1", T0)
        uow.slack_channels.put("#vigia-alertas", "C0ALERTS2", T0)  # renamed or recreated: the newest wins
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.slack_channels.get("#vigia-alertas") == "C0ALERTS2"


def test_spike_counts_accumulate(engine):
    b = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
    with UnitOfWork(engine) as uow:
        uow.spikes.add_counts({("all", b): 3, ("all", b + timedelta(minutes=15)): 1})
        uow.spikes.add_counts({("all", b): 2})
        uow.commit()
    with UnitOfWork(engine) as uow:
        counts = uow.spikes.counts_for_keys(["all", "other"], b, b + timedelta(hours=1))
    assert counts == {"all": {b: 5, b + timedelta(minutes=15): 1}, "other": {}}


def test_corrections_latest_label_per_post(engine):
    with UnitOfWork(engine) as uow:
        ids = uow.posts.upsert([make_post(1, text="uno"), make_post(2, text="dos")]).new_ids
        uow.corrections.add(ids[0], "category", "otro", "queja", "ana")
        uow.corrections.add(ids[0], "category", "queja", "reclamo", "luis")
        uow.corrections.add(ids[1], "sentiment", "neutral", "positive", "ana")
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.corrections.latest_labels("category") == [("reclamo", "uno")]
        assert uow.corrections.latest_labels("sentiment") == [("positive", "dos")]


def test_other_metrics_and_kinds_round_trip(engine):
    from dataclasses import replace

    post = replace(make_post(1, platform=Platform.FACEBOOK, kind=PostKind.OWN_POST, is_own=True,
                             account="MinTICColombia"),
                   metrics=Metrics(reactions=10, comments=3, shares=2, impressions=500))
    with UnitOfWork(engine) as uow:
        uow.posts.upsert([post])
        uow.commit()
        got = uow.posts.get("facebook", "test-1")
    assert got is not None and got.post == post


def test_migrations_are_idempotent(engine):
    db.upgrade(engine)
    assert db.current_revision(engine) is not None


def test_naive_datetimes_are_refused(engine):
    with UnitOfWork(engine) as uow, pytest.raises(Exception, match="naive datetime"):
        from storage.models import CursorRow

        uow.session.add(CursorRow(stream="s", value="v", updated_at=datetime(2026, 1, 1)))
        uow.session.flush()
