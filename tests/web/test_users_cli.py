"""`main.py users …` and the `serve` command's arguments."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.commands import web as web_commands
from bot.config import Config
from bot.web.security import Passwords
from storage.models import UserRow, WebSessionRow
from storage.unit_of_work import UnitOfWork
from storage.web_accounts import UserRepository, WebSessionRepository


def _users(engine) -> dict[str, tuple[str, bool, str]]:  # type: ignore[no-untyped-def]
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        return {u: (r, a, h) for u, r, a, h in uow.session.execute(
            select(UserRow.username, UserRow.role, UserRow.active, UserRow.password_hash))}


def test_add_list_disable_enable_reset(cli, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert cli("users", "add", "Ana.Maria", "--role", "community_manager", "--name", "Ana María",
               "--password-stdin", stdin="una-clave-larga\n") == 0
    users = _users(cli.engine())
    role, active, stored = users["ana.maria"]
    assert role == "community_manager" and active and Passwords().verify(stored, "una-clave-larga")
    assert cli("users", "list") == 0
    assert "ana.maria\tcommunity_manager\tactivo\tAna María" in capsys.readouterr().out

    with UnitOfWork(cli.engine()) as uow:  # an open session, to see that disabling ends it
        assert uow.session is not None
        user = UserRepository(uow.session).by_username("ana.maria")
        assert user is not None
        WebSessionRepository(uow.session).create("h" * 64, user.id, "c", datetime.now(UTC), timedelta(hours=1))
        uow.commit()
    assert cli("users", "disable", "ana.maria") == 0
    assert "1 sesión(es) cerrada(s)" in capsys.readouterr().out
    assert _users(cli.engine())["ana.maria"][1] is False
    with UnitOfWork(cli.engine()) as uow:
        assert uow.session is not None
        assert list(uow.session.scalars(select(WebSessionRow.token_hash))) == []
    assert cli("users", "enable", "ana.maria") == 0
    assert cli("users", "reset-password", "ana.maria", "--password-stdin", stdin="nueva-clave-larga\n") == 0
    stored = _users(cli.engine())["ana.maria"][2]
    assert Passwords().verify(stored, "nueva-clave-larga") and not Passwords().verify(stored, "una-clave-larga")


def test_refusals(cli, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    assert cli("users", "add", "ana", "--role", "admin", "--password-stdin", stdin="corta\n") == 2
    assert "al menos 10 caracteres" in capsys.readouterr().err
    assert cli("users", "add", "ana", "--role", "admin", "--password-stdin", stdin="una-clave-larga\n") == 0
    assert cli("users", "add", "ana", "--role", "viewer", "--password-stdin", stdin="una-clave-larga\n") == 2
    assert "ya existe" in capsys.readouterr().err
    assert cli("users", "disable", "nadie") == 2
    assert cli("users", "add", "con espacio", "--role", "viewer", "--password-stdin", stdin="una-clave-larga\n") == 2
    with pytest.raises(SystemExit):
        cli("users", "add", "bob", "--role", "superuser")


def test_serve_url_message() -> None:
    config = Config()
    assert web_commands.serve_urls(config) == "http://127.0.0.1:8000/inbox"
    assert web_commands.serve_urls(config, "0.0.0.0", 9000) == "http://127.0.0.1:9000/inbox"
    hint = web_commands.demo_hint(config, "sqlite:///var/demo/demo.db")
    assert hint[-1].endswith("http://127.0.0.1:8000/inbox")
    assert re.search(r"VIGIA_DATABASE_URL=sqlite:///var/demo/demo.db (\.venv/bin/)?python main.py serve", hint[2])


def test_users_add_without_a_password_on_stdin_is_a_clear_refusal(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "VIGIA_DATABASE_URL": f"sqlite:///{tmp_path / 'u.db'}"}
    proc = subprocess.run([sys.executable, "main.py", "users", "add", "ana", "--role", "admin"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=root, env=env, timeout=120)
    assert proc.returncode == 2
    assert "no se recibió ninguna contraseña" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT"])
def test_serve_exits_0_on_sigterm_and_sigint(tmp_path, sig) -> None:  # type: ignore[no-untyped-def]
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "VIGIA_DATABASE_URL": f"sqlite:///{tmp_path / 's.db'}"}
    proc = subprocess.Popen([sys.executable, "main.py", "serve", "--port", str(port)], cwd=root, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as client:
                if client.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        else:
            pytest.fail("serve did not start listening")
        proc.send_signal(getattr(signal, sig))
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
