"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse

from bot.config import Config, Secrets, load_config
from bot.logging_setup import configure_logging


def load(args: argparse.Namespace) -> Config:
    return load_config(getattr(args, "config", None))


def setup_logging(config: Config, level: str | None = None) -> None:
    secrets = Secrets.from_env()
    values = [s.get_secret_value() for s in secrets.model_dump().values() if s is not None]
    configure_logging(level or config.logging.level, config.logging.format, values)
