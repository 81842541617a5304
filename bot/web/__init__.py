"""The community managers' review inbox (`main.py serve`): FastAPI, server-rendered pages, a little htmx."""

from bot.web.app import create_app

__all__ = ["create_app"]
