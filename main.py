"""Vigía's command line: `python main.py COMMAND` (see README and PRODUCT.md for the contract)."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from bot.config import ConfigError, database_url, masked_url


def build_parser() -> argparse.ArgumentParser:
    from bot.commands import analysis, authors, backtest, core, report, retention, status, web

    parser = argparse.ArgumentParser(
        prog="main.py", description="Vigía: social media monitoring for MinTIC's communications office."
    )
    parser.add_argument("--config", help="configuration file (default: config.yaml, or $VIGIA_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    core.register(sub)
    analysis.register(sub)
    backtest.register(sub)
    report.register(sub)
    web.register(sub)
    authors.register(sub)
    status.register(sub)
    retention.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except (DBAPIError, ArgumentError, NoSuchModuleError) as exc:
        print(f"database error: {database_problem(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `classify … | head`
        return 0


def database_problem(exc: Exception) -> str:
    """One line: which database (password masked) and why it cannot be used."""
    cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    reason = cause[0] if cause else type(exc).__name__
    return (f"cannot use {masked_url(database_url())}: {reason} "
            "(check VIGIA_DATABASE_URL and that the server is running)")


if __name__ == "__main__":
    sys.exit(main())
