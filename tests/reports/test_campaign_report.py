"""Campaigns in the report: figures per campaign on a small hand-made week (SQLite and PostgreSQL), the
`campanas*.csv` files, the HTML section and its empty states, the Slack line, and `report --campaign`.

Every expected number is worked out by hand from the fixture below (see the comments). Week 2026-W47 in
Bogotá (UTC-5): Monday 16/11 to Sunday 22/11. The report's moment is Friday 27/11 12:00.
"""

from __future__ import annotations

import argparse
import csv
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select

from bot.clock import ManualClock
from bot.commands import report as report_command
from bot.reports.html import campaign_line
from bot.reports.model import report_tables, week_period
from bot.reports.model.campaigns import campaign_section
from bot.reports.slack import summary_message
from bot.reports.weekly import run_weekly_report
from domain import AccountSnapshot, Campaign, Metrics, Platform, Post, PostKind, TextAnalysis
from storage.campaign_indicators import CAMPAIGN_LABEL
from storage.campaigns import CampaignRepository
from storage.models import PostLabelRow, PostRow
from storage.unit_of_work import UnitOfWork
from tests.reports.sample_data import services, store

BOGOTA = ZoneInfo("America/Bogota")
WEEK = week_period("2026-W47", BOGOTA)
AS_OF = datetime(2026, 11, 27, 12, tzinfo=BOGOTA).astimezone(UTC)
ACCOUNT = {Platform.X: "Ministerio_TIC", Platform.FACEBOOK: "MinTICColombia", Platform.INSTAGRAM: "mintic_colombia"}
X, FB, IG = Platform.X, Platform.FACEBOOK, Platform.INSTAGRAM
M, C, R, OWN = PostKind.MENTION, PostKind.COMMENT, PostKind.REPLY, PostKind.OWN_POST

CAMPAIGNS = [
    Campaign("talento-ti", "#TalentoTI", date(2026, 11, 10), date(2026, 12, 31), hashtags=("TalentoTI",)),
    Campaign("conectividad", "Conectividad rural", date(2026, 11, 18), None, keywords=("conectividad rural",)),
    Campaign("sin-posts", "Sin publicaciones", date(2026, 11, 1), date(2026, 11, 30), hashtags=("Nada",)),
    Campaign("solo-ciudadanos", "Solo ciudadanos", date(2026, 11, 15), date(2026, 11, 30), hashtags=("Solo",)),
    Campaign("vieja", "Campaña vieja", date(2026, 10, 1), date(2026, 10, 31), hashtags=("Vieja",)),
]


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BOGOTA)


def post(ext: str, platform: Platform, kind: PostKind, when: datetime, *, own: bool = False, author: str = "",
         metrics: Metrics | None = None) -> Post:
    return Post(platform=platform, external_id=ext, kind=kind, account=ACCOUNT[platform],
                author_id=author or ("ministry" if own else ext), author_handle=author or ACCOUNT[platform],
                text=f"texto {ext} #TalentoTI", created_at=when, url=f"https://example.invalid/{ext}",
                conversation_id=ext, is_own=own, metrics=metrics or Metrics())


POSTS = [
    # talento-ti own posts of the week: interactions 15 + 14 + 4 = 33, and a reply with 1 -> 34
    post("own-x1", X, OWN, at(2026, 11, 16, 10), own=True,
         metrics=Metrics(likes=10, reposts=2, replies=3, impressions=1000)),
    post("own-fb1", FB, OWN, at(2026, 11, 17, 9), own=True,
         metrics=Metrics(reactions=7, comments=5, shares=2, views=500, reach=300)),
    post("own-x2", X, OWN, at(2026, 11, 18, 11), own=True, metrics=Metrics(likes=4, impressions=200)),  # + conectividad
    post("own-x3", X, OWN, at(2026, 11, 19, 8), own=True, metrics=Metrics(likes=100, impressions=9000)),  # no campaign
    post("r-1", X, R, at(2026, 11, 19, 9), own=True, metrics=Metrics(likes=1)),
    post("own-ig", IG, OWN, at(2026, 11, 20, 9), own=True, metrics=Metrics(likes=50, views=800)),  # no campaign
    # citizens
    post("c-1", X, M, at(2026, 11, 16, 12), author="u1", metrics=Metrics(likes=3)),
    post("c-2", X, M, at(2026, 11, 20, 16), author="u2"),
    post("c-3", FB, C, at(2026, 11, 18, 10), author="f1"),
    post("c-4", X, M, at(2026, 11, 18, 12), author="u1"),  # conectividad
    post("c-7", X, M, at(2026, 11, 21, 8), author="u7"),  # solo-ciudadanos
    # outside the week, inside talento-ti's life
    post("own-x0", X, OWN, at(2026, 11, 12, 10), own=True, metrics=Metrics(likes=5, impressions=100)),
    post("c-6", X, M, at(2026, 11, 23, 9), author="u6", metrics=Metrics(likes=1)),
]


def analysis(sentiment: str, category: str, campaigns: tuple[str, ...]) -> TextAnalysis:
    return TextAnalysis("es", sentiment, 0.0, category, campaigns=campaigns)


ANALYSES = {
    ("x", "own-x1"): analysis("neutral", "otro", ("talento-ti",)),
    ("facebook", "own-fb1"): analysis("neutral", "otro", ("talento-ti",)),
    ("x", "own-x2"): analysis("neutral", "otro", ("talento-ti", "conectividad")),
    ("x", "own-x3"): analysis("neutral", "otro", ()),
    ("x", "r-1"): analysis("neutral", "otro", ("talento-ti",)),
    ("instagram", "own-ig"): analysis("neutral", "otro", ()),
    ("x", "c-1"): analysis("negative", "peticion", ("talento-ti",)),
    ("x", "c-2"): analysis("positive", "felicitacion", ("talento-ti",)),
    ("facebook", "c-3"): analysis("neutral", "otro", ("talento-ti",)),
    ("x", "c-4"): analysis("negative", "queja", ("conectividad",)),
    ("x", "c-7"): analysis("neutral", "otro", ("solo-ciudadanos",)),
    ("x", "own-x0"): analysis("neutral", "otro", ("talento-ti",)),
    ("x", "c-6"): analysis("neutral", "otro", ("talento-ti",)),
}


def store_campaign_data(engine) -> None:  # type: ignore[no-untyped-def]
    """The campaigns (through the repository's config sync), the posts and analyses (through the analysis writer,
    which stores the campaign labels), and the accounts' followers."""
    with UnitOfWork(engine) as uow:
        CampaignRepository(uow.session).sync_config(CAMPAIGNS)
        uow.commit()
    store(engine, POSTS, ANALYSES)
    with UnitOfWork(engine) as uow:
        s = uow.session
        assert s is not None
        # the analysis writer stored one campaign label per campaign of each analysis
        labels = s.execute(select(PostRow.external_id, PostLabelRow.value).join(PostLabelRow, PostLabelRow.post_id ==
                           PostRow.id).where(PostLabelRow.kind == CAMPAIGN_LABEL)).all()
        assert sorted(labels) == sorted((ext, c) for (_, ext), a in ANALYSES.items() for c in a.campaigns)
        uow.authors.save_snapshots([
            AccountSnapshot(X, "Ministerio_TIC", 9_000, at(2026, 11, 15, 6)),
            AccountSnapshot(X, "Ministerio_TIC", 10_000, at(2026, 11, 22, 6)),  # the week's last day
            AccountSnapshot(FB, "MinTICColombia", 5_000, at(2026, 11, 20, 6)),  # latest on or before 22/11
            AccountSnapshot(FB, "MinTICColombia", 7_777, at(2026, 11, 24, 6)),  # after the week: not used
            AccountSnapshot(IG, "mintic_colombia", 3_000, at(2026, 11, 22, 6)),  # no campaign post: not used
        ])
        uow.commit()


@pytest.fixture
def db(engine):
    store_campaign_data(engine)
    return engine


def _section(engine):  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        return campaign_section(uow.session, WEEK, AS_OF)


def test_campaign_figures_of_the_week(db):
    section = _section(db)
    by_id = {f.campaign.id: f for f in section.campaigns}
    # vieja ended before the week and has no post in it; the others ran in the week, the most active first
    # (interactions 34, 4, 0 with a mention, 0 without), ties by start date
    assert list(by_id) == ["talento-ti", "conectividad", "solo-ciudadanos", "sin-posts"]
    t = by_id["talento-ti"]
    assert t.own_posts == 3 and dict(t.own_posts_by_platform()) == {"x": 2, "facebook": 1}
    assert t.own_replies == 1
    assert t.interactions == 15 + 14 + 4 + 1  # the reply's like counts, as in the report's definition
    assert t.own_post_interactions == 33 and t.interactions_per_post == 11.0
    audience = {k: (a.total, a.posts, a.interactions) for k, a in t.audience().items()}
    assert audience == {("x", "impressions"): (1200, 2, 19), ("facebook", "views"): (500, 1, 14),
                        ("facebook", "reach"): (300, 1, 14)}
    assert t.audience()[("x", "impressions")].interaction_rate == pytest.approx(19 / 1200)
    # followers of the accounts that published: X 10.000 (22/11) + Facebook 5.000 (20/11); Instagram not counted
    assert t.followers_of_posting_accounts == 15_000
    assert t.engagement_per_follower == pytest.approx(33 / 15_000)
    assert t.mentions == 3 and dict(t.mentions_by_platform()) == {"x": 2, "facebook": 1}
    assert t.citizens == 3  # u1 and u2 on X, f1 on Facebook
    assert dict(t.sentiments()) == {"negative": 1, "positive": 1, "neutral": 1}
    assert t.sentiment_share("negative") == pytest.approx(1 / 3)
    assert dict(t.categories()) == {"peticion": 1, "felicitacion": 1, "otro": 1} and t.questions == 1
    assert [(d.day.day, d.own_posts, d.interactions, d.mentions) for d in t.daily()] == [
        (16, 1, 15, 1), (17, 1, 14, 0), (18, 1, 4, 1), (19, 0, 1, 0), (20, 0, 0, 1), (21, 0, 0, 0), (22, 0, 0, 0)]
    assert [p.external_id for p in t.top_own] == ["own-x1", "own-fb1", "own-x2"]
    assert [p.external_id for p in t.top_citizen] == ["c-1", "c-3", "c-2"]  # 3 likes, then the earliest

    c = by_id["conectividad"]
    assert (c.own_posts, c.interactions, c.mentions, c.citizens) == (1, 4, 1, 1)
    assert c.sentiment_share("negative") == 1.0 and dict(c.categories()) == {"queja": 1}
    assert c.engagement_per_follower == pytest.approx(4 / 10_000)  # only the X account published
    s = by_id["solo-ciudadanos"]
    assert (s.own_posts, s.mentions, s.implemented, s.reached_people) == (0, 1, False, False)
    assert s.engagement_per_follower is None and s.audience() == {}
    n = by_id["sin-posts"]
    assert (n.has_posts, n.own_posts, n.mentions, n.top_own) == (False, 0, 0, [])
    # the plan's counts
    assert (section.designed, section.implemented, section.reached_people) == (4, 2, 2)


def test_an_archived_campaign_is_shown_only_with_posts_in_the_period(engine):
    store_campaign_data(engine)
    with UnitOfWork(engine) as uow:  # sin-posts and solo-ciudadanos leave the config: archived
        CampaignRepository(uow.session).sync_config([*CAMPAIGNS[:2], CAMPAIGNS[4]])
        uow.commit()
    section = _section(engine)
    ids = [f.campaign.id for f in section.campaigns]
    # solo-ciudadanos is archived (left the config) but its label rows stay: shown, and it still ran in the week
    assert ids == ["talento-ti", "conectividad", "solo-ciudadanos"]
    archived = {f.campaign.id: f.archived for f in section.campaigns}
    assert archived == {"talento-ti": False, "solo-ciudadanos": True, "conectividad": False}
    assert section.defined == 5


def test_no_campaign_defined(engine):
    store(engine, POSTS[:2], {k: TextAnalysis("es", "neutral", 0.0, "otro") for k in list(ANALYSES)[:2]})
    section = _section(engine)
    assert not section.configured and section.campaigns == []
    assert campaign_line(section) is None


def _read_csv(path):  # type: ignore[no-untyped-def]
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


@pytest.fixture
def weekly(db, tmp_path):
    svc = services(db, tmp_path, ManualClock(AS_OF))
    outcome = run_weekly_report(svc, "2026-W47", slack=False)
    assert outcome.built
    return outcome


def test_weekly_report_writes_the_campaign_csvs(weekly):
    target = weekly.target
    rows = _read_csv(target / "campanas.csv")
    header, body = rows[0], {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert header[:7] == ["Campaña (id)", "Nombre", "Inicio", "Fin", "Vigente en el periodo", "Archivada",
                          "Publicaciones propias"]
    for column in ("Impresiones (X)", "Tasa de interacción sobre impresiones (X) (%)", "Visualizaciones (Facebook)",
                   "Alcance (Facebook)", "Visualizaciones (Instagram)", "Alcance (Instagram)",
                   "Tasa de interacción por seguidor (%)", "Menciones ciudadanas", "Ciudadanos únicos",
                   "Tono negativo (%)", "PQRSD: Petición", "PQRSD: Queja", "Hashtags"):
        assert column in header, column
    t = body["talento-ti"]
    assert (t["Nombre"], t["Inicio"], t["Fin"], t["Vigente en el periodo"]) == ("#TalentoTI", "2026-11-10",
                                                                                  "2026-12-31", "sí")
    assert (t["Publicaciones propias"], t["Publicaciones propias en X"], t["Respuestas del Ministerio"]) == (
        "3", "2", "1")
    assert (t["Interacciones registradas"], t["Impresiones (X)"], t["Visualizaciones (Instagram)"]) == ("34", "1200",
                                                                                                       "")
    assert t["Tasa de interacción sobre impresiones (X) (%)"] == str(round(100 * 19 / 1200, 2))
    assert t["Tasa de interacción por seguidor (%)"] == str(round(100 * 33 / 15_000, 2))
    assert (t["Menciones ciudadanas"], t["Ciudadanos únicos"], t["PQRSD: Petición"]) == ("3", "3", "1")
    assert t["Tono negativo (%)"] == str(round(100 / 3, 2)) and t["Hashtags"] == "#TalentoTI"
    assert body["conectividad"]["Fin"] == ""  # no end: still running (unknown is an empty cell)
    assert body["sin-posts"]["Tasa de interacción por seguidor (%)"] == ""  # nothing to divide: not 0
    plan = _read_csv(target / "campanas_indicadores_plan.csv")
    assert [r[:2] for r in plan[1:]] == [["Número de campañas diseñadas", "4"],
                                         ["Campañas de divulgación implementadas", "2"],
                                         ["Campañas digitales a grupos de interés", "2"]]
    daily = _read_csv(target / "campanas_diarias.csv")
    assert daily[0] == ["Campaña (id)", "Nombre", "Fecha", "Publicaciones propias", "Interacciones registradas",
                        "Menciones ciudadanas"]
    assert len(daily) == 1 + 4 * 7
    assert ["talento-ti", "#TalentoTI", "2026-11-16", "1", "15", "1"] in daily
    posts = _read_csv(target / "campanas_publicaciones.csv")
    assert [r[:3] for r in posts[1:] if r[0] == "talento-ti"] == [
        ["talento-ti", "propia", "1"], ["talento-ti", "propia", "2"], ["talento-ti", "propia", "3"],
        ["talento-ti", "ciudadana", "1"], ["talento-ti", "ciudadana", "2"], ["talento-ti", "ciudadana", "3"]]
    assert {p.name for p in weekly.files} >= {"campanas.csv", "campanas_diarias.csv", "campanas_publicaciones.csv",
                                              "campanas_indicadores_plan.csv"}


def test_weekly_report_html_campaign_section(weekly):
    html = next(p for p in weekly.files if p.suffix == ".html").read_text(encoding="utf-8")
    section = html[html.index('<section id="campanas">'):html.index('<section id="conversacion">')]
    assert "4 campañas vigentes en la semana (diseñadas); 2 con publicaciones propias" in section
    assert 'id="campana-talento-ti"' in section and "#TalentoTI" in section
    assert "3 publicaciones propias (Facebook 1, X 2) con 34 interacciones" in section
    assert 'id="grafico-campanas_diarias"' in section
    solo = section[section.index('id="campana-solo-ciudadanos"'):]
    assert "Sin publicaciones propias de la campaña esta semana." in solo[:2000]
    empty = section[section.index('id="campana-sin-posts"'):]
    assert "Sin publicaciones de la campaña esta semana: ni propias ni ciudadanas." in empty[:2000]
    assert "<dt>Campañas</dt>" in html


def test_slack_summary_has_one_campaign_line(db):
    from bot.reports.model import build_report
    from domain.business_calendar import BusinessCalendar

    with UnitOfWork(db) as uow:
        report = build_report(uow.session, WEEK, AS_OF, BusinessCalendar(BOGOTA))
    message = summary_message(report, "informe:2026-W47:1", files_note="archivos")
    lines = [b["text"]["text"] for b in message["blocks"] if b["type"] == "section" and "text" in b
             and "Campañas" in b["text"]["text"]]
    assert lines == [":mega: Campañas: 4 vigentes, 2 con publicaciones propias y 2 con menciones ciudadanas; la de "
                     "más interacciones: #TalentoTI (34 interacciones, 3 menciones)."]
    assert any(t.key == "campanas" for t in report_tables(report))


def test_the_sample_week_says_no_campaign_is_configured(sample_report):
    html = next(p for p in sample_report.files if p.suffix == ".html").read_text(encoding="utf-8")
    section = html[html.index('<section id="campanas">'):html.index('<section id="conversacion">')]
    assert "Ninguna campaña configurada" in section
    header = _read_csv(sample_report.target / "campanas.csv")
    assert len(header) == 1 and header[0][0] == "Campaña (id)"  # the file exists, with its columns, and no row


# --- report --campaign --------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="main.py")
    parser.add_argument("--config")
    report_command.register(parser.add_subparsers(dest="command", required=True))
    return parser


@pytest.fixture
def cli(db, tmp_path, monkeypatch):
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({
        "connectors": {"sample": {"enabled": False}},
        "alerts": {"outbox_file": str(tmp_path / "outbox.jsonl"), "console": False},
        "report": {"out_dir": str(tmp_path / "reports"), "pdf": False},
        "logging": {"level": "WARNING"},
        # the same campaigns as the database (start-up syncs config.yaml's campaigns into the table)
        "campaigns": [{"id": c.id, "name": c.name, "hashtags": list(c.hashtags), "keywords": list(c.keywords),
                       "starts_on": c.starts_on.isoformat(),
                       **({"ends_on": c.ends_on.isoformat()} if c.ends_on else {})} for c in CAMPAIGNS],
    }), encoding="utf-8")
    monkeypatch.setenv("VIGIA_DATABASE_URL", db.url.render_as_string(hide_password=False))
    monkeypatch.setattr("bot.bootstrap.build_engine", lambda: db)  # PostgreSQL: the test's own schema
    monkeypatch.setattr("bot.bootstrap.system_clock", ManualClock(AS_OF))  # "today" is Friday 27/11
    return config


def _run(config, *argv: str) -> int:  # type: ignore[no-untyped-def]
    args = _parser().parse_args(["--config", str(config), "report", *argv])
    return int(args.func(args))


def test_report_campaign_covers_its_whole_life(cli, tmp_path, capsys):
    assert _run(cli, "--campaign", "#talentoti") == 0  # by name, case-insensitive, "#" optional
    out = capsys.readouterr().out
    target = tmp_path / "reports" / "campana-talento-ti"
    assert f"generado en {target}" in out and "del 10/11/2026 al" in out
    html = (target / "informe-campana-talento-ti.html").read_text(encoding="utf-8")
    assert "Informe de campaña: #TalentoTI" in html
    figures = html[html.index('id="tabla-indicadores-campana"'):]
    figures = figures[:figures.index("</table>")]
    # own-x0 (100) + own-x1 (1000) + own-x2 (200) impressions; 5 + 15 + 4 interactions of those X posts
    assert "<td>Impresiones en X</td><td class=\"num strong\">1.300</td>" in figures
    assert "<td>Tasa de interacción sobre impresiones en X</td><td class=\"num strong\">1,85 %</td>" in figures
    # followers on 27/11 (the period's last day): X 10.000 (22/11), Facebook 7.777 (24/11)
    assert "<td>Seguidores de las cuentas que publicaron</td><td class=\"num strong\">17.777</td>" in figures
    row = dict(zip(*_read_csv(target / "campana.csv"), strict=True))
    # the week's 3 own posts and 3 mentions, plus own-x0 (12/11) and c-6 (23/11): the campaign's life so far
    assert (row["Publicaciones propias"], row["Interacciones registradas"], row["Menciones ciudadanas"]) == (
        "4", str(34 + 5), "4")
    assert row["Campaña (id)"] == "talento-ti" and row["Archivada"] == "no"
    for name in ("campana_diaria.csv", "campana_semanal.csv", "campana_publicaciones.csv"):
        assert (target / name).exists(), name
    daily = _read_csv(target / "campana_diaria.csv")
    assert daily[1][2] == "2026-11-10"
    weeks = _read_csv(target / "campana_semanal.csv")
    assert [r[2] for r in weeks[1:4]] == ["2026-W46", "2026-W47", "2026-W48"]
    assert weeks[1][5:] == ["1", "5", "0"] and weeks[2][5:] == ["3", "34", "3"] and weeks[3][5:] == ["0", "0", "1"]
    assert [r[3:5] for r in weeks[1:]] == [["2026-11-10", "2026-11-15"], ["2026-11-16", "2026-11-22"],
                                           ["2026-11-23", "2026-11-27"]]  # cut at the campaign's start and today


def test_report_campaign_from_to_narrows(cli, tmp_path, capsys):
    assert _run(cli, "--campaign", "TALENTO-TI", "--from", "2026-11-16", "--to", "2026-11-22") == 0
    target = tmp_path / "reports" / "campana-talento-ti_2026-11-16_2026-11-22"
    row = dict(zip(*_read_csv(target / "campana.csv"), strict=True))
    assert (row["Publicaciones propias"], row["Interacciones registradas"], row["Menciones ciudadanas"]) == (
        "3", "34", "3")  # the week's figures, as in the weekly report
    html = (target / "informe-campana-talento-ti.html").read_text(encoding="utf-8")
    assert "Periodo pedido: del 16/11/2026 al 22/11/2026" in html


def test_a_campaign_is_found_by_id_name_or_its_own_hashtag(db):
    from storage.campaign_indicators import find_campaign

    with UnitOfWork(db) as uow:
        s = uow.session
        found = {q: (f[0].id if (f := find_campaign(s, q)) else None) for q in (
            "talento-ti", "TALENTO-TI", "#talentoti", "Conectividad Rural", "conectividadrural", "#Solo", "solo",
            "#Vieja", "campana vieja", "#Nada", "nope", "")}
    assert found == {"talento-ti": "talento-ti", "TALENTO-TI": "talento-ti", "#talentoti": "talento-ti",
                     "Conectividad Rural": "conectividad", "conectividadrural": "conectividad",
                     "#Solo": "solo-ciudadanos", "solo": "solo-ciudadanos", "#Vieja": "vieja",
                     "campana vieja": "vieja", "#Nada": "sin-posts", "nope": None, "": None}


def test_report_campaign_unknown_lists_the_known_ones(cli, capsys):
    assert _run(cli, "--campaign", "no-existe") == 2
    err = capsys.readouterr().err
    assert "campaña «no-existe» desconocida" in err
    assert "talento-ti (#TalentoTI)" in err and "vieja (Campaña vieja)" in err


def test_report_campaign_bad_range_and_misused_options(cli, capsys):
    assert _run(cli, "--campaign", "talento-ti", "--from", "2026-11-22", "--to", "2026-11-16") == 2
    assert "antes" in capsys.readouterr().err
    assert _run(cli, "--week", "2026-W47", "--from", "2026-11-16") == 2
    assert "--from y --to solo se usan con --campaign" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        _parser().parse_args(["report", "--week", "2026-W47", "--campaign", "x"])


def test_report_campaign_with_no_posts_says_so(cli, tmp_path, capsys):
    assert _run(cli, "--campaign", "sin-posts") == 0
    out = capsys.readouterr().out
    assert "no tiene publicaciones de la campaña en ese periodo" in out
    html = (tmp_path / "reports" / "campana-sin-posts" / "informe-campana-sin-posts.html").read_text(encoding="utf-8")
    assert "Ninguna publicación almacenada tiene esta campaña" in html


def test_starting_from_the_labels_or_from_the_period_gives_the_same_figures(db):
    """A long period starts from the campaign's label rows (SQLite is told to; PostgreSQL plans by itself), a week
    from the period's posts: the same rows either way."""
    from storage import campaign_indicators as ci

    ids = [c.id for c in CAMPAIGNS]
    with UnitOfWork(db) as uow:
        s = uow.session
        life = week_period("2026-W46", BOGOTA)
        for period in (WEEK, life):
            start, end = period.utc_start, period.utc_end
            runs = [(ci.campaign_activity(s, period.day_ranges(), ids, by_labels=flag),
                     ci.campaign_citizens(s, start, end, ids, by_labels=flag),
                     ci.top_campaign_posts(s, "talento-ti", start, end, own=False, by_labels=flag))
                    for flag in (False, True)]
            assert runs[0] == runs[1]
        assert runs[0][0]  # W46 has own-x0
        # which side to start from (SQLite only needs telling; PostgreSQL is never hinted)
        sqlite = db.dialect.name == "sqlite"
        assert ci.label_driven(s, ids, WEEK.utc_start, WEEK.utc_end) is False  # 12 label rows, 11 posts in the week
        year = (at(2026, 1, 1).astimezone(UTC), at(2027, 1, 1).astimezone(UTC))
        assert ci.label_driven(s, ["talento-ti"], *year) is sqlite  # 9 label rows, 13 posts in the year
