"""The watched accounts' Graph API ids, shared by the Facebook and Instagram connectors.

Each account's id (Facebook Page id, Instagram user id) is configured, given as the account name itself when
numeric, or looked up once per process. The lookup asks for the follower counts too, so its body is kept for
the day's follower snapshot: that day it costs no second request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

from connectors.base import snapshot_day

# account -> (its id, the lookup's node body with the follower counts)
Lookup = Callable[[str], tuple[str, Any]]


class NodeCache:
    """Account -> Graph id, looked up at most once; the lookup's node body serves that Bogotá day's snapshot."""

    def __init__(self, configured: Mapping[str, str], lookup: Lookup, clock: Callable[[], datetime]):
        self._configured = configured
        self._lookup = lookup
        self._clock = clock
        self._ids: dict[str, str] = {}
        self._nodes: dict[str, tuple[date, Any]] = {}  # account -> (Bogotá day, lookup body with followers)

    def id(self, account: str) -> str:
        """The configured id, the account name when it is one, or the lookup's answer (asked once)."""
        if account not in self._ids:
            known = self._configured.get(account)
            if known is None and account.isdigit():
                known = account
            if known is None:
                known, body = self._lookup(account)
                self._nodes[account] = (snapshot_day(self._clock()), body)
            self._ids[account] = known
        return self._ids[account]

    def node(self, account: str, fetch: Callable[[str], Any]) -> Any:
        """The account's node with its follower counts: the lookup's body if it was taken today (used once),
        else `fetch(id)`."""
        day, body = self._nodes.pop(account, (None, None))
        if body is not None and day == snapshot_day(self._clock()):
            return body
        return fetch(self.id(account))
