"""A requests session for tweepy's `Client` that sends its calls to a configurable base URL.

tweepy 4.x hard-codes `https://api.twitter.com` but lets the session be replaced; this session rewrites the
host (so `x.api_base_url` can point at a mirror or at the local fake API in tests) and adds the timeout that
tweepy never passes (without one a stalled connection would block the poll forever).
"""

from __future__ import annotations

from typing import Any

import requests

TWEEPY_HOSTS = ("https://api.twitter.com", "https://api.x.com")


class BaseUrlSession(requests.Session):
    def __init__(self, base_url: str, timeout: float):
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        text = url.decode() if isinstance(url, bytes) else url
        for host in TWEEPY_HOSTS:
            if text.startswith(host + "/"):
                text = self.base_url + text[len(host):]
                break
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, text, *args, **kwargs)
