"""What drove a spike: the facts an alert carries so the digital team can act without opening a dashboard.

For the posts of one detector key in a time window: the sentiment mix, the most frequent terms and
hashtags, the most-engaged posts with their links, and who is talking: the authors with most followers
(their segment and profile link) and the share of distinct authors in high-priority segments (press and
official voices). Authors without a stored profile are counted apart ("sin perfil"), never as citizens.
And where it comes from: the spike's placed posts per Colombian department (analyses.place_dpto), so an alert
can say when one department holds most of them.
"""

from __future__ import annotations

import heapq
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import Session

from analyzers.places import load_gazetteer
from analyzers.segments import Segmenter
from storage.models import AnalysisRow, AuthorRow, PostLabelRow, PostRow

_WORD = re.compile(r"[#@]?\w[\w'-]*", re.UNICODE)
_URL = re.compile(r"https?://\S+")
# Spanish function words and social-media filler that say nothing about what happened.
STOPWORDS = frozenset("""
a al algo algun alguna algunas alguno algunos ante antes asi aun aunque bien cada como con contra cual cuando
de del desde donde dos el ella ellas ellos en entre era eran es esa esas ese eso esos esta estaba estan estar
este esto estos estoy fue fueron ha han hace hacen hacer hasta hay la las le les lo los mas me mi mis mucho
muy nada ni no nos nosotros o otra otro para pero poco por porque que quien se sea ser si sin sobre solo son
su sus tambien tan tanto te tengo tiene tienen todo todos tu tus un una uno unos usted ustedes va vamos van
y ya yo q k pq xq x d pa pues eh ah oe uy jaja jajaja favor buenas buenos dias tardes gracias hola mintic
ministerio tic
""".split())  # noqa: SIM905 - a word list reads best as text


def _fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word.lower()) if unicodedata.category(c) != "Mn")


@dataclass(frozen=True)
class SpikeContext:
    posts: int
    sentiment: dict[str, int] = field(default_factory=dict)
    top_terms: list[str] = field(default_factory=list)
    top_hashtags: list[str] = field(default_factory=list)
    top_posts: list[dict[str, Any]] = field(default_factory=list)
    # the authors with most followers: handle, platform, segment, segment_label, followers, url, posts
    top_authors: list[dict[str, Any]] = field(default_factory=list)
    # distinct authors: {"authors": all, "high_priority": in priority-3 segments, "no_profile": not stored yet}
    voices: dict[str, int] = field(default_factory=dict)
    # where the posts come from: {"posts": all, "placed": with a department, "departments": how many,
    # "top": [{"code", "name", "posts"}, …] the departments with most placed posts}; see spike_places
    places: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"posts": self.posts, "sentiment": self.sentiment, "top_terms": self.top_terms,
                "top_hashtags": self.top_hashtags, "top_posts": self.top_posts, "top_authors": self.top_authors,
                "voices": self.voices, "places": self.places}


def engagement_expr() -> Any:
    """Interactions a post received, whatever the platform calls them (SQL expression)."""
    cols = (PostRow.likes, PostRow.reposts, PostRow.replies, PostRow.quotes, PostRow.reactions,
            PostRow.comments, PostRow.shares)
    total: Any = func.coalesce(cols[0], 0)
    for col in cols[1:]:
        total = total + func.coalesce(col, 0)
    return total


def filter_by_key(stmt: Select[Any], key: str) -> Select[Any]:
    """Restrict a select over posts joined with their analyses to the posts a detector key counts."""
    kind, _, rest = key.partition(":")
    if kind == "sentiment":
        return stmt.where(AnalysisRow.sentiment == rest)
    if kind == "category":
        return stmt.where(AnalysisRow.category == rest)
    if kind in ("topic", "flag"):
        label = select(PostLabelRow.post_id).where(PostLabelRow.kind == kind, PostLabelRow.value == rest)
        return stmt.where(PostRow.id.in_(label))
    if kind == "account":
        platform, _, handle = rest.partition(":")
        return stmt.where(PostRow.platform == platform, PostRow.account == handle)
    return stmt


def key_post_ids(session: Session, key: str, start: datetime, end: datetime) -> set[int]:
    """Ids of the citizen posts of `key` created in [start, end)."""
    stmt = (select(PostRow.id).join(AnalysisRow, AnalysisRow.post_id == PostRow.id)
            .where(PostRow.is_own.is_(False), PostRow.created_at >= start, PostRow.created_at < end))
    return set(session.scalars(filter_by_key(stmt, key)))


def spike_voices(session: Session, key: str, start: datetime, end: datetime, segments: Segmenter, *,
                 top: int = 3) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Who wrote the citizen posts of `key` in [start, end): the `top` authors by followers and the counts of
    distinct authors, of those in high-priority segments, and of those without a stored profile.

    Posts join authors on (platform, author_id). Ties are broken by platform and author id, so the same data
    always gives the same list.
    """
    per_author = (
        select(PostRow.platform.label("platform"), PostRow.author_id.label("author_id"),
               func.max(PostRow.author_handle).label("post_handle"), func.count(PostRow.id).label("posts"))
        .join(AnalysisRow, AnalysisRow.post_id == PostRow.id)
        .where(PostRow.is_own.is_(False), PostRow.created_at >= start, PostRow.created_at < end)
    )
    per_author = filter_by_key(per_author, key).group_by(PostRow.platform, PostRow.author_id)
    spoke = per_author.subquery()
    stmt = (
        select(spoke.c.platform, spoke.c.author_id, spoke.c.post_handle, spoke.c.posts, AuthorRow.handle,
               AuthorRow.segment, AuthorRow.followers, AuthorRow.profile_url)
        .outerjoin(AuthorRow, and_(AuthorRow.platform == spoke.c.platform, AuthorRow.author_id == spoke.c.author_id))
    )
    high = segments.high_priority
    authors = in_high = no_profile = 0
    ranked = []
    for row in session.execute(stmt):
        authors += 1
        if row.segment is None:
            no_profile += 1
        elif row.segment in high:
            in_high += 1
        if row.followers is not None:
            ranked.append((-int(row.followers), str(row.platform), str(row.author_id), row))
    voices = {"authors": authors, "high_priority": in_high, "no_profile": no_profile}
    top_rows = [item[3] for item in heapq.nsmallest(top, ranked, key=lambda item: item[:3])]
    return [{"handle": r.handle or r.post_handle, "platform": r.platform, "segment": r.segment,
             "segment_label": segments.label(r.segment), "followers": int(r.followers), "url": r.profile_url,
             "posts": int(r.posts)} for r in top_rows], voices


def spike_places(session: Session, key: str, start: datetime, end: datetime, *, top: int = 3) -> dict[str, Any]:
    """Where the citizen posts of `key` in [start, end) come from: how many there are, how many are placed in a
    department, in how many departments, and the `top` departments by placed posts (ties: DANE code), named
    as people write them so a stored alert re-renders the same."""
    stmt = (select(AnalysisRow.place_dpto, func.count(PostRow.id))
            .join(AnalysisRow, AnalysisRow.post_id == PostRow.id)
            .where(PostRow.is_own.is_(False), PostRow.created_at >= start, PostRow.created_at < end)
            .group_by(AnalysisRow.place_dpto))
    total, per = 0, {}
    for dpto, n in session.execute(filter_by_key(stmt, key)):
        total += int(n)
        if dpto is not None:
            per[str(dpto)] = int(n)
    departments = load_gazetteer().departments
    ranked = sorted(per.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    return {"posts": total, "placed": sum(per.values()), "departments": len(per),
            "top": [{"code": code, "name": departments[code].display_name if code in departments else code,
                     "posts": n} for code, n in ranked]}


def spike_context(session: Session, key: str, start: datetime, end: datetime, *, limit: int = 2000,
                  top: int = 3, segments: Segmenter | None = None) -> SpikeContext:
    """Summarise the citizen posts of `key` created in [start, end); with `segments`, also who is talking."""
    engagement = engagement_expr().label("engagement")
    stmt = (
        select(PostRow.text, PostRow.url, PostRow.author_handle, PostRow.platform, AnalysisRow.sentiment,
               engagement)
        .join(AnalysisRow, AnalysisRow.post_id == PostRow.id)
        .where(PostRow.is_own.is_(False), PostRow.created_at >= start, PostRow.created_at < end)
        .order_by(engagement.desc(), PostRow.created_at.desc())
        .limit(limit)
    )
    rows = session.execute(filter_by_key(stmt, key)).all()
    sentiment: Counter[str] = Counter()
    terms: Counter[str] = Counter()
    hashtags: Counter[str] = Counter()
    for text, _url, _author, _platform, label, _eng in rows:
        sentiment[label] += 1
        seen: set[str] = set()
        for token in _WORD.findall(_URL.sub(" ", text)):
            if token.startswith("@"):
                continue
            if token.startswith("#"):
                hashtags["#" + token[1:]] += 1
                continue
            folded = _fold(token)
            if len(folded) < 3 or folded in STOPWORDS or folded.isdigit() or folded in seen:
                continue
            seen.add(folded)
            terms[folded] += 1
    top_posts = [
        {"text": text[:280], "url": url, "author": author, "platform": platform, "engagement": int(eng or 0)}
        for text, url, author, platform, _label, eng in rows[:top]
    ]
    top_authors, voices = spike_voices(session, key, start, end, segments, top=top) if segments else ([], {})
    return SpikeContext(
        posts=len(rows),
        sentiment=dict(sentiment.most_common()),
        top_terms=[t for t, _ in terms.most_common(8)],
        top_hashtags=[h for h, _ in hashtags.most_common(5)],
        top_posts=top_posts,
        top_authors=top_authors,
        voices=voices,
        places=spike_places(session, key, start, end),
    )
