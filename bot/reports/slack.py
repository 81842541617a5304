"""The weekly report in Slack: a summary message with the key figures, and the files in its thread.

- The message is Block Kit (header, the headline, key figures with week-over-week changes, data caveats and a
  reference line `Ref. informe:<week>:<build>`); it is composed when the report is built and stored with it,
  so a later retry posts exactly what was built.
- Files go up with slack-sdk's `files_upload_v2` (`files.getUploadURLExternal`, the upload POST,
  `files.completeUploadExternal`), which needs a channel ID: the configured name is resolved with
  `conversations.list`, or, without that permission, taken from the `chat.postMessage` answer, and kept in
  the database (bot/slack/channels.py).
- The summary carries Slack message metadata (`vigia_report`, the marker): a post cut off by a crash or a
  lost answer is found again by channel ID before anything is re-posted.
- A bot token is needed for files; with only an incoming webhook the summary is posted and the files stay on
  disk (the message says where).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from typing import Any

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.reports.html import campaign_line, change_text, es_pct, headline, kpi_value, notices
from bot.reports.model import WeeklyReport, period_text
from bot.slack.channels import ChannelDirectory, MemoryChannelDirectory
from bot.slack.client import (
    CHANNEL_ID_PATTERN,
    REF_PREFIX,
    SlackUnavailable,
    find_marked,
    metadata,
    resolve_channel_id,
)

log = structlog.get_logger("vigia.reports")

REPORT_EVENT = "vigia_report"  # our Slack message metadata event type for report summaries
SUMMARY_KPIS = ("interacciones", "publicaciones_propias", "menciones_recibidas", "ciudadanos_unicos",
                "tono_negativo", "tasa_respuesta", "mediana_primera_respuesta_habil_h", "incidentes",
                "pendientes_vencidas")


class ReportDeliveryError(Exception):
    pass


def _escape(text: str) -> str:
    """Slack's control characters: untrusted text must not ping channels or forge links."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary_message(r: WeeklyReport, marker: str, *, files_note: str) -> dict[str, Any]:
    """`{"text": fallback, "blocks": [...], "marker": marker}` for `chat.postMessage`."""
    kpis = {k.key: k for k in r.kpis()}
    lines = headline(r)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "emoji": True,
                                    "text": _truncate(f"Informe semanal de redes sociales · {r.period.label}", 150)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _truncate(
            f"*{_escape(period_text(r.period).capitalize())}* (hora de Colombia)\n"
            + "\n".join(f"• {_escape(line)}" for line in lines[:6]), 2900)}},
    ]
    if r.has_data:
        fields = []
        for key in SUMMARY_KPIS:
            k = kpis[key]
            change = change_text(k)
            suffix = "" if change == "sin comparación" else f" ({change})"
            fields.append({"type": "mrkdwn", "text": _truncate(f"*{_escape(k.label)}:*\n{kpi_value(k)}{suffix}", 1900)})
        blocks.append({"type": "section", "fields": fields[:10]})
    campaigns = campaign_line(r.campaigns) if r.has_data else None
    if campaigns:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _truncate(
            f":mega: {_escape(campaigns)}", 2900)}})
    caveats = notices(r)
    if caveats:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _truncate(
            ":warning: *Sobre los datos:*\n" + "\n".join(f"• {_escape(c)}" for c in caveats[:6]), 2900)}})
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": _truncate(f"{_escape(files_note)} · {REF_PREFIX}{marker}", 2900)}]})
    if r.has_data:
        k = kpis["interacciones"]
        fallback = (f"Informe semanal {r.period.label}: {kpi_value(k)} interacciones ({change_text(k)}), "
                    f"{kpi_value(kpis['menciones_recibidas'])} menciones, tasa de respuesta "
                    f"{es_pct(kpis['tasa_respuesta'].current)}.")
    else:
        fallback = f"Informe semanal {r.period.label}: sin datos para la semana."
    return {"text": fallback, "blocks": blocks, "marker": marker}


@dataclass(frozen=True)
class Upload:
    path: Path
    title: str


class ReportPoster:
    """Posts a stored summary message and uploads the report files into its thread."""

    def __init__(self, client: WebClient, channel: str, directory: ChannelDirectory | None = None):
        self.client = client
        self.channel = channel  # a name ("#vigia-informes") or an ID
        self.directory: ChannelDirectory = directory if directory is not None else MemoryChannelDirectory()

    def resolve_channel(self) -> str:
        """The channel ID (stored, or from `conversations.list`), or the configured name when Slack will not
        say (no channels:read): the post's answer then gives the ID."""
        try:
            return resolve_channel_id(self.client, self.directory, self.channel) or self.channel
        except SlackUnavailable as exc:
            raise ReportDeliveryError(str(exc)) from None

    def find_summary(self, channel: str, marker: str, oldest: float) -> str | None:
        """`channel:ts` of a summary already posted with this marker (an attempt cut off by a crash).

        Looked up by channel ID (Slack's history takes no names). Raises `ReportDeliveryError` when Slack
        cannot be asked now, so the summary is not posted a second time on a guess.
        """
        try:
            channel_id = resolve_channel_id(self.client, self.directory, channel)
            if channel_id is None:
                log.warning("report channel ID unknown; cannot check for an earlier post, posting again",
                            channel=channel)
                return None
            ts = find_marked(self.client, channel_id, event_type=REPORT_EVENT, key_field="report_marker",
                             key=marker, oldest=oldest)
        except SlackUnavailable as exc:
            raise ReportDeliveryError(str(exc)) from None
        return f"{channel_id}:{ts}" if ts else None

    def post_summary(self, channel: str, message: dict[str, Any]) -> str:
        try:
            response = self.client.chat_postMessage(
                channel=channel, text=message["text"], blocks=message["blocks"],
                metadata=metadata(REPORT_EVENT, "report_marker", message["marker"]),
                unfurl_links=False, unfurl_media=False)
        except SlackApiError as exc:
            raise ReportDeliveryError(f"chat.postMessage failed: {exc.response.get('error', exc)}") from None
        except (OSError, HTTPException) as exc:  # the answer was lost: the next attempt looks for the post
            raise ReportDeliveryError(f"chat.postMessage: {type(exc).__name__}: {exc}"[:300]) from None
        if not CHANNEL_ID_PATTERN.match(self.channel):
            self.directory.put(self.channel, str(response["channel"]))
        return f"{response['channel']}:{response['ts']}"

    def upload(self, ref: str, files: Sequence[Upload], comment: str) -> list[str]:
        """Upload into the summary's thread; returns the Slack file IDs."""
        channel_id, _, ts = ref.rpartition(":")
        uploads = [{"file": str(f.path), "filename": f.path.name, "title": f.title} for f in files]
        try:
            response = self.client.files_upload_v2(file_uploads=uploads, channel=channel_id, thread_ts=ts,
                                                   initial_comment=comment)
        except SlackApiError as exc:
            raise ReportDeliveryError(f"files_upload_v2 failed: {exc.response.get('error', exc)}") from None
        return [str(f.get("id")) for f in response.get("files", [])]
