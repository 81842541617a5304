"""The sample week's report: files, figures (recomputed here from the JSONL), sections, links, safety."""

from __future__ import annotations

import csv
import dataclasses
import re
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.clock import ManualClock
from bot.reports.html import find_chromium
from bot.reports.weekly import run_weekly_report
from domain import Metrics, PostKind
from storage import db
from storage.models import ReportRunRow
from storage.unit_of_work import UnitOfWork
from tests.reports.conftest import MONDAY_AFTER
from tests.reports.sample_data import SAMPLE_WEEK, sample_posts, services, store

BOGOTA = ZoneInfo("America/Bogota")
INTERACTIONS = ("likes", "reposts", "replies", "quotes", "bookmarks", "reactions", "comments", "shares", "saves")


def es(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def read_csv(path):
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def expected():
    """Figures computed straight from the sample file, independently of the SQL."""
    posts = sample_posts()
    own = [p for p in posts if p.is_own]
    citizens = [p for p in posts if not p.is_own]
    interactions = sum(getattr(p.metrics, m) or 0 for p in own for m in INTERACTIONS)
    per_day = Counter(p.created_at.astimezone(BOGOTA).date().isoformat() for p in citizens)
    return {"posts": len(posts), "citizens": len(citizens), "interactions": interactions,
            "own_posts": sum(p.kind == "own_post" for p in own), "replies": sum(p.kind == "reply" for p in own),
            "unique": len({(p.platform, p.author_id) for p in citizens}), "per_day": per_day,
            "categories": Counter(p.raw["label"]["category"] for p in citizens)}


def test_files_are_written(sample_report):
    target = sample_report.target
    assert target.name == SAMPLE_WEEK
    names = {p.name for p in sample_report.files}
    assert f"informe-{SAMPLE_WEEK}.html" in names
    for table in ("indicadores_clave", "interacciones_por_cuenta", "publicaciones_propias", "actividad_diaria",
                  "sentimiento", "sentimiento_diario", "pqrsd", "temas", "tiempos_respuesta", "plazos_legales",
                  "incidentes", "publicaciones_destacadas", "conversaciones_destacadas", "pendientes_vencidas",
                  "cobertura_datos"):
        assert f"{table}.csv" in names
    assert all(p.exists() and p.stat().st_size > 0 for p in sample_report.files)
    if find_chromium():
        pdf = target / f"informe-{SAMPLE_WEEK}.pdf"
        assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 50_000


def test_csv_figures_match_the_sample(sample_report, expected):
    target = sample_report.target
    kpis = {row["Indicador"]: row for row in read_csv(target / "indicadores_clave.csv")}
    assert float(kpis["Interacciones registradas"]["Esta semana"]) == expected["interactions"]
    assert float(kpis["Menciones y comentarios recibidos"]["Esta semana"]) == expected["citizens"]
    assert float(kpis["Publicaciones propias"]["Esta semana"]) == expected["own_posts"]
    assert float(kpis["Respuestas del Ministerio a la ciudadanía"]["Esta semana"]) == expected["replies"]
    assert float(kpis["Ciudadanos únicos"]["Esta semana"]) == expected["unique"]
    assert kpis["Interacciones registradas"]["Semana anterior"] == ""  # no data for W46: not 0
    daily = read_csv(target / "actividad_diaria.csv")
    per_day = Counter()
    for row in daily:
        per_day[row["Fecha"]] += int(row["Menciones y comentarios recibidos"])
    assert per_day == expected["per_day"]
    pqrsd = {row["Categoría"]: int(row["Esta semana"]) for row in read_csv(target / "pqrsd.csv")}
    assert pqrsd["Reclamo"] == expected["categories"]["reclamo"]
    assert pqrsd["Petición"] == expected["categories"]["peticion"]
    incidents = read_csv(target / "incidentes.csv")
    assert [(r["Nivel máximo"], r["Duración (h)"]) for r in incidents] == [("Crítico", "4.5"), ("Aviso", "2.25")]


def test_each_platform_keeps_its_own_audience_measure_from_the_sample(sample_report):
    """X's own posts say impressions, Meta's views and reach (docs/meta-graph-api.md): summed apart, never mixed."""
    own = [p for p in sample_posts() if p.kind == PostKind.OWN_POST]
    kpis = {row["Indicador"]: row for row in read_csv(sample_report.target / "indicadores_clave.csv")}
    for measure, name in (("impressions", "Impresiones"), ("views", "Visualizaciones"), ("reach", "Alcance")):
        for where in ("X", "Facebook", "Instagram"):
            values = [getattr(p.metrics, measure) for p in own if p.platform.value == where.lower()]
            reported = [v for v in values if v is not None]
            label = f"{name} de las publicaciones propias en {where}"
            if not reported:
                assert label not in kpis, label  # a platform that does not report the measure shows no row
                continue
            assert len(reported) == len(values) > 0  # every own post of the platform carries its measure
            assert float(kpis[label]["Esta semana"]) == sum(reported), label
    shown = {label for label in kpis if " de las publicaciones propias en " in label}
    assert shown == {f"{name} de las publicaciones propias en {where}" for name, where in (
        ("Impresiones", "X"), ("Visualizaciones", "Facebook"), ("Alcance", "Facebook"),
        ("Visualizaciones", "Instagram"), ("Alcance", "Instagram"))}  # Meta's posts carry no impressions


def test_html_reads_like_a_report(sample_report, expected):
    html = (sample_report.target / f"informe-{SAMPLE_WEEK}.html").read_text(encoding="utf-8")
    assert '<html lang="es">' in html
    assert "Informe semanal de redes sociales" in html and "del 16 al 22 de noviembre de 2026" in html
    for section in ("resumen", "indicadores", "interacciones", "conversacion", "tono", "pqrsd", "temas",
                    "respuesta", "incidentes", "destacadas", "conversaciones", "pendientes", "cobertura",
                    "audiencias", "autores-influyentes"):
        assert f'<section id="{section}">' in html
    assert f"registraron {es(expected['interactions'])} interacciones" in html
    assert f"publicó {es(expected['citizens'])} menciones y comentarios" in html
    assert "Hubo 2 incidentes de crisis" in html and "crítico desde el mié 18/11 10:15" in html
    assert "lunes 16 de noviembre de 2026 (Independencia de Cartagena)" in html  # the holiday is explained
    assert "No hay datos de la semana anterior (2026-W46)" in html  # honest about the missing comparison
    # notable posts link to the platform; charts are embedded PNGs; nothing is loaded from elsewhere
    assert 'href="https://example.invalid/instagram/mintic_colombia/' in html
    images = re.findall(r'<img src="([^"]+)"', html)
    charts = set(re.findall(r'<figure class="chart" id="grafico-([a-z_]+)"', html))
    assert {"interacciones_diarias", "menciones_diarias", "segmentos", "sentimiento_diario", "pqrsd",
            "tiempos_respuesta", "temas"} <= charts  # and the followers' when the sample has snapshots
    assert len(images) == len(charts) and all(src.startswith("data:image/png;base64,") for src in images)
    assert "ninguna fuente conectada informa" not in html
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert not re.search(r'src="(?!data:)', html) and "url(" not in html


def test_post_texts_are_escaped(sample, tmp_path):
    evil = dataclasses.replace(sample_posts()[0], external_id="evil-1", kind=PostKind.OWN_POST, is_own=True,
                               text='<script>alert("x")</script><img src=x onerror=alert(1)>',
                               url="javascript:alert(1)", metrics=Metrics(likes=999_999))
    engine = db.create_db_engine(f"sqlite:///{tmp_path / 'evil.db'}")
    db.upgrade(engine)
    store(engine, [evil])
    outcome = run_weekly_report(services(engine, tmp_path, ManualClock(MONDAY_AFTER)), SAMPLE_WEEK)
    html = (outcome.target / f"informe-{SAMPLE_WEEK}.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "onerror=alert(1)>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert 'href="javascript:' not in html  # untrusted URLs are not made clickable


def test_built_once_and_recorded(sample, tmp_path):
    svc = services(sample, tmp_path, ManualClock(MONDAY_AFTER))
    first = run_weekly_report(svc, SAMPLE_WEEK)
    html = first.target / f"informe-{SAMPLE_WEEK}.html"
    stamp = html.stat().st_mtime_ns
    again = run_weekly_report(svc, SAMPLE_WEEK)
    assert first.built and not again.built and html.stat().st_mtime_ns == stamp
    forced = run_weekly_report(svc, SAMPLE_WEEK, force=True)
    assert forced.built and html.stat().st_mtime_ns != stamp
    with UnitOfWork(sample) as uow:
        row = uow.session.get(ReportRunRow, SAMPLE_WEEK)
        assert row.built_at is not None and row.posted_at is None  # Slack not configured: built, not posted
        assert f"informe-{SAMPLE_WEEK}.html" in row.files
        assert row.summary["kpis"]["menciones_recibidas"] == 3683 and row.summary["slack"]["marker"]
    # a new output folder (e.g. var/ deleted) gets the files again, without re-posting anything
    moved = run_weekly_report(svc, SAMPLE_WEEK, out_dir=tmp_path / "elsewhere")
    assert moved.built and (tmp_path / "elsewhere" / SAMPLE_WEEK / html.name).exists()


def test_partial_week_says_so(sample, tmp_path):
    wednesday_noon = datetime(2026, 11, 18, 12, tzinfo=BOGOTA)
    outcome = run_weekly_report(services(sample, tmp_path, ManualClock(wednesday_noon)), SAMPLE_WEEK)
    html = (outcome.target / f"informe-{SAMPLE_WEEK}.html").read_text(encoding="utf-8")
    assert "La semana aún no termina: el informe cubre hasta el mié 18/11 12:00" in html
    assert outcome.summary["partial_week"] is True
