"""The report's "Regiones" on a small hand-made fixture, on SQLite and PostgreSQL alike: placed citizen posts per
department (evidence, tone, PQRSD, topics, municipalities), the unplaced ones counted apart, the tables and
regiones.csv, the map in the HTML with DANE's attribution, and the honest empty state.

Every expected number is worked out by hand from the fixture (comments). The week is ISO 2026-W47 in Bogotá.
Places are written straight into the analyses' place columns, as the placer stores them.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.reports.charts import all_charts, region_map
from bot.reports.html import render_html
from bot.reports.model import build_report, report_tables, week_period
from bot.reports.model.regions import ATTRIBUTION
from bot.reports.weekly import write_tables
from domain import Platform, Post, PostKind, TextAnalysis
from domain.business_calendar import BusinessCalendar
from storage import region_indicators as rq
from storage.models import AnalysisRow, PostRow
from storage.region_indicators import TopicCount
from storage.unit_of_work import UnitOfWork
from tests.reports.sample_data import store

BOGOTA = ZoneInfo("America/Bogota")
CAL = BusinessCalendar(BOGOTA)
WEEK = week_period("2026-W47", BOGOTA)
AS_OF = datetime(2026, 11, 27, 12, tzinfo=BOGOTA).astimezone(UTC)
CONNECTIVITY, PROCEDURES = "conectividad", "gobierno_digital"


def post(ext: str, when: datetime, *, own: bool = False) -> Post:
    return Post(platform=Platform.X, external_id=ext, kind=PostKind.OWN_POST if own else PostKind.MENTION,
                account="Ministerio_TIC", author_id="ministry" if own else f"a-{ext}",
                author_handle="ministry" if own else f"a_{ext}", text=f"texto {ext}", created_at=when,
                url=f"https://example.invalid/{ext}", conversation_id=ext, is_own=own)


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=BOGOTA)


# external id -> (day, sentiment, category, topics, (dpto, mpio, evidence) or None); None sentiment: not analysed
FIXTURE: dict[str, tuple[int, str | None, str, tuple[str, ...], tuple[str, str | None, str] | None]] = {
    # W47 (16-22 November)
    "c1": (16, "negative", "queja", (CONNECTIVITY,), ("27", "27001", "text")),  # Chocó, Quibdó
    "c2": (17, "negative", "reclamo", (CONNECTIVITY,), ("27", "27001", "geo")),  # Chocó, Quibdó
    "c3": (17, "neutral", "peticion", (CONNECTIVITY,), ("27", None, "profile")),  # Chocó
    "c4": (18, "negative", "otro", (), ("27", None, "text")),  # Chocó
    "c5": (18, "positive", "felicitacion", (CONNECTIVITY,), ("05", "05001", "text")),  # Antioquia, Medellín
    "c6": (19, "negative", "queja", (PROCEDURES,), ("05", "05001", "text")),  # Antioquia, Medellín
    "c7": (20, "neutral", "otro", (), ("11", "11001", "profile")),  # Bogotá
    "c8": (20, "negative", "peticion", (CONNECTIVITY,), None),  # analysed, no place
    "c9": (21, None, "", (), None),  # not analysed: no place either
    # W46
    "p1": (10, "negative", "queja", (CONNECTIVITY,), ("27", None, "text")),
    "p2": (11, "neutral", "otro", (), None),
}


def _place(engine, places: dict[str, tuple[str, str | None, str]]) -> None:
    with UnitOfWork(engine) as uow:
        s = uow.session
        ids = {ext: pid for ext, pid in s.execute(select(PostRow.external_id, PostRow.id))}
        for ext, (dpto, mpio, evidence) in places.items():
            s.execute(update(AnalysisRow).where(AnalysisRow.post_id == ids[ext])
                      .values(place_dpto=dpto, place_mpio=mpio, place_evidence=evidence))
        uow.commit()


def _store(engine, fixture=FIXTURE, *, placed: bool = True) -> None:
    posts = [post(ext, at(day)) for ext, (day, *_rest) in fixture.items()]
    posts.append(post("own-1", at(16, 8), own=True))  # the ministry, placed in Bogotá: never a citizen post
    analyses = {("x", ext): TextAnalysis("es", sentiment, 0.0, category, topics)
                for ext, (_d, sentiment, category, topics, _p) in fixture.items() if sentiment is not None}
    analyses[("x", "own-1")] = TextAnalysis("es", "neutral", 0.0, "otro", (CONNECTIVITY,))
    store(engine, posts, analyses)
    if placed:
        places = {ext: p for ext, (*_r, p) in fixture.items() if p is not None}
        _place(engine, {**places, "own-1": ("11", "11001", "text")})


def _report(engine):
    with UnitOfWork(engine) as uow:
        return build_report(uow.session, WEEK, AS_OF, CAL)


def test_region_activity_by_hand(engine):
    _store(engine)
    with UnitOfWork(engine) as uow:
        got = rq.region_activity(uow.session, WEEK.utc_start, WEEK.utc_end)
        before = rq.region_activity(uow.session, WEEK.previous().utc_start, WEEK.previous().utc_end)
    # 9 citizen posts (the ministry's is not one), 8 analysed; c1-c7 placed, c8 and c9 not
    assert (got.citizen_posts, got.analysed, got.placed, got.unplaced) == (9, 8, 7, 2)
    assert list(got.departments) == ["05", "11", "27"]
    choco = got.departments["27"]
    assert choco.posts == 4
    assert choco.evidence == {"text": 2, "geo": 1, "profile": 1}
    assert choco.sentiments == {"negative": 3, "neutral": 1}
    assert choco.categories == {"queja": 1, "reclamo": 1, "peticion": 1, "otro": 1}
    assert (choco.negative, choco.complaints) == (3, 2)
    # connectivity in Chocó: c1, c2 (negative complaints) and c3 (neutral petición)
    assert choco.topics == {CONNECTIVITY: TopicCount(posts=3, negative=2, complaints=2, unhappy=2)}
    assert choco.municipalities == {"27001": 2}
    antioquia = got.departments["05"]
    assert antioquia.topics == {CONNECTIVITY: TopicCount(1, 0, 0, 0), PROCEDURES: TopicCount(1, 1, 1, 1)}
    assert (antioquia.posts, antioquia.municipalities, antioquia.evidence) == (2, {"05001": 2}, {"text": 2})
    bogota = got.departments["11"]  # c7 only: the ministry's own post placed in Bogotá does not count
    assert (bogota.posts, bogota.evidence, bogota.topics) == (1, {"profile": 1}, {})
    assert (before.citizen_posts, before.placed, before.unplaced, list(before.departments)) == (2, 1, 1, ["27"])


def test_no_citizen_posts_and_no_places(engine):
    with UnitOfWork(engine) as uow:
        empty = rq.region_activity(uow.session, WEEK.utc_start, WEEK.utc_end)
    assert (empty.citizen_posts, empty.placed, empty.unplaced, empty.departments) == (0, 0, 0, {})
    _store(engine, placed=False)
    with UnitOfWork(engine) as uow:
        unplaced = rq.region_activity(uow.session, WEEK.utc_start, WEEK.utc_end)
    assert (unplaced.citizen_posts, unplaced.placed, unplaced.unplaced, unplaced.departments) == (9, 0, 9, {})


def test_department_figures_and_tables(engine, tmp_path):
    _store(engine)
    r = _report(engine)
    s = r.regions
    assert s is not None and s.has_data
    assert [(d.code, d.name, d.posts, d.previous_posts) for d in s.departments] == [
        ("27", "Chocó", 4, 1), ("05", "Antioquia", 2, 0), ("11", "Bogotá D.C.", 1, 0)]
    choco = s.departments[0]
    assert choco.share == pytest.approx(4 / 7) and choco.negative_share == pytest.approx(3 / 4)
    assert choco.main_category == "peticion"  # queja, reclamo and petición tie at 1: the usual order; "otro" is none
    assert choco.main_topic == CONNECTIVITY and choco.municipalities == [("Quibdó", 2)]
    assert s.departments[2].main_category is None  # Bogotá's only post is "otro"
    assert s.placed_share == pytest.approx(7 / 9) and s.topics == [CONNECTIVITY, PROCEDURES]
    assert (choco.lat, choco.lon) == pytest.approx((5.682166, -76.638144))  # Quibdó's seat
    assert len(s.seats) == 1122

    tables = {t.key: t for t in report_tables(r)}
    regions = tables["regiones"]
    assert regions.rows[0] == ["27", "Chocó", 4, pytest.approx(4 / 7), 1, pytest.approx(0.75), 3, 2, "Petición",
                               "Conectividad e internet", "Quibdó (2)", 1, 2, 1]
    assert regions.rows[1][:4] == ["05", "Antioquia", 2, pytest.approx(2 / 7)]
    assert regions.rows[-1][:5] == ["", "Sin ubicación", 2, None, 1]  # c8 and c9; the week before: p2
    assert ATTRIBUTION in regions.note
    topics = tables["regiones_temas"]
    assert [c.name for c in topics.columns] == [
        "Departamento", "Publicaciones ubicadas", "Conectividad e internet: negativas o quejas/reclamos",
        "Gobierno Digital y trámites: negativas o quejas/reclamos"]
    assert topics.rows == [["Chocó", 4, 2, 0], ["Antioquia", 2, 0, 1]]  # Bogotá complains about no topic

    assert tables["regiones_pqrsd"].rows[:4] == [
        ["27", "Chocó", "Petición", 1, 0.25], ["27", "Chocó", "Queja", 1, 0.25], ["27", "Chocó", "Reclamo", 1, 0.25],
        ["27", "Chocó", "Otro", 1, 0.25]]
    write_tables(list(tables.values()), tmp_path, BOGOTA)
    with (tmp_path / "regiones.csv").open(encoding="utf-8-sig") as fh:
        lines = list(csv.reader(fh))
    assert lines[0] == ["Código DANE", "Departamento", "Publicaciones ubicadas",
                        "Participación entre las ubicadas (%)", "Semana anterior", "Tono negativo (%)", "Negativas",
                        "Quejas y reclamos", "Categoría PQRSD principal", "Tema principal", "Municipios principales",
                        "Ubicadas por geolocalización", "Ubicadas por el texto", "Ubicadas por el perfil del autor"]
    assert lines[1] == ["27", "Chocó", "4", "57.14", "1", "75.0", "3", "2", "Petición", "Conectividad e internet",
                        "Quibdó (2)", "1", "2", "1"]
    assert lines[-1][:5] == ["", "Sin ubicación", "2", "", "1"]
    assert (tmp_path / "regiones_temas.csv").exists()


def test_the_html_section_has_the_map_and_the_attribution(engine):
    _store(engine)
    r = _report(engine)
    charts = all_charts(r)
    assert "mapa_regiones" in charts
    chart = charts["mapa_regiones"]
    assert chart.png[:8] == b"\x89PNG\r\n\x1a\n" and len(chart.png) > 20_000
    assert "Chocó: 4 (75 % negativo)" in chart.alt and "2 sin ubicación" in chart.alt
    html = render_html(r, charts, report_tables(r), generated_at=AS_OF)
    section = html[html.index('<section id="regiones">'):]
    section = section[:section.index("</section>")]
    assert '<h2>Regiones</h2>' in section
    assert 'id="grafico-mapa_regiones"' in section and 'src="data:image/png;base64,' in section
    assert f'alt="{chart.alt}"' in section
    assert ("Fuente: DANE – DIVIPOLA (datos.gov.co, conjunto gdxc-w37w), CC BY-SA 4.0. Adaptado (ver SOURCE.md)."
            in section)
    assert "De las 9 publicaciones ciudadanas de la semana, 7 (77,8 %) se ubicaron en un departamento" in section
    assert "2 quedan sin ubicación" in section
    assert "Chocó (4, 57,1 %), Antioquia (2, 28,6 %) y Bogotá D.C. (1, 14,3 %)" in section
    assert 'id="tabla-regiones_resumen"' in section and 'id="tabla-regiones_temas"' in section
    assert ">geolocalización 1, texto 2, perfil del autor 1</td>" in section  # in the order of trust
    assert "regiones-vacio" not in section
    assert "Regiones: 7 publicaciones ciudadanas (77,8 %) se ubicaron en un departamento; más publicaciones en " \
           "Chocó (4), Antioquia (2) y Bogotá D.C. (1)." in html  # the headline


def test_the_empty_state_when_nothing_is_placed(engine):
    _store(engine, placed=False)
    r = _report(engine)
    assert r.regions is not None and not r.regions.has_data and r.regions.unplaced == 9
    charts = all_charts(r)
    assert "mapa_regiones" not in charts and region_map(r.regions) is None
    html = render_html(r, charts, report_tables(r), generated_at=AS_OF)
    section = html[html.index('<section id="regiones">'):]
    section = section[:section.index("</section>")]
    assert 'id="regiones-vacio"' in section and "Ninguna publicación ubicada esta semana" in section
    assert "ninguna de las 9 publicaciones ciudadanas" in section
    assert "data:image/png" not in section and "tabla-regiones" not in section
    assert {t.key: t for t in report_tables(r)}["regiones"].rows == [
        ["", "Sin ubicación", 9, None, 2, None, None, None, "", "", "", None, None, None]]  # W46: p1 and p2


def test_san_andres_is_drawn_in_the_inset_and_unknown_codes_are_listed_not_drawn(engine):
    fixture = {"i1": (16, "negative", "queja", (), ("88", "88001", "text")),
               "i2": (17, "neutral", "otro", (), ("00", None, "text"))}  # a code DIVIPOLA does not have
    _store(engine, fixture)
    r = _report(engine)
    s = r.regions
    assert [(d.code, d.name, d.lat is None) for d in s.departments] == [  # ties: by code
        ("00", "00", True), ("88", "San Andrés y Providencia", False)]
    chart = region_map(s)
    assert chart is not None and "San Andrés y Providencia: 1 (100 % negativo)" in chart.alt
