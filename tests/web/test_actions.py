"""A community manager's day through HTTP: correct, attend, assign, note, bulk, counts, incidents, pages."""

from __future__ import annotations

import json
import re

from sqlalchemy import Engine, select

from storage.models import PostReviewRow
from storage.unit_of_work import UnitOfWork
from tests.web.helpers import Seeded, analyse, analysis, audit_trail, citizen, csrf_of

HX = {"HX-Request": "true"}


def _row_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="post-(\d+)"', html)]




def test_attending_from_the_pending_inbox_removes_the_row(client_for, seeded: Seeded,  # type: ignore[no-untyped-def]
                                                          sqlite_engine: Engine) -> None:
    cm = client_for("community_manager")
    page = cm.get("/inbox").text
    pid = seeded.ids["question"]
    assert pid in _row_ids(page)
    response = cm.post(f"/posts/{pid}/state", headers=HX, data={
        "value": "attended", "view": "row", "return_to": "", "csrf_token": csrf_of(page)})
    assert response.status_code == 200 and response.text == ""  # empty swap = the row leaves the list
    assert json.loads(response.headers["HX-Trigger"]) == {"vigia-toast": "Marcada como atendida.",
                                                          "vigia-changed": True,
                                                          "vigia-undo": {"url": f"/posts/{pid}/undo"}}
    assert pid not in _row_ids(cm.get("/inbox").text)
    assert pid in _row_ids(cm.get("/inbox?estado=attended").text)
    assert audit_trail(sqlite_engine, pid) == [("communitymanager", "state", "new", "attended")]


def test_correcting_a_category_in_a_row_keeps_the_row(client_for, seeded: Seeded,  # type: ignore[no-untyped-def]
                                                      sqlite_engine: Engine) -> None:
    cm = client_for("community_manager")
    page = cm.get("/inbox").text
    pid = seeded.ids["praise"]
    response = cm.post(f"/posts/{pid}/category", headers=HX, data={
        "value": "sugerencia", "view": "row", "return_to": "", "csrf_token": csrf_of(page)})
    assert _row_ids(response.text) == [pid]
    assert '<option value="sugerencia" selected>' in response.text
    # In a list filtered by the old category, the corrected post leaves it.
    response = cm.post(f"/posts/{pid}/category", headers=HX, data={
        "value": "queja", "view": "row", "return_to": "categoria=sugerencia", "csrf_token": csrf_of(page)})
    assert response.text == ""
    assert [a[1:] for a in audit_trail(sqlite_engine, pid)] == [("category", "felicitacion", "sugerencia"),
                                                           ("category", "sugerencia", "queja")]


def test_post_page_actions_update_the_panels(client_for, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    cm = client_for("community_manager")
    pid = seeded.ids["complaint"]
    page = cm.get(f"/posts/{pid}").text
    assert "Hola, ya escalamos su caso con el operador." in page  # the ministry's reply in the thread
    assert "category:rule:reclamo" in page  # which rule produced the analysis
    token = csrf_of(page)
    panels = cm.post(f"/posts/{pid}/sentiment", headers=HX, data={"value": "neutral", "csrf_token": token}).text
    assert 'aria-pressed="true"' in panels and "Negativo → Neutral" in panels
    panels = cm.post(f"/posts/{pid}/topics", headers=HX, data={"toggle": "espectro", "csrf_token": token}).text
    assert re.search(r'value="espectro">\s*<button[^>]*aria-pressed="true"', panels)
    panels = cm.post(f"/posts/{pid}/assign", headers=HX, data={"value": "me", "csrf_token": token}).text
    assert "En curso" in panels
    panels = cm.post(f"/posts/{pid}/note", headers=HX, data={"text": "Escalado a Claro", "csrf_token": token}).text
    assert "Escalado a Claro" in panels
    bad = cm.post(f"/posts/{pid}/topics", headers=HX, data={"toggle": "no-existe", "csrf_token": token})
    assert bad.status_code == 400 and "Tema desconocido" in bad.text
    bad = cm.post(f"/posts/{pid}/category", headers=HX, data={"value": "spam", "csrf_token": token})
    assert bad.status_code == 400


def test_plain_form_posts_redirect_back(client_for, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    cm = client_for("community_manager")
    token = csrf_of(cm.get("/inbox").text)
    row = cm.post(f"/posts/{seeded.ids['praise']}/state", data={
        "value": "not_applicable", "view": "row", "return_to": "categoria=felicitacion&evil=1",
        "csrf_token": token}, follow_redirects=False)
    assert row.status_code == 303 and row.headers["location"] == "/inbox?categoria=felicitacion"
    post = cm.post(f"/posts/{seeded.ids['praise']}/note", data={"text": "ok", "csrf_token": token},
                   follow_redirects=False)
    assert post.headers["location"] == f"/posts/{seeded.ids['praise']}"


def test_bulk_actions(client_for, seeded: Seeded, sqlite_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    cm = client_for("community_manager")
    token = csrf_of(cm.get("/inbox").text)
    ids = [seeded.ids["praise"], seeded.ids["question"], seeded.ids["reply"]]  # the ministry's reply is skipped
    response = cm.post("/inbox/bulk", data={"ids": ids, "action": f"assign:{seeded.users['admin']}",
                                            "csrf_token": token, "return_to": "orden=urgency"},
                       follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/inbox?orden=urgency&hecho=2"
    with UnitOfWork(sqlite_engine) as uow:
        assert uow.session is not None
        reviews = {r.post_id: (r.state, r.assignee_id) for r in uow.session.scalars(select(PostReviewRow))}
    # Every analysed citizen post has a row; only the two assigned ones changed, the ministry's reply has none.
    assert {pid: v for pid, v in reviews.items() if v != ("new", None)} == {
        pid: ("in_progress", seeded.users["admin"]) for pid in ids[:2]}
    assert seeded.ids["reply"] not in reviews
    assert "2 publicación(es) actualizada(s)" in cm.get(response.headers["location"]).text
    assert cm.post("/inbox/bulk", data={"action": "state:attended", "csrf_token": token}).status_code == 400
    assert cm.post("/inbox/bulk", data={"ids": ids, "action": "delete:all", "csrf_token": token}).status_code == 400
    assert cm.post("/inbox/bulk", data={"ids": ids, "action": "assign:99999", "csrf_token": token}).status_code == 400


def test_counts_follow_changes(client_for, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    cm = client_for("community_manager")
    counts = cm.get("/inbox/counts").text
    assert "5 publicaciones" in counts
    assert re.search(r"Reclamo</a>\s*<span class=\"count\">2</span>", counts)
    token = csrf_of(cm.get("/inbox").text)
    cm.post(f"/posts/{seeded.ids['outage']}/state", data={"value": "attended", "csrf_token": token})
    assert "4 publicaciones" in cm.get("/inbox/counts").text  # the cache was cleared by the change


def test_alert_link_opens_the_incidents_posts(client_for, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    cm = client_for("community_manager")
    html = cm.get(f"/inbox?incidente={seeded.incident}").text
    assert f"incidente #{seeded.incident}" in html
    assert _row_ids(html) == [seeded.ids["outage"]]  # flag:outage or negative, inside the incident's window
    assert len(_row_ids(cm.get("/inbox?incidente=999").text)) == 5  # unknown incident: the plain inbox
    incident_page = cm.get(f"/incidents/{seeded.incident}").text
    assert "Posible crisis (CRÍTICO)" in incident_page and f"/inbox?incidente={seeded.incident}" in incident_page


def test_paging_through_a_long_inbox(client_for, seeded: Seeded, sqlite_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    with UnitOfWork(sqlite_engine) as uow:
        ids = uow.posts.upsert([citizen(1000 + i, f"mensaje {i}", minutes_ago=200 + i) for i in range(70)]).new_ids
        analyse(uow, [(pid, analysis("otro")) for pid in ids])
        uow.commit()
    cm = client_for("viewer")
    first = cm.get("/inbox?categoria=otro").text
    assert len(_row_ids(first)) == 50
    next_link = re.search(r'href="(/inbox\?[^"]*cursor=[^"]+)"', first)
    assert next_link
    second = cm.get(next_link.group(1).replace("&amp;", "&")).text
    assert len(_row_ids(second)) == 21 and not set(_row_ids(first)) & set(_row_ids(second))
    assert "Primera página" in second and "cursor=" not in second.split("Primera página")[1].split("</nav>")[0]


def test_partial_results_for_htmx_filters(client_for) -> None:  # type: ignore[no-untyped-def]
    cm = client_for("viewer")
    partial = cm.get("/inbox?sentimiento=negative", headers={**HX, "HX-Target": "results"})
    assert "<html" not in partial.text and 'class="results-grid"' in partial.text
    assert len(_row_ids(partial.text)) == 2


def test_indicator_and_learning_pages_show_figures(client_for, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    cm = client_for("community_manager")
    week = cm.get("/indicators?semana=2026-W46").text
    assert "Indicadores de la semana 2026-W46" in week
    assert "(1 de 1)" in week  # the complaint got a reply from the ministry
    this_week = cm.get("/indicators").text
    assert "2026-W47" in this_week and "<svg" in this_week
    token = csrf_of(this_week)
    cm.post(f"/posts/{seeded.ids['question']}/category", data={"value": "queja", "csrf_token": token})
    cm.post(f"/posts/{seeded.ids['praise']}/state", data={"value": "attended", "csrf_token": token})
    learning = cm.get("/learning").text
    assert re.search(r"<td>2026-W\d\d</td><td>2</td><td>1</td><td>50 %", learning.replace(",0", "")), learning


def test_topics_and_metrics_are_shown_by_their_spanish_names(client_for, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    client = client_for("community_manager")
    inbox = client.get("/inbox?estado=all").text
    assert ">Gobierno Digital y trámites</span>" in inbox and ">Conectividad e internet</span>" in inbox
    assert 'class="chip topic">gobierno_digital<' not in inbox
    assert ">Gobierno Digital y trámites</option>" in inbox  # the topic filter
    page = client.get(f"/posts/{seeded.ids['complaint']}").text
    assert "gobierno_digital</button>" not in page and "conectividad</button>" not in page
    assert ">likes<" not in page and ">reposts<" not in page
