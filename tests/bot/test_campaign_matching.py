"""Campaigns and places end to end on real databases: poll → store → analyse with each post's context; an
admin's campaign reaches the matcher of the running bot and `rematch` labels (and unlabels) stored posts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot import events
from bot.bootstrap import bootstrap
from bot.campaign_matching import _job_key, campaign_window, post_urls, rematch
from bot.clock import ManualClock
from bot.config import parse_config
from domain import Author, Campaign, GeoTag, Platform, PostKind
from storage.campaigns import CampaignRepository
from storage.models import AnalysisRow, PostLabelRow
from storage.unit_of_work import UnitOfWork
from tests.factories import T0, make_post
from tests.fake_connector import ListConnector

STREAM = "fake:x:Ministerio_TIC"
TALENTO = {"id": "talento-ti", "name": "#TalentoTI", "hashtags": ["TalentoTI"], "links": ["mintic.gov.co/talentoti"],
           "starts_on": "2026-11-16", "ends_on": "2026-11-22"}
ZONAS = Campaign(id="zonas-wifi", name="Zonas WiFi", starts_on=date(2026, 11, 1), ends_on=date(2026, 11, 30),
                 keywords=("zona wifi",))


def _posts():  # type: ignore[no-untyped-def]
    own = replace(make_post(0, text="Abrimos inscripciones 👉 https://t.co/Ab12", kind=PostKind.OWN_POST,
                            is_own=True), author_id="mintic", author_handle="Ministerio_TIC",
                  raw={"entities": {"urls": [{"url": "https://t.co/Ab12",
                                              "expanded_url": "https://www.mintic.gov.co/talentoti/inscripciones"}]}})
    quibdo = make_post(1, text="Sin señal en Quibdó desde ayer y #TalentoTI no carga")
    geo = replace(make_post(2, text="la zona wifi del parque no sirve"),
                  geo=GeoTag(name="Pasto", full_name="Pasto, Colombia", country_code="CO"))
    profile = replace(make_post(3, text="el internet no sirve hace una semana"), author_id="author-monteria")
    late = make_post(4, text="#TalentoTI ya cerró?", minutes=60 * 24 * 10)  # 2026-11-26: after the campaign
    return [own, quibdo, geo, profile, late]


def _bus(engine, tmp_path, posts):  # type: ignore[no-untyped-def]
    config = parse_config({"connectors": {"sample": {"enabled": False}}, "accounts": {"x": ["Ministerio_TIC"]},
                           "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
                           "paths": {"models_dir": str(tmp_path / "models")}, "campaigns": [TALENTO]})
    connector = ListConnector(posts, page=3)
    clock = ManualClock(T0 + timedelta(days=11))
    return bootstrap(config, engine=engine, clock=clock, connectors={connector.stream: connector}, sinks={}), connector


def _stored(engine):  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        rows = {r.post_id: r for r in uow.session.scalars(select(AnalysisRow))}
        labels = sorted((r.post_id, r.value) for r in uow.session.scalars(
            select(PostLabelRow).where(PostLabelRow.kind == "campaign")))
        ids = {s.post.external_id: s.id for s in uow.posts.by_ids(list(rows))}
    return rows, labels, ids


def _store_profile(engine, location: str) -> None:  # type: ignore[no-untyped-def]
    author = Author(platform=Platform.X, author_id="author-monteria", handle="monteriano", seen_at=T0,
                    location=location)
    with UnitOfWork(engine) as uow:
        uow.authors.upsert([author], lambda a: ("ciudadania", "default"), "v1", T0)
        uow.commit()


def test_polled_posts_carry_campaigns_places_and_labels(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _store_profile(engine, "Montería, Córdoba")
    bus, _ = _bus(engine, tmp_path, _posts())
    bus.handle(events.PollStream(STREAM))
    rows, labels, ids = _stored(engine)
    by = {ext: rows[pid] for ext, pid in ids.items()}
    assert by["test-0"].campaigns == ["talento-ti"]  # own post, by its expanded link (the text has only t.co)
    assert by["test-1"].campaigns == ["talento-ti"]
    assert by["test-4"].campaigns == []  # published after the campaign ended
    assert (by["test-1"].place_dpto, by["test-1"].place_mpio, by["test-1"].place_evidence) == ("27", "27001", "text")
    assert (by["test-2"].place_dpto, by["test-2"].place_evidence) == ("52", "geo")
    assert (by["test-3"].place_dpto, by["test-3"].place_mpio, by["test-3"].place_evidence) == ("23", "23001",
                                                                                              "profile")
    assert by["test-0"].place_dpto is None and by["test-0"].place_evidence is None  # never invented
    assert "campaigns=campaigns-1-" in by["test-1"].version and ";places=" in by["test-1"].version
    assert labels == sorted([(ids["test-0"], "talento-ti"), (ids["test-1"], "talento-ti")])
    with UnitOfWork(engine) as uow:
        analysis = uow.analyses.get(ids["test-1"])
        assert analysis is not None and analysis.campaigns == ("talento-ti",)
        assert analysis.place is not None and (analysis.place.dpto_code, analysis.place.mpio_code,
                                               analysis.place.evidence) == ("27", "27001", "text")
        assert [c.id for c in CampaignRepository(uow.session).active()] == ["talento-ti"]  # synced at start-up


def test_an_admin_campaign_reaches_new_and_old_posts(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    posts = _posts()
    bus, connector = _bus(engine, tmp_path, posts)
    bus.handle(events.PollStream(STREAM))
    svc = bus.services

    with UnitOfWork(engine) as uow:  # an admin creates a campaign in the web app (another process)
        assert CampaignRepository(uow.session).save(ZONAS, "ana", "10.0.0.7") == "created"
        uow.commit()
    # the running bot's next analysis batch uses it ...
    connector.posts.append(make_post(5, text="La zona WiFi de la plaza sin internet", minutes=30))
    bus.handle(events.PollStream(STREAM))
    rows, labels, ids = _stored(engine)
    assert rows[ids["test-5"]].campaigns == ["zonas-wifi"]
    assert rows[ids["test-2"]].campaigns == []  # ... and old posts wait for the re-match
    # ... which rewrites only the campaign membership of the posts concerned
    before = {pid: (r.sentiment, r.version, r.analyzed_at) for pid, r in rows.items()}
    assert rematch(svc, "zonas-wifi") == 1
    rows, labels, ids = _stored(engine)
    assert rows[ids["test-2"]].campaigns == ["zonas-wifi"]
    assert (ids["test-2"], "zonas-wifi") in labels and (ids["test-1"], "talento-ti") in labels
    assert {pid: (r.sentiment, r.version, r.analyzed_at) for pid, r in rows.items()} == before
    assert rematch(svc, "zonas-wifi") == 0  # idempotent

    # an edit that drops the keyword takes the label off; other campaigns stay
    with UnitOfWork(engine) as uow:
        CampaignRepository(uow.session).save(replace(ZONAS, keywords=(), hashtags=("ZonasWiFi",)), "ana", None)
        uow.commit()
    assert rematch(svc, ["zonas-wifi"]) == 2
    rows, labels, ids = _stored(engine)
    assert all(v != "zonas-wifi" for _, v in labels) and rows[ids["test-1"]].campaigns == ["talento-ti"]

    # archived: its posts keep the label (put back first through the web app's session)
    with UnitOfWork(engine) as uow:
        repo = CampaignRepository(uow.session)
        repo.save(ZONAS, "ana", None)
        uow.commit()
        assert rematch(uow.session, "zonas-wifi") == 2
        repo.archive("zonas-wifi", "ana", None)
        uow.commit()
        assert rematch(uow.session, "zonas-wifi") == 0
        assert rematch(uow.session) == 0  # every active campaign: nothing moved
    rows, labels, ids = _stored(engine)
    assert rows[ids["test-2"]].campaigns == ["zonas-wifi"] and rows[ids["test-5"]].campaigns == ["zonas-wifi"]


def test_rematch_is_batched_and_resumes_after_an_interruption(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    posts = [make_post(i, text="la zona wifi no sirve" if i % 2 else "todo bien", minutes=i) for i in range(9)]
    bus, _ = _bus(engine, tmp_path, posts)
    bus.handle(events.PollStream(STREAM))
    with UnitOfWork(engine) as uow:
        CampaignRepository(uow.session).save(ZONAS, "ana", None)
        uow.commit()
    seen: list[tuple[int, int]] = []

    def interrupt(examined: int, changed: int) -> None:
        seen.append((examined, changed))
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rematch(bus.services, "zonas-wifi", batch=2, progress=interrupt)
    assert seen == [(2, 1), (4, 2)]  # two committed batches
    assert rematch(bus.services, "zonas-wifi", batch=2) == 2  # the rest: 4 of 8 odd posts were done before
    _, labels, _ = _stored(engine)
    assert len([v for _, v in labels if v == "zonas-wifi"]) == 4


def test_helpers() -> None:
    assert post_urls({"entities": {"urls": [{"expanded_url": "https://a.example/x"}, {"unwound_url": "https://b",
                                                                                      "expanded_url": "https://c"},
                                            "junk"]}}) == ("https://a.example/x", "https://b")
    assert post_urls({"attachments": {"data": [{"url": "https://l.facebook.com/x", "unshimmed_url": "https://d"}]},
                      "link": "https://e"}) == ("https://d", "https://e")
    assert post_urls(None) == () and post_urls({"entities": "x"}) == ()
    since, until = campaign_window([ZONAS])
    assert since == datetime(2026, 11, 1, 5, tzinfo=UTC) and until == datetime(2026, 12, 1, 5, tzinfo=UTC)
    assert campaign_window([ZONAS, replace(ZONAS, ends_on=None)])[1] is None
    many = frozenset(f"campana-numero-{i}" for i in range(40))  # cursors.stream holds 256 characters
    assert len(_job_key(many, since, until) + ":labelled") < 256 and _job_key(many, since, None) != _job_key(
        many, since, until)


def test_analyze_since_recomputes_campaigns_and_places(engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from bot.commands.reanalysis import reanalyze_since

    bus, _ = _bus(engine, tmp_path, _posts())
    bus.handle(events.PollStream(STREAM))
    with UnitOfWork(engine) as uow:  # a campaign added later (web app), and a profile learnt later
        CampaignRepository(uow.session).save(ZONAS, "ana", None)
        uow.commit()
    _store_profile(engine, "Montería, Córdoba")
    rows, _, ids = _stored(engine)
    assert rows[ids["test-2"]].campaigns == [] and rows[ids["test-3"]].place_dpto is None
    assert reanalyze_since(bus.services, T0 - timedelta(days=1)) == 5
    rows, labels, ids = _stored(engine)
    assert rows[ids["test-2"]].campaigns == ["zonas-wifi"] and (ids["test-2"], "zonas-wifi") in labels
    assert rows[ids["test-1"]].campaigns == ["talento-ti"] and (ids["test-1"], "talento-ti") in labels
    assert (rows[ids["test-3"]].place_dpto, rows[ids["test-3"]].place_evidence) == ("23", "profile")
    assert bus.services.analyzer.version in {r.version for r in rows.values()}
