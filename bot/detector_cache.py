"""Spike detectors kept in memory between evaluations, each tagged with the stored revision it matches.

Reading and writing every key's detector state (about 30 KB of JSON each) at every step cost most of a
replay's time. The long-running process keeps the detectors it saved itself; a key is read from the database
again only when its stored revision is not the one in memory (another process such as `poll --once` saved it,
or this process has just started). The database stays the truth: state, incidents and alerts are still
committed together, and a copy is trusted only once that commit succeeded.

One instance per process, held by `Services`; the bus handles one message at a time, so no lock is needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from analyzers.spikes.detector import SpikeDetector


@dataclass
class CachedDetector:
    detector: SpikeDetector
    episode: datetime | None  # when the key's current alert episode began (None: no episode open)
    revision: int  # the stored revision this detector is exactly equal to


class DetectorCache:
    def __init__(self) -> None:
        self._items: dict[str, CachedDetector] = {}
        self.loads = 0  # detectors rebuilt from stored state (for tests and measurements)

    def get(self, key: str, revision: int) -> CachedDetector | None:
        """The detector in memory if it is the stored revision `revision`, else None (read it again)."""
        item = self._items.get(key)
        return item if item is not None and item.revision == revision else None

    def put(self, key: str, item: CachedDetector) -> None:
        self._items[key] = item

    def loaded(self, key: str, item: CachedDetector) -> None:
        """`put` for a detector just rebuilt from its stored state (counted in `loads`)."""
        self._items[key] = item
        self.loads += 1

    def forget(self, keys: Iterable[str] | None = None) -> None:
        """Drop detectors whose memory may be ahead of the database (a step that did not commit)."""
        if keys is None:
            self._items.clear()
            return
        for key in keys:
            self._items.pop(key, None)
