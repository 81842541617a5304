"""Small pure pieces: legal deadlines, URL filters, throttling, number formats, chart geometry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.web import charts
from bot.web.context import TTLCache
from bot.web.deadlines import deadline_for
from bot.web.filters import FilterParams
from bot.web.security import AttemptLimiter, Passwords, password_problem, same_secret, token_hash
from bot.web.templating import number, percent
from domain.business_calendar import BusinessCalendar

TZ = ZoneInfo("America/Bogota")
CAL = BusinessCalendar(TZ)


def test_business_days_skip_weekends_and_holidays() -> None:
    friday = date(2026, 11, 20)
    assert CAL.add_business_days(friday, 1) == date(2026, 11, 23)  # Monday
    assert CAL.add_business_days(friday, 10) == date(2026, 12, 4)
    assert CAL.add_business_days(date(2026, 11, 21), 1) == date(2026, 11, 23)  # from a Saturday
    assert CAL.add_business_days(date(2026, 11, 13), 1) == date(2026, 11, 17)  # Monday 16/11 is a holiday
    assert CAL.business_days_between(friday, date(2026, 11, 23)) == 1
    assert CAL.business_days_between(date(2026, 11, 23), friday) == -1
    assert CAL.business_days_between(date(2026, 11, 13), date(2026, 11, 17)) == 1


def test_deadline_by_category() -> None:
    created = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)  # Monday 10:00 Bogotá
    now = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # Friday of the next week
    petition = deadline_for(created, "peticion", CAL, now)
    assert petition is not None and petition.due == date(2026, 11, 30) and petition.days_left == 1
    assert petition.level == "soon" and petition.label == "vence en 1 día hábil"
    complaint = deadline_for(created, "reclamo", CAL, now + timedelta(days=14))
    assert complaint is not None and complaint.due == date(2026, 12, 7)
    assert complaint.days_left < 0 and complaint.level == "overdue" and complaint.label.startswith("vencido")
    assert deadline_for(created, "felicitacion", CAL, now) is None


def test_filter_params_drop_unknown_values_and_round_trip() -> None:
    params = FilterParams.from_query({"categoria": "reclamo", "sentimiento": "furioso", "estado": "attended",
                                      "desde": "2026-11-16", "asignado": "yo", "q": " se\x00ñal ",
                                      "incidente": "7", "orden": "urgency", "tema": "espectro"},
                                     topics=("espectro",))
    assert params.sentimiento == "" and params.q == "señal"  # NUL removed (PostgreSQL refuses it)
    assert FilterParams.from_query(dict(pair.split("=") for pair in params.query().split("&")),
                                   topics=("espectro",)).categoria == "reclamo"
    filters = params.to_filters(TZ, me=42)
    assert filters.assignee == "42" and filters.category == "reclamo" and filters.state == "attended"
    assert filters.date_from == datetime(2026, 11, 16, 5, 0, tzinfo=UTC)
    assert FilterParams().query() == "" and not FilterParams().active()
    assert FilterParams.from_query({"tema": "inventado"}, topics=("espectro",)).tema == ""
    assert FilterParams.from_query({"asignado": "ninguno"}).to_filters(TZ, me=1).assignee == "none"


def test_attempt_limiter_window() -> None:
    limiter = AttemptLimiter(max_failures=3, window=timedelta(minutes=10), max_keys=2)
    t = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(3):
        assert not limiter.blocked("1.2.3.4", t + timedelta(seconds=n))
        limiter.record_failure("1.2.3.4", t + timedelta(seconds=n))
    assert limiter.blocked("1.2.3.4", t + timedelta(minutes=5))
    assert not limiter.blocked("1.2.3.4", t + timedelta(minutes=11))
    for ip in ("a", "b", "c"):  # bounded memory
        limiter.record_failure(ip, t)
    assert len(limiter._failures) <= 2


def test_password_helpers() -> None:
    passwords = Passwords()
    stored = passwords.hash("una-clave-larga")
    assert stored.startswith("$argon2id$") and passwords.verify(stored, "una-clave-larga")
    assert not passwords.verify(stored, "otra-clave") and not passwords.verify(None, "una-clave-larga")
    assert not passwords.verify("not-a-hash", "x")
    assert password_problem("corta") and password_problem(" espacios-alrededor ") and not password_problem("x" * 10)
    assert same_secret("abc", "abc") and not same_secret("abc", "abd") and not same_secret(None, "abc")
    assert len(token_hash("t")) == 64


def test_spanish_number_formats() -> None:
    assert number(1234567) == "1.234.567" and number(0.5, 2) == "0,50" and number(None) == "—"
    assert percent(0.256, 1) == "25,6 %" and percent(None) == "—"


def test_chart_geometry_scales_to_the_largest_value() -> None:
    chart = charts.hbars([("a", 10), ("b", 5), ("c", 0)], width=400, label_w=100)
    assert chart.bars[0].w == 2 * chart.bars[1].w and chart.bars[2].w == 0
    cols = charts.columns([("lun", 4), ("mar", 2)], height=140)
    assert cols.bars[0].h == 2 * cols.bars[1].h
    parts = charts.shares([("neg", 1, "n"), ("pos", 3, "p")], width=400)
    assert parts[0].w == 100 and parts[1].x == 100


def test_counts_cache_keeps_expensive_entries_after_a_change() -> None:
    cache = TTLCache(ttl_seconds=60)
    cache.put("cheap", 1, cost=0.01)
    cache.put("dear", 2, cost=2.0)
    cache.drop_cheap(0.25)
    assert cache.get("cheap") is None
    hit = cache.get("dear")
    assert hit is not None and hit.value == 2 and hit.age < 1
    expired = TTLCache(ttl_seconds=-1)
    expired.put("x", 1)
    assert expired.get("x") is None
