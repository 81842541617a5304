"""Spike alerts say where a spike is concentrated: the share of its placed posts from one department when one
holds a strict majority of at least PLACED_MIN of them, else the departments with most, and nothing when too
few are placed. Real databases (SQLite and PostgreSQL), the outbox text and the fake Slack Web API.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update

from bot.alerts.context import spike_places
from bot.alerts.delivery import _outgoing
from bot.alerts.incidents import PLACED_MIN, Transition, apply_transition, places_es
from bot.alerts.sinks import render_text
from bot.alerts.slack_sink import SlackSink, build_slack_sink
from domain import TextAnalysis
from storage.models import AnalysisRow
from storage.unit_of_work import UnitOfWork
from tests.factories import T0, make_post
from tests.fakes.slack_api import TOKEN

TZ = ZoneInfo("America/Bogota")
B = timedelta(minutes=15)
INBOX = "http://127.0.0.1:8000/inbox"
KEY = "category:reclamo"


def _store(engine, places: list[str | None], *, minute: int = 16, first: int = 7000,
           category: str = "reclamo") -> None:
    """One citizen post per entry of `places` (a DANE department code, or None: not placed) in the spike's
    bucket [T0+15, T0+30)."""
    with UnitOfWork(engine) as uow:
        for n, dpto in enumerate(places):
            post = dataclasses.replace(make_post(first + n, minutes=minute), author_id=f"p{first + n}")
            [pid] = uow.posts.upsert([post]).new_ids
            uow.analyses.insert_new([(pid, TextAnalysis("es", "negative", -0.8, category))], T0)
            if dpto is not None:
                uow.session.execute(update(AnalysisRow).where(AnalysisRow.post_id == pid)
                                    .values(place_dpto=dpto, place_evidence="text"))
        uow.commit()


def _open(engine):
    t = Transition(KEY, T0 + B, B, "none", "aviso", True, 9, 1.0)
    with UnitOfWork(engine) as uow:
        [alert] = apply_transition(uow, t, TZ, INBOX)
        uow.alerts.add(alert, "slack")
        uow.commit()
    return alert


def test_a_concentrated_spike_names_its_department(engine):
    # 40 posts: 12 from Chocó, 4 Antioquia, 3 Cauca (19 placed), 21 without a place
    _store(engine, ["27"] * 12 + ["05"] * 4 + ["19"] * 3 + [None] * 21)
    _store(engine, ["05"] * 30, minute=50, first=8000)  # a later bucket: not in this spike
    _store(engine, ["05"] * 30, first=9000, category="queja")  # another key: not in this spike
    alert = _open(engine)
    assert alert.details["places"] == {"posts": 40, "placed": 19, "departments": 3, "top": [
        {"code": "27", "name": "Chocó", "posts": 12}, {"code": "05", "name": "Antioquia", "posts": 4},
        {"code": "19", "name": "Cauca", "posts": 3}]}
    assert "63% de las menciones ubicadas vienen de Chocó (12 de 19; 21 sin ubicación)." in alert.body


def test_a_spread_spike_lists_the_top_departments(engine):
    # 9 placed: Bogotá 4, Antioquia 3, Valle 1, Nariño 1 - none holds a majority (4 of 9 is not)
    _store(engine, ["11"] * 4 + ["05"] * 3 + ["76", "52"])
    alert = _open(engine)
    assert alert.details["places"]["placed"] == 9
    assert ("Menciones ubicadas repartidas en 4 departamentos: Bogotá D.C. 4, Antioquia 3, Nariño 1 y 1 más "
            "(9 ubicadas).") in alert.body
    assert "vienen de" not in alert.body


def test_too_few_placed_posts_say_nothing(engine):
    _store(engine, ["27"] * (PLACED_MIN - 1) + [None] * 30)  # 4 of 4 placed from Chocó: too few to mean anything
    alert = _open(engine)
    assert alert.details["places"]["placed"] == PLACED_MIN - 1
    assert "ubicadas" not in alert.body and "Chocó" not in alert.body


def test_half_is_not_a_majority(engine):
    _store(engine, ["27"] * 3 + ["05"] * 3)  # a tie: neither "comes from" one department
    with UnitOfWork(engine) as uow:
        places = spike_places(uow.session, KEY, T0 + B, T0 + 2 * B)
    assert places["top"][0] == {"code": "05", "name": "Antioquia", "posts": 3}  # ties by DANE code
    assert places_es(places) == "Menciones ubicadas repartidas en 2 departamentos: Antioquia 3 y Chocó 3 (6 ubicadas)."


def test_places_wording():
    assert places_es({}) is None
    assert places_es({"posts": 10, "placed": 4, "departments": 1,
                      "top": [{"code": "27", "name": "Chocó", "posts": 4}]}) is None
    choco = {"posts": 5, "placed": 5, "departments": 1, "top": [{"code": "27", "name": "Chocó", "posts": 5}]}
    assert places_es(choco) == "100% de las menciones ubicadas vienen de Chocó (5 de 5)."
    big = {"posts": 25_000, "placed": 2_000, "departments": 2,
           "top": [{"code": "11", "name": "Bogotá D.C.", "posts": 1_500}, {"code": "05", "name": "Antioquia",
                                                                            "posts": 500}]}
    assert places_es(big) == ("75% de las menciones ubicadas vienen de Bogotá D.C. "
                              "(1.500 de 2.000; 23.000 sin ubicación).")


def test_the_slack_message_and_the_console_text_say_where(engine, slack):
    _store(engine, ["27"] * 12 + ["05"] * 4 + ["19"] * 3 + [None] * 21)
    _open(engine)
    sink = build_slack_sink(TOKEN, None, slack.base_url, {"alerts": "#vigia-alertas", "ops": "#vigia-operaciones"})
    assert isinstance(sink, SlackSink)
    sink._pacer.interval = 0.0
    with UnitOfWork(engine) as uow:  # the outbox row, read back as delivery reads it
        [row] = uow.alerts.all()
        outgoing = _outgoing(uow, sink, row)
    assert outgoing is not None
    assert "63% de las menciones ubicadas vienen de Chocó (12 de 19; 21 sin ubicación)." in render_text(outgoing)
    sink.send(outgoing)
    [posted] = slack.fake.posted("C0ALERTS1")
    blocks = json.dumps(posted["blocks"], ensure_ascii=False)
    assert "*Dónde:*\\n63% de las menciones ubicadas vienen de Chocó (12 de 19; 21 sin ubicación)." in blocks
