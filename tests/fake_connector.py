"""Fakes for the boundaries only: a connector serving posts from memory in pages, like a platform API."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from connectors.base import Batch, ConnectorError, Rejected
from domain import Post


class ListConnector:
    """Serves `posts` oldest first after the cursor (the index of the last post served), `page` at a time."""

    name = "fake"

    def __init__(self, posts: Sequence[Post], *, stream: str = "fake:x:Ministerio_TIC", page: int = 10,
                 fail_after_pages: int | None = None, rejected: Sequence[object] = ()):
        self.posts = list(posts)
        self.stream = stream
        self.page = page
        self.fail_after_pages = fail_after_pages
        self.rejected = list(rejected)
        self.requests = 0

    def streams(self) -> list[str]:
        return [self.stream]

    def poll(self, stream: str, cursor: str | None) -> Iterator[Batch]:
        start = int(cursor) if cursor else 0
        pages = 0
        first = True
        while True:
            self.requests += 1
            chunk = self.posts[start : start + self.page]
            if not chunk and not first:
                return
            if self.fail_after_pages is not None and pages >= self.fail_after_pages:
                raise ConnectorError("HTTP 503 from the fake platform", stream=stream, retry_after=30)
            rejected = tuple(Rejected(stream, "malformed payload", p) for p in self.rejected) if first else ()
            first = False
            if not chunk:
                if rejected:
                    yield Batch(stream, (), cursor, rejected)
                return
            start += len(chunk)
            pages += 1
            yield Batch(stream, tuple(chunk), str(start), rejected)
