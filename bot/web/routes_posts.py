"""One post: its page, and the actions on it (corrections, state, assignee, notes).

Each action answers an htmx request with the fragment to swap in (the inbox row, or the post's panels) and
a plain form post with a redirect, so the app works with JavaScript turned off too. An inbox row that no
longer matches the inbox's filters after the change (say, a post marked attended in the "pending" view)
comes back empty, which removes it from the list.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from bot.web.auth import CurrentUser, EditorChange, Viewer
from bot.web.context import get_db, is_htmx, render, web
from bot.web.deadlines import deadline_for
from bot.web.inputs import PathId, parse_id, without_nul
from bot.web.routes_campaigns import campaign_names
from bot.web.routes_inbox import params_from_return_to, row_context
from domain import CATEGORIES, SENTIMENTS
from storage.inbox_queries import InboxRepository
from storage.review_changes import REVIEW_STATES, ReviewRepository
from storage.web_accounts import UserRepository

router = APIRouter()
log = structlog.get_logger("vigia.web.posts")

ReturnTo = Annotated[str, Form(max_length=4000)]
View = Annotated[str, Form(max_length=8)]


def _reviews(request: Request, db: Session) -> ReviewRepository:
    ctx = web(request)
    return ReviewRepository(db, ctx.clock, ctx.reach)


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
        "deadline": deadline_for(row.created_at, row.category, ctx.calendar, ctx.clock())
        if row.state in ("new", "in_progress") else None,
        "categories": CATEGORIES,
        "sentiments": SENTIMENTS,
        "all_topics": topics,
        "is_citizen": not detail.is_own,
        "segment_label": ctx.segmenter.label,
        "campaign_names": campaign_names(db) if row.campaigns else {},
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
            params, _ = params_from_return_to(request, db, user, campaign_names(db), return_to)
            return RedirectResponse(f"/inbox?{params.query()}", status_code=303)
        return RedirectResponse(f"/posts/{post_id}", status_code=303)
    if view == "row":
        campaigns = campaign_names(db)
        params, filters = params_from_return_to(request, db, user, campaigns, return_to)
        if not InboxRepository(db).contains(filters, post_id):
            return HTMLResponse("", headers=_toast(message))
        detail = InboxRepository(db).detail(post_id)
        assert detail is not None
        data = {**row_context(request, db, user, params, campaigns), "row": detail.row}
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
    result = _reviews(request, db).correct([post_id], field, value, user.username)
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
    if not _reviews(request, db).set_topics(post_id, new, user.username):
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
    result = _reviews(request, db).set_state([post_id], value, user.username)
    _not_found_or_skipped(result.skipped)
    db.commit()
    response = _after_change(request, db, user, post_id, view, return_to, STATE_MESSAGES[value])
    if result.changed and value in UNDOABLE_STATES and is_htmx(request):
        _offer_undo(response, post_id)
    return response


UNDOABLE_STATES = ("attended", "not_applicable")  # the one-key actions `a` and `i`
UNDO_SECONDS = 60  # the toast offers it for a few seconds; the server allows some slack for slow networks


def _offer_undo(response: Response, post_id: int) -> None:
    """Add `vigia-undo` to the HX-Trigger events: the page shows a toast with "Deshacer"."""
    events = json.loads(response.headers.get("HX-Trigger", "{}"))
    events["vigia-undo"] = {"url": f"/posts/{post_id}/undo"}
    response.headers["HX-Trigger"] = json.dumps(events, ensure_ascii=True)


def _undoable(db: Session, post_id: int, user: CurrentUser, now: datetime) -> str:
    """The state to go back to: the post's latest event must be this user's own recent change of state to
    attended or not applicable (nobody has touched the post since). Else a 409 that says why."""
    events = InboxRepository(db).events(post_id)
    last = events[0] if events else None
    if last is None or last.action != "state" or last.user != user.username or last.new_value not in UNDOABLE_STATES:
        raise HTTPException(409, "No hay nada que deshacer: el último cambio de esta publicación no es suyo o "
                                 "no fue un cambio de estado.")
    if now - last.created_at > timedelta(seconds=UNDO_SECONDS):
        raise HTTPException(409, "Ya pasó el momento de deshacer: cambie el estado desde la publicación.")
    if last.old_value not in REVIEW_STATES:
        raise HTTPException(409, "No se conoce el estado anterior de esta publicación.")
    return last.old_value


@router.post("/posts/{post_id}/undo")
def undo_state(request: Request, post_id: PathId, user: EditorChange,
               db: Annotated[Session, Depends(get_db)]) -> Response:
    """Undo one's own `a`/`i` (attended, not applicable) within UNDO_SECONDS; audited as a state change."""
    if InboxRepository(db).detail(post_id) is None:
        raise HTTPException(404, "Esa publicación no existe.")
    ctx = web(request)
    previous = _undoable(db, post_id, user, ctx.clock())
    result = _reviews(request, db).set_state([post_id], previous, user.username)
    _not_found_or_skipped(result.skipped)
    db.commit()
    log.info("state change undone", post_id=post_id, user=user.username, state=previous)
    ctx.counts_changed()
    if not is_htmx(request):
        return RedirectResponse(f"/posts/{post_id}", status_code=303)
    return HTMLResponse("", headers={**_toast("Cambio deshecho."), "HX-Refresh": "true"})


@router.post("/posts/{post_id}/assign")
def assign(request: Request, post_id: PathId, user: EditorChange, db: Annotated[Session, Depends(get_db)],
           value: Annotated[str, Form(max_length=16)] = "", view: View = "post",
           return_to: ReturnTo = "") -> Response:
    target = user.id if value == "me" else parse_id(value)
    if value not in ("", "me", "none") and target is None:
        raise HTTPException(400, "Asignación no válida.")
    try:
        result = _reviews(request, db).assign([post_id], target, user.username)
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
    if not _reviews(request, db).add_note(post_id, text, user.username):
        raise HTTPException(404, "Esa publicación no existe.")
    db.commit()
    return _after_change(request, db, user, post_id, view, return_to, "Nota guardada.")
