"""Who is talking, in the inbox: each row's audience segment and followers, the segment filter, the reach in the
urgency order, and the admin's audited segment override on the author page (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from sqlalchemy import Engine, func, select, update

from bot.web.templating import followers
from domain import NO_PROFILE, Platform
from storage.inbox_filters import InboxFilters
from storage.inbox_queries import InboxRepository
from storage.models import AuthorEventRow, AuthorRow, PostReviewRow, PostRow
from storage.reach import WORST_RANK, ReachRule, follower_band, reach_rank, refresh_all_reach, refresh_reach
from storage.review_changes import ReviewRepository
from storage.unit_of_work import UnitOfWork
from tests.web.helpers import (
    NOW,
    Seeded,
    add_profiles,
    analyse,
    analysis,
    citizen,
    csrf_of,
    profile,
    reach_rule,
    seed,
)


def _row_html(html: str, post_id: int) -> str:
    found = re.search(rf'<article class="post-row[^"]*" id="post-{post_id}".*?</article>', html, re.DOTALL)
    assert found, f"post {post_id} is not in the page"
    return found.group(0)


def _listed(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<article class="post-row[^"]*" id="post-(\d+)"', html)]


# --- rows and filter -----------------------------------------------------------------------------------------


def test_rows_show_the_authors_segment_and_followers(client_any, seeded_any: Seeded) -> None:  # type: ignore[no-untyped-def]
    html = client_any("viewer").get("/inbox").text
    journalist = _row_html(html, seeded_any.ids["complaint"])
    assert "Medios y periodistas" in journalist and "12,3 mil seguidores" in journalist
    assert f'href="/authors/{seeded_any.authors["complaint"]}"' in journalist
    citizen_row = _row_html(html, seeded_any.ids["question"])
    assert "Ciudadanía" in citizen_row and "850 seguidores" in citizen_row
    unknown = _row_html(html, seeded_any.ids["outage"])
    assert "sin perfil" in unknown and "/authors/" not in unknown


def test_segment_filter_alone_and_with_others(client_any, seeded_any: Seeded) -> None:  # type: ignore[no-untyped-def]
    cm = client_any("community_manager")
    ids = seeded_any.ids
    cases = {
        "segmento=medios_periodistas": [ids["complaint"]],
        "segmento=ciudadania": [ids["question"]],
        "segmento=sin_perfil": [ids["xss"], ids["outage"], ids["praise"]],
        "segmento=medios_periodistas&categoria=reclamo": [ids["complaint"]],
        "segmento=medios_periodistas&categoria=peticion": [],
        "segmento=sin_perfil&sentimiento=negative": [ids["outage"]],
        "segmento=ciudadania&plataforma=x": [],
        "segmento=academia": [],
        "segmento=medios_periodistas&orden=urgency": [ids["complaint"]],
        "segmento=sin_perfil&orden=urgency": [ids["outage"], ids["praise"], ids["xss"]],
        "segmento=medios_periodistas&q=se%C3%B1al": [ids["complaint"]],
    }
    for query, expected in cases.items():
        response = cm.get(f"/inbox?{query}")
        assert response.status_code == 200, query
        assert _listed(response.text) == expected, query
    page = cm.get("/inbox?segmento=medios_periodistas").text
    assert '<option value="medios_periodistas" selected>' in page and '<option value="sin_perfil"' in page
    assert "orden=urgency&amp;segmento=medios_periodistas" in page or \
        "segmento=medios_periodistas&amp;orden=urgency" in page  # the sort link keeps the filter
    counts = cm.get("/inbox/counts?segmento=sin_perfil").text
    assert "3 publicaciones" in counts and "segmento=sin_perfil" in counts  # facet links keep it
    export = cm.get("/inbox/export.csv?segmento=medios_periodistas").text.splitlines()
    assert ",audiencia,seguidores," in export[0] and len(export) == 2
    assert ",Medios y periodistas,12345," in export[1]


def test_segment_filter_in_the_repository(engine: Engine) -> None:
    s = seed(engine)
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        repo = InboxRepository(uow.session)
        assert repo.count(InboxFilters(segment="medios_periodistas")) == 1
        assert repo.count(InboxFilters(segment="sin_perfil")) == 3
        assert repo.count(InboxFilters(segment="sin_perfil", state="all")) == 3
        assert repo.contains(InboxFilters(segment="ciudadania"), s.ids["question"])
        assert not repo.contains(InboxFilters(segment="ciudadania"), s.ids["complaint"])
        facets = repo.facets(InboxFilters(segment="sin_perfil"))
        assert facets.total == 3 and facets.category == {"reclamo": 1, "felicitacion": 1, "otro": 1}
        row = repo.page(InboxFilters(segment="medios_periodistas")).rows[0]
        assert row.profile is not None and row.profile.followers == 12_345


# --- reach in the urgency order --------------------------------------------------------------------------------


def _urgency(engine: Engine, limit: int = 50, **filters: object) -> list[int]:
    out: list[int] = []
    cursor = None
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        repo = InboxRepository(uow.session)
        while True:
            page = repo.page(InboxFilters(sort="urgency", **filters), cursor, limit)  # type: ignore[arg-type]
            out += [r.id for r in page.rows]
            if page.next_cursor is None:
                return out
            cursor = page.next_cursor


def test_urgency_order_weighs_reach_within_a_tier(engine: Engine) -> None:
    """Negative posts (tier 1): the journalist's and an official's come before citizens' even when those are
    due sooner; among citizens the one with 100,000+ followers first; the crisis post of a nobody stays first."""
    s = seed(engine)
    with UnitOfWork(engine) as uow:
        ids = {}
        specs = {"old_citizen": (10, 60 * 24 * 12), "senator": (11, 60), "big_citizen": (12, 30),
                 "nobody": (13, 60 * 24 * 13)}
        for name, (n, minutes) in specs.items():
            ids[name] = uow.posts.upsert([citizen(n, f"Reclamo {name}", minutes_ago=minutes)]).new_ids[0]
        analyse(uow, [(i, analysis("reclamo", "negative")) for i in ids.values()])
        uow.commit()
    add_profiles(engine, [profile(10, followers=300), profile(11, followers=2_000, bio="Senadora de la República"),
                          profile(12, followers=250_000, bio="Amo el fútbol")])
    order = _urgency(engine)
    expected = [s.ids["outage"],  # tier 0: crisis flag, author without profile
                # tier 1 by reach: priority 3 with 10,000+ followers, priority 3 under 10,000, 250,000 followers
                # (an influencer by the follower rule: priority 2), then the rest by due date (the oldest first)
                s.ids["complaint"], ids["senator"], ids["big_citizen"], ids["nobody"], ids["old_citizen"]]
    assert order[:6] == expected
    assert _urgency(engine, limit=1) == order  # the bookmark carries the reach: same order page by page
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        ranks = dict(uow.session.execute(select(PostReviewRow.post_id, PostReviewRow.reach_rank)).all())
    assert ranks[s.ids["complaint"]] == 1 and ranks[ids["senator"]] == 2 and ranks[ids["big_citizen"]] == 3
    assert ranks[ids["nobody"]] == ranks[ids["old_citizen"]] == WORST_RANK
    with UnitOfWork(engine) as uow:  # the whole-table refresh agrees with the per-author one: nothing to rewrite
        assert uow.session is not None
        before = _review_reach(uow.session)
        assert refresh_all_reach(uow.session, reach_rule()) == 0
        uow.session.execute(update(PostReviewRow).values(reach_rank=WORST_RANK, segment=NO_PROFILE))
        # complaint, senator, big_citizen (rank and segment), old_citizen and the seed's question (segment only)
        assert refresh_all_reach(uow.session, reach_rule()) == 5
        again = _review_reach(uow.session)
    assert again == before and {k: v[0] for k, v in again.items()} == ranks
    assert again[ids["senator"]][1] == "gobierno_y_politica" and again[ids["old_citizen"]][1] == "ciudadania"
    assert again[ids["nobody"]] == (WORST_RANK, NO_PROFILE)


def _review_reach(session) -> dict[int, tuple[int, str]]:  # type: ignore[no-untyped-def]
    rows = session.execute(select(PostReviewRow.post_id, PostReviewRow.reach_rank, PostReviewRow.segment))
    return {pid: (rank, segment) for pid, rank, segment in rows}


def test_urgency_order_by_segment_is_the_urgency_order_of_that_segments_authors(engine: Engine) -> None:
    """The segment filter in the urgency order reads the segment copied on the review row: it must list exactly
    the posts whose author is in the segment now (no profile: "sin_perfil"), in the unfiltered order, page by
    page, after a profile arrives and after an admin's override."""
    seed(engine)
    with UnitOfWork(engine) as uow:
        ids = [uow.posts.upsert([citizen(n, f"Reclamo {n}", minutes_ago=n)]).new_ids[0] for n in range(30, 42)]
        analyse(uow, [(i, analysis("reclamo", "negative" if i % 2 else "neutral")) for i in ids])
        uow.commit()
    add_profiles(engine, [profile(30, followers=300), profile(31, bio="Senadora de la República"),
                          profile(32, followers=250_000, bio="Amo el fútbol"), profile(33, bio="Periodista"),
                          profile(34, bio="Concejal de Quibdó")])

    def check() -> None:
        with UnitOfWork(engine) as uow:
            assert uow.session is not None
            segment_of = dict(uow.session.execute(
                select(PostReviewRow.post_id, func.coalesce(AuthorRow.segment, NO_PROFILE))
                .join(PostRow, PostRow.id == PostReviewRow.post_id)
                .outerjoin(AuthorRow, (AuthorRow.platform == PostRow.platform)
                           & (AuthorRow.author_id == PostRow.author_id))).all())
        everything = _urgency(engine)
        for segment in {*segment_of.values(), "academia"}:
            expected = [pid for pid in everything if segment_of[pid] == segment]
            assert _urgency(engine, segment=segment) == expected, segment
            assert _urgency(engine, limit=1, segment=segment) == expected, segment  # the bookmark pages it
        assert _urgency(engine, segment="gobierno_y_politica", state="all")

    check()
    add_profiles(engine, [profile(35, followers=120_000)])  # a profile arrives for posts already in the inbox
    check()
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        row = uow.session.scalar(select(AuthorRow).where(AuthorRow.author_id == "a-30"))
        assert row is not None
        row.segment, row.segment_rule, row.segment_override = "academia", "override", "academia"
        refresh_reach(uow.session, reach_rule(), [(row.platform, row.author_id)])
        uow.commit()
    check()


def test_a_new_review_row_takes_its_authors_reach(engine: Engine) -> None:
    add_profiles(engine, [profile(20, followers=150_000, bio="Periodista")])
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        pid = uow.posts.upsert([citizen(20, "Sin señal", minutes_ago=5)]).new_ids[0]
        uow.analyses.insert_new([(pid, analysis("queja", "negative"))], NOW)
        ReviewRepository(uow.session, lambda: NOW, reach_rule()).sync_rows([pid])
        uow.commit()
        row = uow.session.get(PostReviewRow, pid)
        assert row is not None and (row.reach_rank, row.segment) == (0, "medios_periodistas")


def test_reach_rule() -> None:
    assert [follower_band(v) for v in (None, 0, 9_999, 10_000, 99_999, 100_000)] == [0, 0, 0, 1, 1, 2]
    assert reach_rank(3, 100_000) == 0 and reach_rank(0, None) == WORST_RANK == 11
    assert reach_rank(3, 0) < reach_rank(2, 10**9) < reach_rank(1, None) < reach_rank(0, 100_000)
    assert reach_rank(7, None) == reach_rank(3, None) and reach_rank(-1, None) == WORST_RANK  # clamped
    rule = ReachRule({"medios_periodistas": 3})
    assert rule.rank(None, 10**6) == WORST_RANK and rule.rank("desconocido", 0) == WORST_RANK
    assert rule.rank("medios_periodistas", 50_000) == 1


def test_followers_in_spanish() -> None:
    cases = {None: "—", 0: "0", 850: "850", 1_000: "1 mil", 12_345: "12,3 mil", 99_960: "100 mil",
             456_789: "456 mil", 1_234_567: "1,2 M", 25_000_000: "25 M"}
    assert {k: followers(k) for k in cases} == cases


# --- the author page and the override ---------------------------------------------------------------------------


def _author_page(client, author_id: int) -> str:  # type: ignore[no-untyped-def]
    response = client.get(f"/authors/{author_id}")
    assert response.status_code == 200
    return response.text


def test_author_page_shows_profile_segment_rule_and_posts(client_any, seeded_any: Seeded) -> None:  # type: ignore[no-untyped-def]
    html = _author_page(client_any("viewer"), seeded_any.authors["complaint"])
    for text in ("@ciudadano2", "Persona 2", "Periodista de tecnología en Radio Vereda", "12.345", "Bogotá",
                 "Medios y periodistas", "palabra en la biografía «periodista*»", "https://x.com/ciudadano2",
                 f'href="/posts/{seeded_any.ids["complaint"]}"', "Solo un administrador"):
        assert text in html, text
    assert 'action="/authors/' not in html  # no override form for a viewer


def test_admin_overrides_and_removes_a_segment_with_an_audit_trail(client_any, seeded_any: Seeded,
                                                                   engine: Engine) -> None:
    admin = client_any("admin")
    author = seeded_any.authors["question"]
    html = _author_page(admin, author)
    assert f'action="/authors/{author}/segment"' in html
    token = csrf_of(html)
    response = admin.post(f"/authors/{author}/segment", data={"segment": "academia", "csrf_token": token},
                          follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/authors/{author}?ok=set"
    html = admin.get(response.headers["location"]).text
    assert "Audiencia corregida." in html and "Corrección de un administrador" in html
    history = html.split("Historial de correcciones")[1]
    assert "admin" in history and "Ciudadanía" in history and "Academia" in history
    listed = admin.get("/inbox?segmento=academia").text
    assert _listed(listed) == [seeded_any.ids["question"]]
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        rank = uow.session.get(PostReviewRow, seeded_any.ids["question"]).reach_rank  # type: ignore[union-attr]
    assert rank == reach_rank(1, 850)  # academia: priority 1; the inbox's order follows the override at once

    response = admin.post(f"/authors/{author}/segment", data={"segment": "", "csrf_token": token},
                          follow_redirects=False)
    assert response.headers["location"] == f"/authors/{author}?ok=removed"
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        row = uow.session.get(AuthorRow, author)
        events = uow.session.execute(select(AuthorEventRow.user, AuthorEventRow.action, AuthorEventRow.old_value,
                                            AuthorEventRow.new_value).order_by(AuthorEventRow.id)).all()
        rank = uow.session.get(PostReviewRow, seeded_any.ids["question"]).reach_rank  # type: ignore[union-attr]
    assert row is not None and (row.segment, row.segment_rule, row.segment_override) == ("ciudadania", "default", None)
    assert [tuple(e) for e in events] == [("admin", "segment_override", "ciudadania", "academia"),
                                          ("admin", "segment_override_removed", "academia", "ciudadania")]
    assert rank == WORST_RANK


def test_only_admins_with_a_valid_token_can_override(client_any, seeded_any: Seeded, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    author = seeded_any.authors["complaint"]
    for role in ("viewer", "community_manager"):
        client = client_any(role)
        token = csrf_of(client.get("/inbox").text)
        response = client.post(f"/authors/{author}/segment", data={"segment": "academia", "csrf_token": token},
                               follow_redirects=False)
        assert response.status_code == 403, role
    admin = client_any("admin")
    for data in ({"segment": "academia"}, {"segment": "academia", "csrf_token": "falso"}):
        assert admin.post(f"/authors/{author}/segment", data=data, follow_redirects=False).status_code == 403
    token = csrf_of(admin.get("/inbox").text)
    cross = admin.post(f"/authors/{author}/segment", data={"segment": "academia", "csrf_token": token},
                       headers={"Origin": "https://evil.example"}, follow_redirects=False)
    assert cross.status_code == 403
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        assert uow.session.scalar(select(AuthorEventRow.id)) is None
        assert uow.session.get(AuthorRow, author).segment == "medios_periodistas"  # type: ignore[union-attr]


@pytest.mark.parametrize("path, data, status, words", [
    ("/authors/{a}/segment", {"segment": "inventada"}, 400, "Audiencia desconocida"),
    ("/authors/{a}/segment", {"segment": "x" * 65}, 400, "no es válida"),
    ("/authors/999999/segment", {"segment": "academia"}, 404, "Ese autor no existe"),
])
def test_bad_override_requests_are_refused_clearly(client_for: Callable[[str], object], seeded: Seeded,
                                                    path: str, data: dict[str, str], status: int,
                                                    words: str) -> None:
    admin = client_for("admin")
    token = csrf_of(admin.get("/inbox").text)  # type: ignore[attr-defined]
    response = admin.post(path.format(a=seeded.authors["complaint"]), data={**data, "csrf_token": token},  # type: ignore[attr-defined]
                          follow_redirects=False)
    assert response.status_code == status and words in response.text


@pytest.mark.parametrize("path, status, words", [
    ("/inbox?segmento=%3Cscript%3E", 400, "«segmento»"),
    ("/inbox?segmento=" + "a" * 65, 400, "«segmento»"),
    ("/inbox/counts?segmento=Medios", 400, "«segmento»"),
    ("/inbox/export.csv?segmento=sin-perfil", 400, "«segmento»"),
    ("/authors/abc", 404, "Esa página no existe"),
    ("/authors/99999999999999999999", 404, "Esa página no existe"),
    ("/authors/424242", 404, "Ese autor no existe"),
])
def test_malformed_segment_and_author_values(client_for: Callable[[str], object], seeded: Seeded, path: str,
                                             status: int, words: str) -> None:
    response = client_for("community_manager").get(path)  # type: ignore[attr-defined]
    assert response.status_code == status and words in response.text
    assert "content-security-policy" in response.headers


def test_a_segment_no_longer_configured_is_dropped(client_for: Callable[[str], object], seeded: Seeded) -> None:
    response = client_for("viewer").get("/inbox?segmento=segmento_retirado")  # type: ignore[attr-defined]
    assert response.status_code == 200 and len(_listed(response.text)) == 5


def test_profiles_are_shown_per_platform(engine: Engine) -> None:
    """The same author id on another platform is another author: the join is on (platform, author_id)."""
    s = seed(engine)
    add_profiles(engine, [profile(2, followers=1, bio="Periodista", platform=Platform.INSTAGRAM)])
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        rows = {r.id: r for r in InboxRepository(uow.session).page(InboxFilters()).rows}
    assert rows[s.ids["complaint"]].profile.followers == 12_345  # type: ignore[union-attr]


def test_sparse_and_dense_segment_paths_give_the_same_pages(engine: Engine) -> None:
    """A sparse segment's posts are found from its authors, a dense one's post by post: same rows, same order.

    Some posts are weeks and months old, so pages come from every newest-first window (whose bounds the sparse
    set repeats) and from the whole table."""
    seed(engine)
    with UnitOfWork(engine) as uow:
        ago = [7 * n + 1 if n < 8 else (n - 7) * 45 * 24 * 60 for n in range(12)]  # n >= 8: 45 to 180 days ago
        ids = [uow.posts.upsert([citizen(30 + n, f"Queja {n}", minutes_ago=ago[n])]).new_ids[0] for n in range(12)]
        analyse(uow, [(i, analysis("queja", "negative" if n % 2 else "neutral")) for n, i in enumerate(ids)])
        uow.commit()
    add_profiles(engine, [profile(30 + n, followers=10 ** (n % 6), bio="Periodista" if n % 3 else None)
                          for n in range(10)])
    segments = ("medios_periodistas", "ciudadania", "sin_perfil", "academia")
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        for segment in segments:
            for extra in ({}, {"sort": "urgency"}, {"state": "all"}, {"sentiment": "negative", "sort": "urgency"},
                          {"state": "all", "sort": "urgency"}, {"state": "new", "sort": "urgency"}):
                pages = []
                for sparse_below in (0, 10**6):  # never sparse, always sparse
                    repo = InboxRepository(uow.session)
                    repo.sparse_authors = sparse_below
                    filters = InboxFilters(segment=segment, **extra)  # type: ignore[arg-type]
                    cursor, seen = None, []
                    while True:
                        page = repo.page(filters, cursor, limit=2)
                        seen += [r.id for r in page.rows]
                        if page.next_cursor is None:
                            break
                        cursor = page.next_cursor
                    pages.append((seen, repo.count(filters)))
                    assert len(seen) == len(set(seen)) == pages[-1][1], (segment, extra, sparse_below)
                assert pages[0] == pages[1], (segment, extra)
                if segment == "medios_periodistas":
                    assert len(pages[0][0]) >= 3, extra
