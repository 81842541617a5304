"""An author's page: the public profile, the audience segment and the rule that placed it, recent posts, and
for admins the segment override with its audit trail.

The override is written by `AuthorRepository.set_override` (an `author_events` row: who, when, old, new);
removing it places the author by the configured rules again at once. Either way the reach rank of the
author's review rows follows (`storage.reach.refresh_reach`), so the inbox's urgency order sees it.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from analyzers.segments import DEFAULT_RULE, OVERRIDE_RULE
from bot.web.auth import AdminChange, Viewer
from bot.web.context import get_db, render, web
from bot.web.inputs import PathId, without_nul
from storage.authors import PENDING_RULE, AuthorRepository
from storage.inbox_queries import InboxRepository
from storage.models import AuthorRow
from storage.reach import refresh_reach

router = APIRouter()
RECENT_POSTS = 20
MESSAGES = {"set": "Audiencia corregida.", "removed": "Corrección retirada: la audiencia vuelve a las reglas.",
            "same": "La audiencia ya era esa: no se cambió nada."}
EVENT_ES = {"segment_override": "Corrigió la audiencia", "segment_override_removed": "Retiró la corrección"}
_PARTS_ES = {"verified": "verificación", "domain": "dominio oficial", "bio": "palabra en la biografía",
             "bio_regex": "patrón en la biografía", "handle": "lista de cuentas"}


def rule_es(rule: str) -> str:
    """What placed the author, in Spanish: "override", "default", "pending", or the rule's parts joined by "+"
    ("bio:periodista", "domain:gov.co+verified:government", "handle:x:eltiempo", "followers>=100000")."""
    if rule == OVERRIDE_RULE:
        return "Corrección de un administrador"
    if rule == DEFAULT_RULE:
        return "Ninguna regla coincidió: audiencia por defecto"
    if rule == PENDING_RULE:
        return "Pendiente: se clasificará de nuevo con las reglas"
    parts = []
    for part in rule.split("+"):
        if part.startswith("followers>="):
            parts.append(f"al menos {part.removeprefix('followers>=')} seguidores")
            continue
        kind, _, value = part.partition(":")
        parts.append(f"{_PARTS_ES.get(kind, kind)} «{value}»" if value else part)
    return "Regla: " + " y ".join(parts)


def _author(db: Session, author_row_id: int) -> AuthorRow:
    row = db.get(AuthorRow, author_row_id)
    if row is None:
        raise HTTPException(404, "Ese autor no existe.")
    return row


@router.get("/authors/{author_row_id}")
def author_page(request: Request, author_row_id: PathId, user: Viewer,
                db: Annotated[Session, Depends(get_db)]) -> Response:
    ctx = web(request)
    row = _author(db, author_row_id)
    msg = request.query_params.get("ok", "")
    return render(request, "author.html", {
        "user": user, "author": row, "rule": rule_es(row.segment_rule),
        "segment_label": ctx.segmenter.label, "segments": ctx.segmenter.segments,
        "posts": InboxRepository(db).author_posts(row.platform, row.author_id, RECENT_POSTS),
        "events": list(reversed(AuthorRepository(db).history(row.platform, row.author_id))),
        "event_es": EVENT_ES, "ok": MESSAGES.get(msg, ""),
    })


@router.post("/authors/{author_row_id}/segment")
def set_segment(request: Request, author_row_id: PathId, user: AdminChange,
                db: Annotated[Session, Depends(get_db)],
                segment: Annotated[str, Form(max_length=64)] = "") -> Response:
    """Override the author's segment ("" removes the override); admins only, audited."""
    ctx = web(request)
    row = _author(db, author_row_id)
    chosen = without_nul(segment).strip() or None
    if chosen is not None and chosen not in ctx.segmenter:
        raise HTTPException(400, "Audiencia desconocida: elija una de la lista.")
    if chosen == row.segment_override:
        return RedirectResponse(f"/authors/{author_row_id}?ok=same", status_code=303)
    key = (row.platform, row.author_id)
    AuthorRepository(db).set_override(*key, chosen, user.username, ctx.clock(), place=ctx.segmenter.place,
                                      rules_version=ctx.segmenter.version)
    refresh_reach(db, ctx.reach, [key])
    db.commit()
    ctx.counts_changed()
    return RedirectResponse(f"/authors/{author_row_id}?ok={'set' if chosen else 'removed'}", status_code=303)
