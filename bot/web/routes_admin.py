"""User management for admins (the same operations as `main.py users …`).

Admins cannot disable or demote themselves, so the app always keeps at least the admin who is using it.
Disabling a user or resetting a password ends that user's open sessions at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from bot.web.audit_trail import audit
from bot.web.auth import Admin, AdminChange
from bot.web.context import get_db, render, web
from bot.web.inputs import PathId, without_nul
from bot.web.security import password_problem
from storage.web_accounts import ROLES, UserRepository, WebSessionRepository

router = APIRouter(prefix="/admin")
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")


def username_problem(username: str) -> str | None:
    if not 2 <= len(username) <= 64 or not set(username) <= USERNAME_CHARS:
        return "El usuario debe tener de 2 a 64 caracteres: letras minúsculas sin tildes, números, punto, guion."
    return None


@router.get("/users")
def users_page(request: Request, user: Admin, db: Annotated[Session, Depends(get_db)]) -> Response:
    msg = request.query_params.get("ok", "")
    return render(request, "users.html", {"user": user, "users": UserRepository(db).all(), "roles": ROLES,
                                          "ok": msg if msg in MESSAGES else "", "messages": MESSAGES})


MESSAGES = {"created": "Usuario creado.", "active": "Estado del usuario actualizado.", "role": "Rol actualizado.",
            "password": "Contraseña restablecida; la persona debe iniciar sesión de nuevo."}


def _done(code: str) -> Response:
    return RedirectResponse(f"/admin/users?ok={code}", status_code=303)


@router.post("/users")
def create_user(request: Request, user: AdminChange, db: Annotated[Session, Depends(get_db)],
                username: Annotated[str, Form(max_length=64)], role: Annotated[str, Form(max_length=32)],
                password: Annotated[str, Form(max_length=1024)],
                display_name: Annotated[str, Form(max_length=128)] = "") -> Response:
    username = username.strip().lower()
    problem = username_problem(username) or password_problem(password)
    if role not in ROLES:
        problem = "Rol desconocido."
    if problem:
        raise HTTPException(400, problem)
    try:
        UserRepository(db).add(username, without_nul(display_name).strip() or username, role,
                               web(request).passwords.hash(password))
    except ValueError:
        raise HTTPException(409, "Ese usuario ya existe.") from None
    audit(request, db, "user_create", user.username, target=f"user:{username}", detail={"role": role})
    db.commit()
    return _done("created")


def _name(db: Session, user_id: int) -> str:
    found = UserRepository(db).get(user_id)
    return f"user:{found.username if found else user_id}"


def _target(db: Session, user_id: int) -> int:
    if UserRepository(db).get(user_id) is None:
        raise HTTPException(404, "Ese usuario no existe.")
    return user_id


@router.post("/users/{user_id}/active")
def set_active(request: Request, user_id: PathId, user: AdminChange, db: Annotated[Session, Depends(get_db)],
               active: Annotated[str, Form(max_length=1)]) -> Response:
    _target(db, user_id)
    if user_id == user.id:
        raise HTTPException(400, "No puede desactivar su propia cuenta.")
    UserRepository(db).set_active(user_id, active == "1")
    if active != "1":
        WebSessionRepository(db).delete_for_user(user_id)
    audit(request, db, "user_activate" if active == "1" else "user_deactivate", user.username,
          target=_name(db, user_id))
    db.commit()
    return _done("active")


@router.post("/users/{user_id}/role")
def set_role(request: Request, user_id: PathId, user: AdminChange, db: Annotated[Session, Depends(get_db)],
             role: Annotated[str, Form(max_length=32)]) -> Response:
    before = UserRepository(db).get(_target(db, user_id))
    if role not in ROLES:
        raise HTTPException(400, "Rol desconocido.")
    if user_id == user.id and role != "admin":
        raise HTTPException(400, "No puede quitarse a sí mismo el rol de administración.")
    UserRepository(db).set_role(user_id, role)
    audit(request, db, "user_role", user.username, target=_name(db, user_id),
          detail={"old": before.role if before else None, "new": role})
    db.commit()
    return _done("role")


@router.post("/users/{user_id}/password")
def reset_password(request: Request, user_id: PathId, user: AdminChange, db: Annotated[Session, Depends(get_db)],
                   password: Annotated[str, Form(max_length=1024)]) -> Response:
    _target(db, user_id)
    problem = password_problem(password)
    if problem:
        raise HTTPException(400, problem)
    UserRepository(db).set_password(user_id, web(request).passwords.hash(password))
    WebSessionRepository(db).delete_for_user(user_id)
    audit(request, db, "user_password", user.username, target=_name(db, user_id))  # never the password
    db.commit()
    return _done("password")
