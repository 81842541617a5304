"""What each role may see and change: every route, every role, and nothing changes on a refusal."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from storage.models import AnalysisRow, PostEventRow, PostReviewRow, UserRow
from storage.unit_of_work import UnitOfWork
from tests.web.helpers import Seeded, csrf_of

ROLES = ("viewer", "community_manager", "admin")


def pages(s: Seeded) -> dict[str, tuple[int, int, int]]:
    """GET path -> expected status for viewer, community manager, admin."""
    return {
        "/inbox": (200, 200, 200),
        "/inbox?orden=urgency&estado=all&categoria=reclamo": (200, 200, 200),
        "/inbox/counts": (200, 200, 200),
        f"/posts/{s.ids['complaint']}": (200, 200, 200),
        "/incidents": (200, 200, 200),
        f"/incidents/{s.incident}": (200, 200, 200),
        "/indicators": (200, 200, 200),
        "/indicators?semana=2026-W46": (200, 200, 200),
        "/learning": (200, 200, 200),
        "/inbox/export.csv": (403, 200, 200),
        "/admin/users": (403, 403, 200),
        "/admin/campaigns": (403, 403, 200),
        "/admin/audit": (403, 403, 200),
        "/admin/audit?accion=login&desde=2026-01-01&hasta=2026-12-31&pagina=1": (403, 403, 200),
        "/posts/999999": (404, 404, 404),
    }


def changes(s: Seeded) -> list[tuple[str, dict[str, object], tuple[int, int, int]]]:
    """POST path, form, expected status for viewer, community manager, admin (303 = done, redirected)."""
    post = s.ids["complaint"]
    done = (403, 303, 303)
    admin_only = (403, 403, 303)
    return [
        (f"/posts/{post}/category", {"value": "queja"}, done),
        (f"/posts/{post}/sentiment", {"value": "neutral"}, done),
        (f"/posts/{post}/topics", {"toggle": "espectro"}, done),
        (f"/posts/{post}/state", {"value": "in_progress"}, done),
        (f"/posts/{post}/assign", {"value": "me"}, done),
        (f"/posts/{post}/note", {"text": "revisar"}, done),
        ("/inbox/bulk", {"ids": [s.ids["praise"], s.ids["question"]], "action": "state:attended"}, done),
        ("/admin/users", {"username": "nueva", "role": "viewer", "password": "una-clave-larga"}, admin_only),
        (f"/admin/users/{s.users['viewer']}/role", {"role": "community_manager"}, admin_only),
        (f"/admin/users/{s.users['viewer']}/password", {"password": "otra-clave-larga"}, admin_only),
        (f"/admin/users/{s.users['viewer']}/active", {"active": "0"}, admin_only),
    ]


def _snapshot(engine: Engine) -> tuple[object, ...]:
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        s = uow.session
        return (
            s.scalar(select(func.count()).select_from(PostEventRow)),
            s.scalar(select(func.count()).select_from(PostReviewRow)),
            tuple(s.scalars(select(AnalysisRow.category).order_by(AnalysisRow.post_id))),
            tuple(s.execute(select(UserRow.username, UserRow.role, UserRow.active, UserRow.password_hash)
                            .order_by(UserRow.id)).all()),
        )


@pytest.mark.parametrize("role_index", range(3), ids=ROLES)
def test_pages_by_role(client_for, seeded: Seeded, role_index: int) -> None:  # type: ignore[no-untyped-def]
    client = client_for(ROLES[role_index])
    for path, expected in pages(seeded).items():
        response = client.get(path, follow_redirects=False)
        assert response.status_code == expected[role_index], path


@pytest.mark.parametrize("role_index", range(3), ids=ROLES)
def test_changes_by_role(client_for, seeded: Seeded, sqlite_engine: Engine,  # type: ignore[no-untyped-def]
                         role_index: int) -> None:
    role = ROLES[role_index]
    for path, form, expected in changes(seeded):
        client = client_for(role)  # a fresh session each time: the password reset ends the viewer's sessions
        csrf = csrf_of(client.get("/inbox").text)
        before = _snapshot(sqlite_engine)
        response = client.post(path, data={**form, "csrf_token": csrf}, follow_redirects=False)
        assert response.status_code == expected[role_index], (role, path, response.text[:200])
        if expected[role_index] == 403:
            assert _snapshot(sqlite_engine) == before, (role, path)
        else:
            assert _snapshot(sqlite_engine) != before, (role, path)


def test_viewer_sees_no_editing_controls(client_for, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    viewer = client_for("viewer")
    for path in ("/inbox", f"/posts/{seeded.ids['complaint']}"):
        html = viewer.get(path).text
        assert "hx-post" not in html and 'id="bulk"' not in html and "Exportar CSV" not in html, path
    editor_html = client_for("community_manager").get(f"/posts/{seeded.ids['complaint']}").text
    assert "hx-post" in editor_html and "Usuarios" not in editor_html


def test_admin_cannot_lock_themselves_out(client_for, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    csrf = csrf_of(admin.get("/admin/users").text)
    me = seeded.users["admin"]
    assert admin.post(f"/admin/users/{me}/active", data={"active": "0", "csrf_token": csrf}).status_code == 400
    assert admin.post(f"/admin/users/{me}/role", data={"role": "viewer", "csrf_token": csrf}).status_code == 400
    assert admin.get("/admin/users").status_code == 200


def test_weak_passwords_and_bad_usernames_are_refused(client_for) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    csrf = csrf_of(admin.get("/admin/users").text)
    for form in ({"username": "corta", "role": "viewer", "password": "123"},
                 {"username": "Con Espacios", "role": "viewer", "password": "una-clave-larga"},
                 {"username": "ok.user", "role": "superuser", "password": "una-clave-larga"}):
        assert admin.post("/admin/users", data={**form, "csrf_token": csrf}).status_code == 400, form
