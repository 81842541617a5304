"""Who spoke and who listens: citizen posts per audience segment, the most followed authors, and the followers
of the ministry's own accounts (growth and interactions per follower).

Segment ids and their Spanish labels come from config (`segments:`) and are handed in as (id, label) pairs;
posts whose author has no profile yet are "Sin perfil", never a segment. Author profiles and segments are
the current ones (they are not versioned), follower counts of the ministry's accounts the daily snapshots.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from analyzers.indicators import ratio
from analyzers.segments import NO_PROFILE_LABEL
from bot.reports.model.figures import PeriodFigures
from bot.reports.model.periods import Period
from domain import NO_PROFILE
from domain.legal_terms import TERM_CATEGORIES
from storage import audience_indicators as aq

TOP_AUTHORS = 25  # rows of "Autores más influyentes" (and its CSV)
TOP_AUTHORS_PER_SEGMENT = 5


@dataclass(frozen=True)
class SegmentFigures:
    """Citizen posts of one audience segment in a period."""

    segment: str
    label: str
    authors: int = 0
    posts: int = 0
    sentiments: Counter[str] = field(default_factory=Counter)  # analysed posts per sentiment
    categories: Counter[str] = field(default_factory=Counter)  # analysed posts per PQRSD category
    by_platform: Counter[str] = field(default_factory=Counter)  # posts per platform

    @property
    def analysed(self) -> int:
        return sum(self.sentiments.values())

    def sentiment_share(self, sentiment: str) -> float | None:
        return ratio(self.sentiments.get(sentiment, 0), self.analysed)

    @property
    def questions(self) -> int:
        """Peticiones, quejas, reclamos, sugerencias and denuncias (the PQRSD with a legal term)."""
        return sum(self.categories.get(c, 0) for c in TERM_CATEGORIES)


def segment_order(configured: Sequence[tuple[str, str]], seen: Iterable[str]) -> list[tuple[str, str]]:
    """(id, label): the configured segments in their order, then ids found in the data but no longer
    configured (labelled by their id), then "Sin perfil"."""
    out = [(sid, label) for sid, label in configured if sid != NO_PROFILE]
    known = {sid for sid, _ in out}
    out += [(sid, sid) for sid in sorted(set(seen) - known - {NO_PROFILE})]
    return [*out, (NO_PROFILE, NO_PROFILE_LABEL)]


def segment_figures(figures: PeriodFigures, order: Sequence[tuple[str, str]]) -> list[SegmentFigures]:
    """One SegmentFigures per segment of `order` (zeros for a segment nobody of it wrote in)."""
    acc: dict[str, dict[str, Counter[str] | int]] = {}
    for row in figures.segments:
        a = acc.setdefault(row.segment, {"authors": 0, "posts": 0, "sentiments": Counter(),
                                         "categories": Counter(), "by_platform": Counter()})
        a["authors"] += row.authors  # type: ignore[operator]
        a["posts"] += row.posts  # type: ignore[operator]
        a["sentiments"].update(row.sentiments)  # type: ignore[union-attr]
        a["categories"].update(row.categories)  # type: ignore[union-attr]
        a["by_platform"][row.platform] += row.posts  # type: ignore[index]
    return [SegmentFigures(sid, label, **acc[sid]) if sid in acc else SegmentFigures(sid, label)  # type: ignore[arg-type]
            for sid, label in order]


# --- the ministry's followers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountFollowers:
    """One ministry account's followers at the end of the period and of the previous one, and its daily series.

    `end` is the latest snapshot on or before the period's last day (a stale one keeps its date, so the
    reader sees how old it is); growth is only computed when `end` is inside the period.
    """

    platform: str
    account: str
    period_first: date
    end: aq.FollowerSnapshot | None
    previous: aq.FollowerSnapshot | None  # latest on or before the previous period's last day
    before_previous: aq.FollowerSnapshot | None  # latest on or before the day before that period
    series: list[aq.FollowerSnapshot]
    interactions: int  # interactions of the account's own posts published in the period
    previous_interactions: int | None  # the same in the previous period (None: no data that period)

    @property
    def current(self) -> bool:
        """The end-of-period count was taken during the period."""
        return self.end is not None and self.end.day >= self.period_first

    @property
    def change(self) -> int | None:
        """Net followers gained during the period."""
        if not self.current or self.previous is None or self.end is None:
            return None
        return self.end.followers - self.previous.followers

    @property
    def change_pct(self) -> float | None:
        change = self.change
        return None if change is None or self.previous is None else ratio(100.0 * change, self.previous.followers)

    @property
    def previous_change(self) -> int | None:
        """Net followers gained during the previous period."""
        first = self.period_first - timedelta(days=7)
        if self.previous is None or self.before_previous is None or self.previous.day < first:
            return None
        return self.previous.followers - self.before_previous.followers

    @property
    def engagement_rate(self) -> float | None:
        """Interactions on the account's own posts of the period ÷ its followers at the period's end."""
        return ratio(self.interactions, self.end.followers) if self.end is not None else None

    @property
    def previous_engagement_rate(self) -> float | None:
        if self.previous is None or self.previous_interactions is None:
            return None
        return ratio(self.previous_interactions, self.previous.followers)


def _latest(rows: Sequence[aq.FollowerSnapshot], last_day: date) -> aq.FollowerSnapshot | None:
    found = [r for r in rows if r.day <= last_day]
    return found[-1] if found else None


def account_followers(snapshots: Sequence[aq.FollowerSnapshot], period: Period, current: PeriodFigures,
                      before: PeriodFigures, *, has_previous: bool) -> list[AccountFollowers]:
    """Per account with at least one snapshot (oldest first), its end-of-period figures."""
    per: dict[tuple[str, str], list[aq.FollowerSnapshot]] = {}
    for s in snapshots:
        per.setdefault((s.platform, s.account), []).append(s)
    first, last = period.days[0], period.days[-1]
    out = []
    for (platform, account), rows in sorted(per.items()):
        rows = sorted(rows, key=lambda s: s.day)
        out.append(AccountFollowers(
            platform=platform, account=account, period_first=first, end=_latest(rows, last),
            previous=_latest(rows, first - timedelta(days=1)),
            before_previous=_latest(rows, first - timedelta(days=8)),
            series=[s for s in rows if s.day <= last],
            interactions=current.own_post_interactions_of(platform, account),
            previous_interactions=before.own_post_interactions_of(platform, account) if has_previous else None,
        ))
    return out


def total_followers(accounts: Sequence[AccountFollowers], *, previous: bool = False) -> int | None:
    """Followers summed over the accounts (a person following two accounts counts twice); for the previous
    period only when every account counted now has a count then too (else the change would be a new account)."""
    counted = [a for a in accounts if a.end is not None]
    if not counted:
        return None
    if not previous:
        return sum(a.end.followers for a in counted)  # type: ignore[union-attr]
    if any(a.previous is None for a in counted):
        return None
    return sum(a.previous.followers for a in counted)  # type: ignore[union-attr]


def engagement_per_follower(accounts: Sequence[AccountFollowers], *, previous: bool = False) -> float | None:
    """Σ interactions on own posts ÷ Σ followers at the period's end, over the accounts with a follower count."""
    if previous:
        rows = [(a.previous_interactions, a.previous.followers) for a in accounts
                if a.previous is not None and a.previous_interactions is not None]
    else:
        rows = [(a.interactions, a.end.followers) for a in accounts if a.end is not None]
    if not rows:
        return None
    return ratio(sum(i for i, _ in rows), sum(f for _, f in rows))


def net_new_followers(accounts: Sequence[AccountFollowers], *, previous: bool = False) -> int | None:
    values = [a.previous_change if previous else a.change for a in accounts]
    known = [v for v in values if v is not None]
    return sum(known) if known and len(known) == len(values) else None
