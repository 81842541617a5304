"""Spike alerts say who is talking: the authors with most followers and the share of press and official voices.

Real databases (SQLite and PostgreSQL), the real authors repository and the fake Slack Web API.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.alerts.context import spike_voices
from bot.alerts.delivery import _outgoing
from bot.alerts.incidents import Transition, apply_transition, voices_es
from bot.alerts.slack_sink import SlackSink, build_slack_sink
from bot.config import parse_config, segmenter
from domain import Author, Platform, TextAnalysis
from storage.unit_of_work import UnitOfWork
from tests.factories import T0, make_post
from tests.fakes.slack_api import TOKEN

TZ = ZoneInfo("America/Bogota")
B = timedelta(minutes=15)
SEGMENTS = segmenter(parse_config({}))
INBOX = "http://127.0.0.1:8000/inbox"
# (author id, handle, profile or None, posts in the spike)
PEOPLE = [
    ("1", "ELTIEMPO", {"followers": 1_234_567, "profile_url": "https://x.com/ELTIEMPO"}, 2),
    ("2", "concejala_ana", {"description": "Concejala de Bogotá", "followers": 80_000,
                            "profile_url": "https://x.com/concejala_ana"}, 1),
    ("3", "viajero", {"description": "Viajes y comida", "followers": 600_000,
                      "profile_url": "https://x.com/viajero"}, 1),
    ("4", "ciudadana", {"description": "Hincha del Cali", "followers": 150,
                        "profile_url": "https://x.com/ciudadana"}, 3),
    ("5", "sin_datos", None, 2),  # no stored profile yet
]


def _store(engine, people=PEOPLE, minute=16, first=5000) -> None:
    """Citizen reclamo posts at T0+`minute` (the spike's bucket is [T0+15, T0+30)) by `people`, and the stored
    profiles."""
    n = 0
    with UnitOfWork(engine) as uow:
        for author_id, handle, _profile, count in people:
            for _ in range(count):
                post = dataclasses.replace(make_post(first + n, minutes=minute), author_id=author_id,
                                           author_handle=handle)
                ids = uow.posts.upsert([post]).new_ids
                uow.analyses.insert_new([(ids[0], TextAnalysis("es", "negative", -0.8, "reclamo"))], T0)
                n += 1
        profiles = [Author(platform=Platform.X, author_id=a, handle=h, seen_at=T0, **p)
                    for a, h, p, _ in people if p is not None]
        uow.authors.upsert(profiles, SEGMENTS.place, SEGMENTS.version, T0)
        uow.commit()


def _open(engine, segments=SEGMENTS):
    t = Transition("category:reclamo", T0 + B, B, "none", "aviso", True, 9, 1.0)
    with UnitOfWork(engine) as uow:
        [alert] = apply_transition(uow, t, TZ, INBOX, segments=segments)
        uow.alerts.add(alert, "slack")
        uow.commit()
    return alert


def test_alert_names_the_authors_with_most_followers_and_the_share_of_official_voices(engine):
    _store(engine)
    alert = _open(engine)
    assert alert.key == "incident:1:open"
    top = alert.details["top_authors"]
    assert [(a["handle"], a["segment"], a["followers"], a["posts"]) for a in top] == [
        ("ELTIEMPO", "medios_periodistas", 1_234_567, 2),
        ("viajero", "influenciadores", 600_000, 1),
        ("concejala_ana", "gobierno_y_politica", 80_000, 1),
    ]
    assert top[0]["segment_label"] == "Medios y periodistas" and top[0]["url"] == "https://x.com/ELTIEMPO"
    # 5 distinct authors: El Tiempo and the councillor are press/official; the one without profile is not a citizen
    assert alert.details["voices"] == {"authors": 5, "high_priority": 2, "no_profile": 1}
    assert "40% de las voces son medios o cuentas oficiales (2 de 5 autores; 1 sin perfil)." in alert.body
    assert ("Autores con más seguidores: @ELTIEMPO (Medios y periodistas, 1.234.567 seguidores, 2 publicaciones) "
            "https://x.com/ELTIEMPO; @viajero (Influenciadores, 600.000 seguidores, 1 publicación)") in alert.body


def test_the_slack_message_shows_them_and_renders_the_same_every_time(engine, slack):
    _store(engine)
    _open(engine)
    sink = build_slack_sink(TOKEN, None, slack.base_url, {"alerts": "#vigia-alertas", "ops": "#vigia-operaciones"})
    assert isinstance(sink, SlackSink)
    sink._pacer.interval = 0.0
    with UnitOfWork(engine) as uow:  # the outbox row, read back as delivery reads it
        [row] = uow.alerts.all()
        outgoing = _outgoing(uow, sink, row)
    assert outgoing is not None
    sink.send(outgoing)
    sink.send(outgoing)  # a re-render (e.g. after a lost answer) of the same stored alert
    first, second = slack.fake.posted("C0ALERTS1")
    assert first["blocks"] == second["blocks"] and first["text"] == second["text"]
    blocks = json.dumps(first["blocks"], ensure_ascii=False)
    assert "*Voces:*\\n40% de las voces son medios o cuentas oficiales (2 de 5 autores; 1 sin perfil)." in blocks
    assert ("*Autores con más seguidores:*\\n1. @ELTIEMPO (Medios y periodistas, 1.234.567 seguidores, "
            "2 publicaciones) <https://x.com/ELTIEMPO|perfil>\\n2. @viajero (Influenciadores") in blocks
    assert "3. @concejala_ana (Gobierno y política (funcionarios, Congreso, concejos), 80.000 seguidores" in blocks
    assert "Ref. incident:1:open" in blocks


def test_the_same_data_gives_the_same_context(engine):
    """Ties in followers are broken by platform and author id: a recomputed alert says the same."""
    people = [(str(i), f"medio_{i}", {"description": "Periodista", "followers": 1000}, 1) for i in (3, 1, 2, 4)]
    _store(engine, people)
    with UnitOfWork(engine) as uow:
        runs = [spike_voices(uow.session, "category:reclamo", T0 + B, T0 + 2 * B, SEGMENTS) for _ in range(2)]
    assert runs[0] == runs[1]
    assert [a["handle"] for a in runs[0][0]] == ["medio_1", "medio_2", "medio_3"]
    assert runs[0][1] == {"authors": 4, "high_priority": 4, "no_profile": 0}


def test_only_the_spikes_posts_and_authors_count(engine):
    _store(engine)
    outside = [("9", "otro_medio", {"description": "Periodista", "followers": 9_000_000}, 2)]
    _store(engine, outside, minute=45, first=6000)  # a later bucket: not in this spike
    with UnitOfWork(engine) as uow:
        top, voices = spike_voices(uow.session, "category:reclamo", T0 + B, T0 + 2 * B, SEGMENTS)
        assert "otro_medio" not in [a["handle"] for a in top] and voices["authors"] == 5
        _, other = spike_voices(uow.session, "category:denuncia", T0 + B, T0 + 2 * B, SEGMENTS)
        assert other == {"authors": 0, "high_priority": 0, "no_profile": 0}


def test_authors_without_profiles_are_unknown_never_citizens(engine):
    _store(engine, [("7", "anon1", None, 2), ("8", "anon2", None, 1)])
    alert = _open(engine)
    assert alert.details["voices"] == {"authors": 2, "high_priority": 0, "no_profile": 2}
    assert alert.details["top_authors"] == []
    assert "Voces: 2 autores, aún sin perfil conocido (no se sabe si hay medios o cuentas oficiales)." in alert.body
    assert "% de las voces" not in alert.body


def test_high_priority_comes_from_the_configured_priorities(engine):
    _store(engine)
    config = parse_config({"segments": {"audiences": [
        {"id": "medios_periodistas", "label": "Prensa", "priority": 1, "handles": ["ELTIEMPO"]},
        {"id": "gobierno_y_politica", "label": "Política", "priority": 3},
        {"id": "influenciadores", "label": "Influyentes", "priority": 3},
        {"id": "ciudadania", "label": "Ciudadanía", "priority": 0}],
        "rules": [{"segment": "gobierno_y_politica", "bio": ["concejal*"]},
                  {"segment": "influenciadores", "min_followers": 50000}]}})
    # The stored segments were placed by the default rules; only priorities and labels come from this config.
    alert = _open(engine, segmenter(config))
    assert alert.details["voices"]["high_priority"] == 2  # the councillor and the influencer, not the press
    assert alert.details["top_authors"][0]["segment_label"] == "Prensa"


def test_without_segments_the_alert_is_as_before(engine):
    _store(engine)
    t = Transition("category:reclamo", T0 + B, B, "none", "aviso", True, 9, 1.0)
    with UnitOfWork(engine) as uow:
        [alert] = apply_transition(uow, t, TZ, INBOX)
    assert alert.details["top_authors"] == [] and alert.details["voices"] == {}
    assert "voces" not in alert.body and "Autores" not in alert.body


def test_voices_wording():
    assert voices_es({}) is None and voices_es({"authors": 0}) is None
    assert voices_es({"authors": 1, "high_priority": 1, "no_profile": 0}) == \
        "100% de las voces son medios o cuentas oficiales (1 de 1 autor)."
    assert voices_es({"authors": 3, "high_priority": 0, "no_profile": 0}) == \
        "0% de las voces son medios o cuentas oficiales (0 de 3 autores)."
    assert voices_es({"authors": 1, "high_priority": 0, "no_profile": 1}) == \
        "Voces: 1 autor, aún sin perfil conocido (no se sabe si hay medios o cuentas oficiales)."


def test_a_profile_link_that_could_break_the_message_is_not_linked():
    from bot.alerts.sinks import OutgoingAlert
    from bot.alerts.slack_sink import build_blocks

    author = {"handle": "x", "segment_label": "Medios <!channel>", "followers": 10, "posts": 1,
              "url": "https://x.com/a|<!here>"}
    alert = OutgoingAlert("incident:1:open", "spike", "aviso", "alerts", "t", "b", T0,
                          {"value": 3, "expected": 1.0, "top_authors": [author]})
    text = json.dumps(build_blocks(alert), ensure_ascii=False)
    assert "<!here>" not in text and "<!channel>" not in text and "&lt;!channel&gt;" in text


def test_the_bot_puts_them_in_the_alerts_it_raises(engine, tmp_path):
    """Through the bus: stored posts and profiles, the detector's catch-up, the outbox file."""
    from bot import events
    from bot.alerts.sinks import FileSink
    from bot.bootstrap import bootstrap
    from bot.clock import ManualClock
    from tests.bot.test_pipeline import STREAM, _burst_posts, _config
    from tests.fake_connector import ListConnector

    posts, burst_at = _burst_posts()  # by author-0 … author-6 (handles ciudadano_0 … ciudadano_6)
    clock = ManualClock(T0)
    config = _config(tmp_path)
    connector = ListConnector(posts, page=500)
    bus = bootstrap(config, engine=engine, clock=clock, connectors={connector.stream: connector},
                    sinks={"file": FileSink(config.alerts.outbox_file)})
    bus.handle(events.EvaluateSpikes(clock()))  # the keys start learning at T0
    with UnitOfWork(engine) as uow:
        profiles = [Author(platform=Platform.X, author_id="author-0", handle="ciudadano_0", seen_at=T0,
                           description="Periodista de Caracol Radio", followers=300_000,
                           profile_url="https://x.com/ciudadano_0"),
                    Author(platform=Platform.X, author_id="author-1", handle="ciudadano_1", seen_at=T0,
                           description="Vecino de Bosa", followers=20)]
        uow.authors.upsert(profiles, bus.services.segmenter.place, bus.services.segmenter.version, T0)
        uow.commit()
    clock.set(burst_at + timedelta(hours=2))
    bus.handle(events.PollStream(STREAM))
    bus.handle(events.EvaluateSpikes(clock()))
    delivered = [json.loads(x) for x in (tmp_path / "outbox.jsonl").read_text(encoding="utf-8").splitlines()]
    opened = next(d for d in delivered if d["kind"] == "spike")
    assert opened["details"]["voices"] == {"authors": 7, "high_priority": 1, "no_profile": 5}
    assert [(a["handle"], a["segment"]) for a in opened["details"]["top_authors"]] == [
        ("ciudadano_0", "medios_periodistas"), ("ciudadano_1", "ciudadania")]
    assert "14% de las voces son medios o cuentas oficiales (1 de 7 autores; 5 sin perfil)." in opened["body"]
