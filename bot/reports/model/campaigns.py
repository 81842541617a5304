"""Campaigns in the report: per campaign, what its posts did in a period (the report's week, or the campaign's
whole life for `report --campaign`), and the plan's campaign counts.

A campaign's figures are the report's own figures restricted to the posts that carry the campaign
(storage/campaign_indicators.py): interactions are the report's interactions, audience measures are each
platform's own measure (never added across platforms or measures), tone and PQRSD are the citizens' posts'.

The plan (Plan Estratégico de Comunicaciones) counts campaigns three ways; Vigía defines them on the period:
- diseñadas ("Número de Campañas Diseñadas"): campaigns defined in Vigía whose dates overlap the period;
- implementadas ("Campañas de Divulgación Implementadas"): campaigns with at least one own post of the
  ministry (kind `own_post`) carrying them, published in the period;
- digitales a grupos de interés ("Campañas Digitales a Grupos de Interés"): implemented campaigns whose
  posts drew at least one citizen post carrying the campaign in the period (the campaign reached people on
  a social platform and they answered or spread it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from analyzers.indicators import ratio
from bot.reports.model.figures import ActivityTotals, Audience, own_post_audience
from bot.reports.model.periods import Period
from domain import Campaign
from domain.legal_terms import TERM_CATEGORIES
from storage import audience_indicators as aq
from storage import campaign_indicators as ci
from storage import indicators as q

TOP_CAMPAIGN_POSTS = 5  # own posts and citizen posts listed per campaign (and in the CSV)


@dataclass(frozen=True)
class DayActivity:
    day: date
    own_posts: int
    interactions: int  # of the ministry's posts and replies carrying the campaign, published that day
    mentions: int  # citizen posts carrying the campaign


@dataclass(frozen=True)
class CampaignFigures(ActivityTotals):
    """One campaign in one period: its own posts, interactions, audience, citizens, tone, PQRSD, best posts."""

    campaign: Campaign
    period: Period
    activity: list[q.ActivityRow]
    citizens: int = 0  # distinct citizen authors of posts carrying the campaign
    top_own: list[q.NotablePost] = field(default_factory=list)
    top_citizen: list[q.NotablePost] = field(default_factory=list)
    # each ministry account's latest follower count on or before the period's last day
    followers: Mapping[tuple[str, str], aq.FollowerSnapshot] = field(default_factory=dict)
    archived: bool = False

    @property
    def in_period(self) -> bool:
        """The campaign's dates overlap the period (it counts as designed for it)."""
        return ci.overlaps(self.campaign, self.period.days[0], self.period.days[-1])

    @property
    def interactions_per_post(self) -> float | None:
        return ratio(self.own_post_interactions, self.own_posts)

    def own_posts_by_platform(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for r in self.own:
            if r.kind == "own_post":
                out[r.platform] += r.posts
        return out

    def audience(self) -> dict[tuple[str, str], Audience]:
        """Per (platform, measure) the platform reported for the campaign's own posts; never summed across."""
        return own_post_audience(self.activity)

    def posting_accounts(self) -> dict[tuple[str, str], int]:
        """(platform, account) → interactions of the campaign's own posts (kind `own_post`) published there."""
        out: Counter[tuple[str, str]] = Counter()
        for r in self.own:
            if r.kind == "own_post":
                out[(r.platform, r.account)] += r.interactions
        return dict(out)

    @property
    def followers_of_posting_accounts(self) -> int | None:
        """Followers (latest count on or before the period's last day) of the accounts that published the
        campaign's own posts, summed over those that have a count; None when none has."""
        counts = [self.followers[k].followers for k in self.posting_accounts() if k in self.followers]
        return sum(counts) if counts else None

    @property
    def engagement_per_follower(self) -> float | None:
        """Interactions of the campaign's own posts ÷ followers of the accounts that published them (only the
        accounts with a follower count), as the report's "tasa de interacción por seguidor"."""
        rows = [(n, self.followers[k].followers) for k, n in self.posting_accounts().items() if k in self.followers]
        if not rows:
            return None
        return ratio(sum(n for n, _ in rows), sum(f for _, f in rows))

    @property
    def mentions(self) -> int:
        """Citizen posts carrying the campaign."""
        return sum(r.posts for r in self.citizen)

    def mentions_by_platform(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for r in self.citizen:
            out[r.platform] += r.posts
        return out

    def sentiments(self) -> Counter[str]:
        """Analysed citizen posts per sentiment."""
        out: Counter[str] = Counter()
        for r in self.citizen:
            if r.sentiment is not None:
                out[r.sentiment] += r.posts
        return out

    @property
    def analysed(self) -> int:
        return sum(self.sentiments().values())

    def sentiment_share(self, sentiment: str) -> float | None:
        return ratio(self.sentiments().get(sentiment, 0), self.analysed)

    def categories(self) -> Counter[str]:
        """Analysed citizen posts per PQRSD category."""
        out: Counter[str] = Counter()
        for r in self.citizen:
            if r.category is not None:
                out[r.category] += r.posts
        return out

    @property
    def questions(self) -> int:
        """Peticiones, quejas, reclamos, sugerencias and denuncias among the citizen posts (a legal term each)."""
        return sum(self.categories().get(c, 0) for c in TERM_CATEGORIES)

    def daily(self) -> list[DayActivity]:
        own_posts: Counter[int] = Counter()
        interactions: Counter[int] = Counter()
        mentions: Counter[int] = Counter()
        for r in self.activity:
            if r.is_own:
                interactions[r.day] += r.interactions
                if r.kind == "own_post":
                    own_posts[r.day] += r.posts
            else:
                mentions[r.day] += r.posts
        return [DayActivity(d, own_posts[i], interactions[i], mentions[i]) for i, d in enumerate(self.period.days)]

    @property
    def has_posts(self) -> bool:
        return bool(self.activity)

    @property
    def implemented(self) -> bool:
        return self.own_posts > 0

    @property
    def reached_people(self) -> bool:
        """Implemented, and citizens posted with the campaign (the plan's "campaña digital a grupos de interés")."""
        return self.implemented and self.mentions > 0


@dataclass(frozen=True)
class CampaignSection:
    """The report's "Campañas": every campaign that ran in the period or whose posts appeared in it."""

    period: Period
    defined: int  # campaigns defined in Vigía at all (archived included)
    campaigns: list[CampaignFigures]

    @property
    def configured(self) -> bool:
        return self.defined > 0

    @property
    def designed(self) -> int:
        return sum(1 for c in self.campaigns if c.in_period)

    @property
    def implemented(self) -> int:
        return sum(1 for c in self.campaigns if c.implemented)

    @property
    def reached_people(self) -> int:
        return sum(1 for c in self.campaigns if c.reached_people)


def _followers_at(session: Session, day: date, as_of: datetime) -> dict[tuple[str, str], aq.FollowerSnapshot]:
    """Each ministry account's latest follower count on or before `day` (taken before `as_of`)."""
    return {(s.platform, s.account): s for s in aq.follower_snapshots(session, day, day, as_of)}


def campaign_figures(session: Session, campaigns: Sequence[tuple[Campaign, bool]], period: Period,
                     as_of: datetime, *, top: int = TOP_CAMPAIGN_POSTS,
                     keep: str = "running_or_active") -> list[CampaignFigures]:
    """Figures of `campaigns` ((campaign, archived) pairs) in `period`, known at `as_of`.

    `keep="running_or_active"`: only the campaigns whose dates overlap the period (not archived) or whose
    posts appear in it; `keep="all"`: every campaign given (the one of `report --campaign`)."""
    ids = [c.id for c, _ in campaigns]
    start, end = period.utc_start, period.utc_end
    by_labels = ci.label_driven(session, ids, start, end)  # a long period: start from the campaigns' labels
    activity = ci.campaign_activity(session, period.day_ranges(), ids, by_labels=by_labels)
    first, last = period.days[0], period.days[-1]
    shown = [(c, archived) for c, archived in campaigns
             if keep == "all" or c.id in activity or (not archived and ci.overlaps(c, first, last))]
    if not shown:
        return []
    citizens = ci.campaign_citizens(session, start, end, [c.id for c, _ in shown], by_labels=by_labels)
    followers = _followers_at(session, last, as_of)
    out = []
    for campaign, archived in shown:
        rows = activity.get(campaign.id, [])
        out.append(CampaignFigures(
            campaign=campaign, period=period, activity=rows, citizens=citizens.get(campaign.id, 0),
            top_own=ci.top_campaign_posts(session, campaign.id, start, end, own=True, limit=top,
                                          by_labels=by_labels) if rows else [],
            top_citizen=ci.top_campaign_posts(session, campaign.id, start, end, own=False, limit=top,
                                              by_labels=by_labels) if rows else [],
            followers=followers, archived=archived))
    return out


def campaign_section(session: Session, period: Period, as_of: datetime) -> CampaignSection:
    """The weekly report's campaigns: those running in the week (not archived) and any whose posts appear in it,
    the most active first."""
    defined = ci.stored_campaigns(session)
    figures = campaign_figures(session, defined, period, as_of)
    # the most active first (interactions, then citizen mentions), then the quiet ones by start date
    ranked = sorted(figures, key=lambda f: (-f.interactions, -f.mentions, not f.has_posts))
    return CampaignSection(period, len(defined), ranked)


def campaign_life(campaign: Campaign, today: date, first: date | None = None,
                  last: date | None = None) -> tuple[date, date]:
    """The days `report --campaign` covers: the campaign's whole life (its start to its end, or to today while it
    runs), narrowed by `first`/`last` when given."""
    start = first or campaign.starts_on
    end = last or (min(campaign.ends_on, today) if campaign.ends_on else today)
    if end < start and last is None and first is None:
        end = start  # a campaign that starts in the future: its first day, empty
    return start, end


@dataclass(frozen=True)
class CampaignReport:
    """`report --campaign`: one campaign over its whole life (or the days asked)."""

    figures: CampaignFigures
    as_of: datetime
    narrowed: bool  # --from/--to given
    stored_first: datetime | None  # first and last stored post carrying the campaign, any date
    stored_last: datetime | None

    @property
    def period(self) -> Period:
        return self.figures.period

    @property
    def has_data(self) -> bool:
        return self.figures.has_posts

    @property
    def as_of_local(self) -> datetime:
        return self.as_of.astimezone(self.period.tz)


def build_campaign_report(session: Session, campaign: Campaign, archived: bool, period: Period, as_of: datetime,
                          *, narrowed: bool = False) -> CampaignReport:
    figures = campaign_figures(session, [(campaign, archived)], period, as_of, keep="all")[0]
    first, last = ci.campaign_span(session, campaign.id)
    return CampaignReport(figures, as_of, narrowed, first, last)


def weeks_of(days: Sequence[DayActivity]) -> list[tuple[date, date, int, int, int]]:
    """Day-by-day activity summed per ISO week (Monday to Sunday, cut at the period's ends): first day, last day,
    own posts, interactions, mentions. For long periods, whose daily table would not fit a page."""
    out: list[tuple[date, date, int, int, int]] = []
    for d in days:
        monday = d.day - timedelta(days=d.day.weekday())
        if out and out[-1][0] - timedelta(days=out[-1][0].weekday()) == monday:
            first, _, p, i, m = out[-1]
            out[-1] = (first, d.day, p + d.own_posts, i + d.interactions, m + d.mentions)
        else:
            out.append((d.day, d.day, d.own_posts, d.interactions, d.mentions))
    return out
