"""Fixtures for the web app: a seeded database, the app, and logged-in clients for each role."""

from __future__ import annotations

import argparse
import io
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from bot.commands import web as web_commands
from bot.config import Config
from bot.web.app import create_app, fast_passwords
from bot.web.routes_webhooks import WebhookSecrets
from storage import db
from tests.web.helpers import NOW, PASSWORD, WEBHOOK_SECRET, WEBHOOK_VERIFY, Seeded, login_csrf_of, seed, username

with warnings.catch_warnings():  # Starlette nudges towards httpx2; the pinned httpx works the same here
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def web_config() -> Config:
    return Config()


@pytest.fixture
def seeded(sqlite_engine: Engine) -> Seeded:
    return seed(sqlite_engine)


@pytest.fixture
def app(web_config: Config, sqlite_engine: Engine, seeded: Seeded):  # type: ignore[no-untyped-def]
    return create_app(web_config, sqlite_engine, passwords=fast_passwords(), clock=lambda: NOW)


def log_in(client: TestClient, name: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    page = client.get("/login")
    return client.post("/login", data={"username": name, "password": password,
                                       "login_csrf": login_csrf_of(page.text), "next": "/inbox"},
                       follow_redirects=False)


@pytest.fixture
def client_for(app) -> Iterator[Callable[[str], TestClient]]:  # type: ignore[no-untyped-def]
    """`client_for(role)`: a TestClient logged in as the seeded user of that role."""
    clients: list[TestClient] = []

    def make(role: str) -> TestClient:
        client = TestClient(app, base_url="http://testserver")
        clients.append(client)
        response = log_in(client, username(role))
        assert response.status_code == 303, response.text
        return client

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def seeded_any(engine: Engine) -> Seeded:
    """The seeded inbox on SQLite and on PostgreSQL (when VIGIA_TEST_DATABASE_URL is set)."""
    return seed(engine)


@pytest.fixture
def app_any(web_config: Config, engine: Engine, seeded_any: Seeded):  # type: ignore[no-untyped-def]
    """The app over `seeded_any`, with webhook secrets so that signed deliveries get through."""
    secrets = WebhookSecrets(SecretStr(WEBHOOK_VERIFY), SecretStr(WEBHOOK_SECRET))
    return create_app(web_config, engine, passwords=fast_passwords(), clock=lambda: NOW, webhook_secrets=secrets)


@pytest.fixture
def client_any(app_any) -> Iterator[Callable[[str], TestClient]]:  # type: ignore[no-untyped-def]
    """`client_any(role)`: a logged-in TestClient of `app_any`, on both engines."""
    clients: list[TestClient] = []

    def make(role: str) -> TestClient:
        client = TestClient(app_any, base_url="http://testserver")
        clients.append(client)
        assert log_in(client, username(role)).status_code == 303
        return client

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """`main.py users …` run in-process on a fresh SQLite file: `cli(*argv, stdin=...)` -> exit code;
    `cli.engine()` opens that database."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("VIGIA_DATABASE_URL", url)
    config = tmp_path / "config.yaml"
    config.write_text("web:\n  port: 8123\n", encoding="utf-8")
    parser = argparse.ArgumentParser()
    parser.add_argument("--config")
    web_commands.register(parser.add_subparsers(dest="command", required=True))

    def run(*argv: str, stdin: str = "") -> int:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        args = parser.parse_args(["--config", str(config), *argv])
        return int(args.func(args))

    run.engine = lambda: db.create_db_engine(url)  # type: ignore[attr-defined]
    return run
