"""Indexed inbox search (migration 0006): the same results as the plain LIKE, on both engines, but indexed."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import Engine, select, text, update

from domain import Platform
from storage import db
from storage.inbox_filters import InboxFilters, InboxQuery, P, trigram_query
from storage.inbox_queries import InboxRepository
from storage.models import PostRow
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
}
QUERIES = [
    "señal", "SEÑAL", "Señal", "senal", "SEÑAL CAÍDA", "caída", "CAÍDA", "talento ti", "TALENTO", "Talento TI",
    "canción", "CANCIÓN", "cancion", "100%", "%", "_", "juan_perez", "n_p", "1000", '"plan"', '"', "ñandú",
    "ÑANDÚ", "ok", "o", "Ok", "xyzzy", "  vereda  ", "a%b", "%%%", "del",
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


def _plain(engine: Engine, q: str) -> list[int]:
    """What the search matched before the indexes: the plain case-insensitive LIKE alone."""
    with engine.connect() as conn:
        return sorted(conn.scalars(select(P.id).where(P.text.icontains(q.strip(), autoescape=True))))


def test_index_gives_the_plain_like_results(engine: Engine) -> None:
    ids = _seed(engine)
    nonempty = 0
    for q in QUERIES:
        expected = _plain(engine, q)
        assert _found(engine, q) == (expected, len(expected)), q
        nonempty += bool(expected)
    assert nonempty >= 20  # the comparison is not between two empty lists
    # A few meanings spelt out. SQLite's lower() folds ASCII only, PostgreSQL's ILIKE folds "Ñ" too (as before).
    senal = [ids["senal"], ids["senal_title"]] + ([ids["senal_upper"]] if engine.dialect.name == "postgresql" else [])
    assert _found(engine, "señal")[0] == sorted(senal)
    assert _found(engine, "talento ti")[0] == sorted([ids["talento"], ids["talento_upper"]])
    assert _found(engine, "100%")[0] == [ids["percent"]]  # % is a literal
    assert _found(engine, "juan_perez")[0] == [ids["underscore"]]  # _ is a literal
    assert _found(engine, "xyzzy")[0] == []
    assert _found(engine, "cancion")[0] == []  # accents must match
    assert _found(engine, "CAÍDA")[0] == [ids["senal_upper"]]


def test_posts_written_after_the_migration_are_found(engine: Engine) -> None:
    ids = _seed(engine)
    with UnitOfWork(engine) as uow:
        stored = uow.posts.upsert([citizen(100, "Antena nueva en Mitú", minutes_ago=1, platform=Platform.FACEBOOK)])
        analyse(uow, [(stored.new_ids[0], analysis("otro"))])
        assert uow.session is not None
        uow.session.execute(update(PostRow).where(PostRow.id == ids["talento"]).values(text="Texto corregido xq"))
        uow.session.execute(update(PostRow).where(PostRow.id == ids["senal"]).values(likes=5))  # text unchanged
        uow.commit()
    assert _found(engine, "antena nueva")[0] == list(stored.new_ids)
    assert _found(engine, "corregido")[0] == [ids["talento"]]
    assert _found(engine, "talento ti")[0] == [ids["talento_upper"]]  # the old text is gone from the index
    assert _found(engine, "vereda")[0] == [ids["senal"]]
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM post_reviews WHERE post_id = :i"), {"i": ids["talento_upper"]})
        conn.execute(text("DELETE FROM analyses WHERE post_id = :i"), {"i": ids["talento_upper"]})
        conn.execute(text("DELETE FROM posts WHERE id = :i"), {"i": ids["talento_upper"]})
    assert _found(engine, "talento")[0] == []
    if engine.dialect.name == "sqlite":  # the external-content index agrees with its table
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO posts_fts (posts_fts) VALUES ('integrity-check')"))


def test_the_index_is_used(engine: Engine) -> None:
    _seed(engine)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            indexdef = conn.scalar(text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_posts_text_trgm' "
                                        "AND schemaname = current_schema()"))
            assert indexdef is not None and "gin" in indexdef and "gin_trgm_ops" in indexdef
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


def test_downgrade_and_upgrade_again(engine: Engine) -> None:
    ids = _seed(engine)
    command.downgrade(db.alembic_config(engine), "0005")
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.scalar(text("SELECT count(*) FROM sqlite_master WHERE name LIKE 'posts_fts%'")) == 0
        else:
            assert conn.scalar(text("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_posts_text_trgm' "
                                    "AND schemaname = current_schema()")) == 0  # other tests' schemas share the db
    assert _found(engine, "vereda")[0] == [ids["senal"]]
    db.upgrade(engine)  # the migration fills the index from the existing posts
    assert _found(engine, "vereda")[0] == [ids["senal"]]


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
