"""One `run` per database, on both engines."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from bot.leader import AlreadyRunning, leader_lock


def _second_engine(engine):
    """A separate engine with its own connections, as a second process would have."""
    return create_engine(engine.url.render_as_string(hide_password=False))


def test_a_second_run_on_the_same_database_is_refused(engine):
    other = _second_engine(engine)
    try:
        with leader_lock(engine), pytest.raises(AlreadyRunning, match="run"), leader_lock(other):
            pass
        with leader_lock(other):  # released: the next run may start
            pass
    finally:
        other.dispose()
