"""Delivery lanes (one ordered queue per sink and channel, with its back-off and lease) and Slack channel IDs.

Every time here is wall-clock UTC: a Slack outage is measured in real seconds, whatever clock the replay uses.
Repositories never commit; the unit of work does.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from storage.models import AlertRow, DeliveryLaneRow, SlackChannelRow
from storage.repositories import dialect_insert

BACKLOG_KIND = "backlog"  # the summary line that goes before a long backlog ("N alertas retrasadas …")


class DeliveryLaneRepository:
    def __init__(self, session: Session):
        self.session = session

    def pending(self) -> list[tuple[str, str]]:
        """(sink, channel) of every lane with undelivered alerts."""
        stmt = select(AlertRow.sink, AlertRow.channel).where(AlertRow.sent_at.is_(None)).distinct()
        return sorted((sink, channel) for sink, channel in self.session.execute(stmt))

    def queue(self, sink: str, channel: str, limit: int = 20) -> list[AlertRow]:
        """Undelivered alerts of a lane in delivery order: a backlog summary first, then oldest first."""
        stmt = (
            select(AlertRow)
            .where(AlertRow.sink == sink, AlertRow.channel == channel, AlertRow.sent_at.is_(None))
            .order_by((AlertRow.kind == BACKLOG_KIND).desc(), AlertRow.id)
            .limit(limit)
            .execution_options(populate_existing=True)
        )
        return list(self.session.scalars(stmt))

    def backlog(self, sink: str, channel: str) -> int:
        """How many alerts (not counting a backlog summary) wait in the lane."""
        stmt = select(func.count()).select_from(AlertRow).where(
            AlertRow.sink == sink, AlertRow.channel == channel, AlertRow.sent_at.is_(None),
            AlertRow.kind != BACKLOG_KIND)
        return int(self.session.scalar(stmt) or 0)

    def get(self, sink: str, channel: str) -> DeliveryLaneRow:
        """The lane's row, created healthy on first use."""
        self.session.execute(
            dialect_insert(self.session, DeliveryLaneRow)
            .values(sink=sink, channel=channel, failures=0)
            .on_conflict_do_nothing(index_elements=["sink", "channel"])
        )
        stmt = select(DeliveryLaneRow).where(DeliveryLaneRow.sink == sink, DeliveryLaneRow.channel == channel)
        row = self.session.scalar(stmt.execution_options(populate_existing=True))
        assert row is not None
        return row

    def claim(self, sink: str, channel: str, owner: str, now: datetime, until: datetime,
              dead_owner: str | None = None) -> bool:
        """Take (or renew) the lane's lease; False while another live process holds it.

        `dead_owner` is a holder known to have died (its process is gone): its lease is taken at once
        instead of waiting for it to expire.
        """
        free = [DeliveryLaneRow.lease_owner.is_(None), DeliveryLaneRow.lease_owner == owner,
                DeliveryLaneRow.lease_until < now]
        if dead_owner:
            free.append(DeliveryLaneRow.lease_owner == dead_owner)
        stmt = (
            update(DeliveryLaneRow)
            .where(DeliveryLaneRow.sink == sink, DeliveryLaneRow.channel == channel, or_(*free))
            .values(lease_owner=owner, lease_until=until)
            .returning(DeliveryLaneRow.sink)
        )
        return self.session.execute(stmt).first() is not None

    def release(self, sink: str, channel: str, owner: str) -> None:
        self.session.execute(
            update(DeliveryLaneRow)
            .where(DeliveryLaneRow.sink == sink, DeliveryLaneRow.channel == channel,
                   DeliveryLaneRow.lease_owner == owner)
            .values(lease_owner=None, lease_until=None)
        )

    def failed(self, sink: str, channel: str, error: str, now: datetime, retry_at: datetime) -> None:
        lane = self.get(sink, channel)
        lane.failures = (lane.failures or 0) + 1
        lane.down_since = lane.down_since or now
        lane.last_error = error[:2000]
        lane.retry_at = retry_at
        self.session.flush()

    def recovered(self, sink: str, channel: str) -> None:
        self.session.execute(
            update(DeliveryLaneRow)
            .where(DeliveryLaneRow.sink == sink, DeliveryLaneRow.channel == channel)
            .values(failures=0, retry_at=None, down_since=None, last_error=None)
        )

    def all(self) -> list[DeliveryLaneRow]:
        return list(self.session.scalars(select(DeliveryLaneRow).order_by(DeliveryLaneRow.sink,
                                                                         DeliveryLaneRow.channel)))


class SlackChannelRepository:
    """Configured channel names and the conversation IDs Slack gave for them."""

    def __init__(self, session: Session):
        self.session = session

    def get(self, name: str) -> str | None:
        row = self.session.get(SlackChannelRow, name)
        return row.channel_id if row is not None else None

    def put(self, name: str, channel_id: str, now: datetime) -> None:
        stmt = dialect_insert(self.session, SlackChannelRow).values(name=name, channel_id=channel_id,
                                                                    resolved_at=now)
        self.session.execute(stmt.on_conflict_do_update(
            index_elements=["name"], set_={"channel_id": channel_id, "resolved_at": now}))

    def forget(self, name: str) -> None:
        self.session.execute(delete(SlackChannelRow).where(SlackChannelRow.name == name))
