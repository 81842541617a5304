"""The inbox: the filtered list, its counts, bulk actions and CSV export."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from bot import labels
from bot.spreadsheet import safe_cell
from bot.web.audit_trail import audit
from bot.web.auth import CurrentUser, Editor, EditorChange, Viewer
from bot.web.context import get_db, is_htmx, render, web
from bot.web.deadlines import deadline_for
from bot.web.filters import FilterParams
from bot.web.inputs import FormId, InvalidParameter, cursor_param, parse_id, parse_int
from bot.web.place_names import department_choices, department_names, evidence_label, place_label
from bot.web.routes_campaigns import campaign_names
from domain import CATEGORIES, NO_PROFILE, SENTIMENTS
from storage.inbox_filters import InboxFilters
from storage.inbox_queries import InboxRepository, InboxRow
from storage.review_changes import REVIEW_STATES, ReviewRepository
from storage.web_accounts import UserRepository

PAGE_SIZE = 50
MAX_BULK = 500

router = APIRouter()


def parse_filters(request: Request, db: Session, user: CurrentUser, campaigns: dict[str, str],
                  query: Any = None) -> tuple[FilterParams, InboxFilters]:
    """Filters from the request's query string (or from `query`, e.g. a form's return_to).

    `campaigns`: `campaign_names(db)`, read once by the route, which shows the same names (one read of the
    campaigns table per request)."""
    ctx = web(request)
    params = FilterParams.from_query(query if query is not None else request.query_params, ctx.topics,
                                     ctx.segment_choices, campaigns, department_names())
    scope = InboxRepository(db).incident_scope(int(params.incidente)) if params.incidente else None
    if params.incidente and scope is None:
        params = replace(params, incidente="")  # an unknown incident: show the plain inbox
    return params, params.to_filters(ctx.config.tz, user.id, scope)


def params_from_return_to(request: Request, db: Session, user: CurrentUser, campaigns: dict[str, str],
                          return_to: str) -> tuple[FilterParams, InboxFilters]:
    """The inbox view a form came from; a hand-made, invalid one falls back to the default view (the
    change itself is already saved by then: refusing it afterwards would only mislead)."""
    try:
        return parse_filters(request, db, user, campaigns, dict(parse_qsl(return_to.lstrip("?"))))
    except InvalidParameter:
        return parse_filters(request, db, user, campaigns, {})


def row_context(request: Request, db: Session, user: CurrentUser, params: FilterParams,
                campaigns: dict[str, str]) -> dict[str, Any]:
    """What the row template needs besides the row itself (`campaigns`: the names `parse_filters` got)."""
    ctx = web(request)
    return {
        "user": user,
        "params": params,
        "assignees": UserRepository(db).assignable() if user.can_edit else [],
        "deadline": lambda row: deadline_for(row.created_at, row.category, ctx.calendar, ctx.clock())
        if row.state in ("new", "in_progress") else None,
        "categories": CATEGORIES,
        "sentiments": SENTIMENTS,
        "segment_label": ctx.segmenter.label,
        "campaign_names": campaigns,
    }


@router.get("/")
def home(user: Viewer) -> Response:
    return RedirectResponse("/inbox", status_code=303)


@router.get("/inbox")
def inbox(request: Request, user: Viewer, db: Annotated[Session, Depends(get_db)]) -> Response:
    ctx = web(request)
    campaigns = campaign_names(db)
    params, filters = parse_filters(request, db, user, campaigns)
    cursor = cursor_param(request.query_params.get("cursor"), filters.sort)
    page = InboxRepository(db).page(filters, cursor, PAGE_SIZE)
    incident = filters.incident
    data = {
        **row_context(request, db, user, params, campaigns),
        "page": page,
        "incident": incident,
        "first_page": cursor is None,
        "done": _done_count(request.query_params.get("hecho", "")),
        "accounts": [(p, h) for p in ("x", "facebook", "instagram") for h in getattr(ctx.config.accounts, p)],
        "topics": ctx.topics,
        "segments": ctx.segment_choices,
        "departments": department_choices(),
    }
    if is_htmx(request) and request.headers.get("HX-Target") == "results":
        return render(request, "_results.html", data)
    return render(request, "inbox.html", data)


def _done_count(value: str) -> int | None:
    """How many posts the last bulk action changed (`hecho`, shown once after the redirect)."""
    if not value:
        return None
    done = parse_int(value)
    if done is None:
        raise InvalidParameter("El parámetro «hecho» debe ser un número.")
    return done


@router.get("/inbox/counts")
def inbox_counts(request: Request, user: Viewer, db: Annotated[Session, Depends(get_db)]) -> Response:
    ctx = web(request)
    campaigns = campaign_names(db)
    params, filters = parse_filters(request, db, user, campaigns)
    key = filters  # "assigned to me" is already resolved to an id: colleagues share every other entry
    cached = ctx.counts_cache.get(key)
    if cached is None:
        started = time.perf_counter()
        cached = ctx.counts_cache.put(key, InboxRepository(db).facets(filters), time.perf_counter() - started)
    facets = cached.value
    names = {str(u.id): u.display_name for u in UserRepository(db).all()} | {"ninguno": "Nadie"}
    assignees = {("ninguno" if k == "" else k): n for k, n in facets.assignee.items()}
    return render(request, "_facets.html", {"facets": facets, "params": params, "user": user,
                                            "assignee_counts": assignees, "assignee_names": names,
                                            "campaign_names": campaigns, "department_names": department_choices(),
                                            "age": int(cached.age)})


def _bulk_apply(review: ReviewRepository, ids: list[int], action: str, user: CurrentUser) -> int:
    kind, _, value = action.partition(":")
    if kind == "state" and value in REVIEW_STATES:
        return len(review.set_state(ids, value, user.username).changed)
    if kind == "category" and value in CATEGORIES:
        return len(review.correct(ids, "category", value, user.username).changed)
    if kind == "sentiment" and value in SENTIMENTS:
        return len(review.correct(ids, "sentiment", value, user.username).changed)
    if kind == "assign":
        target = user.id if value == "me" else parse_id(value)
        if value not in ("none", "me") and target is None:
            raise HTTPException(400, "Asignación no válida.")
        try:
            return len(review.assign(ids, target, user.username).changed)
        except ValueError:
            raise HTTPException(400, "Esa persona no existe o está desactivada.") from None
    raise HTTPException(400, "Acción masiva desconocida.")


@router.post("/inbox/bulk")
def bulk(
    request: Request,
    user: EditorChange,
    db: Annotated[Session, Depends(get_db)],
    action: Annotated[str, Form(max_length=64)],
    ids: Annotated[list[FormId] | None, Form()] = None,
    return_to: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    chosen = sorted(set(ids or []))[:MAX_BULK]
    if not chosen:
        raise HTTPException(400, "Seleccione al menos una publicación.")
    changed = _bulk_apply(ReviewRepository(db, web(request).clock, web(request).reach), chosen, action, user)
    db.commit()
    web(request).counts_changed()
    params, _ = params_from_return_to(request, db, user, campaign_names(db), return_to)
    query = params.query()
    return RedirectResponse(f"/inbox?{query}{'&' if query else ''}hecho={changed}", status_code=303)


CSV_COLUMNS = ("id", "fecha", "plataforma", "cuenta", "autor", "tipo", "texto", "enlace", "categoria",
               "sentimiento", "puntaje_sentimiento", "temas", "alertas", "estado", "asignado", "vence",
               "audiencia", "seguidores", "campanas", "ubicacion", "ubicacion_segun", "codigo_dane")


@router.get("/inbox/export.csv")
def export_csv(request: Request, user: Editor, db: Annotated[Session, Depends(get_db)]) -> Response:
    ctx = web(request)
    names = campaign_names(db)
    _, filters = parse_filters(request, db, user, names)

    def rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")  # lets spreadsheet programs detect UTF-8
        writer.writerow(CSV_COLUMNS)
        session = ctx.sessions()  # its own session: the request's is closed before streaming starts
        try:
            for n, row in enumerate(InboxRepository(session).iter_rows(filters), 1):
                writer.writerow([safe_cell(v) for v in _csv_values(row, ctx, names)])
                if n % 200 == 0:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()
        finally:
            session.close()

    name = f"vigia-bandeja-{ctx.clock().astimezone(ctx.config.tz):%Y%m%d-%H%M}.csv"
    # Who took citizens' data out of the app, and with which filters (the query string, no row contents).
    audit(request, db, "export_csv", user.username, target="inbox", detail={"query": str(request.url.query)[:500]})
    db.commit()
    return StreamingResponse(rows(), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _csv_values(row: InboxRow, ctx: Any, campaigns: dict[str, str]) -> list[object]:
    due = deadline_for(row.created_at, row.category, ctx.calendar, ctx.clock())
    return [
        row.id, row.created_at.astimezone(ctx.config.tz).isoformat(timespec="seconds"), row.platform, row.account,
        row.author_handle, labels.label(labels.KIND_ES, row.kind), row.text, row.url or "",
        labels.label(labels.CATEGORY_ES, row.category), labels.label(labels.SENTIMENT_ES, row.sentiment),
        None if row.sentiment_score is None else round(row.sentiment_score, 2), ", ".join(row.topics),
        ", ".join(labels.label(labels.FLAG_ES, f) for f in row.flags), labels.label(labels.STATE_ES, row.state),
        row.assignee_name or "", due.due.isoformat() if due else "",
        ctx.segmenter.label(row.profile.segment if row.profile else NO_PROFILE),
        "" if row.profile is None or row.profile.followers is None else row.profile.followers,
        ", ".join(campaigns.get(c, c) for c in row.campaigns), place_label(row.place_dpto, row.place_mpio),
        evidence_label(row.place_evidence), row.place_mpio or row.place_dpto or "",
    ]
