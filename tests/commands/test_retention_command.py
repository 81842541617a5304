"""`main.py retention` and `main.py forget` through `main()` on an SQLite file: dry run vs apply, a missing key,
Ctrl-C after the first batch and the next run continuing, forget's dry run, unknown author (exit 1), a second
forget doing nothing more, and the record kept without the handle."""

from __future__ import annotations

import io
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from main import main
from storage import db
from storage.models import DataRequestRow, PostRow
from storage.unit_of_work import UnitOfWork
from tests.storage.test_retention import KEY, _seed

OLD = timedelta(days=800)  # the fixture lies this far before T0 (2026-11-16): past every 24-month term today


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'vigia.db'}"
    engine = db.create_db_engine(url)
    db.upgrade(engine)
    _seed(engine, OLD)
    config = tmp_path / "config.yaml"
    config.write_text("connectors:\n  sample:\n    enabled: false\nretention:\n  batch_size: 4\n", encoding="utf-8")
    monkeypatch.setenv("VIGIA_DATABASE_URL", url)
    monkeypatch.setenv("VIGIA_PSEUDONYM_KEY", KEY)

    def run(*argv: str) -> int:
        return main(["--config", str(config), *argv])

    yield run, engine
    engine.dispose()


def _anonymised(engine) -> int:  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        return uow.session.scalar(select(func.count()).select_from(PostRow)
                                  .where(PostRow.anonymized_at.is_not(None))) or 0


def test_dry_run_then_apply_then_nothing_left(cli, capsys):  # type: ignore[no-untyped-def]
    run, engine = cli
    assert run("retention", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "posts" in out and " 14 " in out and "Nada cambió" in out
    assert _anonymised(engine) == 0
    assert run("retention", "--apply") == 0
    captured = capsys.readouterr()
    assert "posts: 14/14" in captured.err  # progress on stderr
    assert "Total: 26." in captured.out  # 14 posts, 7 authors, 2 notes, 1 alert, 1 audit event, 1 rejected payload
    assert _anonymised(engine) == 14
    assert run("retention", "--apply") == 0
    assert "Total: 0." in capsys.readouterr().out


def test_apply_without_the_key_changes_nothing_and_says_what_to_set(cli, capsys, monkeypatch):  # type: ignore[no-untyped-def]
    run, engine = cli
    monkeypatch.delenv("VIGIA_PSEUDONYM_KEY")
    assert run("retention", "--apply") == 2
    assert "VIGIA_PSEUDONYM_KEY" in capsys.readouterr().err
    assert _anonymised(engine) == 0


class _CtrlCOnFirstProgress(io.StringIO):
    def write(self, text: str) -> int:
        if text.startswith("  posts:"):
            raise KeyboardInterrupt
        return super().write(text)


def test_ctrl_c_keeps_the_finished_batch_and_the_next_run_continues(cli, capsys, monkeypatch):  # type: ignore[no-untyped-def]
    run, engine = cli
    monkeypatch.setattr(sys, "stderr", _CtrlCOnFirstProgress())
    assert run("retention", "--apply") == 130
    assert _anonymised(engine) == 4  # the first batch (batch_size 4) was committed before the interruption
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert run("retention", "--apply") == 0
    assert "posts                     10" in capsys.readouterr().out
    assert _anonymised(engine) == 14


def test_forget_dry_run_apply_twice_and_unknown(cli, capsys):  # type: ignore[no-untyped-def]
    run, engine = cli
    assert run("forget", "--author", "x:nadie_aqui") == 1
    assert "no hay datos" in capsys.readouterr().err
    assert run("forget", "--author", "tiktok:alguien") == 2
    assert run("forget", "--author", "x:@Ciudadano_1", "--dry-run") == 0
    assert "2 publicaciones, 1 perfil(es), 2 notas, 1 alertas" in capsys.readouterr().out
    assert _anonymised(engine) == 0
    assert run("forget", "--author", "x:@Ciudadano_1", "--by", "oficial-datos") == 0
    assert "2 publicaciones" in capsys.readouterr().out
    assert _anonymised(engine) == 2
    assert run("forget", "--author", "x:ciudadano_1") == 0
    assert "ya se atendió" in capsys.readouterr().out
    assert _anonymised(engine) == 2
    assert run("forget", "--author", "x:id:author-2") == 0
    assert _anonymised(engine) == 4
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        rows = list(uow.session.scalars(select(DataRequestRow).where(DataRequestRow.kind == "forget")
                                        .order_by(DataRequestRow.id)))
    assert (rows[0].requested_by, rows[0].platform, rows[0].counts) == (
        "oficial-datos", "x", {"posts": 2, "profiles": 1, "notes": 2, "alerts": 1})
    assert len(rows) == 2 and all("ciudadano" not in (r.subject_hash or "") for r in rows)
