"""The report's audiences on a small hand-made fixture, on SQLite and PostgreSQL alike: citizen posts per
segment (joined to authors on platform AND author id, "Sin perfil" apart), the most followed authors, the
ministry accounts' followers and the interaction rate per follower, each platform's audience measure.

Every expected number is worked out by hand from the fixture (comments). The week is ISO 2026-W47 in Bogotá.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.reports.charts import all_charts
from bot.reports.html import render_html, segment_text
from bot.reports.model import build_report, report_tables, segment_sections, week_period
from bot.reports.weekly import write_tables
from domain import Metrics, Platform, Post, PostKind, TextAnalysis
from domain.business_calendar import BusinessCalendar
from storage import audience_indicators as aq
from storage import indicators as q
from storage.models import AccountSnapshotRow, AuthorRow
from storage.unit_of_work import UnitOfWork
from tests.reports.sample_data import store

BOGOTA = ZoneInfo("America/Bogota")
CAL = BusinessCalendar(BOGOTA)
WEEK = week_period("2026-W47", BOGOTA)
AS_OF = datetime(2026, 11, 27, 12, tzinfo=BOGOTA).astimezone(UTC)
ACCOUNT = {Platform.X: "Ministerio_TIC", Platform.FACEBOOK: "MinTICColombia", Platform.INSTAGRAM: "mintic_colombia"}
SEGMENTS = [("medios_periodistas", "Medios y periodistas"), ("gobierno_y_politica", "Gobierno y política"),
            ("academia", "Academia"), ("ciudadania", "Ciudadanía")]
X, FB, IG = Platform.X, Platform.FACEBOOK, Platform.INSTAGRAM


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BOGOTA)


def post(ext: str, platform: Platform, when: datetime, author: str = "", *, own: bool = False,
         metrics: Metrics | None = None, reply_to: str | None = None) -> Post:
    kind = PostKind.OWN_POST if own and reply_to is None else (PostKind.REPLY if own else PostKind.MENTION)
    return Post(platform=platform, external_id=ext, kind=kind, account=ACCOUNT[platform],
                author_id="ministry" if own else author, author_handle="ministry" if own else author,
                text=f"texto {ext}", created_at=when, url=f"https://example.invalid/{ext}", in_reply_to_id=reply_to,
                conversation_id=ext, is_own=own, metrics=metrics or Metrics())


def analysis(sentiment: str, category: str) -> TextAnalysis:
    return TextAnalysis("es", sentiment, 0.0, category)


POSTS = [
    # W47, citizens
    post("c-1", X, at(2026, 11, 16, 9), "u1"),  # medios (400,000 followers): negative peticion
    post("c-6", X, at(2026, 11, 19, 9), "u1"),  # medios: negative queja
    post("c-2", X, at(2026, 11, 17, 9), "u2"),  # gobierno (50,000): neutral reclamo
    post("c-3", X, at(2026, 11, 18, 9), "u3"),  # no profile: negative denuncia
    post("c-4", X, at(2026, 11, 18, 10), "u3"),  # no profile, not analysed
    post("c-5", FB, at(2026, 11, 18, 11), "f1"),  # ciudadania (followers unknown): positive felicitacion
    post("c-7", FB, at(2026, 11, 20, 9), "u1"),  # "u1" on Facebook has no profile: sin perfil, neutral otro
    post("c-8", IG, at(2026, 11, 21, 9), "i1"),  # ciudadania (1,200): neutral sugerencia
    # W47, the ministry: own posts (interactions 30 on X, 10 on Facebook) and a reply (not an own post)
    post("own-x", X, at(2026, 11, 16, 8), own=True, metrics=Metrics(likes=30, impressions=3000)),
    post("own-fb", FB, at(2026, 11, 17, 8), own=True, metrics=Metrics(reactions=10, views=900)),
    post("own-ig", IG, at(2026, 11, 17, 8), own=True, metrics=Metrics(likes=6, views=400, reach=150)),
    post("r-1", X, at(2026, 11, 16, 12), own=True, reply_to="c-1", metrics=Metrics(likes=99, impressions=5)),
    # W46
    post("c-9", X, at(2026, 11, 10, 9), "u1"),  # medios: negative reclamo
    post("c-10", X, at(2026, 11, 11, 9), "u9"),  # academia: positive felicitacion
    post("c-11", X, at(2026, 11, 12, 9), "u3"),  # no profile: neutral otro
    post("own-x-prev", X, at(2026, 11, 10, 8), own=True, metrics=Metrics(likes=20, impressions=2000)),
]
ANALYSES = {
    ("x", "c-1"): analysis("negative", "peticion"), ("x", "c-6"): analysis("negative", "queja"),
    ("x", "c-2"): analysis("neutral", "reclamo"), ("x", "c-3"): analysis("negative", "denuncia"),
    ("facebook", "c-5"): analysis("positive", "felicitacion"), ("facebook", "c-7"): analysis("neutral", "otro"),
    ("instagram", "c-8"): analysis("neutral", "sugerencia"), ("x", "c-9"): analysis("negative", "reclamo"),
    ("x", "c-10"): analysis("positive", "felicitacion"), ("x", "c-11"): analysis("neutral", "otro"),
    **{(str(p.platform), p.external_id): analysis("neutral", "otro") for p in POSTS if p.is_own},
}
AUTHORS = [  # (platform, author_id, segment, followers)
    ("x", "u1", "medios_periodistas", 400_000),
    ("x", "u2", "gobierno_y_politica", 50_000),
    ("facebook", "f1", "ciudadania", None),
    ("instagram", "i1", "ciudadania", 1_200),
    ("x", "u9", "academia", 9_000),
    ("x", "ministry", "gobierno_y_politica", 1_500_000),  # the ministry's own posts are never citizens
]
SNAPSHOTS = [  # (platform, account, day, followers)
    ("x", "Ministerio_TIC", "2026-11-08", 990_000),  # end of W45
    ("x", "Ministerio_TIC", "2026-11-15", 1_000_000),  # end of W46
    ("x", "Ministerio_TIC", "2026-11-18", 1_004_000),
    ("x", "Ministerio_TIC", "2026-11-22", 1_010_000),  # end of W47
    ("x", "Ministerio_TIC", "2026-11-23", 1_011_000),  # the next week: not this report's
    ("facebook", "MinTICColombia", "2026-11-10", 500_000),  # none in W47: the last known, with its date
]


@pytest.fixture
def db(engine):
    store(engine, POSTS, ANALYSES)
    seen = at(2026, 11, 1).astimezone(UTC)
    with UnitOfWork(engine) as uow:
        s = uow.session
        s.add_all([AuthorRow(platform=p, author_id=a, handle=a, display_name=f"Nombre {a}", segment=seg,
                             segment_rule=f"test:{seg}", followers=n, profile_url=f"https://example.invalid/@{a}",
                             first_seen=seen, last_seen=seen, refreshed_at=seen) for p, a, seg, n in AUTHORS])
        s.add_all([AccountSnapshotRow(platform=p, account=a, day=d, followers=n,
                                      taken_at=datetime.fromisoformat(d).replace(hour=17, tzinfo=UTC))
                   for p, a, d, n in SNAPSHOTS])
        uow.commit()
    return engine


def test_segment_activity_joins_authors_on_platform_and_id(db):
    with UnitOfWork(db) as uow:
        rows = aq.segment_activity(uow.session, WEEK.utc_start, WEEK.utc_end)
        unique = q.unique_citizens(uow.session, WEEK.utc_start, WEEK.utc_end)
    got = {(r.segment, r.platform): (r.authors, r.posts, r.sentiments, r.categories) for r in rows}
    assert got == {
        ("medios_periodistas", "x"): (1, 2, {"negative": 2}, {"peticion": 1, "queja": 1}),
        ("gobierno_y_politica", "x"): (1, 1, {"neutral": 1}, {"reclamo": 1}),
        ("sin_perfil", "x"): (1, 2, {"negative": 1}, {"denuncia": 1}),  # u3: c-4 not analysed
        ("sin_perfil", "facebook"): (1, 1, {"neutral": 1}, {"otro": 1}),  # u1 has no Facebook profile
        ("ciudadania", "facebook"): (1, 1, {"positive": 1}, {"felicitacion": 1}),
        ("ciudadania", "instagram"): (1, 1, {"neutral": 1}, {"sugerencia": 1}),
    }
    per_platform: dict[str, int] = {}
    for r in rows:
        per_platform[r.platform] = per_platform.get(r.platform, 0) + r.authors
    assert per_platform == unique == {"x": 3, "facebook": 2, "instagram": 1}


def test_segment_figures_against_the_previous_week(db):
    with UnitOfWork(db) as uow:
        r = build_report(uow.session, WEEK, AS_OF, CAL, segments=SEGMENTS)
    pairs = {now.segment: (now, before) for now, before in r.segments()}
    assert [now.label for now, _ in r.segments()] == [
        "Medios y periodistas", "Gobierno y política", "Academia", "Ciudadanía", "Sin perfil"]
    medios, medios_before = pairs["medios_periodistas"]
    assert (medios.posts, medios.authors, medios.questions, medios_before.posts) == (2, 1, 2, 1)
    assert medios.sentiment_share("negative") == 1.0
    academia, academia_before = pairs["academia"]  # spoke only the week before
    assert (academia.posts, academia_before.posts, academia_before.categories) == (0, 1, {"felicitacion": 1})
    citizens, _ = pairs["ciudadania"]
    assert (citizens.posts, citizens.authors, dict(citizens.by_platform)) == (2, 2, {"facebook": 1, "instagram": 1})
    assert citizens.sentiment_share("positive") == 0.5 and citizens.questions == 1  # the sugerencia
    no_profile, no_profile_before = pairs["sin_perfil"]
    assert (no_profile.posts, no_profile.authors, no_profile.analysed, no_profile_before.posts) == (3, 2, 2, 1)
    # the segments add up to the citizens' posts and people of the week; the ministry is in none
    assert sum(now.posts for now, _ in r.segments()) == r.current.citizen_posts == 8
    assert sum(now.authors for now, _ in r.segments()) == r.current.unique_citizens == 6
    # the CSV tables: one row per segment, and the PQRSD mix per segment without empty rows
    tables = {t.key: t for t in report_tables(r)}
    seg = {row[0]: row for row in tables["segmentos"].rows}
    assert seg["Medios y periodistas"][1:4] == [2, 1, pytest.approx(100.0)]  # posts, before, +100 %
    assert seg["Sin perfil"][4] == pytest.approx(3 / 8)
    assert ["Ciudadanía", "Sugerencia", 1, 0.5, 0, None] in tables["segmentos_pqrsd"].rows


def test_influential_authors_ranked_by_followers(db):
    with UnitOfWork(db) as uow:
        s = uow.session
        segments = [sid for sid, _ in SEGMENTS]
        every = aq.influential_authors(s, WEEK.utc_start, WEEK.utc_end, segments)
        few = aq.influential_authors(s, WEEK.utc_start, WEEK.utc_end, segments, limit=1, per_segment=1)
    # u1 and u2 on X, i1 on Instagram, f1 (followers unknown) last; no ministry, no author without profile
    assert [(a.handle, a.platform, a.followers, a.posts, a.rank, a.segment_rank) for a in every] == [
        ("u1", "x", 400_000, 2, 1, 1), ("u2", "x", 50_000, 1, 2, 1), ("i1", "instagram", 1_200, 1, 3, 1),
        ("f1", "facebook", None, 1, 4, 2)]
    assert every[0].sentiments == {"negative": 2, "neutral": 0, "positive": 0}
    # the overall first, plus the first of each segment (by segment id): f1 is second among ciudadania
    assert [(a.handle, a.rank, a.segment_rank) for a in few] == [("u1", 1, 1), ("i1", None, 1), ("u2", None, 1)]


def test_influential_table_and_csv(db, tmp_path):
    with UnitOfWork(db) as uow:
        r = build_report(uow.session, WEEK, AS_OF, CAL, segments=SEGMENTS)
    tables = report_tables(r)
    top = next(t for t in tables if t.key == "autores_influyentes")
    assert [row[:6] for row in top.rows] == [
        [1, "X", "u1", "Nombre u1", "Medios y periodistas", 400_000],
        [2, "X", "u2", "Nombre u2", "Gobierno y política", 50_000],
        [3, "Instagram", "i1", "Nombre i1", "Ciudadanía", 1_200],
        [4, "Facebook", "f1", "Nombre f1", "Ciudadanía", None]]
    assert top.rows[0][7:12] == [2, 2, 0, 0, 1.0]  # posts, negative, neutral, positive, negative share
    paths = write_tables(tables, tmp_path, BOGOTA)
    assert tmp_path / "autores_influyentes.csv" in paths
    with (tmp_path / "autores_influyentes.csv").open(encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh))
    assert lines[1][:6] == ["1", "X", "u1", "Nombre u1", "Medios y periodistas", "400000"]
    per_segment = {t.key: t for t in tables}["autores_por_segmento"]
    assert [(row[0], row[1], row[3]) for row in per_segment.rows] == [
        ("Medios y periodistas", 1, "u1"), ("Gobierno y política", 1, "u2"), ("Ciudadanía", 1, "i1"),
        ("Ciudadanía", 2, "f1")]


def test_followers_growth_and_interaction_rate_per_follower(db):
    with UnitOfWork(db) as uow:
        r = build_report(uow.session, WEEK, AS_OF, CAL, segments=SEGMENTS)
    fans = {a.platform: a for a in r.followers}
    x, fb = fans["x"], fans["facebook"]
    assert set(fans) == {"x", "facebook"}  # Instagram has no snapshot: no row, not zeros
    assert (x.end.followers, x.end.day.isoformat(), x.previous.followers) == (1_010_000, "2026-11-22", 1_000_000)
    assert (x.change, x.change_pct, x.previous_change) == (10_000, pytest.approx(1.0), 10_000)
    assert x.engagement_rate == pytest.approx(30 / 1_010_000)  # own posts only: the reply's 99 likes left out
    assert x.previous_engagement_rate == pytest.approx(20 / 1_000_000)
    assert [s.day.isoformat() for s in x.series][-1] == "2026-11-22"  # the next week's snapshot is not shown
    # Facebook's last count is from 10/11: shown with its date, no growth computed for the week
    assert (fb.end.followers, fb.end.day.isoformat(), fb.current, fb.change) == (500_000, "2026-11-10", False, None)
    kpis = {k.key: k for k in r.kpis()}
    assert kpis["tasa_interaccion_seguidores"].current == pytest.approx((30 + 10) / (1_010_000 + 500_000))
    assert kpis["tasa_interaccion_seguidores"].previous == pytest.approx((20 + 0) / (1_000_000 + 500_000))
    assert (kpis["seguidores"].current, kpis["seguidores"].previous) == (1_510_000, 1_500_000)
    assert kpis["seguidores_nuevos"].current is None  # Facebook's week is unknown: no total growth
    assert "ninguna fuente" not in kpis["tasa_interaccion_seguidores"].note
    table = {t.key: t for t in report_tables(r)}["seguidores"]
    assert [row[:8] for row in table.rows] == [
        ["Facebook", "MinTICColombia", 500_000, fb.end.day, 500_000, None, None, None],
        ["X", "Ministerio_TIC", 1_010_000, x.end.day, 1_000_000, 10_000, pytest.approx(1.0), 10_000]]


def test_each_platform_keeps_its_own_audience_measure(db):
    with UnitOfWork(db) as uow:
        r = build_report(uow.session, WEEK, AS_OF, CAL, segments=SEGMENTS)
    kpis = {k.key: k for k in r.kpis()}
    assert kpis["impresiones_x"].label == "Impresiones de las publicaciones propias en X"
    assert kpis["visualizaciones_facebook"].label == "Visualizaciones de las publicaciones propias en Facebook"
    assert kpis["alcance_instagram"].label == "Alcance de las publicaciones propias en Instagram"
    assert (kpis["impresiones_x"].current, kpis["impresiones_x"].previous) == (3000, 2000)
    assert kpis["visualizaciones_facebook"].previous is None  # Facebook reported no views that week
    assert kpis["tasa_interaccion_impresiones_x"].current == pytest.approx(30 / 3000)
    assert kpis["tasa_interaccion_visualizaciones_instagram"].current == pytest.approx(6 / 400)
    assert kpis["tasa_interaccion_alcance_instagram"].current == pytest.approx(6 / 150)
    table = {t.key: t for t in report_tables(r)}["alcance_publicaciones"]
    assert [row[:7] for row in table.rows] == [
        ["X", "Ministerio_TIC", "Impresiones", 1, 3000, 30, pytest.approx(0.01)],
        ["Facebook", "MinTICColombia", "Visualizaciones", 1, 900, 10, pytest.approx(10 / 900)],
        ["Instagram", "mintic_colombia", "Visualizaciones", 1, 400, 6, pytest.approx(6 / 400)],
        ["Instagram", "mintic_colombia", "Alcance", 1, 150, 6, pytest.approx(6 / 150)]]


def test_html_shows_segments_authors_followers_and_labelled_measures(db):
    with UnitOfWork(db) as uow:
        r = build_report(uow.session, WEEK, AS_OF, CAL, segments=SEGMENTS)
    html = render_html(r, all_charts(r), report_tables(r), generated_at=AS_OF)
    for text in ('id="audiencias"', "Autores más influyentes", "Medios y periodistas", "Sin perfil", "u1",
                 'id="grafico-seguidores"', 'id="grafico-segmentos"', "1.010.000", "Visualizaciones de las",
                 "Alcance de las publicaciones propias en Instagram", "Tasa de interacción por seguidor ="):
        assert text in html, text
    assert "ninguna fuente conectada informa" not in html
    assert "3.000 impresiones" in html and "400 visualizaciones · 150 alcance" in html  # top posts
    sections = {s.now.segment: s for s in segment_sections(r)}
    assert not sections["academia"].now.posts and sections["academia"].has_data  # shown: it spoke last week
    assert segment_text(sections["medios_periodistas"]) == (
        "2 publicaciones de 1 autor (+100,0 % frente a la semana anterior). Tono: 100,0 % negativo, 0,0 % neutral "
        "y 0,0 % positivo (negativo la semana anterior: 100,0 %). Clasificación: queja 1, petición 1; 2 PQRSD con "
        "plazo legal de respuesta (semana anterior: 1).")
    alone = replace(sections["ciudadania"], has_previous=False)  # no data the week before: nothing compared
    assert segment_text(alone) == ("2 publicaciones de 2 autores. Tono: 0,0 % negativo, 50,0 % neutral y 50,0 % "
                                   "positivo. Clasificación: sugerencia 1, felicitación 1; 1 PQRSD con plazo legal "
                                   "de respuesta.")
    kpis = {k.key: k for k in r.kpis()}
    assert kpis["visualizaciones_facebook"].note == "veces que se mostraron o reprodujeron, según Facebook"


def test_no_snapshot_says_sin_datos(engine):
    store(engine, POSTS[:9], ANALYSES)
    with UnitOfWork(engine) as uow:
        r = build_report(uow.session, WEEK, AS_OF, CAL)
    kpi = {k.key: k for k in r.kpis()}["tasa_interaccion_seguidores"]
    assert kpi.current is None and kpi.note.startswith("sin datos")
    assert r.followers == [] and [now.segment for now, _ in r.segments()] == ["sin_perfil"]
    html = render_html(r, all_charts(r), report_tables(r), generated_at=AS_OF)
    assert "Sin datos: no hay registros diarios de seguidores" in html
    assert '<td class="num strong">sin datos</td>' in html  # the KPI, not a dash and never 0
