"""`report --week YYYY-Www [--out DIR] [--force] [--no-slack]`: the weekly report of one ISO week;
`report --campaign NAME [--from DATE] [--to DATE] [--out DIR]`: one campaign over its whole life (files only)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from bot.bootstrap import bootstrap
from bot.commands.common import load, setup_logging
from bot.config import database_url, masked_url
from bot.reports.campaign_report import UnknownCampaign, write_campaign_report
from bot.reports.weekly import run_weekly_report

SLACK_ES = {
    "posted": "publicado en Slack",
    "webhook": "resumen publicado en Slack por webhook (los archivos quedan en disco)",
    "already posted": "ya estaba publicado en Slack (use --force para publicarlo de nuevo)",
    "failed": "NO se pudo publicar en Slack",
    "disabled": "sin publicar en Slack (--no-slack)",
    "not configured": "Slack no está configurado (SLACK_BOT_TOKEN): solo archivos",
}


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} no es una fecha AAAA-MM-DD") from None


def cmd_campaign_report(args: argparse.Namespace) -> int:
    """The campaign's HTML and CSVs; exit 2 for an unknown campaign or a range that ends before it starts."""
    config = load(args)
    setup_logging(config)
    bus = bootstrap(config, connectors={})
    try:
        outcome = write_campaign_report(bus.services, args.campaign, first=args.date_from, last=args.date_to,
                                        out_dir=Path(args.out) if args.out else None)
    except (UnknownCampaign, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        bus.services.engine.dispose()
    r = outcome.report
    days = r.period.days
    print(f"Informe de la campaña {r.figures.campaign.name} ({r.figures.campaign.id}), del {days[0]:%d/%m/%Y} al "
          f"{days[-1]:%d/%m/%Y} ({len(days)} días), generado en {outcome.target}:")
    for path in outcome.files:
        print(f"  {path}")
    if not r.has_data:
        print(f"Atención: la base de datos {masked_url(database_url())} no tiene publicaciones de la campaña en ese "
              "periodo: el informe está vacío.")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    if args.campaign:
        return cmd_campaign_report(args)
    if args.date_from or args.date_to:
        print("error: --from y --to solo se usan con --campaign (el informe semanal va por --week)", file=sys.stderr)
        return 2
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
    p = subparsers.add_parser("report", help="build the weekly report of an ISO week (files, then Slack), or a "
                                             "campaign's report (--campaign, files only)")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--week", help="ISO week, e.g. 2026-W47")
    which.add_argument("--campaign", metavar="NAME",
                       help="a campaign's id, name or hashtag (case and accents ignored): its whole life, "
                            "or --from/--to")
    p.add_argument("--from", dest="date_from", type=_day, metavar="YYYY-MM-DD",
                   help="with --campaign: first day (default: the campaign's start)")
    p.add_argument("--to", dest="date_to", type=_day, metavar="YYYY-MM-DD",
                   help="with --campaign: last day (default: the campaign's end, or today while it runs)")
    p.add_argument("--out", help="output folder (default: report.out_dir from the config); files go in "
                                 "OUT/YYYY-Www/ or OUT/campana-ID/")
    p.add_argument("--force", action="store_true", help="rebuild, and post to Slack again, even if done already")
    p.add_argument("--no-slack", action="store_true", help="build the files only; do not post to Slack")
    p.set_defaults(func=cmd_report)
