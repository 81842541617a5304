"""Undo of the one-key actions `a` (attended) and `i` (not applicable), and the help a viewer sees (item 14)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from sqlalchemy import Engine, select

from bot.config import Config
from bot.web.app import create_app, fast_passwords
from bot.web.routes_posts import UNDO_SECONDS
from storage.models import PostReviewRow
from storage.unit_of_work import UnitOfWork
from tests.web.conftest import TestClient, log_in
from tests.web.helpers import NOW, Seeded, audit_trail, csrf_of, username

HX = {"HX-Request": "true"}




def _state(engine: Engine, post_id: int) -> str:
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        return str(uow.session.scalar(select(PostReviewRow.state).where(PostReviewRow.post_id == post_id)))


def _act(client: TestClient, post_id: int, value: str, token: str, view: str = "row"):  # type: ignore[no-untyped-def]
    return client.post(f"/posts/{post_id}/state", headers=HX,
                       data={"value": value, "view": view, "return_to": "", "csrf_token": token})


def test_undo_restores_the_previous_state_and_is_audited(client_for, seeded: Seeded,  # type: ignore[no-untyped-def]
                                                         sqlite_engine: Engine) -> None:
    cm = client_for("community_manager")
    token = csrf_of(cm.get("/inbox").text)
    pid = seeded.ids["question"]
    cm.post(f"/posts/{pid}/state", data={"value": "in_progress", "csrf_token": token})
    done = _act(cm, pid, "not_applicable", token)
    offer = json.loads(done.headers["HX-Trigger"])["vigia-undo"]
    assert offer == {"url": f"/posts/{pid}/undo"}
    undone = cm.post(offer["url"], headers={**HX, "X-CSRF-Token": token})
    assert undone.status_code == 200 and undone.headers["HX-Refresh"] == "true"
    assert json.loads(undone.headers["HX-Trigger"])["vigia-toast"] == "Cambio deshecho."
    assert _state(sqlite_engine, pid) == "in_progress"
    assert audit_trail(sqlite_engine, pid)[-2:] == [("communitymanager", "state", "in_progress", "not_applicable"),
                                               ("communitymanager", "state", "not_applicable", "in_progress")]
    again = cm.post(offer["url"], headers={**HX, "X-CSRF-Token": token})  # only once: nothing left to undo
    assert again.status_code == 409 and "No hay nada que deshacer" in again.text
    assert _state(sqlite_engine, pid) == "in_progress"


def test_undo_from_the_post_page_without_htmx_redirects(client_for, seeded: Seeded,  # type: ignore[no-untyped-def]
                                                        sqlite_engine: Engine) -> None:
    cm = client_for("community_manager")
    token = csrf_of(cm.get("/inbox").text)
    pid = seeded.ids["complaint"]
    assert "vigia-undo" in _act(cm, pid, "attended", token, view="post").headers["HX-Trigger"]
    undone = cm.post(f"/posts/{pid}/undo", data={"csrf_token": token}, follow_redirects=False)
    assert (undone.status_code, undone.headers["location"]) == (303, f"/posts/{pid}")
    assert _state(sqlite_engine, pid) == "new"


def test_only_one_key_actions_offer_an_undo(client_for, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    cm = client_for("community_manager")
    token = csrf_of(cm.get("/inbox").text)
    pid = seeded.ids["complaint"]
    assert "vigia-undo" not in _act(cm, pid, "in_progress", token).headers["HX-Trigger"]
    assert "vigia-undo" in _act(cm, pid, "attended", token).headers["HX-Trigger"]
    unchanged = _act(cm, pid, "attended", token)  # already attended: nothing changed, nothing to undo
    assert "vigia-undo" not in unchanged.headers["HX-Trigger"]


def test_undo_is_refused_after_someone_elses_change(client_for, seeded: Seeded,  # type: ignore[no-untyped-def]
                                                    sqlite_engine: Engine) -> None:
    cm, admin = client_for("community_manager"), client_for("admin")
    cm_token, admin_token = csrf_of(cm.get("/inbox").text), csrf_of(admin.get("/inbox").text)
    pid = seeded.ids["outage"]
    _act(cm, pid, "attended", cm_token)
    response = admin.post(f"/posts/{pid}/undo", headers={**HX, "X-CSRF-Token": admin_token})
    assert response.status_code == 409  # not the admin's change
    admin.post(f"/posts/{pid}/note", data={"text": "Revisado con el operador", "csrf_token": admin_token})
    response = cm.post(f"/posts/{pid}/undo", headers={**HX, "X-CSRF-Token": cm_token})
    assert response.status_code == 409  # a later event: the post is no longer as the community manager left it
    assert _state(sqlite_engine, pid) == "attended"


def test_undo_needs_an_editor_and_the_csrf_token(client_for, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    viewer = client_for("viewer")
    token = csrf_of(viewer.get("/inbox").text)
    pid = seeded.ids["question"]
    assert viewer.post(f"/posts/{pid}/undo", headers={**HX, "X-CSRF-Token": token}).status_code == 403
    cm = client_for("community_manager")
    assert cm.post(f"/posts/{pid}/undo", headers=HX).status_code == 403
    assert cm.post("/posts/999999/undo", headers={**HX, "X-CSRF-Token": csrf_of(cm.get("/inbox").text)}
                   ).status_code == 404


def test_undo_expires(sqlite_engine: Engine, seeded: Seeded) -> None:
    now = [NOW]
    app = create_app(Config(), sqlite_engine, passwords=fast_passwords(), clock=lambda: now[0])
    with TestClient(app) as cm:
        assert log_in(cm, username("community_manager")).status_code == 303
        token = csrf_of(cm.get("/inbox").text)
        pid = seeded.ids["praise"]
        _act(cm, pid, "attended", token)
        now[0] = NOW + timedelta(seconds=UNDO_SECONDS + 1)
        response = cm.post(f"/posts/{pid}/undo", headers={**HX, "X-CSRF-Token": token})
    assert response.status_code == 409 and "Ya pasó el momento de deshacer" in response.text


def _help(html: str) -> str:
    found = re.search(r'<dialog id="help".*?</dialog>', html, re.S)
    assert found
    return found.group(0)


def test_help_shows_a_viewer_only_the_keys_a_viewer_can_use(client_for) -> None:  # type: ignore[no-untyped-def]
    viewer = _help(client_for("viewer").get("/inbox").text)
    editor = _help(client_for("community_manager").get("/inbox").text)
    for key in ("j", "k", "o", "u", "/", "?"):
        assert f"<kbd>{key}</kbd>" in viewer and f"<kbd>{key}</kbd>" in editor
    for key in ("a", "i", "p", "m", "c", "x", "1", "8"):
        assert f"<kbd>{key}</kbd>" not in viewer, key
        assert f"<kbd>{key}</kbd>" in editor, key
    assert "deshacer" in editor
