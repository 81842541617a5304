"""The campaigns admin page: admins only, CSRF, validation in Spanish, the audit trail, config campaigns
read-only, and the re-match of the campaign's dates after a save (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import Engine, select

from bot.web import routes_campaigns
from domain import Campaign
from storage.campaigns import CampaignRepository
from storage.models import AnalysisRow, AuditEventRow, CampaignRow, PostLabelRow
from storage.unit_of_work import UnitOfWork
from tests.web.conftest import TestClient
from tests.web.helpers import NOW, Seeded, csrf_of

FORM = {"name": "#TalentoTI 2027", "id": "talento-ti", "hashtags": "#TalentoTI\n#Talento_TI",
        "keywords": "talento ti, becas tic", "links": "mintic.gov.co/talentoti\ntalentoti_2027",
        "starts_on": "2026-11-01", "ends_on": "2027-02-28", "description": "Convocatoria de becas."}


@pytest.fixture
def rematched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The campaign ids the page asked to match again (the matcher itself is tested with the analysis)."""
    calls: list[str] = []

    def record(ctx, campaign_id: str) -> None:  # type: ignore[no-untyped-def]
        calls.append(campaign_id)

    monkeypatch.setattr(routes_campaigns, "rematch", record)
    return calls


def _row(engine: Engine, campaign_id: str) -> CampaignRow | None:
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        row = uow.session.get(CampaignRow, campaign_id)
        if row is not None:
            uow.session.expunge(row)
        return row


def _audit(engine: Engine) -> list[AuditEventRow]:
    """The campaign events of the audit trail (it also records the test users' logins)."""
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        rows = list(uow.session.scalars(select(AuditEventRow).where(AuditEventRow.action.startswith("campaign_"))
                                        .order_by(AuditEventRow.id)))
        uow.session.expunge_all()
        return rows


def test_admin_creates_edits_and_archives_a_campaign(client_any: Callable[[str], TestClient], engine: Engine,
                                                     seeded_any: Seeded, rematched: list[str]) -> None:
    admin = client_any("admin")
    page = admin.get("/admin/campaigns")
    assert page.status_code == 200 and "Nueva campaña" in page.text
    created = admin.post("/admin/campaigns", data={**FORM, "csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert created.status_code == 303 and created.headers["location"] == "/admin/campaigns/talento-ti?ok=created"
    row = _row(engine, "talento-ti")
    assert row is not None and row.source == "admin" and row.updated_by == "admin"
    assert (row.hashtags, row.keywords, row.links) == (["TalentoTI", "Talento_TI"], ["talento ti", "becas tic"],
                                                      ["mintic.gov.co/talentoti", "talentoti_2027"])
    assert (row.starts_on, row.ends_on) == (date(2026, 11, 1), date(2027, 2, 28))
    assert rematched == ["talento-ti"]

    detail = admin.get("/admin/campaigns/talento-ti?ok=created")
    assert "Campaña creada: Vigía está revisando" in detail.text and "Creó la campaña" in detail.text
    assert 'href="/inbox?campana=talento-ti&amp;estado=all"' in detail.text
    assert "report --campaign talento-ti" in detail.text
    assert "testclient" in detail.text  # where the change came from (remote_addr)

    edited = admin.post("/admin/campaigns/talento-ti", data={**FORM, "ends_on": "2027-03-31",
                                                             "csrf_token": csrf_of(detail.text)},
                        follow_redirects=False)
    assert edited.status_code == 303 and edited.headers["location"].endswith("?ok=updated")
    assert rematched == ["talento-ti", "talento-ti"]
    same = admin.post("/admin/campaigns/talento-ti", data={**FORM, "ends_on": "2027-03-31",
                                                           "csrf_token": csrf_of(detail.text)}, follow_redirects=False)
    assert same.headers["location"].endswith("?ok=unchanged") and len(rematched) == 2
    history = admin.get("/admin/campaigns/talento-ti").text
    assert "Modificó la campaña" in history and "2027-02-28 → 2027-03-31" in history

    archived = admin.post("/admin/campaigns/talento-ti/archive", data={"csrf_token": csrf_of(history)},
                          follow_redirects=False)
    assert archived.status_code == 303
    assert _row(engine, "talento-ti").archived  # type: ignore[union-attr]
    events = [(e.action, e.user, e.remote_addr, e.target) for e in _audit(engine)]
    assert events == [(a, "admin", "testclient", "campaign:talento-ti")
                      for a in ("campaign_create", "campaign_update", "campaign_archive")]
    listing = admin.get("/admin/campaigns").text
    assert "Archivada" in listing and "creada en Vigía" in listing


@pytest.mark.parametrize("role", ["viewer", "community_manager"])
def test_only_admins_see_or_change_campaigns(client_any: Callable[[str], TestClient], engine: Engine,
                                             seeded_any: Seeded, role: str, rematched: list[str]) -> None:
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        CampaignRepository(uow.session, lambda: NOW).save(
            Campaign(id="existente", name="Existente", starts_on=date(2026, 1, 1), hashtags=("X",)), "admin", None)
        uow.commit()
    client = client_any(role)
    token = csrf_of(client.get("/inbox").text)
    assert client.get("/admin/campaigns").status_code == 403
    assert client.get("/admin/campaigns/existente").status_code == 403
    for path, data in (("/admin/campaigns", FORM), ("/admin/campaigns/existente", FORM),
                       ("/admin/campaigns/existente/archive", {})):
        assert client.post(path, data={**data, "csrf_token": token}, follow_redirects=False).status_code == 403
    assert _row(engine, "talento-ti") is None and not _row(engine, "existente").archived  # type: ignore[union-attr]
    assert 'href="/admin/campaigns"' not in client.get("/inbox").text
    assert rematched == []


def test_changes_need_the_csrf_token(client_any: Callable[[str], TestClient], engine: Engine,
                                     seeded_any: Seeded, rematched: list[str]) -> None:
    admin = client_any("admin")
    assert admin.post("/admin/campaigns", data=FORM, follow_redirects=False).status_code == 403
    wrong = admin.post("/admin/campaigns", data={**FORM, "csrf_token": "otro"}, follow_redirects=False)
    assert wrong.status_code == 403
    cross = admin.post("/admin/campaigns", data={**FORM, "csrf_token": csrf_of(admin.get("/admin/campaigns").text)},
                       headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert cross.status_code == 403
    assert _row(engine, "talento-ti") is None and _audit(engine) == [] and rematched == []


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": ""}, "Escriba el nombre de la campaña."),
    ({"id": "Talento TI"}, "El identificador debe tener de 1 a 64 caracteres"),
    ({"id": "", "name": "¡¡!!"}, "El identificador debe tener de 1 a 64 caracteres"),
    ({"hashtags": "#talento ti"}, "«talento ti» no es un hashtag"),
    ({"hashtags": "", "keywords": "", "links": ""}, "Indique al menos un hashtag, una palabra clave o un enlace"),
    ({"keywords": "ti"}, "«ti» es demasiado corta"),
    ({"links": "mintic.gov.co/talento ti"}, "no es un enlace ni un valor de utm_campaign"),
    ({"starts_on": ""}, "Indique la fecha de inicio"),
    ({"starts_on": "01/11/2026"}, "La fecha no es válida"),
    ({"ends_on": "9999-12-31"}, "La fecha no es válida"),
    ({"ends_on": "2026-10-01"}, "La fecha final no puede ser anterior a la inicial."),
    ({"hashtags": "\n".join(f"#h{n}" for n in range(51))}, "Admite hasta 50 valores."),
])
def test_invalid_forms_come_back_with_the_values_and_a_spanish_message(
        client_any: Callable[[str], TestClient], engine: Engine, seeded_any: Seeded, rematched: list[str],
        changes: dict[str, str], message: str) -> None:
    admin = client_any("admin")
    data = {**FORM, **changes, "csrf_token": csrf_of(admin.get("/admin/campaigns").text)}
    response = admin.post("/admin/campaigns", data=data, follow_redirects=False)
    assert response.status_code == 400
    assert message in response.text and "no se guardó nada" in response.text
    assert f'name="name" value="{data["name"]}"' in response.text
    assert "Convocatoria de becas." in response.text  # what was typed is kept
    assert _audit(engine) == [] and rematched == []


def test_a_duplicate_id_is_refused_without_touching_the_existing_one(
        client_any: Callable[[str], TestClient], engine: Engine, seeded_any: Seeded, rematched: list[str]) -> None:
    admin = client_any("admin")
    token = csrf_of(admin.get("/admin/campaigns").text)
    assert admin.post("/admin/campaigns", data={**FORM, "csrf_token": token}, follow_redirects=False).status_code == 303
    again = admin.post("/admin/campaigns", data={**FORM, "name": "Otra", "csrf_token": token}, follow_redirects=False)
    assert again.status_code == 400 and "Ya existe una campaña con el identificador «talento-ti»" in again.text
    assert _row(engine, "talento-ti").name == "#TalentoTI 2027"  # type: ignore[union-attr]


def test_an_empty_id_is_derived_from_the_name(client_any: Callable[[str], TestClient], engine: Engine,
                                              seeded_any: Seeded, rematched: list[str]) -> None:
    admin = client_any("admin")
    token = csrf_of(admin.get("/admin/campaigns").text)
    data = {**FORM, "id": "", "name": "Conecta tu Vereda Año 2", "csrf_token": token}
    response = admin.post("/admin/campaigns", data=data, follow_redirects=False)
    assert response.headers["location"] == "/admin/campaigns/conecta-tu-vereda-ano-2?ok=created"


def test_config_campaigns_are_read_only(client_any: Callable[[str], TestClient], engine: Engine,
                                        seeded_any: Seeded, rematched: list[str]) -> None:
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        CampaignRepository(uow.session, lambda: NOW).sync_config(
            [Campaign(id="de-config", name="Desde el archivo", starts_on=date(2026, 1, 1), hashtags=("Archivo",))])
        uow.commit()
    admin = client_any("admin")
    listing = admin.get("/admin/campaigns").text
    assert "definida en config.yaml" in listing
    page = admin.get("/admin/campaigns/de-config")
    assert "Definida en config.yaml" in page.text and 'action="/admin/campaigns/de-config"' not in page.text
    assert "#Archivo" in page.text
    token = csrf_of(page.text)
    edit = admin.post("/admin/campaigns/de-config", data={**FORM, "csrf_token": token}, follow_redirects=False)
    assert edit.status_code == 409 and "config.yaml" in edit.text
    archive = admin.post("/admin/campaigns/de-config/archive", data={"csrf_token": token}, follow_redirects=False)
    assert archive.status_code == 409 and "config.yaml" in archive.text
    taken = admin.post("/admin/campaigns", data={**FORM, "id": "de-config", "csrf_token": token},
                       follow_redirects=False)
    assert taken.status_code == 400 and "Ya existe" in taken.text
    row = _row(engine, "de-config")
    assert row is not None and row.name == "Desde el archivo" and not row.archived and rematched == []


@pytest.mark.parametrize("path", ["/admin/campaigns/no-existe", "/admin/campaigns/%3Cx%3E",
                                  "/admin/campaigns/" + "a" * 300])
def test_unknown_campaign_pages_are_404(client_any: Callable[[str], TestClient], seeded_any: Seeded,
                                        path: str) -> None:
    admin = client_any("admin")
    response = admin.get(path)
    assert response.status_code == 404 and "Esa campaña no existe." in response.text
    token = csrf_of(admin.get("/admin/campaigns").text)
    assert admin.post(path + "/archive", data={"csrf_token": token}).status_code == 404


def test_the_list_counts_each_campaigns_posts(client_any: Callable[[str], TestClient], engine: Engine,
                                              seeded_any: Seeded, rematched: list[str]) -> None:
    from tests.web.test_campaign_place_inbox import TALENTO, add_campaigns, mark

    add_campaigns(engine, TALENTO)
    mark(engine, seeded_any.ids["question"], campaigns=("talento-ti",))
    mark(engine, seeded_any.ids["complaint"], campaigns=("talento-ti",))
    listing = client_any("admin").get("/admin/campaigns").text
    row = re.search(r'<tr class="camp-\w+" data-campaign="talento-ti">.*?</tr>', listing, re.S)
    assert row is not None and '<td class="num">2</td>' in row.group(0) and "En curso" in row.group(0)


def test_saving_matches_the_campaigns_older_posts_again(client_any: Callable[[str], TestClient], engine: Engine,
                                                        seeded_any: Seeded) -> None:
    """The real re-match (bot.campaign_matching), run after the answer: posts stored before the campaign existed
    get its label, and lose it when an edit leaves them out."""
    admin = client_any("admin")
    token = csrf_of(admin.get("/admin/campaigns").text)
    form = {"name": "Talento TI", "id": "talento-ti", "keywords": "talento ti", "starts_on": "2026-11-01",
            "csrf_token": token}
    assert admin.post("/admin/campaigns", data=form, follow_redirects=False).status_code == 303
    question = seeded_any.ids["question"]  # "¿Cómo me inscribo a Talento TI?", 3 days before NOW
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        labelled = set(uow.session.scalars(select(PostLabelRow.post_id).where(PostLabelRow.kind == "campaign",
                                                                              PostLabelRow.value == "talento-ti")))
        assert labelled == {question}
        assert uow.session.get(AnalysisRow, question).campaigns == ["talento-ti"]  # type: ignore[union-attr]
    page = admin.get("/inbox?campana=talento-ti&estado=all")
    assert f'data-post-id="{question}"' in page.text and "Talento TI</a>" in page.text
    later = {**form, "starts_on": (NOW.date()).isoformat()}  # the post is now before the campaign
    assert admin.post("/admin/campaigns/talento-ti", data=later, follow_redirects=False).status_code == 303
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        assert uow.session.get(AnalysisRow, question).campaigns == []  # type: ignore[union-attr]
        assert not list(uow.session.scalars(select(PostLabelRow).where(PostLabelRow.kind == "campaign")))
