"""Vigía's command line: `python main.py COMMAND` (see README and PRODUCT.md for the contract)."""

from __future__ import annotations

import argparse
import sys

from bot.config import ConfigError


def build_parser() -> argparse.ArgumentParser:
    from bot.commands import analysis, backtest, core, report, web

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
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `classify … | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
