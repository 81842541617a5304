"""`serve` (the community managers' web app) and `users` (its accounts) commands."""

from __future__ import annotations

import argparse
import getpass
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy.orm import Session

from bot.bootstrap import build_engine
from bot.commands.common import load, setup_logging
from bot.config import Config
from bot.labels import ROLE_ES
from bot.web.routes_admin import username_problem
from bot.web.security import Passwords, password_problem
from storage.audit_log import AuditLog
from storage.unit_of_work import UnitOfWork
from storage.web_accounts import ROLES, UserRepository, WebSessionRepository


def serve_urls(config: Config, host: str | None = None, port: int | None = None) -> str:
    """Where the app listens (for the start-up message); public_url when it is served behind a proxy."""
    host = host or config.web.host
    port = port or config.web.port
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    return f"http://{shown}:{port}/inbox"


def demo_hint(config: Config, database_url: str) -> list[str]:
    """Lines the demo prints so people can open its sample week in the inbox (Spanish, like the demo)."""
    env = f"VIGIA_DATABASE_URL={database_url}"
    python = ".venv/bin/python" if Path(".venv/bin/python").exists() else "python"
    return [
        "Bandeja de revisión sobre la semana de muestra:",
        f"  1. cree un usuario:  {env} {python} main.py users add ana --role community_manager",
        f"  2. inicie la app:    {env} {python} main.py serve",
        f"  3. abra {serve_urls(config)}",
    ]


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from bot.web import create_app

    config = load(args)
    setup_logging(config)
    engine = build_engine()
    host = args.host or config.web.host
    port = args.port or config.web.port
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        has_users = bool(UserRepository(uow.session).all())
    print(f"Vigía — bandeja de revisión en {serve_urls(config, host, port)}", flush=True)
    if not has_users:
        print("Aún no hay usuarios: cree uno con `python main.py users add USUARIO --role admin`.", flush=True)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises the signal to the handler it found: make that
    # a clean exit (0), as for Ctrl-C, instead of the default death by signal (143).
    previous = signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        uvicorn.run(create_app(config, engine), host=host, port=port, log_level="warning", server_header=False,
                    proxy_headers=False)
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _read_password(args: argparse.Namespace, stdin: TextIO, label: str = "Contraseña") -> str | None:
    if getattr(args, "password_stdin", False):
        password = stdin.readline().rstrip("\r\n")
    else:
        try:
            password = getpass.getpass(f"{label}: ")
            repeated = getpass.getpass("Repítala: ")
        except EOFError:  # Ctrl-D, or no terminal and nothing on stdin
            print("\nerror: no se recibió ninguna contraseña (use --password-stdin para pasarla por la entrada "
                  "estándar)", file=sys.stderr)
            return None
        if repeated != password:
            print("error: las contraseñas no coinciden", file=sys.stderr)
            return None
    problem = password_problem(password)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return None
    return password


def _audit(session: Session, action: str, username: str, detail: dict[str, str] | None = None) -> None:
    """User changes made on the server go to the same audit trail as the web app's (user `cli:<os user>`, no
    address); never the password."""
    try:
        operator = getpass.getuser()
    except Exception:  # no user name in a container
        operator = "?"
    AuditLog(session).add(action, f"cli:{operator}", datetime.now(UTC), target=f"user:{username}", detail=detail)


def cmd_users(args: argparse.Namespace, stdin: TextIO | None = None) -> int:
    stdin = stdin or sys.stdin
    config = load(args)
    setup_logging(config, level="WARNING")
    engine = build_engine()
    with UnitOfWork(engine) as uow:
        assert uow.session is not None
        users = UserRepository(uow.session)
        if args.users_command == "list":
            for u in users.all():
                state = "activo" if u.active else "desactivado"
                print(f"{u.username}\t{u.role}\t{state}\t{u.display_name}")
            return 0
        username = args.username.strip().lower()
        user = users.by_username(username)
        if args.users_command == "add":
            problem = username_problem(username)
            if problem:
                print(f"error: {problem}", file=sys.stderr)
                return 2
            if user is not None:
                print(f"error: el usuario {username!r} ya existe", file=sys.stderr)
                return 2
            password = _read_password(args, stdin)
            if password is None:
                return 2
            users.add(username, args.name or username, args.role, Passwords().hash(password))
            _audit(uow.session, "user_create", username, {"role": args.role})
            uow.commit()
            print(f"usuario {username} creado con el rol {args.role} ({ROLE_ES[args.role]})")
            return 0
        if user is None:
            print(f"error: no existe el usuario {username!r}", file=sys.stderr)
            return 2
        if args.users_command in ("disable", "enable"):
            users.set_active(user.id, args.users_command == "enable")
            ended = WebSessionRepository(uow.session).delete_for_user(user.id) if args.users_command == "disable" else 0
            _audit(uow.session, "user_activate" if args.users_command == "enable" else "user_deactivate", username)
            uow.commit()
            verb = "desactivado" if args.users_command == "disable" else "reactivado"
            print(f"usuario {username} {verb}" + (f"; {ended} sesión(es) cerrada(s)" if ended else ""))
            return 0
        if args.users_command == "reset-password":
            password = _read_password(args, stdin, "Nueva contraseña")
            if password is None:
                return 2
            users.set_password(user.id, Passwords().hash(password))
            WebSessionRepository(uow.session).delete_for_user(user.id)
            _audit(uow.session, "user_password", username)
            uow.commit()
            print(f"contraseña de {username} restablecida; sus sesiones abiertas se cerraron")
            return 0
    return 2


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("serve", help="the community managers' review inbox (web app)")
    p.add_argument("--host", help="address to listen on (default: web.host from the config)")
    p.add_argument("--port", type=int, help="port to listen on (default: web.port from the config)")
    p.set_defaults(func=cmd_serve)

    p = subparsers.add_parser("users", help="manage the web app's users")
    sub = p.add_subparsers(dest="users_command", required=True)
    add = sub.add_parser("add", help="create a user (the password is asked for, or read from stdin)")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--name", help="display name (default: the username)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first stdin line")
    for name, helptext in (("disable", "disable a user and end their sessions"), ("enable", "re-enable a user")):
        s = sub.add_parser(name, help=helptext)
        s.add_argument("username")
    reset = sub.add_parser("reset-password", help="set a new password and end the user's sessions")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true", help="read the password from the first stdin line")
    sub.add_parser("list", help="list users")
    p.set_defaults(func=cmd_users)
