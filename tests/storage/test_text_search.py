"""Inbox search (migrations 0006, 0009): a substring match ignoring case and accents, indexed, on both engines."""

from __future__ import annotations

from typing import Any

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, inspect, select, text, update

from domain import Platform
from storage import db
from storage.inbox_filters import InboxFilters, InboxQuery, P, trigram_query
from storage.inbox_queries import InboxRepository
from storage.models import PostRow
from storage.search_text import fold_search_text
from storage.unit_of_work import UnitOfWork
from tests.web.helpers import analyse, analysis, citizen

TEXTS = {
    "senal": "Sin señal en la vereda desde ayer",
    "senal_upper": "SEÑAL CAÍDA EN TODO EL MUNICIPIO",
    "senal_title": "Señal de televisión intermitente",
    "senal_plain": "Sin senal en el colegio",
    "talento": "Inscripciones a Talento TI cerradas",
    "talento_upper": "TALENTO TI no responde",
    "cancion": "La canción del comercial de MinTIC",
    "percent": "Cobertura del 100% prometida",
    "hundred": "Cobertura del 1000 municipios",
    "underscore": "Mi usuario es juan_perez y no entra",
    "no_underscore": "Mi usuario es juanXperez y no entra",
    "quote": 'El "plan" de conectividad',
    "short": "ok",
    "nandu": "Ñandú digital",
    "peticion": "Mi petición no ha sido respondida",
    "peticion_upper": "RESPONDAN LA PETICION 123",
    "bogota": "sin internet en bogota centro",
    "bogota_upper": "FALLA EN BOGOTÁ DESDE AYER",
    "informacion": "Solicito INFORMACIÓN del trámite",
    "nino": "El niño no tiene computador",
    "nino_plain": "el nino del colegio sin tablet",
    "wide": "Ｔａｌｅｎｔｏ convocatoria",
}
QUERIES = [
    "señal", "SEÑAL", "Señal", "senal", "SEÑAL CAÍDA", "caída", "CAÍDA", "talento ti", "TALENTO", "Talento TI",
    "canción", "CANCIÓN", "cancion", "100%", "%", "_", "juan_perez", "n_p", "1000", '"plan"', '"', "ñandú",
    "ÑANDÚ", "ok", "o", "Ok", "xyzzy", "  vereda  ", "a%b", "%%%", "del", "peticion", "PETICIÓN", "petición",
    "BOGOTÁ", "bogota", "Bogotá", "informacion", "INFORMACIÓN", "niño", "nino", "NIÑO", "nandu", "tramite",
]


def _seed(engine: Engine) -> dict[str, int]:
    with UnitOfWork(engine) as uow:
        stored = uow.posts.upsert([citizen(i, body, minutes_ago=i) for i, body in enumerate(TEXTS.values(), 1)])
        ids = dict(zip(TEXTS, stored.new_ids, strict=True))
        analyse(uow, [(pid, analysis("otro")) for pid in stored.new_ids])
        uow.commit()
    return ids


def _found(engine: Engine, q: str) -> tuple[list[int], int]:
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        repo = InboxRepository(uow.session)
        filters = InboxFilters(q=q, state="all")
        return sorted(r.id for r in repo.page(filters, limit=100).rows), repo.count(filters)


def _expected(ids: dict[str, int], q: str) -> list[int]:
    """The meaning of the search, in Python: the folded term is a substring of the folded text."""
    term = fold_search_text(q.strip())
    return sorted(ids[key] for key, body in TEXTS.items() if term in fold_search_text(body))


def test_search_ignores_case_and_accents(engine: Engine) -> None:
    ids = _seed(engine)
    nonempty = 0
    for q in QUERIES:
        expected = _expected(ids, q)
        assert _found(engine, q) == (expected, len(expected)), q
        nonempty += bool(expected)
    assert nonempty >= 40  # the comparison is not between two empty lists
    # The meanings spelt out, the same on both engines.
    assert _found(engine, "peticion")[0] == sorted([ids["peticion"], ids["peticion_upper"]])
    assert _found(engine, "PETICIÓN")[0] == sorted([ids["peticion"], ids["peticion_upper"]])
    assert _found(engine, "BOGOTÁ")[0] == sorted([ids["bogota"], ids["bogota_upper"]])
    assert _found(engine, "bogota")[0] == sorted([ids["bogota"], ids["bogota_upper"]])
    assert _found(engine, "informacion del tramite")[0] == [ids["informacion"]]
    assert _found(engine, "cancion")[0] == [ids["cancion"]]
    senal = [ids["senal"], ids["senal_upper"], ids["senal_title"], ids["senal_plain"]]
    assert _found(engine, "señal")[0] == sorted(senal)  # SQLite's lower() used to miss "SEÑAL"
    # ñ folds to n: a wider match, which the search can afford ("nino" finds "niño" and the other way).
    assert _found(engine, "niño")[0] == sorted([ids["nino"], ids["nino_plain"]])
    assert _found(engine, "nandu")[0] == [ids["nandu"]]
    assert _found(engine, "talento")[0] == sorted([ids["talento"], ids["talento_upper"], ids["wide"]])  # full-width
    assert _found(engine, "talento ti")[0] == sorted([ids["talento"], ids["talento_upper"]])
    assert _found(engine, "100%")[0] == [ids["percent"]]  # % is a literal
    assert _found(engine, "juan_perez")[0] == [ids["underscore"]]  # _ is a literal
    assert _found(engine, "xyzzy")[0] == []
    assert _found(engine, "CAÍDA")[0] == [ids["senal_upper"]]


def test_the_list_shows_the_original_text(engine: Engine) -> None:
    ids = _seed(engine)
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        rows = InboxRepository(uow.session).page(InboxFilters(q="bogota", state="all")).rows
    assert {r.id: r.text for r in rows} == {ids["bogota"]: TEXTS["bogota"], ids["bogota_upper"]: TEXTS["bogota_upper"]}


def test_posts_written_after_the_migration_are_found(engine: Engine) -> None:
    ids = _seed(engine)
    with UnitOfWork(engine) as uow:
        stored = uow.posts.upsert([citizen(100, "Antena nueva en Mitú", minutes_ago=1, platform=Platform.FACEBOOK)])
        analyse(uow, [(stored.new_ids[0], analysis("otro"))])
        assert uow.session is not None
        edited = uow.posts.upsert([citizen(5, "Texto corregido xq, petición", minutes_ago=5)])  # re-collected
        assert edited.new_ids == () and edited.updated == 1
        uow.session.execute(update(PostRow).where(PostRow.id == ids["senal"]).values(likes=5))  # text unchanged
        uow.commit()
    assert _found(engine, "antena nueva")[0] == list(stored.new_ids)
    assert _found(engine, "corregido")[0] == [ids["talento"]]
    assert _found(engine, "xq, peticion")[0] == [ids["talento"]]  # the folded copy follows the text
    assert _found(engine, "talento ti")[0] == [ids["talento_upper"]]  # the old text is gone from the index
    assert _found(engine, "vereda")[0] == [ids["senal"]]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM post_reviews WHERE post_id = :i"), {"i": ids["talento_upper"]})
        conn.execute(text("DELETE FROM analyses WHERE post_id = :i"), {"i": ids["talento_upper"]})
        conn.execute(text("DELETE FROM posts WHERE id = :i"), {"i": ids["talento_upper"]})
    assert _found(engine, "talento")[0] == [ids["wide"]]
    if engine.dialect.name == "sqlite":  # the external-content index agrees with its table
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO posts_fts (posts_fts) VALUES ('integrity-check')"))


def test_the_index_is_used(engine: Engine) -> None:
    _seed(engine)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            assert _pg_indexes(conn) == {"ix_posts_search_text_trgm"}
            indexdef = conn.scalar(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_posts_search_text_trgm' "
                                        "AND schemaname = current_schema()"))
            assert "gin" in indexdef and "(search_text " in indexdef and "gin_trgm_ops" in indexdef
            cond = InboxQuery(InboxFilters(q="PETICIÓN", state="all"), "postgresql").conditions()
            sql = select(P.id).where(*cond).compile(conn, compile_kwargs={"literal_binds": True})
            conn.exec_driver_sql("SET enable_seqscan = off")  # a few rows: the planner would rather scan
            plan = " ".join(str(row[0]) for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))
            assert "ix_posts_search_text_trgm" in plan, plan
            return
        for q, indexed in (("señal", True), ("ab", False), ("a%b_c", False), ("x%señal", True)):
            cond = InboxQuery(InboxFilters(q=q, state="all"), "sqlite", text_index=True).conditions()
            sql = select(P.id).where(*cond).compile(conn, compile_kwargs={"literal_binds": True})
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
            assert ("posts_fts" in plan) is indexed, (q, plan)


def test_repository_falls_back_without_the_index(sqlite_engine: Engine) -> None:
    """A database migrated by an SQLite without FTS5 trigram has no posts_fts: search still works."""
    _seed(sqlite_engine)
    with sqlite_engine.begin() as conn:
        for name in ("posts_fts_ai", "posts_fts_ad", "posts_fts_au"):
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
        conn.exec_driver_sql("DROP TABLE posts_fts")
    assert _found(sqlite_engine, "talento ti")[1] == 2


def _pg_indexes(conn: Connection) -> set[str]:
    """The trigram indexes of posts in this test's schema (other tests' schemas share the database)."""
    return set(conn.scalars(text("SELECT indexname FROM pg_indexes WHERE tablename = 'posts' "
                                 "AND indexname LIKE '%trgm' AND schemaname = current_schema()")))


def _columns(conn: Connection) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns("posts")}


def test_downgrade_and_upgrade_again(engine: Engine) -> None:
    ids = _seed(engine)
    command.downgrade(db.alembic_config(engine), "0005")
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.scalar(text("SELECT count(*) FROM sqlite_master WHERE name LIKE 'posts_fts%'")) == 0
        else:
            assert _pg_indexes(conn) == set()
        assert "search_text" not in _columns(conn)
        assert conn.scalar(text("SELECT count(*) FROM posts")) == len(TEXTS)
    db.upgrade(engine)  # the migrations fill the column and the index from the existing posts
    assert _found(engine, "vereda")[0] == [ids["senal"]]
    assert _found(engine, "peticion")[0] == sorted([ids["peticion"], ids["peticion_upper"]])


def test_migration_0009_folds_the_posts_already_stored(engine: Engine) -> None:
    ids = _seed(engine)
    command.downgrade(db.alembic_config(engine), "0008")
    with engine.begin() as conn:  # 0008: the text itself indexed, accents must match
        assert "search_text" not in _columns(conn)
        if engine.dialect.name == "sqlite":
            found = conn.scalars(text("SELECT rowid FROM posts_fts WHERE posts_fts MATCH '\"petición\"'"))
            assert sorted(found) == [ids["peticion"]]
        else:
            assert _pg_indexes(conn) == {"ix_posts_text_trgm"}
        # A post the 0008 app edited after the column was gone (the 0006 trigger re-indexes its text).
        conn.execute(text("UPDATE posts SET text = 'Petición escrita en Bogotá' WHERE id = :i"), {"i": ids["short"]})
    db.upgrade(engine)
    with engine.connect() as conn:
        folded = dict(conn.execute(text("SELECT id, search_text FROM posts")).all())
        assert folded == {pid: fold_search_text(TEXTS[key]) for key, pid in ids.items() if key != "short"} | {
            ids["short"]: "peticion escrita en bogota"}
        if engine.dialect.name == "sqlite":
            conn.execute(text("INSERT INTO posts_fts (posts_fts) VALUES ('integrity-check')"))
        else:
            assert _pg_indexes(conn) == {"ix_posts_search_text_trgm"}
    assert _found(engine, "peticion escrita en bogota")[0] == [ids["short"]]
    assert _found(engine, "BOGOTÁ")[0] == sorted([ids["bogota"], ids["bogota_upper"], ids["short"]])
    assert _found(engine, "ok")[0] == []  # the old text is gone from the index


@pytest.mark.parametrize(("q", "expected"), [
    ("señal", '"señal"'),
    ("ab", None),
    ("a%b_c", None),
    ("100%", '"100"'),
    ("juan_perez", '"juan" AND "perez"'),
    ('el "plan"', '"el ""plan"""'),
])
def test_trigram_query(q: str, expected: str | None) -> None:
    assert trigram_query(q) == expected


def _seed_year(engine: Engine) -> dict[int, str]:
    """600 posts, one every 6 hours over 150 days: "señal" in every other one (so two days hold a page of 3),
    "antena" only in posts older than 20 days (so the newest windows hold none), varied filters and states."""
    bodies: dict[int, str] = {}
    with UnitOfWork(engine) as uow:
        posts = []
        for n in range(1, 601):
            words = ["Sin SEÑAL en la vereda" if n % 2 else "Otra queja", "antena caída" if n > 80 else "",
                     "Talento TI" if n % 7 == 0 else "", f"#{n}"]
            posts.append(citizen(n, " ".join(w for w in words if w), minutes_ago=n * 360,
                                 platform=Platform.FACEBOOK if n % 5 == 0 else Platform.X))
        stored = uow.posts.upsert(posts)
        results = []
        for pid, post in zip(stored.new_ids, posts, strict=True):
            n = int(post.external_id.removeprefix("w-"))
            results.append((pid, analysis("reclamo" if n % 3 else "peticion", "negative" if n % 4 else "neutral",
                                          flags=("outage",) if n % 11 == 0 else ())))
            bodies[pid] = post.text
        analyse(uow, results)
        assert uow.session is not None
        uow.session.execute(text("UPDATE post_reviews SET state = 'attended' WHERE post_id % 3 = 0"))
        uow.commit()
    return bodies


SAME_RESULTS = [
    InboxFilters(q="señal", state="all"), InboxFilters(q="senal"), InboxFilters(q="SEÑAL", platform="facebook"),
    InboxFilters(q="antena", state="all"), InboxFilters(q="antena caida", flag="outage", state="all"),
    InboxFilters(q="señal", category="peticion", sentiment="negative", state="attended"),
    InboxFilters(q="talento ti", state="all"), InboxFilters(q="xyzzy", state="all"), InboxFilters(q="ve", state="all"),
    InboxFilters(q="señal", sort="urgency"), InboxFilters(q="#1", state="all"),
]


def _walk_pages(engine: Engine, filters: InboxFilters, common_term: int, limit: int,
                max_pages: int | None = None) -> tuple[list[Any], bool]:
    """Every page of a search (rows and bookmarks; the first `max_pages` only if given), and whether the term
    counted as common."""
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        repo = InboxRepository(uow.session)
        repo.common_term = common_term
        pages, cursor = [], None
        while True:
            page = repo.page(filters, cursor, limit=limit)
            pages.append((page.rows, page.next_cursor))
            if page.next_cursor is None or len(pages) == max_pages:
                return pages, repo._common_term(filters)
            cursor = page.next_cursor


def test_a_common_term_gives_the_same_pages_by_either_path(engine: Engine) -> None:
    """SQLite reads a common term's first pages by walking the newest posts (`_common_term`), a rare one
    through the trigram table: the rows, their order and the bookmarks are the same whichever is taken.
    PostgreSQL has one path (its GIN index serves the LIKE), so the threshold changes nothing there."""
    bodies = _seed_year(engine)
    sqlite = engine.dialect.name == "sqlite"
    walked = 0
    for filters in SAME_RESULTS:
        for limit in (3, 50):
            rare, rare_common = _walk_pages(engine, filters, 10**9, limit)
            # PostgreSQL: one path whatever the threshold, so its first two pages suffice to show it.
            common, common_common = _walk_pages(engine, filters, 1, limit, max_pages=None if sqlite else 2)
            assert common == (rare if sqlite else rare[:2]), (filters, limit)
            assert not rare_common
            assert rare[0][0] or filters.q == "xyzzy", filters  # the comparison is not between empty lists
            term = fold_search_text(filters.q.strip())
            found = any(term in fold_search_text(body) for body in bodies.values())
            assert common_common == (sqlite and found and len(term) >= 3), filters
            walked += common_common
            if filters.state == "all" and filters.flag is None and filters.sort == "recent":
                term = fold_search_text(filters.q.strip())
                # Newest first is ascending id here: post n is n × 6 hours old and ids grow with n.
                expected = sorted(pid for pid, body in bodies.items() if term in fold_search_text(body))
                assert [r.id for rows, _ in rare for r in rows] == expected, filters
    assert walked >= (12 if sqlite else 0)
