"""The web app's PostgreSQL planner setting is applied to its connections (and nowhere on SQLite)."""

from __future__ import annotations

from sqlalchemy import Engine, text

from bot.web.dbtuning import RANDOM_PAGE_COST, tune_for_inbox


def test_postgres_connections_get_the_setting(pg_engine: Engine) -> None:
    tune_for_inbox(pg_engine)
    tune_for_inbox(pg_engine)  # idempotent: one listener
    for _ in range(2):
        with pg_engine.connect() as conn:
            assert float(conn.scalar(text("SHOW random_page_cost"))) == RANDOM_PAGE_COST


def test_sqlite_is_left_alone(sqlite_engine: Engine) -> None:
    tune_for_inbox(sqlite_engine)
    assert not getattr(sqlite_engine, "vigia_inbox_tuned", False)
