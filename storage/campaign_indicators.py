"""Campaign queries: what the posts carrying a campaign did in a period, in SQL, identical on SQLite and PostgreSQL.

A post belongs to a campaign when its analysis matched it: one `post_labels` row (kind "campaign", value = the
campaign id) per campaign, written with the analysis (`analyses.campaigns` holds the same ids as JSON, for
display). Every figure here is the report's own query restricted to those posts: `indicators.activity_select`
(the same day buckets, interaction counters and audience measures as the weekly report, so a campaign's
interactions are the report's interactions of the campaign's posts, never a second definition) joined to the
label rows. The join starts from `ix_post_labels_kind_value (kind, value, post_id)` when the campaigns'
label rows are fewer than the period's posts (a campaign's whole life: `label_driven`) and from the period's
`created_at` range otherwise (a week); each probe of the other side is a primary key or index lookup.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, distinct, false, func, select, true
from sqlalchemy.orm import Session

from domain import Campaign
from storage import indicators as q
from storage.campaigns import CampaignRepository, row_to_campaign
from storage.models import PostLabelRow, PostRow

CAMPAIGN_LABEL = "campaign"  # post_labels.kind of a campaign's posts


def stored_campaigns(session: Session) -> list[tuple[Campaign, bool]]:
    """Every campaign defined (config or web) with whether it is archived, oldest start first."""
    rows = sorted(CampaignRepository(session).rows(include_archived=True),
                  key=lambda r: (r.starts_on, r.name.casefold(), r.id))
    return [(row_to_campaign(r), bool(r.archived)) for r in rows]


def overlaps(campaign: Campaign, first_day: date, last_day: date) -> bool:
    """The campaign's dates (both ends included; no end = still running) share a day with [first, last]."""
    return campaign.starts_on <= last_day and (campaign.ends_on is None or campaign.ends_on >= first_day)


def _labelled(ids: Sequence[str]) -> Any:
    return and_(PostLabelRow.post_id == PostRow.id, PostLabelRow.kind == CAMPAIGN_LABEL,
                PostLabelRow.value.in_(list(ids)))


def label_driven(session: Session, ids: Sequence[str], start: datetime, end: datetime) -> bool:
    """Whether the campaigns' label rows are fewer than the period's posts, so the queries below should start
    from the labels (`ix_post_labels_kind_value`) rather than from the period's `created_at` range.

    Only SQLite needs telling (two index-only counts, the period's stopped at one more than the labels: a year
    of posts is not counted to learn that it outnumbers a campaign); PostgreSQL chooses with its statistics.
    """
    if not ids or session.get_bind().dialect.name != "sqlite":
        return False
    labels = session.scalar(select(func.count()).select_from(PostLabelRow).where(
        PostLabelRow.kind == CAMPAIGN_LABEL, PostLabelRow.value.in_(list(ids)))) or 0
    period = select(PostRow.id).where(PostRow.created_at >= start, PostRow.created_at < end).limit(labels + 1)
    posts = session.scalar(select(func.count()).select_from(period.subquery())) or 0
    return labels < posts


def _period(start: datetime, end: datetime, by_labels: bool) -> tuple[Any, ...]:
    column = q.unindexed(PostRow.created_at) if by_labels else PostRow.created_at
    return column >= start, column < end


def campaign_activity(session: Session, days: Sequence[tuple[datetime, datetime]], ids: Sequence[str], *,
                      by_labels: bool | None = None) -> dict[str, list[q.ActivityRow]]:
    """Per campaign id, the report's activity rows (`indicators.ActivityRow`: per local day, platform, account,
    side, kind, sentiment and category: posts, interaction counters, audience measures) of its posts.
    `by_labels`: see `label_driven` (computed when not given)."""
    if not ids or not days:
        return {}
    if by_labels is None:
        by_labels = label_driven(session, ids, days[0][0], days[-1][1])
    stmt = (q.activity_select(days, range_index=not by_labels)
            .add_columns(PostLabelRow.value.label("campaign"))
            .join(PostLabelRow, _labelled(ids))
            .group_by(PostLabelRow.value))
    out: dict[str, list[q.ActivityRow]] = {}
    for row in session.execute(stmt):
        out.setdefault(row.campaign, []).append(q.activity_row(row._mapping))
    return out


def campaign_citizens(session: Session, start: datetime, end: datetime, ids: Sequence[str], *,
                      by_labels: bool | None = None) -> dict[str, int]:
    """Per campaign id, distinct citizen authors of its posts in [start, end) (summed over platforms: author ids
    are per platform)."""
    if not ids:
        return {}
    if by_labels is None:
        by_labels = label_driven(session, ids, start, end)
    stmt = (
        select(PostLabelRow.value, PostRow.platform, func.count(distinct(PostRow.author_id)))
        .select_from(PostRow)
        .join(PostLabelRow, _labelled(ids))
        .where(*_period(start, end, by_labels), PostRow.is_own == false())
        .group_by(PostLabelRow.value, PostRow.platform)
    )
    out: dict[str, int] = {}
    for campaign, _platform, n in session.execute(stmt):
        out[campaign] = out.get(campaign, 0) + int(n)
    return out


def top_campaign_posts(session: Session, campaign_id: str, start: datetime, end: datetime, *, own: bool,
                       limit: int = 5, by_labels: bool | None = None) -> list[q.NotablePost]:
    """The campaign's posts of [start, end) with the most interactions (the platform's counters): the ministry's
    own posts (kind `own_post`) or the citizens' posts; ties: the earliest first."""
    if by_labels is None:
        by_labels = label_driven(session, [campaign_id], start, end)
    eng = q.engagement().label("eng")
    side = [PostRow.is_own == true(), PostRow.kind == "own_post"] if own else [PostRow.is_own == false()]
    stmt = (
        select(PostRow.platform, PostRow.account, PostRow.external_id, PostRow.author_handle, PostRow.text,
               PostRow.url, PostRow.created_at, eng, PostRow.impressions, PostRow.views, PostRow.reach)
        .join(PostLabelRow, _labelled([campaign_id]))
        .where(*_period(start, end, by_labels), *side)
        .order_by(eng.desc(), PostRow.created_at, PostRow.id)
        .limit(limit)
    )
    return [q.NotablePost(*row[:7], int(row[7]), *row[8:]) for row in session.execute(stmt)]


def campaign_span(session: Session, campaign_id: str) -> tuple[datetime | None, datetime | None]:
    """First and last stored post carrying the campaign (for honest "no posts" messages)."""
    stmt = (select(func.min(PostRow.created_at), func.max(PostRow.created_at))
            .select_from(PostRow).join(PostLabelRow, _labelled([campaign_id])))
    first, last = session.execute(stmt).one()
    return first, last


def _key(text: str) -> str:
    """What a person may type for a campaign: case, accents, "#" and spaces do not matter."""
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))
    return "".join(plain.casefold().lstrip("#").split())


def find_campaign(session: Session, name: str) -> tuple[Campaign, bool] | None:
    """(campaign, archived) by id, by name or by one of its hashtags (when only one campaign has it), ignoring
    case, accents, "#" and spaces; archived campaigns too (their posts keep their label)."""
    wanted = _key(name)
    if not wanted:
        return None
    stored = stored_campaigns(session)
    for campaign, archived in stored:
        if wanted in (_key(campaign.id), _key(campaign.name)):
            return campaign, archived
    tagged = [(c, archived) for c, archived in stored if wanted in {_key(h) for h in c.hashtags}]
    return tagged[0] if len(tagged) == 1 else None
