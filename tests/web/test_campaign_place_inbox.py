"""The inbox's campaign and department filters, and what a row and a post page show of place and campaigns.

On SQLite and PostgreSQL: the filters through the app (list, paging, CSV export, links, validation) and the
repository's keyset pages walked to the end with a filter (both SQLite paths of the department filter give the
same rows).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import Engine, event, insert, update

from domain import NO_PROFILE, Campaign
from storage.campaigns import CampaignRepository
from storage.inbox_filters import NO_PLACE, InboxFilters
from storage.inbox_queries import Facets, InboxRepository
from storage.models import AnalysisRow, PostLabelRow, PostReviewRow
from storage.unit_of_work import UnitOfWork
from tests.web.conftest import TestClient
from tests.web.helpers import NOW, SECURITY_HEADERS, Seeded, analyse, analysis, citizen, csrf_of

TALENTO = Campaign(id="talento-ti", name="#TalentoTI", starts_on=date(2026, 11, 1), hashtags=("TalentoTI",))
CONECTA = Campaign(id="conecta-vereda", name="Conecta tu vereda", starts_on=date(2026, 10, 1),
                   keywords=("centro digital",))


def mark(engine: Engine, post_id: int, *, campaigns: tuple[str, ...] = (), dpto: str | None = None,
         mpio: str | None = None, evidence: str | None = None) -> None:
    """Store a post's campaigns and place as the analysis writes them (analyses columns + label rows)."""
    with engine.begin() as conn:
        conn.execute(update(AnalysisRow).where(AnalysisRow.post_id == post_id)
                     .values(campaigns=list(campaigns), place_dpto=dpto, place_mpio=mpio, place_evidence=evidence))
        for c in campaigns:
            conn.execute(insert(PostLabelRow).values(post_id=post_id, kind="campaign", value=c))


def add_campaigns(engine: Engine, *campaigns: Campaign) -> None:
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        for c in campaigns:
            CampaignRepository(uow.session, lambda: NOW).save(c, "admin", "127.0.0.1")
        uow.commit()


@pytest.fixture
def marked(engine: Engine, seeded_any: Seeded) -> Seeded:
    """The seeded inbox with two campaigns, a post placed by its text in Quibdó and one by geotag in Bogotá."""
    add_campaigns(engine, TALENTO, CONECTA)
    ids = seeded_any.ids
    mark(engine, ids["question"], campaigns=("talento-ti",), dpto="27", mpio="27001", evidence="text")
    mark(engine, ids["complaint"], campaigns=("conecta-vereda", "talento-ti"), dpto="11", mpio="11001",
         evidence="geo")
    mark(engine, ids["praise"], dpto="05", evidence="profile")
    return seeded_any


def _ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'data-post-id="(\d+)"', html)}


def test_campaign_filter_lists_its_posts_with_chips(client_any: Callable[[str], TestClient], marked: Seeded) -> None:
    page = client_any("viewer").get("/inbox?campana=talento-ti&estado=all")
    assert page.status_code == 200
    assert _ids(page.text) == {marked.ids["question"], marked.ids["complaint"]}
    assert 'class="chip campaign" href="/inbox?campana=talento-ti&amp;estado=all"' in page.text
    assert "#TalentoTI</a>" in page.text and "Conecta tu vereda</a>" in page.text
    assert '<option value="talento-ti" selected>#TalentoTI</option>' in page.text
    other = client_any("viewer").get("/inbox?campana=conecta-vereda&estado=all")
    assert _ids(other.text) == {marked.ids["complaint"]}


def test_department_filter_and_place_with_its_evidence(client_any: Callable[[str], TestClient],
                                                       marked: Seeded) -> None:
    viewer = client_any("viewer")
    chocó = viewer.get("/inbox?departamento=27&estado=all")
    assert _ids(chocó.text) == {marked.ids["question"]}
    assert "Quibdó, Chocó" in chocó.text and "según el texto" in chocó.text
    assert '<option value="27" selected>Chocó</option>' in chocó.text
    bogota = viewer.get("/inbox?departamento=11&estado=all")
    assert _ids(bogota.text) == {marked.ids["complaint"]}
    assert "Bogotá D.C." in bogota.text and "según geoetiqueta" in bogota.text
    assert "según el perfil" in viewer.get("/inbox?departamento=05&estado=all").text
    nowhere = viewer.get(f"/inbox?departamento={NO_PLACE}&estado=all")
    placed = {marked.ids[n] for n in ("question", "complaint", "praise")}
    assert _ids(nowhere.text) and not _ids(nowhere.text) & placed
    assert "📍" not in nowhere.text.split('id="results"')[1]
    both = viewer.get("/inbox?departamento=11&campana=talento-ti&estado=all")
    assert _ids(both.text) == {marked.ids["complaint"]}


def test_post_page_shows_place_and_campaigns(client_any: Callable[[str], TestClient], marked: Seeded) -> None:
    page = client_any("viewer").get(f"/posts/{marked.ids['complaint']}")
    assert page.status_code == 200
    assert "Bogotá D.C." in page.text and "según geoetiqueta" in page.text
    assert "Campaña: Conecta tu vereda" in page.text and "Campaña: #TalentoTI" in page.text
    assert 'href="/inbox?departamento=11"' in page.text
    plain = client_any("viewer").get(f"/posts/{marked.ids['outage']}")
    assert plain.status_code == 200 and "Campaña:" not in plain.text and "📍" not in plain.text


def test_csv_export_keeps_the_filters_and_has_place_and_campaign_columns(
        client_any: Callable[[str], TestClient], marked: Seeded) -> None:
    response = client_any("community_manager").get("/inbox/export.csv?campana=talento-ti&estado=all")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert {int(r["id"]) for r in rows} == {marked.ids["question"], marked.ids["complaint"]}
    by_id = {int(r["id"]): r for r in rows}
    complaint = by_id[marked.ids["complaint"]]
    assert complaint["campanas"] == "Conecta tu vereda, #TalentoTI"
    assert (complaint["ubicacion"], complaint["ubicacion_segun"], complaint["codigo_dane"]) == (
        "Bogotá D.C.", "según geoetiqueta", "11001")
    question = by_id[marked.ids["question"]]
    assert (question["ubicacion"], question["codigo_dane"]) == ("Quibdó, Chocó", "27001")
    by_place = client_any("community_manager").get("/inbox/export.csv?departamento=27&estado=all")
    assert [int(r["id"]) for r in csv.DictReader(io.StringIO(by_place.text.lstrip("\ufeff")))] == [
        marked.ids["question"]]


def test_filters_survive_in_links_and_forms(client_any: Callable[[str], TestClient], marked: Seeded) -> None:
    page = client_any("community_manager").get("/inbox?campana=talento-ti&departamento=11&estado=all")
    # the return_to of every row form, so that an action keeps the view
    assert 'name="return_to" value="campana=talento-ti&amp;departamento=11&amp;estado=all"' in page.text
    counts = client_any("community_manager").get("/inbox/counts?campana=talento-ti&departamento=11&estado=all")
    assert counts.status_code == 200 and "1 publicaciones" in counts.text


@pytest.mark.parametrize(("query", "words"), [
    ("campana=no-existe", "La campaña «no-existe» no existe"),
    ("campana=%3Cscript%3E", "«campana»"),
    ("campana=" + "a" * 65, "«campana»"),
    ("departamento=98", "«departamento»"),
    ("departamento=chocó", "«departamento»"),
    ("departamento=270", "«departamento»"),
])
@pytest.mark.parametrize("route", ["/inbox", "/inbox/counts", "/inbox/export.csv"])
def test_unknown_campaign_or_department_is_a_spanish_400(client_any: Callable[[str], TestClient], marked: Seeded,
                                                          query: str, words: str, route: str) -> None:
    response = client_any("admin").get(f"{route}?{query}")
    assert response.status_code == 400, response.text[:300]
    assert words in response.text
    for header in SECURITY_HEADERS:
        assert header in response.headers


def test_an_archived_campaign_still_filters(client_any: Callable[[str], TestClient], engine: Engine,
                                            marked: Seeded) -> None:
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        CampaignRepository(uow.session, lambda: NOW).archive("conecta-vereda", "admin", None)
        uow.commit()
    page = client_any("viewer").get("/inbox?campana=conecta-vereda&estado=all")
    assert page.status_code == 200 and _ids(page.text) == {marked.ids["complaint"]}


# --- the repository: keyset pages with the filters, both engines --------------------------------------------


@pytest.fixture
def many(engine: Engine, seeded_any: Seeded) -> dict[str, list[int]]:
    """23 extra posts over 200 days (so every newest-first window is crossed): every third in the campaign, the
    placed ones alternating Chocó and Bogotá."""
    add_campaigns(engine, TALENTO)
    posts = [citizen(100 + n, f"Publicación sintética {n} #TalentoTI", minutes_ago=60 * 24 * 9 * n + n)
             for n in range(23)]
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        ids = uow.posts.upsert(posts).new_ids
        analyse(uow, [(i, analysis("peticion")) for i in ids])
        uow.commit()
    groups: dict[str, list[int]] = {"campaign": [], "27": [], "11": []}
    for n, post_id in enumerate(ids):
        campaign = n % 3 == 0
        dpto = ("27", "11")[n % 2] if n % 4 else None
        mark(engine, post_id, campaigns=("talento-ti",) if campaign else (), dpto=dpto,
             evidence="text" if dpto else None)
        if campaign:
            groups["campaign"].append(post_id)
        if dpto:
            groups[dpto].append(post_id)
    return groups


def _walk(engine: Engine, filters: InboxFilters, limit: int, sparse_place_posts: int | None = None,
          small_campaign_posts: int | None = None, small_set_posts: int | None = None) -> list[int]:
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        repo = InboxRepository(uow.session)
        if sparse_place_posts is not None:
            repo.sparse_place_posts = sparse_place_posts
        if small_campaign_posts is not None:
            repo.small_campaign_posts = small_campaign_posts
        if small_set_posts is not None:
            repo.small_set_posts = small_set_posts
        seen: list[int] = []
        cursor = None
        while True:
            page = repo.page(filters, cursor, limit)
            seen += [r.id for r in page.rows]
            if page.next_cursor is None:
                return seen
            cursor = page.next_cursor


@pytest.mark.parametrize("sort", ["recent", "urgency"])
def test_filtered_pages_walk_every_matching_post_once(engine: Engine, many: dict[str, list[int]],
                                                      sort: str) -> None:
    for filters, expected in (
        (InboxFilters(state="all", campaign="talento-ti", sort=sort), many["campaign"]),
        (InboxFilters(state="all", dpto="27", sort=sort), many["27"]),
        (InboxFilters(state="pending", dpto="11", sort=sort), many["11"]),
    ):
        walked = _walk(engine, filters, limit=2)
        assert sorted(walked) == sorted(expected), filters
        assert len(walked) == len(set(walked))
        with UnitOfWork(engine) as uow:
            assert uow.session is not None
            assert InboxRepository(uow.session).count(filters) == len(expected)
    if sort == "recent":  # newest first: the synthetic posts are older with every n
        assert _walk(engine, InboxFilters(state="all", campaign="talento-ti"), limit=3) == many["campaign"]


def test_both_department_paths_give_the_same_pages(engine: Engine, many: dict[str, list[int]]) -> None:
    """SQLite reads a rare department from its index and walks the newest posts for a frequent one."""
    for dpto in ("27", "11", NO_PLACE):
        filters = InboxFilters(state="all", dpto=dpto)
        assert _walk(engine, filters, 2, sparse_place_posts=10**6) == _walk(engine, filters, 2, sparse_place_posts=0)


def test_small_and_large_campaign_paths_give_the_same_pages(engine: Engine, many: dict[str, list[int]]) -> None:
    """A small campaign is read in one query; a large one through the newest-first windows."""
    for state in ("all", "pending"):
        filters = InboxFilters(state=state, campaign="talento-ti")
        one_query = _walk(engine, filters, 2, small_campaign_posts=10**6)
        assert one_query == _walk(engine, filters, 2, small_campaign_posts=0)
        assert sorted(one_query) == sorted(many["campaign"])


def test_urgency_order_of_a_small_set_is_the_state_walks_order(engine: Engine, many: dict[str, list[int]]) -> None:
    """In the urgency order a small campaign or department is one sorted query over its set; a large one is a
    walk of the urgency index per state. Same rows, same order, page by page (with a segment too)."""
    with UnitOfWork(engine) as uow:  # vary the urgency keys: some tiers and reach ranks differ
        assert uow.session is not None
        for n, post_id in enumerate(sorted({*many["campaign"], *many["27"], *many["11"]})):
            uow.session.execute(update(PostReviewRow).where(PostReviewRow.post_id == post_id)
                                .values(tier=n % 3, reach_rank=(n * 7) % 12,
                                        state=("new", "in_progress", "attended")[n % 3]))
        uow.commit()
    for state in ("all", "pending", "attended"):
        for filters in (InboxFilters(state=state, campaign="talento-ti", sort="urgency"),
                        InboxFilters(state=state, dpto="27", sort="urgency"),
                        InboxFilters(state=state, dpto="11", campaign="talento-ti", sort="urgency"),
                        InboxFilters(state=state, dpto="27", segment=NO_PROFILE, sort="urgency")):
            one_query = _walk(engine, filters, 2, small_campaign_posts=10**6, small_set_posts=10**6)
            walks = _walk(engine, filters, 2, small_campaign_posts=0, small_set_posts=0)
            assert one_query == walks, filters
            assert one_query == _walk(engine, filters, 50, small_campaign_posts=0, small_set_posts=0), filters
    assert _walk(engine, InboxFilters(state="all", dpto="27", sort="urgency"), 2, small_set_posts=10**6)


def test_iter_rows_keeps_the_campaign_filter(engine: Engine, many: dict[str, list[int]]) -> None:
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        rows = list(InboxRepository(uow.session).iter_rows(InboxFilters(state="all", campaign="talento-ti"),
                                                           batch=2))
    assert [r.id for r in rows] == many["campaign"]
    assert all(r.campaigns == ("talento-ti",) for r in rows)


def test_label_counts_per_campaign(engine: Engine, many: dict[str, list[int]]) -> None:
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        counts = InboxRepository(uow.session).label_counts("campaign", ["talento-ti", "otra"])
    assert counts == {"talento-ti": len(many["campaign"])}


def test_the_newest_post_is_first_within_a_department(engine: Engine, many: dict[str, list[int]]) -> None:
    walked = _walk(engine, InboxFilters(state="all", dpto="27"), limit=50)
    assert walked == many["27"]  # created n*9 days ago: list order is creation order, newest first
    assert timedelta(days=9 * 22) > timedelta(days=120)  # the posts reach past the last window


def test_the_next_page_link_keeps_both_filters(client_any: Callable[[str], TestClient], marked: Seeded,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.web import routes_inbox

    monkeypatch.setattr(routes_inbox, "PAGE_SIZE", 1)
    viewer = client_any("viewer")
    seen: list[int] = []
    path = "/inbox?campana=talento-ti&estado=all"
    while path:
        html = viewer.get(path).text
        seen += sorted(_ids(html))
        link = re.search(r'<a href="(/inbox\?[^"]+)"[^>]*data-next-page', html)
        path = link.group(1).replace("&amp;", "&") if link else ""
        if path:
            assert "campana=talento-ti" in path and "estado=all" in path
    assert sorted(seen) == sorted([marked.ids["question"], marked.ids["complaint"]]) and len(seen) == 2
    first = viewer.get("/inbox?departamento=11&campana=talento-ti&estado=all").text
    assert "data-next-page" not in first and _ids(first) == {marked.ids["complaint"]}


# --- the counts panel: department and campaign facets, both engines ------------------------------------------


def _facets(engine: Engine, filters: InboxFilters) -> Facets:
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        return InboxRepository(uow.session).facets(filters)


def _count(engine: Engine, filters: InboxFilters) -> int:
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        return InboxRepository(uow.session).count(filters)


ALL_PLACES = {"27": 1, "11": 1, "05": 1, NO_PLACE: 2}  # `marked`: outage and xss are placed nowhere
ALL_CAMPAIGNS = {"talento-ti": 2, "conecta-vereda": 1}


def test_facets_count_departments_and_campaigns(engine: Engine, marked: Seeded) -> None:
    facets = _facets(engine, InboxFilters())
    assert facets.total == 5
    assert facets.dpto == ALL_PLACES and facets.campaign == ALL_CAMPAIGNS
    reclamo = _facets(engine, InboxFilters(category="reclamo"))  # the other filters apply
    assert reclamo.dpto == {"11": 1, NO_PLACE: 1} and reclamo.campaign == {"conecta-vereda": 1, "talento-ti": 1}


def test_a_department_or_campaign_facet_leaves_its_own_filter_out(engine: Engine, marked: Seeded) -> None:
    choco = _facets(engine, InboxFilters(dpto="27"))
    assert choco.total == 1 and choco.category == {"peticion": 1}
    assert choco.dpto == ALL_PLACES  # the alternatives
    assert choco.campaign == {"talento-ti": 1}
    talento = _facets(engine, InboxFilters(campaign="talento-ti"))
    assert talento.total == 2 and talento.campaign == ALL_CAMPAIGNS
    assert talento.dpto == {"27": 1, "11": 1}
    both = _facets(engine, InboxFilters(campaign="talento-ti", dpto="11"))
    assert (both.total, both.dpto, both.campaign) == (1, {"27": 1, "11": 1}, {"talento-ti": 1, "conecta-vereda": 1})
    nowhere = _facets(engine, InboxFilters(dpto=NO_PLACE))
    assert nowhere.total == 2 and nowhere.dpto == ALL_PLACES and nowhere.campaign == {}


@pytest.mark.parametrize("state", ["pending", "all"])
def test_each_facet_count_is_what_its_link_lists(engine: Engine, marked: Seeded, state: str) -> None:
    for base in (InboxFilters(state=state), InboxFilters(state=state, category="reclamo"),
                 InboxFilters(state=state, sentiment="negative", platform="x")):
        facets = _facets(engine, base)
        for dpto, n in facets.dpto.items():
            assert _count(engine, replace(base, dpto=dpto)) == n, (base, dpto)
        for campaign, n in facets.campaign.items():
            assert _count(engine, replace(base, campaign=campaign)) == n, (base, campaign)


def test_outside_the_pending_states_a_set_campaign_or_department_splits_the_selection(
        engine: Engine, marked: Seeded) -> None:
    """Like the state facet: over all states, leaving the filter out would read every post of all time."""
    talento = _facets(engine, InboxFilters(state="all", campaign="talento-ti"))
    assert talento.total == 2 and talento.campaign == {"talento-ti": 2}  # not the co-labelled conecta-vereda
    assert talento.dpto == {"27": 1, "11": 1} and talento.category == {"peticion": 1, "reclamo": 1}
    choco = _facets(engine, InboxFilters(state="all", dpto="27"))
    assert (choco.total, choco.dpto, choco.campaign) == (1, {"27": 1}, {"talento-ti": 1})
    unset = _facets(engine, InboxFilters(state="all"))
    assert unset.dpto == ALL_PLACES and unset.campaign == ALL_CAMPAIGNS


def test_counts_panel_shows_departments_and_campaigns_with_filter_links(
        client_any: Callable[[str], TestClient], marked: Seeded) -> None:
    viewer = client_any("viewer")
    html = viewer.get("/inbox/counts?categoria=reclamo").text
    assert "<h3>Campaña</h3>" in html and "<h3>Departamento</h3>" in html
    assert 'href="/inbox?categoria=reclamo&amp;campana=conecta-vereda"' in html
    assert ">Conecta tu vereda</a>" in html and ">#TalentoTI</a>" in html
    assert 'href="/inbox?categoria=reclamo&amp;departamento=11"' in html and ">Bogotá D.C.</a>" in html
    assert f'href="/inbox?categoria=reclamo&amp;departamento={NO_PLACE}"' in html and ">Sin ubicación</a>" in html
    chosen = viewer.get("/inbox/counts?departamento=27").text
    assert '<li class="selected">' in chosen and ">Chocó</a>" in chosen
    assert 'href="/inbox?"' in chosen  # the selected department's link removes the filter
    assert 'href="/inbox?campana=talento-ti&amp;departamento=27"' in chosen
    assert 'href="/inbox?departamento=11"' in chosen  # an alternative replaces it


@pytest.mark.parametrize("route", ["/inbox?campana=talento-ti", "/inbox/counts?campana=talento-ti",
                                   "/inbox/export.csv?campana=talento-ti"])
def test_the_campaigns_table_is_read_once_per_request(client_any: Callable[[str], TestClient], engine: Engine,
                                                      marked: Seeded, route: str) -> None:
    cm = client_any("community_manager")
    reads: list[str] = []

    def note(conn: object, cursor: object, statement: str, *args: object) -> None:
        if re.search(r"\bFROM\s+campaigns\b", statement, re.IGNORECASE):
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        response = cm.get(route)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert response.status_code == 200
    assert "TalentoTI" in response.text
    assert len(reads) == 1, reads


def test_a_row_action_reads_the_campaigns_table_once(client_any: Callable[[str], TestClient], engine: Engine,
                                                     marked: Seeded) -> None:
    cm = client_any("community_manager")
    page = cm.get("/inbox?campana=talento-ti").text
    reads: list[str] = []

    def note(conn: object, cursor: object, statement: str, *args: object) -> None:
        if re.search(r"\bFROM\s+campaigns\b", statement, re.IGNORECASE):
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        response = cm.post(f"/posts/{marked.ids['complaint']}/category", headers={"HX-Request": "true"}, data={
            "value": "queja", "view": "row", "return_to": "campana=talento-ti", "csrf_token": csrf_of(page)})
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert response.status_code == 200 and "#TalentoTI</a>" in response.text
    assert len(reads) == 1, reads
