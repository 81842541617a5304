"""`main.py retention` and `main.py forget`: the data-protection commands (docs/data-protection.md).

`retention --dry-run` counts, per kind, what is past its term; `--apply` anonymises or deletes it in batches
(progress on stderr; Ctrl-C keeps every finished batch and the next run continues). `forget --author
PLATFORM:HANDLE` (or PLATFORM:id:ID) answers a data-subject request: the author's posts, profile and the notes
about them are anonymised in one transaction, counts kept, and a `data_requests` row records it without the
handle (a keyed hash). Running it again finds nothing more to do; an unknown author exits 1.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime

import structlog
from sqlalchemy.orm import Session

from bot.bootstrap import build_engine
from bot.commands.common import load, setup_logging
from bot.config import Secrets
from bot.retention import PseudonymKeyMissing, apply_retention, due, pseudonyms_from
from domain import Platform
from storage.retention import (
    KIND_LABELS_ES,
    KINDS,
    find_subject,
    forget_subject,
    previous_forget,
    record,
    subject_counts,
)

log = structlog.get_logger("vigia.retention")
PLATFORMS = tuple(str(p) for p in Platform)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("retention", help="anonymise/delete personal data past its retention term")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dry-run", action="store_true", help="only count what is due, per kind")
    mode.add_argument("--apply", action="store_true", help="anonymise/delete it, in resumable batches")
    p.add_argument("--batch-size", type=int, help="rows per transaction (default: retention.batch_size)")
    p.set_defaults(func=cmd_retention)

    f = sub.add_parser("forget", help="data-subject request: anonymise one author's posts, profile and notes")
    f.add_argument("--author", required=True, metavar="PLATFORM:HANDLE",
                   help="e.g. x:juanperez, facebook:id:1234567890 (an author id)")
    f.add_argument("--dry-run", action="store_true", help="only show what would be anonymised")
    f.add_argument("--by", default=None, help="who asks (recorded; default: the operating-system user)")
    f.set_defaults(func=cmd_forget)


def _operator(given: str | None) -> str:
    if given:
        return given.strip()[:128]
    try:
        return getpass.getuser()
    except Exception:  # no user name in a container: still record that someone ran it
        return "desconocido"


def cmd_retention(args: argparse.Namespace) -> int:
    config = load(args)
    setup_logging(config)
    settings = config.retention
    if args.batch_size is not None:
        if args.batch_size < 1:
            print("error: --batch-size must be 1 or more", file=sys.stderr)
            return 2
        settings = settings.model_copy(update={"batch_size": args.batch_size})
    engine = build_engine()
    now = datetime.now(UTC)
    try:
        if args.dry_run:
            counts = due(engine, settings, now)
            print("Retención (simulación): filas vencidas por tipo")
            for kind in KINDS:
                print(f"  {kind:<18} {counts[kind]:>9}  {KIND_LABELS_ES[kind]}")
            print(f"Total: {sum(counts.values())}. Nada cambió; aplique con: main.py retention --apply")
            return 0
        try:
            pseudonyms = pseudonyms_from(Secrets.from_env())
        except PseudonymKeyMissing as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

        def progress(kind: str, done: int, total: int) -> None:
            print(f"  {kind}: {done}/{total}", file=sys.stderr, flush=True)

        done: dict[str, int] = dict.fromkeys(KINDS, 0)
        try:
            done = apply_retention(engine, settings, pseudonyms, now, requested_by=f"cli:{_operator(None)}",
                                   progress=progress)
        except KeyboardInterrupt:
            print("Interrumpido: los lotes terminados quedaron guardados; vuelva a ejecutar "
                  "`main.py retention --apply` para continuar.", file=sys.stderr)
            return 130
        print("Retención aplicada: filas por tipo")
        for kind in KINDS:
            print(f"  {kind:<18} {done[kind]:>9}  {KIND_LABELS_ES[kind]}")
        print(f"Total: {sum(done.values())}.")
        return 0
    finally:
        engine.dispose()


def parse_author(value: str) -> tuple[str, str | None, str | None]:
    """(platform, handle, author_id) from PLATFORM:HANDLE or PLATFORM:id:ID; ValueError says what is wrong."""
    platform, sep, rest = value.partition(":")
    platform = platform.strip().lower()
    if not sep or platform not in PLATFORMS or not rest.strip():
        raise ValueError(f"--author {value!r}: write PLATFORM:HANDLE or PLATFORM:id:ID with PLATFORM one of "
                         f"{', '.join(PLATFORMS)} (e.g. x:juanperez, facebook:id:1234567890)")
    if rest.startswith("id:"):
        author_id = rest[3:].strip()
        if not author_id:
            raise ValueError(f"--author {value!r}: the id after 'id:' is empty")
        return platform, None, author_id
    return platform, rest.strip(), None


def cmd_forget(args: argparse.Namespace) -> int:
    config = load(args)
    setup_logging(config)
    try:
        platform, handle, author_id = parse_author(args.author)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        pseudonyms = pseudonyms_from(Secrets.from_env())
    except PseudonymKeyMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    subject_hash = pseudonyms.subject(platform, handle if handle is not None else f"id:{author_id}")
    engine = build_engine()
    now = datetime.now(UTC)
    try:
        with Session(engine) as session, session.begin():
            subject = find_subject(session, platform, handle=handle, author_id=author_id)
            earlier = previous_forget(session, platform, subject_hash)
            if not subject.author_ids:
                if earlier is not None:
                    print(f"Esa solicitud ya se atendió el {earlier:%Y-%m-%d %H:%M} UTC: no queda nada de ese "
                          "autor por anonimizar.")
                    return 0
                print(f"error: no hay datos de {args.author} en la base (ni perfil ni publicaciones); revise la "
                      "plataforma y el usuario, o use PLATFORM:id:ID", file=sys.stderr)
                return 1
            if args.dry_run:
                counts = subject_counts(session, subject)
                print(f"Se anonimizarían (simulación) de {args.author}: {counts.posts} publicaciones, "
                      f"{counts.profiles} perfil(es), {counts.notes} notas, {counts.extra.get('alerts', 0)} alertas. "
                      "Nada cambió.")
                return 0
            counts = forget_subject(session, subject, pseudonyms, now)
            record(session, "forget", _operator(args.by), counts.as_dict(), now, platform=platform,
                   subject_hash=subject_hash)
        log.info("forget request done", platform=platform, posts=counts.posts, profiles=counts.profiles,
                 notes=counts.notes)
        print(f"Listo: {counts.posts} publicaciones, {counts.profiles} perfil(es), {counts.notes} notas y "
              f"{counts.extra.get('alerts', 0)} alertas anonimizadas; los conteos y análisis se conservan. "
              "Quedó registrado sin el usuario.")
        return 0
    finally:
        engine.dispose()
