"""The weekly report in Slack: a summary message with the key figures, and the files in its thread.

- The message is Block Kit (header, the headline, key figures with week-over-week changes, data caveats and a
  reference line `Ref. informe:<week>:<build>`); it is composed when the report is built and stored with it,
  so a later retry posts exactly what was built.
- Files go up with slack-sdk's `files_upload_v2` (`files.getUploadURLExternal`, the upload POST,
  `files.completeUploadExternal`), which needs a channel ID: the configured name is resolved with
  `conversations.list`, or, without that permission, taken from the `chat.postMessage` answer.
- A bot token is needed for files; with only an incoming webhook the summary is posted and the files stay on
  disk (the message says where).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.report_html import change_text, es_pct, headline, kpi_value, notices
from bot.report_model import WeeklyReport, period_text

log = structlog.get_logger("vigia.reports")

REF_PREFIX = "Ref. "
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{8,}$")
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

    def __init__(self, client: WebClient, channel: str):
        self.client = client
        self.channel = channel  # a name ("#vigia-informes") or an ID

    def resolve_channel(self) -> str:
        """The channel ID, or the configured name when it cannot be resolved (no channels:read scope)."""
        if _CHANNEL_ID.match(self.channel):
            return self.channel
        wanted = self.channel.lstrip("#")
        cursor = None
        try:
            for _ in range(100):  # pages; a workspace with more than 100 pages of channels is not expected
                response = self.client.conversations_list(types="public_channel,private_channel",
                                                          exclude_archived=True, limit=200, cursor=cursor)
                for channel in response.get("channels", []):
                    if channel.get("name") == wanted:
                        return str(channel["id"])
                cursor = (response.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    break
        except SlackApiError as exc:
            log.warning("could not resolve the report channel; posting by name", channel=self.channel,
                        error=exc.response.get("error"))
        return self.channel

    def find_summary(self, channel: str, marker: str, oldest: float) -> str | None:
        """`channel:ts` of a summary already posted with this marker (an attempt cut off by a crash)."""
        try:
            response = self.client.conversations_history(channel=channel, oldest=f"{oldest:.6f}", limit=200)
        except SlackApiError as exc:
            log.warning("could not check for an earlier report message; posting again",
                        error=exc.response.get("error"))
            return None
        needle = f"{REF_PREFIX}{marker}"
        for message in response.get("messages", []):
            if needle in str(message.get("blocks", "")) or needle in str(message.get("text", "")):
                return f"{response.get('channel', channel)}:{message['ts']}"
        return None

    def post_summary(self, channel: str, message: dict[str, Any]) -> str:
        try:
            response = self.client.chat_postMessage(channel=channel, text=message["text"], blocks=message["blocks"],
                                                    unfurl_links=False, unfurl_media=False)
        except SlackApiError as exc:
            raise ReportDeliveryError(f"chat.postMessage failed: {exc.response.get('error', exc)}") from None
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
