"""The alert policy: one incident for related keys, escalation, recovery, cooldown per incident."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot.alerts.incidents import Transition, apply_transition, note_spike_bucket
from storage.unit_of_work import UnitOfWork
from tests.factories import T0

TZ = ZoneInfo("America/Bogota")
B = timedelta(minutes=15)


def _t(key, n, previous, level, in_spike=True, value=30, expected=3.0):
    return Transition(key, T0 + n * B, B, previous, level, in_spike, value, expected)


def _run(engine, transitions, cooldown=timedelta(minutes=60)):
    alerts = []
    with UnitOfWork(engine) as uow:
        for t in transitions:
            alerts += apply_transition(uow, t, TZ, "http://127.0.0.1:8000/inbox", cooldown)
        incidents = [(i.id, i.level, list(i.keys), i.closed_at) for i in uow.incidents.all()]
        uow.commit()
    return alerts, incidents


def test_related_keys_make_one_incident_with_escalation_and_recovery(sqlite_engine):
    alerts, incidents = _run(sqlite_engine, [
        _t("category:reclamo", 0, "none", "aviso"),
        _t("sentiment:negative", 1, "none", "aviso"),  # joins quietly
        _t("category:reclamo", 2, "aviso", "critico"),  # grows a level: told
        _t("sentiment:negative", 3, "aviso", "critico"),  # already critical: quiet
        _t("category:reclamo", 6, "critico", "none", in_spike=False),
        _t("sentiment:negative", 7, "critico", "none", in_spike=False),  # the last key ends it
    ])
    assert [a.kind for a in alerts] == ["spike", "escalation", "recovery"]
    assert len(incidents) == 1 and incidents[0][1] == "critico"
    assert incidents[0][2] == ["category:reclamo", "sentiment:negative"] and incidents[0][3] is not None
    assert alerts[1].details["thread_of"] == alerts[0].key == "incident:1:open"
    assert "Duración: 1 h 45 min" in alerts[2].body


def test_a_spike_within_the_cooldown_reopens_the_incident_quietly(sqlite_engine):
    alerts, incidents = _run(sqlite_engine, [
        _t("all", 0, "none", "aviso"),
        _t("all", 2, "aviso", "none", in_spike=False),
        _t("all", 4, "none", "aviso"),  # 30 min later: same incident, nothing new to say
        _t("all", 5, "aviso", "critico"),  # but a higher level is news
        _t("all", 8, "critico", "none", in_spike=False),
    ])
    assert [a.kind for a in alerts] == ["spike", "recovery", "escalation", "recovery"]
    assert len(incidents) == 1
    assert len({a.key for a in alerts}) == 4  # two recoveries of one incident keep distinct keys


def test_after_the_cooldown_a_new_incident_opens(sqlite_engine):
    alerts, incidents = _run(sqlite_engine, [
        _t("all", 0, "none", "aviso"),
        _t("all", 2, "aviso", "none", in_spike=False),
        _t("all", 2 + 5, "none", "aviso"),  # 75 min after the end
    ])
    assert [a.kind for a in alerts] == ["spike", "recovery", "spike"] and len(incidents) == 2


def _store(engine, posts_by_category):
    """Citizen posts with analyses, so the policy can tell which keys share posts."""
    from domain import TextAnalysis
    from tests.factories import make_post

    n = 0
    with UnitOfWork(engine) as uow:
        for category, minutes in posts_by_category:
            ids = uow.posts.upsert([make_post(1000 + n, minutes=minutes)]).new_ids
            uow.analyses.insert_new([(ids[0], TextAnalysis("es", "negative", -0.8, category))], T0)
            n += 1
        uow.commit()


def test_unrelated_simultaneous_spikes_are_separate_incidents(sqlite_engine):
    # reclamo posts and denuncia posts in the same buckets, no post shared
    _store(sqlite_engine, [("reclamo", m) for m in range(0, 30, 2)] + [("denuncia", m) for m in range(1, 30, 2)])
    alerts, incidents = _run(sqlite_engine, [
        _t("category:reclamo", 1, "none", "aviso"),
        _t("category:denuncia", 1, "none", "aviso"),
        _t("sentiment:negative", 1, "none", "aviso"),  # shares posts with both: joins the first related one
        _t("category:denuncia", 3, "aviso", "none", in_spike=False),
    ])
    assert [a.kind for a in alerts] == ["spike", "spike", "recovery"]
    assert len(incidents) == 2
    assert incidents[0][2] == ["category:reclamo", "sentiment:negative"] and incidents[0][3] is None
    assert incidents[1][2] == ["category:denuncia"] and incidents[1][3] is not None
    assert alerts[2].details["incident"] == 2


def test_all_mentions_does_not_glue_unrelated_crises_together(sqlite_engine):
    _store(sqlite_engine, [("reclamo", m) for m in range(0, 30, 2)] + [("denuncia", m) for m in range(1, 30, 2)])
    _, incidents = _run(sqlite_engine, [
        _t("category:reclamo", 1, "none", "aviso"),
        _t("all", 1, "none", "aviso"),  # general: joins the open incident
        _t("category:denuncia", 1, "none", "aviso"),  # its posts are in "all", but not in reclamo: separate
    ])
    assert [keys for _, _, keys, _ in incidents] == [["category:reclamo", "all"], ["category:denuncia"]]


def test_interactions_are_counted_in_correct_spanish():
    from bot.alerts.incidents import interactions_es

    assert interactions_es(1) == "1 interacción" and interactions_es(0) == "0 interacciones"
    assert interactions_es(18) == "18 interacciones"


def test_the_peak_is_the_highest_bucket_of_the_incident_and_says_which_signal(sqlite_engine):
    """Buckets between transitions count: the escalation's 12 and a later 15 beat the opening 6."""
    key = "topic:computadores_para_educar"
    with UnitOfWork(sqlite_engine) as uow:
        alerts = apply_transition(uow, _t(key, 0, "none", "aviso", value=6, expected=0.4), TZ, "u")
        alerts += apply_transition(uow, _t(key, 1, "aviso", "critico", value=12, expected=0.4), TZ, "u")
        note_spike_bucket(uow, key, 15, 0.5)
        note_spike_bucket(uow, key, 9, 0.5)  # lower: not a peak
        note_spike_bucket(uow, "flag:fraud", 40, 1.0)  # a key of no open incident changes nothing
        (incident,) = uow.incidents.all()
        assert (incident.peak_signal, incident.peak_value, incident.peak_expected) == (key, 15, 0.5)
        alerts += apply_transition(uow, _t(key, 9, "critico", "none", in_spike=False), TZ, "u")
        uow.commit()
    assert "pico: tema «Computadores para Educar» con 15 en 15 min frente a 0.5 esperados" in alerts[-1].body
    assert alerts[-1].details["peak_key"] == key and alerts[-1].details["peak_value"] == 15


def test_all_mentions_take_over_the_peak_once_they_join(sqlite_engine):
    """Even with a lower count: the message names the signal it quotes, and all mentions are the broadest one."""
    _store(sqlite_engine, [("reclamo", m) for m in range(0, 30, 2)])
    with UnitOfWork(sqlite_engine) as uow:
        apply_transition(uow, _t("category:reclamo", 1, "none", "aviso", value=30, expected=3.0), TZ, "u")
        apply_transition(uow, _t("all", 1, "none", "aviso", value=25, expected=10.0), TZ, "u")
        (incident,) = uow.incidents.all()
        assert incident.keys == ["category:reclamo", "all"]
        assert (incident.peak_signal, incident.peak_value) == ("all", 25)
        note_spike_bucket(uow, "category:reclamo", 50, 3.0)  # no longer the incident's peak signal
        note_spike_bucket(uow, "all", 60, 11.0)
        assert (incident.peak_signal, incident.peak_value, incident.peak_expected) == ("all", 60, 11.0)
