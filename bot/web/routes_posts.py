"""One post: its page, and the actions on it (corrections, state, assignee, notes).

Each action answers an htmx request with the fragment to swap in (the inbox row, or the post's panels) and
a plain form post with a redirect, so the app works with JavaScript turned off too. An inbox row that no
longer matches the inbox's filters after the change (say, a post marked attended in the "pending" view)
comes back empty, which removes it from the list.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from bot.web.auth import CurrentUser, EditorChange, Viewer
from bot.web.context import get_db, is_htmx, render, web
from bot.web.deadlines import deadline_for
from bot.web.inputs import PathId, parse_id, without_nul
from bot.web.routes_inbox import params_from_return_to, row_context
from domain import CATEGORIES, SENTIMENTS
from storage.inbox_repository import REVIEW_STATES, InboxRepository, ReviewRepository
from storage.web_accounts import UserRepository

router = APIRouter()

ReturnTo = Annotated[str, Form(max_length=4000)]
View = Annotated[str, Form(max_length=8)]


def _post_context(request: Request, db: Session, user: CurrentUser, post_id: int) -> dict[str, object]:
    ctx = web(request)
    repo = InboxRepository(db)
    detail = repo.detail(post_id)
    if detail is None:
        raise HTTPException(404, "Esa publicación no existe.")
    row = detail.row
    topics = list(dict.fromkeys([*ctx.topics, *row.topics]))
    return {
        "user": user,
        "detail": detail,
        "post": row,
        "thread": repo.thread(post_id),
        "events": repo.events(post_id),
        "assignees": UserRepository(db).assignable() if user.can_edit else [],
        "deadline": deadline_for(row.created_at, row.category, ctx.config.tz, ctx.clock())
        if row.state in ("new", "in_progress") else None,
        "categories": CATEGORIES,
        "sentiments": SENTIMENTS,
        "all_topics": topics,
        "is_citizen": not detail.is_own,
    }


@router.get("/posts/{post_id}")
def post_page(request: Request, post_id: PathId, user: Viewer, db: Annotated[Session, Depends(get_db)]) -> Response:
    return render(request, "post.html", _post_context(request, db, user, post_id))


def _toast(message: str) -> dict[str, str]:
    """Tell the page what happened (a toast) and that the inbox counts changed."""
    return {"HX-Trigger": json.dumps({"vigia-toast": message, "vigia-changed": True}, ensure_ascii=True)}


def _after_change(request: Request, db: Session, user: CurrentUser, post_id: int, view: str, return_to: str,
                  message: str) -> Response:
    web(request).counts_changed()
    if not is_htmx(request):
        if view == "row":
            params, _ = params_from_return_to(request, db, user, return_to)
            return RedirectResponse(f"/inbox?{params.query()}", status_code=303)
        return RedirectResponse(f"/posts/{post_id}", status_code=303)
    if view == "row":
        params, filters = params_from_return_to(request, db, user, return_to)
        if not InboxRepository(db).contains(filters, post_id):
            return HTMLResponse("", headers=_toast(message))
        detail = InboxRepository(db).detail(post_id)
        assert detail is not None
        data = {**row_context(request, db, user, params), "row": detail.row}
        return render(request, "_row.html", data, headers=_toast(message))
    return render(request, "_post_panels.html", _post_context(request, db, user, post_id), headers=_toast(message))


def _not_found_or_skipped(skipped: list[int]) -> None:
    if skipped:
        raise HTTPException(409, "Esta publicación no admite esa acción (es propia del ministerio o aún no "
                                 "tiene análisis).")


def _correct(request: Request, db: Session, user: Any, post_id: int, field: str, value: str,
             allowed: tuple[str, ...], unknown: str, done: str, view: str, return_to: str) -> Response:
    if value not in allowed:
        raise HTTPException(400, unknown)
    result = ReviewRepository(db, web(request).clock).correct([post_id], field, value, user.username)
    _not_found_or_skipped(result.skipped)
    db.commit()
    return _after_change(request, db, user, post_id, view, return_to, done)


@router.post("/posts/{post_id}/category")
def set_category(request: Request, post_id: PathId, user: EditorChange, db: Annotated[Session, Depends(get_db)],
                 value: Annotated[str, Form()], view: View = "post", return_to: ReturnTo = "") -> Response:
    return _correct(request, db, user, post_id, "category", value, CATEGORIES, "Categoría desconocida.",
                    "Categoría corregida.", view, return_to)


@router.post("/posts/{post_id}/sentiment")
def set_sentiment(request: Request, post_id: PathId, user: EditorChange, db: Annotated[Session, Depends(get_db)],
                  value: Annotated[str, Form()], view: View = "post", return_to: ReturnTo = "") -> Response:
    return _correct(request, db, user, post_id, "sentiment", value, SENTIMENTS, "Sentimiento desconocido.",
                    "Sentimiento corregido.", view, return_to)


@router.post("/posts/{post_id}/topics")
def toggle_topic(request: Request, post_id: PathId, user: EditorChange, db: Annotated[Session, Depends(get_db)],
                 toggle: Annotated[str, Form(max_length=64)], view: View = "post",
                 return_to: ReturnTo = "") -> Response:
    detail = InboxRepository(db).detail(post_id)
    if detail is None:
        raise HTTPException(404, "Esa publicación no existe.")
    current = list(detail.row.topics)
    if toggle not in web(request).topics and toggle not in current:
        raise HTTPException(400, "Tema desconocido.")
    new = [t for t in current if t != toggle] if toggle in current else [*current, toggle]
    if not ReviewRepository(db, web(request).clock).set_topics(post_id, new, user.username):
        _not_found_or_skipped([post_id])
    db.commit()
    return _after_change(request, db, user, post_id, view, return_to, "Temas actualizados.")


STATE_MESSAGES = {"attended": "Marcada como atendida.", "not_applicable": "Marcada como «no aplica».",
                  "in_progress": "Marcada en curso.", "new": "Devuelta a nuevas."}


@router.post("/posts/{post_id}/state")
def set_state(request: Request, post_id: PathId, user: EditorChange, db: Annotated[Session, Depends(get_db)],
              value: Annotated[str, Form()], view: View = "post", return_to: ReturnTo = "") -> Response:
    if value not in REVIEW_STATES:
        raise HTTPException(400, "Estado desconocido.")
    result = ReviewRepository(db, web(request).clock).set_state([post_id], value, user.username)
    _not_found_or_skipped(result.skipped)
    db.commit()
    return _after_change(request, db, user, post_id, view, return_to, STATE_MESSAGES[value])


@router.post("/posts/{post_id}/assign")
def assign(request: Request, post_id: PathId, user: EditorChange, db: Annotated[Session, Depends(get_db)],
           value: Annotated[str, Form(max_length=16)] = "", view: View = "post",
           return_to: ReturnTo = "") -> Response:
    target = user.id if value == "me" else parse_id(value)
    if value not in ("", "me", "none") and target is None:
        raise HTTPException(400, "Asignación no válida.")
    try:
        result = ReviewRepository(db, web(request).clock).assign([post_id], target, user.username)
    except ValueError:
        raise HTTPException(400, "Esa persona no existe o está desactivada.") from None
    _not_found_or_skipped(result.skipped)
    db.commit()
    return _after_change(request, db, user, post_id, view, return_to,
                         "Asignación actualizada." if target else "Asignación retirada.")


@router.post("/posts/{post_id}/note")
def add_note(request: Request, post_id: PathId, user: EditorChange, db: Annotated[Session, Depends(get_db)],
             text: Annotated[str, Form(max_length=4000)], view: View = "post",
             return_to: ReturnTo = "") -> Response:
    text = without_nul(text)
    if not text.strip():
        raise HTTPException(400, "La nota está vacía.")
    if not ReviewRepository(db, web(request).clock).add_note(post_id, text, user.username):
        raise HTTPException(404, "Esa publicación no existe.")
    db.commit()
    return _after_change(request, db, user, post_id, view, return_to, "Nota guardada.")
