"""Campaign definitions in the database and their audit trail.

Campaigns come from two places: `config.yaml` (source "config", copied into the table at start-up by
`sync_config`, so the file stays the one truth for them) and admins in the web app (source "admin", edited
with `save`/`archive`, every change written to `audit_events` with the old and new definition). The matcher
reads `active()`; `revision()` tells a running bot cheaply whether it must rebuild its matcher.

Never commits: the caller's unit of work does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from domain import Campaign
from storage.audit_log import AuditLog
from storage.models import AuditEventRow, CampaignRow

CONFIG_SOURCE = "config"
ADMIN_SOURCE = "admin"
CONFIG_USER = "config.yaml"  # `updated_by` / audit user of changes made by `sync_config`


def _now() -> datetime:
    return datetime.now(UTC)


def row_to_campaign(row: CampaignRow) -> Campaign:
    return Campaign(id=row.id, name=row.name, starts_on=row.starts_on, ends_on=row.ends_on,
                    hashtags=tuple(row.hashtags or ()), keywords=tuple(row.keywords or ()),
                    links=tuple(row.links or ()), description=row.description or "")


def campaign_dict(campaign: Campaign) -> dict[str, Any]:
    """A campaign as JSON-ready values (audit details, the web page's form)."""
    return {"id": campaign.id, "name": campaign.name, "description": campaign.description,
            "hashtags": list(campaign.hashtags), "keywords": list(campaign.keywords), "links": list(campaign.links),
            "starts_on": campaign.starts_on.isoformat(),
            "ends_on": campaign.ends_on.isoformat() if campaign.ends_on else None}


def _values(campaign: Campaign) -> dict[str, Any]:
    return {"name": campaign.name, "description": campaign.description or "", "hashtags": list(campaign.hashtags),
            "keywords": list(campaign.keywords), "links": list(campaign.links), "starts_on": campaign.starts_on,
            "ends_on": campaign.ends_on}


def _same(row: CampaignRow, campaign: Campaign) -> bool:
    return all(getattr(row, key) == value for key, value in _values(campaign).items()) and not row.archived


class CampaignRepository:
    def __init__(self, session: Session, clock: Callable[[], datetime] = _now):
        self.session = session
        self.clock = clock

    # -- reading -------------------------------------------------------------------------------------------
    def active(self) -> list[Campaign]:
        """Campaigns that match posts (not archived), by id."""
        rows = self.session.scalars(select(CampaignRow).where(CampaignRow.archived.is_(False))
                                    .order_by(CampaignRow.id))
        return [row_to_campaign(r) for r in rows]

    def rows(self, include_archived: bool = True) -> list[CampaignRow]:
        """Rows for lists: active first, then the most recent start first, then by id."""
        stmt = select(CampaignRow)
        if not include_archived:
            stmt = stmt.where(CampaignRow.archived.is_(False))
        stmt = stmt.order_by(CampaignRow.archived, CampaignRow.starts_on.desc(), CampaignRow.id)
        return list(self.session.scalars(stmt))

    def get(self, campaign_id: str) -> CampaignRow | None:
        return self.session.get(CampaignRow, campaign_id)

    def revision(self) -> str:
        """A fingerprint of the active definitions: it moves whenever what the matcher must match moves.

        Read once per analysis batch, so it is one small query over a table of a few dozen rows. It hashes the
        definitions rather than trusting `max(updated_at)`, because a replayed or pinned clock can write the same
        `updated_at` twice.
        """
        t = CampaignRow
        stmt = (select(t.id, t.name, t.hashtags, t.keywords, t.links, t.starts_on, t.ends_on)
                .where(t.archived.is_(False)).order_by(t.id))
        digest = hashlib.sha256()
        for row in self.session.execute(stmt):
            digest.update(json.dumps([str(v) if isinstance(v, date) else v for v in row],
                                     ensure_ascii=False, sort_keys=True).encode())
            digest.update(b"\n")
        return digest.hexdigest()[:16]

    def events(self, target_prefix: str = "campaign:", limit: int = 100) -> list[AuditEventRow]:
        """The audit trail of campaigns (or of any target prefix), newest first."""
        stmt = (select(AuditEventRow).where(AuditEventRow.target.startswith(target_prefix, autoescape=True))
                .order_by(AuditEventRow.created_at.desc(), AuditEventRow.id.desc()).limit(limit))
        return list(self.session.scalars(stmt))

    # -- writing -------------------------------------------------------------------------------------------
    def sync_config(self, campaigns: Sequence[Campaign]) -> bool:
        """Make the table agree with `config.yaml`: config campaigns created or updated (an admin campaign with
        the same id is taken over by the file), config campaigns no longer in the file archived (their posts
        keep their label). Returns whether anything changed. Audited as user "config.yaml"."""
        changed = False
        wanted = {c.id: c for c in campaigns}
        if self.session.get_bind().dialect.name == "postgresql":
            # Processes started together (hot standby) sync the same file: one at a time, until its commit, so
            # the next one reads what the first wrote instead of inserting the same ids again.
            self.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('vigia:campaigns:sync'))"))
        for campaign in campaigns:
            row = self.get(campaign.id)
            if row is not None and row.source == CONFIG_SOURCE and _same(row, campaign):
                continue
            self._write(campaign, row, CONFIG_SOURCE, CONFIG_USER, None)
            changed = True
        stale = self.session.scalars(select(CampaignRow).where(CampaignRow.source == CONFIG_SOURCE,
                                                                CampaignRow.archived.is_(False)))
        for row in list(stale):
            if row.id not in wanted:
                self._archive(row, CONFIG_USER, None)
                changed = True
        self.session.flush()
        return changed

    def save(self, campaign: Campaign, user: str, remote_addr: str | None) -> str:
        """Create or edit an admin campaign: "created", "updated" or "unchanged". Saving an archived campaign
        restores it. A campaign from `config.yaml` is refused (ValueError, in Spanish for the web page): the file
        would overwrite the edit at the next start."""
        row = self.get(campaign.id)
        if row is not None and row.source == CONFIG_SOURCE:
            raise ValueError(f"La campaña «{row.name}» ({row.id}) está definida en config.yaml: edítela en ese "
                             "archivo (sección campaigns:) y reinicie Vigía.")
        if row is not None and _same(row, campaign):
            return "unchanged"
        self._write(campaign, row, ADMIN_SOURCE, user, remote_addr)
        self.session.flush()
        return "created" if row is None else "updated"

    def archive(self, campaign_id: str, user: str, remote_addr: str | None) -> bool:
        """Stop matching new posts with this campaign (its posts keep their label); False if there is no such
        active campaign. A config campaign is refused like in `save`."""
        row = self.get(campaign_id)
        if row is None or row.archived:
            return False
        if row.source == CONFIG_SOURCE:
            raise ValueError(f"La campaña «{row.name}» ({row.id}) está definida en config.yaml: quítela de ese "
                             "archivo y reinicie Vigía para archivarla.")
        self._archive(row, user, remote_addr)
        self.session.flush()
        return True

    def _write(self, campaign: Campaign, row: CampaignRow | None, source: str, user: str,
               remote_addr: str | None) -> None:
        now = self.clock()
        if row is None:
            self.session.add(CampaignRow(id=campaign.id, source=source, archived=False, updated_at=now,
                                         updated_by=user, **_values(campaign)))
            self._audit("campaign_create", campaign.id, user, remote_addr, {"old": None,
                                                                            "new": campaign_dict(campaign)})
            return
        old = {**campaign_dict(row_to_campaign(row)), "source": row.source, "archived": row.archived}
        for key, value in _values(campaign).items():
            setattr(row, key, value)
        row.source, row.archived, row.updated_at, row.updated_by = source, False, now, user
        self._audit("campaign_update", campaign.id, user, remote_addr,
                    {"old": old, "new": {**campaign_dict(campaign), "source": source, "archived": False}})

    def _archive(self, row: CampaignRow, user: str, remote_addr: str | None) -> None:
        row.archived, row.updated_at, row.updated_by = True, self.clock(), user
        self._audit("campaign_archive", row.id, user, remote_addr,
                    {"old": {**campaign_dict(row_to_campaign(row)), "archived": False}, "new": {"archived": True}})

    def _audit(self, action: str, campaign_id: str, user: str | None, remote_addr: str | None,
               detail: dict[str, Any]) -> None:
        AuditLog(self.session).add(action, user, self.clock(), target=f"campaign:{campaign_id}", detail=detail,
                                   remote_addr=remote_addr)
