"""CampaignRepository on SQLite and PostgreSQL: config sync, admin edits with their audit trail, archive, the
revision a running bot watches."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import ManualClock
from domain import Campaign
from storage.campaigns import CampaignRepository
from storage.unit_of_work import UnitOfWork

T0 = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)

TALENTO = Campaign(id="talento-ti", name="#TalentoTI", starts_on=date(2026, 11, 1), ends_on=date(2026, 11, 30),
                   hashtags=("TalentoTI",), keywords=("talento ti",), links=("mintic.gov.co/talentoti",),
                   description="Becas de formación en programación")
BECAS = Campaign(id="becas-tic", name="Becas TIC", starts_on=date(2026, 10, 1), hashtags=("BecasTIC",))
CIBER = Campaign(id="ciberseguridad", name="Ciberseguridad", starts_on=date(2026, 11, 10),
                 hashtags=("NoCaigasEnLaTrampa",), links=("utm:ciber2026",))


def run(engine, fn, clock=None):  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        repo = CampaignRepository(uow.session, clock or ManualClock(T0))
        result = fn(repo)
        uow.commit()
        return result


def test_sync_config_creates_updates_and_archives(engine) -> None:  # type: ignore[no-untyped-def]
    assert run(engine, lambda r: r.sync_config([TALENTO, BECAS])) is True
    assert run(engine, lambda r: r.active()) == [BECAS, TALENTO]  # by id, round-tripped exactly
    assert run(engine, lambda r: r.sync_config([TALENTO, BECAS])) is False  # nothing to do

    edited = replace(TALENTO, hashtags=("TalentoTI", "TalentoTI2026"), ends_on=None)
    assert run(engine, lambda r: r.sync_config([edited])) is True  # edited + becas removed from the file
    assert run(engine, lambda r: r.active()) == [edited]
    becas = run(engine, lambda r: r.get("becas-tic"))
    assert becas.archived is True and becas.source == "config" and becas.updated_by == "config.yaml"
    assert [r.id for r in run(engine, lambda r: r.rows())] == ["talento-ti", "becas-tic"]  # archived last
    assert [r.id for r in run(engine, lambda r: r.rows(include_archived=False))] == ["talento-ti"]

    assert run(engine, lambda r: r.sync_config([edited, BECAS])) is True  # back in the file: restored
    assert run(engine, lambda r: r.get("becas-tic")).archived is False
    actions = [(e.action, e.target, e.user) for e in run(engine, lambda r: r.events())]
    assert ("campaign_archive", "campaign:becas-tic", "config.yaml") in actions
    assert actions.count(("campaign_create", "campaign:talento-ti", "config.yaml")) == 1


def test_admin_save_archive_and_audit(engine) -> None:  # type: ignore[no-untyped-def]
    clock = ManualClock(T0)
    assert run(engine, lambda r: r.save(CIBER, "ana", "10.0.0.7"), clock) == "created"
    assert run(engine, lambda r: r.save(CIBER, "ana", "10.0.0.7"), clock) == "unchanged"
    clock.set(datetime(2026, 11, 17, 9, 0, tzinfo=UTC))
    edited = replace(CIBER, keywords=("ciberseguridad",))
    assert run(engine, lambda r: r.save(edited, "luis", None), clock) == "updated"
    row = run(engine, lambda r: r.get("ciberseguridad"))
    assert (row.source, row.updated_by, row.keywords, row.updated_at) == ("admin", "luis", ["ciberseguridad"],
                                                                          clock())

    assert run(engine, lambda r: r.archive("ciberseguridad", "ana", "10.0.0.7"), clock) is True
    assert run(engine, lambda r: r.archive("ciberseguridad", "ana", None), clock) is False  # already archived
    assert run(engine, lambda r: r.archive("no-existe", "ana", None), clock) is False
    assert run(engine, lambda r: r.active()) == []
    assert run(engine, lambda r: r.save(edited, "ana", None), clock) == "updated"  # saving restores it
    assert run(engine, lambda r: r.active()) == [edited]

    events = run(engine, lambda r: r.events())
    assert [e.action for e in events] == ["campaign_update", "campaign_archive", "campaign_update",
                                         "campaign_create"]  # newest first
    create, update = events[-1], events[-2]
    assert create.user == "ana" and create.remote_addr == "10.0.0.7" and create.detail["old"] is None
    assert create.detail["new"]["hashtags"] == ["NoCaigasEnLaTrampa"]
    assert update.detail["old"]["keywords"] == [] and update.detail["new"]["keywords"] == ["ciberseguridad"]
    assert update.user == "luis" and update.remote_addr is None
    assert run(engine, lambda r: r.events(limit=1))[0].action == "campaign_update"
    assert run(engine, lambda r: r.events(target_prefix="user:")) == []


def test_config_campaigns_cannot_be_edited_in_the_web(engine) -> None:  # type: ignore[no-untyped-def]
    run(engine, lambda r: r.sync_config([TALENTO]))
    with pytest.raises(ValueError, match=r"config\.yaml"):
        run(engine, lambda r: r.save(replace(TALENTO, name="otro"), "ana", None))
    with pytest.raises(ValueError, match=r"config\.yaml"):
        run(engine, lambda r: r.archive("talento-ti", "ana", None))
    assert run(engine, lambda r: r.active()) == [TALENTO]
    assert [e.action for e in run(engine, lambda r: r.events())] == ["campaign_create"]


def test_revision_moves_with_the_active_definitions_only(engine) -> None:  # type: ignore[no-untyped-def]
    empty = run(engine, lambda r: r.revision())
    run(engine, lambda r: r.save(CIBER, "ana", None))
    first = run(engine, lambda r: r.revision())
    assert first != empty and len(first) == 16
    run(engine, lambda r: r.save(CIBER, "ana", None))  # unchanged: same revision, even with the same clock
    assert run(engine, lambda r: r.revision()) == first
    run(engine, lambda r: r.save(replace(CIBER, hashtags=("Ciberseguridad",)), "ana", None))
    second = run(engine, lambda r: r.revision())
    assert second != first
    run(engine, lambda r: r.archive("ciberseguridad", "ana", None))
    assert run(engine, lambda r: r.revision()) == empty


def test_analyses_store_campaigns_place_and_labels(engine) -> None:  # type: ignore[no-untyped-def]
    from domain import Place, TextAnalysis
    from storage.models import PostLabelRow
    from tests.factories import make_post

    def analysis(campaigns, place):  # type: ignore[no-untyped-def]
        return TextAnalysis(lang="es", sentiment="neutral", sentiment_score=0.0, category="otro",
                            topics=("conectividad",), campaigns=campaigns, place=place)

    with UnitOfWork(engine) as uow:
        ids = list(uow.posts.upsert([make_post(i) for i in range(3)]).new_ids)
        uow.analyses.insert_new([
            (ids[0], analysis(("becas-tic", "talento-ti"), Place("27", "CHOCÓ", "text", "27001", "QUIBDÓ"))),
            (ids[1], analysis((), Place("05", "ANTIOQUIA", "profile"))),
            (ids[2], analysis(("talento-ti",), None)),
        ], T0)
        uow.commit()
    with UnitOfWork(engine) as uow:
        first, second, third = (uow.analyses.get(i) for i in ids)
        assert first.campaigns == ("becas-tic", "talento-ti")
        assert (first.place.dpto_code, first.place.mpio_code, first.place.evidence) == ("27", "27001", "text")
        assert (second.place.dpto_code, second.place.mpio_code, second.place.evidence) == ("05", None, "profile")
        assert third.place is None and second.campaigns == ()
        assert uow.analyses.ids_with_campaigns(["talento-ti"]) == [ids[0], ids[2]]
        assert uow.analyses.ids_with_campaigns(["talento-ti"], after_id=ids[0]) == [ids[2]]
        assert uow.analyses.analysed_ids_between(T0, T0 + timedelta(minutes=2)) == ids[:2]
        uow.analyses.set_campaigns({ids[0]: ("talento-ti",), ids[1]: ("zonas-wifi",)})
        uow.commit()
    with UnitOfWork(engine) as uow:
        assert uow.analyses.campaigns_of(ids) == {ids[0]: ("talento-ti",), ids[1]: ("zonas-wifi",),
                                                  ids[2]: ("talento-ti",)}
        labels = sorted((r.post_id, r.value) for r in uow.session.scalars(
            select(PostLabelRow).where(PostLabelRow.kind == "campaign")))
        assert labels == [(ids[0], "talento-ti"), (ids[1], "zonas-wifi"), (ids[2], "talento-ti")]
        topics = uow.session.scalars(select(PostLabelRow.post_id).where(PostLabelRow.kind == "topic")).all()
        assert sorted(topics) == ids  # other labels untouched


def test_processes_starting_together_sync_the_file_one_at_a_time(engine) -> None:  # type: ignore[no-untyped-def]
    """Hot standby: two processes sync the same config.yaml at once. The second waits for the first's commit
    and finds nothing to do (it used to insert the same ids and fail on the primary key)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL (SQLite keeps one process per database)")
    import threading

    first = UnitOfWork(engine)
    first.__enter__()
    assert CampaignRepository(first.session, ManualClock(T0)).sync_config([TALENTO, BECAS]) is True
    outcome: list[object] = []

    def second() -> None:
        try:
            outcome.append(run(engine, lambda r: r.sync_config([TALENTO, BECAS])))
        except Exception as exc:  # the failure is the assertion below
            outcome.append(exc)

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(timeout=1.0)
    assert thread.is_alive()  # waiting for the first one's transaction
    first.commit()
    first.__exit__(None, None, None)
    thread.join(timeout=10)
    assert outcome == [False]
    assert [c.id for c in run(engine, lambda r: r.active())] == ["becas-tic", "talento-ti"]
