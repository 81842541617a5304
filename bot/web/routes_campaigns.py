"""Campaigns for admins: the list, the form to create or edit one, archiving, and each campaign's audit trail.

Campaigns defined in `config.yaml` are shown read-only ("definida en config.yaml"): the file is their one
truth and would overwrite an edit at the next start (`CampaignRepository.save` refuses them too). Every
change is written to `audit_events` by the repository with the user and the client's address. After a save
the campaign's date range is matched again (`rematch`), so posts collected before the campaign existed, or
before its hashtags changed, get (or lose) its label without waiting for `analyze --since`.

A form with mistakes comes back with the values typed and one Spanish message per field (nothing is lost).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, BackgroundTasks, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from bot.campaign_matching import rematch as rematch_posts
from bot.web.audit_trail import client_addr
from bot.web.auth import Admin, AdminChange, CurrentUser
from bot.web.context import WebContext, get_db, render, web
from bot.web.inputs import MAX_DAY, MIN_DAY, without_nul
from domain import Campaign
from storage.campaigns import CONFIG_SOURCE, CampaignRepository
from storage.inbox_queries import InboxRepository
from storage.models import CampaignRow

log = structlog.get_logger("vigia.web.campaigns")
router = APIRouter(prefix="/admin/campaigns")

CAMPAIGN_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_ID_CHARS = 64
MAX_NAME_CHARS = 128
MAX_DESCRIPTION_CHARS = 2000
MAX_ITEMS = 50  # hashtags, keywords or links per campaign
MAX_ITEM_CHARS = 200
HASHTAG = re.compile(r"\w+")  # letters (accents too), digits, underscore: what the platforms link as a hashtag
STATUS_ES = {"archived": "Archivada", "upcoming": "Programada", "running": "En curso", "ended": "Terminada"}
DONE_ES = {"created": "Campaña creada: Vigía está revisando las publicaciones de sus fechas.",
           "updated": "Campaña actualizada: Vigía está revisando las publicaciones de sus fechas.",
           "unchanged": "No había cambios que guardar.",
           "archived": "Campaña archivada: ya no marca publicaciones nuevas; las marcadas conservan la etiqueta."}
ACTION_ES = {"campaign_create": "Creó la campaña", "campaign_update": "Modificó la campaña",
             "campaign_archive": "Archivó la campaña"}
FIELD_ES = {"id": "Identificador", "name": "Nombre", "description": "Descripción", "hashtags": "Hashtags",
            "keywords": "Palabras clave", "links": "Enlaces o utm_campaign", "starts_on": "Desde",
            "ends_on": "Hasta", "source": "Origen", "archived": "Archivada"}


def campaign_names(db: Session) -> dict[str, str]:
    """Every campaign id -> its name, archived ones too (their posts keep the label and the inbox filter)."""
    return {row.id: row.name for row in CampaignRepository(db).rows(include_archived=True)}


def status(row: CampaignRow, today: date) -> str:
    if row.archived:
        return "archived"
    if today < row.starts_on:
        return "upcoming"
    if row.ends_on is not None and today > row.ends_on:
        return "ended"
    return "running"


def slugify(name: str) -> str:
    """"#TalentoTI 2027" -> "talentoti-2027": a suggested id when the form leaves it empty."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_name))[:MAX_ID_CHARS].strip("-")


@dataclass
class CampaignForm:
    """What the form sent, as typed (to show again), and the problems found, per field."""

    id: str = ""
    name: str = ""
    description: str = ""
    hashtags: str = ""
    keywords: str = ""
    links: str = ""
    starts_on: str = ""
    ends_on: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, row: CampaignRow) -> CampaignForm:
        return cls(id=row.id, name=row.name, description=row.description or "",
                   hashtags="\n".join("#" + h for h in row.hashtags or ()), keywords="\n".join(row.keywords or ()),
                   links="\n".join(row.links or ()), starts_on=row.starts_on.isoformat(),
                   ends_on=row.ends_on.isoformat() if row.ends_on else "")

    def campaign(self) -> Campaign | None:
        """The campaign the form describes, or None with `errors` filled in."""
        self.errors = {}
        cid = self.id or slugify(self.name)
        if not cid or len(cid) > MAX_ID_CHARS or not CAMPAIGN_ID.fullmatch(cid):
            self.errors["id"] = ("El identificador debe tener de 1 a 64 caracteres: letras minúsculas sin tildes, "
                                 "números y guiones entre ellos (por ejemplo talento-ti).")
        if not self.name:
            self.errors["name"] = "Escriba el nombre de la campaña."
        elif len(self.name) > MAX_NAME_CHARS:
            self.errors["name"] = f"El nombre admite hasta {MAX_NAME_CHARS} caracteres."
        if len(self.description) > MAX_DESCRIPTION_CHARS:
            self.errors["description"] = f"La descripción admite hasta {MAX_DESCRIPTION_CHARS} caracteres."
        hashtags = self._items("hashtags", self.hashtags, _hashtag_problem, strip="#")
        keywords = self._items("keywords", self.keywords, _keyword_problem)
        links = self._items("links", self.links, _link_problem)
        if not (hashtags or keywords or links) and not {"hashtags", "keywords", "links"} & self.errors.keys():
            self.errors["hashtags"] = ("Indique al menos un hashtag, una palabra clave o un enlace: sin ellos la "
                                       "campaña no reconocería ninguna publicación.")
        starts = self._day("starts_on", self.starts_on, required=True)
        ends = self._day("ends_on", self.ends_on, required=False)
        if starts and ends and ends < starts:
            self.errors["ends_on"] = "La fecha final no puede ser anterior a la inicial."
        if self.errors or starts is None:
            return None
        return Campaign(id=cid, name=self.name, starts_on=starts, ends_on=ends, hashtags=hashtags,
                        keywords=keywords, links=links, description=self.description)

    def _items(self, name: str, text: str, problem: Callable[[str], str | None], strip: str = "") -> tuple[str, ...]:
        """One value a line (commas separate too), without duplicates, in the order typed."""
        values = [v.strip().lstrip(strip).strip() for v in re.split(r"[\n,]", text)]
        values = list(dict.fromkeys(v for v in values if v))
        if len(values) > MAX_ITEMS:
            self.errors[name] = f"Admite hasta {MAX_ITEMS} valores."
            return ()
        for value in values:
            found = problem(value)
            if found:
                self.errors[name] = found
                return ()
        return tuple(values)

    def _day(self, name: str, value: str, required: bool) -> date | None:
        if not value:
            if required:
                self.errors[name] = "Indique la fecha de inicio (AAAA-MM-DD)."
            return None
        try:
            day = date.fromisoformat(value) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value) else None
        except ValueError:
            day = None
        if day is None or not MIN_DAY <= day <= MAX_DAY:
            self.errors[name] = "La fecha no es válida: use el formato AAAA-MM-DD (por ejemplo 2026-12-01)."
            return None
        return day


def _hashtag_problem(value: str) -> str | None:
    if len(value) > MAX_ITEM_CHARS or not HASHTAG.fullmatch(value):
        return f"«{value}» no es un hashtag: solo letras, números y guion bajo, sin espacios (por ejemplo #TalentoTI)."
    return None


def _keyword_problem(value: str) -> str | None:
    if len(value) > MAX_ITEM_CHARS:
        return f"Cada palabra clave admite hasta {MAX_ITEM_CHARS} caracteres."
    if len(value) < 3:
        return f"«{value}» es demasiado corta para reconocer una campaña (mínimo 3 caracteres)."
    return None


def _link_problem(value: str) -> str | None:
    if len(value) > MAX_ITEM_CHARS or re.search(r"\s", value):
        return (f"«{value[:60]}» no es un enlace ni un valor de utm_campaign: sin espacios, hasta {MAX_ITEM_CHARS} "
                "caracteres (por ejemplo mintic.gov.co/talentoti o talentoti_2026).")
    return None


FormText = Annotated[str, Form(max_length=MAX_DESCRIPTION_CHARS * 2)]


def _client(request: Request) -> str | None:
    return client_addr(request)  # the proxy's X-Forwarded-For only from a trusted proxy (web.trusted_proxies)


def _today(request: Request) -> date:
    ctx = web(request)
    return ctx.clock().astimezone(ctx.config.tz).date()


def rematch(ctx: WebContext, campaign_id: str) -> None:
    """Match the posts of the campaign's date range again (and take the label off posts that no longer match).

    Runs after the answer is sent (a background task, its own session): a campaign of several months means
    reading tens of thousands of posts, which no one should wait for behind a spinning form. It commits in
    batches and can resume (`bot.campaign_matching.rematch`); if it fails, the error is logged and the next
    save, or `analyze --since`, matches those posts again.
    """
    session = ctx.sessions()
    try:
        changed = rematch_posts(session, campaign_id)
        ctx.counts_changed()
        log.info("campaign re-matched after a save", campaign=campaign_id, changed=changed)
    except Exception:
        log.exception("re-matching a campaign after a save failed", campaign=campaign_id)
    finally:
        session.close()


@router.get("")
def campaigns_page(request: Request, user: Admin, db: Annotated[Session, Depends(get_db)]) -> Response:
    rows = CampaignRepository(db).rows(include_archived=True)
    counts = InboxRepository(db).label_counts("campaign", [r.id for r in rows])
    ok = request.query_params.get("ok", "")
    today = _today(request)
    return render(request, "campaigns.html", {
        "user": user, "rows": rows, "counts": counts, "status": lambda r: status(r, today), "STATUS_ES": STATUS_ES,
        "CONFIG_SOURCE": CONFIG_SOURCE, "form": CampaignForm(), "ok": DONE_ES.get(ok, ""),
    })


@router.post("")
def create_campaign(request: Request, user: AdminChange, db: Annotated[Session, Depends(get_db)],
                    background: BackgroundTasks, name: FormText = "", id: FormText = "",
                    description: FormText = "", hashtags: FormText = "", keywords: FormText = "",
                    links: FormText = "", starts_on: FormText = "",
                    ends_on: FormText = "") -> Response:
    form = _read_form(id, name, description, hashtags, keywords, links, starts_on, ends_on)
    campaign = form.campaign()
    repo = CampaignRepository(db, web(request).clock)
    if campaign is not None and repo.get(campaign.id) is not None:
        form.errors["id"] = (f"Ya existe una campaña con el identificador «{campaign.id}»: elija otro, o ábrala "
                             "en la lista para editarla.")
        campaign = None
    if campaign is None:
        return _form_page(request, user, db, form, None, status_code=400)
    return _save(request, db, user, campaign, form, None, background)


@router.get("/{campaign_id}")
def campaign_page(request: Request, campaign_id: str, user: Admin, db: Annotated[Session, Depends(get_db)]) -> Response:
    row = _row(db, campaign_id)
    return _form_page(request, user, db, CampaignForm.of(row), row, ok=DONE_ES.get(request.query_params.get("ok", ""),
                                                                                      ""))


@router.post("/{campaign_id}")
def update_campaign(request: Request, campaign_id: str, user: AdminChange, db: Annotated[Session, Depends(get_db)],
                    background: BackgroundTasks, name: FormText = "", description: FormText = "",
                    hashtags: FormText = "", keywords: FormText = "", links: FormText = "", starts_on: FormText = "",
                    ends_on: FormText = "") -> Response:
    row = _row(db, campaign_id)
    form = _read_form(row.id, name, description, hashtags, keywords, links, starts_on, ends_on)
    if row.source == CONFIG_SOURCE:
        raise HTTPException(409, "Esta campaña está definida en config.yaml: edítela en ese archivo (sección "
                                 "campaigns:) y reinicie Vigía.")
    campaign = form.campaign()
    if campaign is None:
        return _form_page(request, user, db, form, row, status_code=400)
    return _save(request, db, user, campaign, form, row, background)


@router.post("/{campaign_id}/archive")
def archive_campaign(request: Request, campaign_id: str, user: AdminChange,
                     db: Annotated[Session, Depends(get_db)]) -> Response:
    row = _row(db, campaign_id)
    try:
        done = CampaignRepository(db, web(request).clock).archive(row.id, user.username, _client(request))
    except ValueError as refused:
        raise HTTPException(409, str(refused)) from None
    if not done:
        raise HTTPException(409, "Esta campaña ya estaba archivada.")
    db.commit()
    return RedirectResponse(f"/admin/campaigns/{row.id}?ok=archived", status_code=303)


def _read_form(cid: str, name: str, description: str, hashtags: str, keywords: str, links: str, starts_on: str,
               ends_on: str) -> CampaignForm:
    clean = [without_nul(v).strip() for v in (cid, name, description, hashtags, keywords, links, starts_on, ends_on)]
    clean[0] = clean[0].lower()
    return CampaignForm(*clean)


def _row(db: Session, campaign_id: str) -> CampaignRow:
    row = CampaignRepository(db).get(campaign_id) if CAMPAIGN_ID.fullmatch(campaign_id or "") else None
    if row is None:
        raise HTTPException(404, "Esa campaña no existe.")
    return row


def _save(request: Request, db: Session, user: CurrentUser, campaign: Campaign, form: CampaignForm,
          row: CampaignRow | None, background: BackgroundTasks) -> Response:
    repo = CampaignRepository(db, web(request).clock)
    try:
        outcome = repo.save(campaign, user.username, _client(request))
    except ValueError as refused:
        form.errors["id"] = str(refused)
        return _form_page(request, user, db, form, row, status_code=409)
    db.commit()
    if outcome != "unchanged":
        web(request).counts_changed()
        background.add_task(rematch, web(request), campaign.id)
        log.info("campaign saved", campaign=campaign.id, outcome=outcome, user=user.username)
    return RedirectResponse(f"/admin/campaigns/{campaign.id}?ok={outcome}", status_code=303)


def _form_page(request: Request, user: CurrentUser, db: Session, form: CampaignForm, row: CampaignRow | None,
               status_code: int = 200, ok: str = "") -> Response:
    repo = CampaignRepository(db)
    target = f"campaign:{row.id}" if row else ""
    events = [e for e in repo.events(target, limit=200) if e.target == target] if row else []
    counts = InboxRepository(db).label_counts("campaign", [row.id]) if row else {}
    return render(request, "campaign.html", {
        "user": user, "row": row, "form": form, "events": events, "count": counts.get(row.id, 0) if row else 0,
        "state": status(row, _today(request)) if row else None, "STATUS_ES": STATUS_ES, "CONFIG_SOURCE": CONFIG_SOURCE,
        "CAMPAIGN_ACTION_ES": ACTION_ES, "FIELD_ES": FIELD_ES, "ok": ok, "changes": _changes,
    }, status=status_code)


def _changes(detail: dict[str, Any] | None) -> list[tuple[str, Any, Any]]:
    """(field, before, after) for each value an audit event changed."""
    detail = detail or {}
    old, new = detail.get("old") or {}, detail.get("new") or {}
    return [(FIELD_ES.get(k, k), old.get(k), new.get(k)) for k in new if old.get(k) != new.get(k)]
