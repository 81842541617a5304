"""Builders for the web app tests: a migrated database with users of every role and analysed posts."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from bot.config import Config, segmenter
from bot.web.app import fast_passwords
from domain import Alert, Author, Platform, Post, PostKind, TextAnalysis
from storage.models import AuthorRow, PostEventRow
from storage.reach import ReachRule, refresh_reach
from storage.review_changes import ReviewRepository
from storage.unit_of_work import UnitOfWork
from storage.web_accounts import UserRepository

PASSWORD = "correcto-caballo-bateria"
NOW = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)  # Friday noon in Bogotá
XSS = "<script>alert(1)</script>"
WEBHOOK_VERIFY, WEBHOOK_SECRET = "verificacion-de-prueba", "secreto-de-prueba"
SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "x-frame-options", "referrer-policy",
                    "cache-control")


@dataclass(frozen=True)
class Seeded:
    ids: dict[str, int]  # name -> post id
    users: dict[str, int]  # role -> user id
    incident: int
    authors: dict[str, int] = field(default_factory=dict)  # post name -> its author's profile row id


def citizen(n: int, text: str, *, minutes_ago: int, platform: Platform = Platform.X,
            conversation: str | None = None, reply_to: str | None = None, url: str | None = None,
            own: bool = False, account: str = "Ministerio_TIC") -> Post:
    return Post(
        platform=platform, external_id=f"w-{n}", kind=PostKind.REPLY if reply_to else PostKind.MENTION,
        account=account, author_id=f"a-{n}", author_handle="Ministerio_TIC" if own else f"ciudadano{n}",
        text=text, created_at=NOW - timedelta(minutes=minutes_ago),
        url=url if url is not None else f"https://example.invalid/{n}", lang="es",
        in_reply_to_id=reply_to, conversation_id=conversation or f"w-{n}", is_own=own,
    )


def analysis(category: str, sentiment: str = "neutral", topics: tuple[str, ...] = (),
             flags: tuple[str, ...] = ()) -> TextAnalysis:
    return TextAnalysis(lang="es", sentiment=sentiment, sentiment_score=-0.5 if sentiment == "negative" else 0.1,
                        category=category, topics=topics, flags=flags,
                        rules=(f"category:rule:{category}", "sentiment:lexicon-1"), version="test-1")


def analyse(uow: UnitOfWork, results: list[tuple[int, TextAnalysis]]) -> None:
    """Store analyses the way `bot.handlers.analyze_ids` does: with each citizen post's review row."""
    assert uow.session is not None
    inserted = uow.analyses.insert_new(results, NOW)
    ReviewRepository(uow.session, lambda: NOW).sync_rows(sorted(inserted))


def profile(n: int, *, followers: int | None = None, bio: str | None = None, platform: Platform = Platform.X,
            handle: str | None = None, verified: str | None = None) -> Author:
    """The public profile of `citizen(n, …)`'s author."""
    return Author(platform=platform, author_id=f"a-{n}", handle=handle or f"ciudadano{n}", seen_at=NOW,
                  display_name=f"Persona {n}", description=bio, verified_type=verified, followers=followers,
                  following=10, post_count=100, location="Bogotá", website=None,
                  profile_url=f"https://x.com/ciudadano{n}")


def reach_rule(config: Config | None = None) -> ReachRule:
    return ReachRule.of(segmenter(config or Config()))


def add_profiles(engine: Engine, authors: list[Author], config: Config | None = None) -> dict[str, int]:
    """Store profiles as the poll does (placed by the configured segments) and let the posts' reach follow;
    returns author_id -> profile row id."""
    seg = segmenter(config or Config())
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        result = uow.authors.upsert(authors, seg.place, seg.version, NOW)
        refresh_reach(uow.session, reach_rule(config), result.changed or [a.key for a in authors])
        rows = uow.session.execute(select(AuthorRow.author_id, AuthorRow.id)
                                   .where(AuthorRow.author_id.in_([a.author_id for a in authors]))).all()
        uow.commit()
    return {author_id: row_id for author_id, row_id in rows}


def seed(engine: Engine) -> Seeded:
    """Users of each role and a small inbox: a crisis post, complaints, praise, a thread with a reply."""
    passwords = fast_passwords()
    posts = {
        "outage": (citizen(1, "Se cayó la plataforma de trámites de MinTIC, nada funciona", minutes_ago=30),
                   analysis("reclamo", "negative", ("gobierno_digital",), ("outage",))),
        "complaint": (citizen(2, "Llevo 3 días sin señal en el Centro Digital de mi vereda", minutes_ago=60 * 24 * 9),
                      analysis("reclamo", "negative", ("conectividad",))),
        "question": (citizen(3, "¿Cómo me inscribo a Talento TI?", minutes_ago=60 * 24 * 3,
                             platform=Platform.FACEBOOK, account="MinTICColombia"),
                     analysis("peticion", "neutral", ("formacion",))),
        "praise": (citizen(4, "Gracias MinTIC por el curso, excelente", minutes_ago=120),
                   analysis("felicitacion", "positive")),
        "xss": (citizen(5, XSS, minutes_ago=10, url="javascript:alert(2)"), analysis("otro")),
        "reply": (citizen(6, "Hola, ya escalamos su caso con el operador.", minutes_ago=60 * 24 * 8,
                          conversation="w-2", reply_to="w-2", own=True), None),
    }
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        ids = {}
        for name, (post, _) in posts.items():
            ids[name] = uow.posts.upsert([post]).new_ids[0]
        analyse(uow, [(ids[name], a) for name, (_, a) in posts.items() if a is not None])
        incident = uow.incidents.create(NOW - timedelta(hours=1), "critico", "flag:outage", 9, 0.5)
        incident.keys = ["flag:outage", "sentiment:negative"]
        uow.alerts.add(Alert(key=f"incident:{incident.id}:open", kind="spike", severity="critico",
                             title="Posible crisis (CRÍTICO): pico de caída de servicio",
                             body=f"Volumen anómalo {XSS}", created_at=NOW - timedelta(minutes=45)),
                       "console", incident.id)
        users = UserRepository(uow.session)
        made = {}
        for role in ("viewer", "community_manager", "admin"):
            made[role] = users.add(role.replace("_", ""), f"Persona {role}", role, passwords.hash(PASSWORD)).id
        uow.commit()
    # Two authors have a profile: the complaint's is a journalist (priority 3), the question's a citizen.
    rows = add_profiles(engine, [
        profile(2, followers=12_345, bio="Periodista de tecnología en Radio Vereda"),
        profile(3, followers=850, bio="Mamá y estudiante", platform=Platform.FACEBOOK),
    ])
    return Seeded(ids, made, incident.id, {"complaint": rows["a-2"], "question": rows["a-3"]})


def username(role: str) -> str:
    return role.replace("_", "")


def signed_headers(body: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    """The headers of a webhook delivery Meta signed with `secret`."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Hub-Signature-256": f"sha256={digest}", "Content-Type": "application/json"}


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login_csrf_of(html: str) -> str:
    found = re.search(r'name="login_csrf" value="([^"]+)"', html)
    assert found, "no login form token in the page"
    return found.group(1)


def audit_trail(engine: Engine, post_id: int) -> list[tuple[str, str, str | None, str | None]]:
    """A post's audit events as (user, action, old, new), oldest first."""
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        return [tuple(r) for r in uow.session.execute(  # type: ignore[misc]
            select(PostEventRow.user, PostEventRow.action, PostEventRow.old_value, PostEventRow.new_value)
            .where(PostEventRow.post_id == post_id).order_by(PostEventRow.id))]
