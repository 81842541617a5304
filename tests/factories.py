"""Small builders for test data (real domain objects, no mocks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain import Metrics, Platform, Post, PostKind

T0 = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)  # Monday 10:00 in Bogotá


def make_post(n: int, *, text: str = "Llevo 3 días sin internet en el Centro Digital 😡", minutes: int | None = None,
              platform: Platform = Platform.X, kind: PostKind = PostKind.MENTION, is_own: bool = False,
              likes: int | None = None, account: str = "Ministerio_TIC") -> Post:
    return Post(
        platform=platform,
        external_id=f"test-{n}",
        kind=kind,
        account=account,
        author_id=f"author-{n % 7}",
        author_handle=f"ciudadano_{n % 7}",
        text=text,
        created_at=T0 + timedelta(minutes=n if minutes is None else minutes),
        url=f"https://example.invalid/{n}",
        lang="es",
        is_own=is_own,
        metrics=Metrics(likes=likes),
        raw={"synthetic": True, "n": n},
    )
