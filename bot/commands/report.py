"""`report --week YYYY-Www [--out DIR] [--force] [--no-slack]`: the weekly report of one ISO week."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.bootstrap import bootstrap
from bot.commands.common import load, setup_logging
from bot.config import database_url, masked_url
from bot.reports.weekly import run_weekly_report

SLACK_ES = {
    "posted": "publicado en Slack",
    "webhook": "resumen publicado en Slack por webhook (los archivos quedan en disco)",
    "already posted": "ya estaba publicado en Slack (use --force para publicarlo de nuevo)",
    "failed": "NO se pudo publicar en Slack",
    "disabled": "sin publicar en Slack (--no-slack)",
    "not configured": "Slack no está configurado (SLACK_BOT_TOKEN): solo archivos",
}


def cmd_report(args: argparse.Namespace) -> int:
    config = load(args)
    setup_logging(config)
    bus = bootstrap(config, connectors={})
    try:
        outcome = run_weekly_report(bus.services, args.week, force=args.force,
                                    out_dir=Path(args.out) if args.out else None, slack=not args.no_slack)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        bus.services.engine.dispose()
    if outcome.built:
        print(f"Informe {outcome.week} generado en {outcome.target}:")
        for path in outcome.files:
            print(f"  {path}")
    else:
        print(f"El informe {outcome.week} ya estaba generado en {outcome.target} (use --force para regenerarlo)")
    if outcome.summary.get("has_data") is False:
        print(f"Atención: la base de datos {masked_url(database_url())} no tiene publicaciones de la semana "
              f"{outcome.week}: el informe está vacío. ¿Es la base de datos correcta (VIGIA_DATABASE_URL)?")
    print(SLACK_ES.get(outcome.slack, outcome.slack) + (f": {outcome.error}" if outcome.error else ""))
    return 1 if outcome.slack == "failed" else 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser("report", help="build the weekly report of an ISO week (files, then Slack)")
    p.add_argument("--week", required=True, help="ISO week, e.g. 2026-W47")
    p.add_argument("--out", help="output folder (default: report.out_dir from the config); files go in OUT/YYYY-Www/")
    p.add_argument("--force", action="store_true", help="rebuild, and post to Slack again, even if done already")
    p.add_argument("--no-slack", action="store_true", help="build the files only; do not post to Slack")
    p.set_defaults(func=cmd_report)
