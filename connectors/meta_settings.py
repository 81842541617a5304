"""Settings of the Facebook and Instagram connectors: the `connectors.facebook` and `connectors.instagram`
sections of config.yaml (one model for both: they share the Graph API).

`bot.config` can use this model for both sections as it is. `MetaSettings.coerce` also accepts a mapping or
any object with (some of) the same attribute names, taking the defaults below for what it does not have.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

FACEBOOK_STREAMS = ("posts", "comments", "tagged", "token")
INSTAGRAM_STREAMS = ("media", "comments", "tags", "mentions", "token")  # mentions: only with the webhook queue


class MetaSettings(BaseModel):
    """What to fetch from the Graph API and how carefully."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    poll_interval_seconds: int = Field(default=300, ge=10, le=86_400)
    api_base_url: str = "https://graph.facebook.com"
    api_version: str = "v24.0"
    # ids by configured account name; when missing, the id is looked up once (page username, or /me)
    page_ids: dict[str, str] = Field(default_factory=dict)
    instagram_user_ids: dict[str, str] = Field(default_factory=dict)
    streams: list[str] | None = None  # None = every stream of the platform
    tagged_edges: list[Literal["tagged", "visitor_posts", "feed"]] = Field(default_factory=lambda: ["tagged", "feed"])
    backfill_hours: int = Field(default=24, ge=0, le=24 * 30)
    metrics_refresh_days: int = Field(default=7, ge=0, le=90)
    comments_lookback_days: int = Field(default=7, ge=1, le=90)
    max_catch_up_days: int = Field(default=30, ge=1, le=365)
    page_size: int = Field(default=100, ge=1, le=100)
    comments_page_size: int = Field(default=100, ge=1, le=100)
    reconcile_max_pages: int = Field(default=4, ge=0, le=100)
    hidden_comments: Literal["keep", "set_aside"] = "keep"
    insights: bool = False
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    max_retries: int = Field(default=3, ge=0, le=10)
    throttle_percent: float = Field(default=80.0, gt=0, le=100)
    throttle_min_pause_seconds: int = Field(default=300, ge=0, le=86_400)
    throttle_max_pause_seconds: int = Field(default=3600, ge=0, le=86_400)
    rate_limit_pause_seconds: int = Field(default=900, ge=1, le=86_400)
    token_check_hours: int = Field(default=24, ge=1, le=24 * 7)
    token_warn_days: int = Field(default=7, ge=1, le=60)
    token_retry_seconds: int = Field(default=900, ge=10, le=86_400)
    token_retry_max_seconds: int = Field(default=6 * 3600, ge=10, le=7 * 86_400)
    permission_retry_hours: int = Field(default=24, ge=1, le=24 * 30)

    @field_validator("api_version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not re.fullmatch(r"v\d{1,2}\.\d", value):
            raise ValueError(f"api_version {value!r} must look like 'v24.0'")
        return value

    @field_validator("streams")
    @classmethod
    def _stream_names(cls, value: list[str] | None) -> list[str] | None:
        known = dict.fromkeys((*FACEBOOK_STREAMS, *INSTAGRAM_STREAMS))
        unknown = [name for name in value or [] if name not in known]
        if unknown:
            raise ValueError(f"unknown stream(s) {', '.join(unknown)}; Facebook: {', '.join(FACEBOOK_STREAMS)}; "
                             f"Instagram: {', '.join(INSTAGRAM_STREAMS)}")
        return value

    @field_validator("api_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/]+", value):
            raise ValueError(f"api_base_url {value!r} must be an absolute http(s) URL")
        return value.rstrip("/")

    @classmethod
    def coerce(cls, settings: Any) -> MetaSettings:
        """This model from itself, a mapping, or an object with (some of) the same attributes."""
        if isinstance(settings, MetaSettings):
            return settings
        if settings is None:
            return cls()
        if isinstance(settings, Mapping):
            source = dict(settings)
        else:
            source = {name: getattr(settings, name) for name in cls.model_fields if hasattr(settings, name)}
        return cls.model_validate({k: v for k, v in source.items() if k in cls.model_fields})

    def streams_for(self, platform: Literal["facebook", "instagram"]) -> list[str]:
        allowed = FACEBOOK_STREAMS if platform == "facebook" else INSTAGRAM_STREAMS
        chosen = list(allowed) if self.streams is None else self.streams
        unknown = sorted(set(chosen) - set(allowed))
        if unknown:
            raise ValueError(f"connectors.{platform}.streams: unknown {', '.join(unknown)}; "
                             f"allowed: {', '.join(allowed)}")
        return [s for s in allowed if s in chosen]
