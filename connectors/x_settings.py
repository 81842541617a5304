"""Settings of the X connector: the `connectors.x` section of config.yaml (validated by `bot.config`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_API_BASE_URL = "https://api.x.com"


class XSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    poll_interval_seconds: int = Field(default=120, ge=10, le=86_400)
    api_base_url: str = DEFAULT_API_BASE_URL
    searches: list[str] = Field(default_factory=list)
    backfill_hours: int = Field(default=24, ge=0, le=24 * 7)
    metrics_refresh_days: int = Field(default=7, ge=0, le=30)
    # --- tuning (defaults suit the Basic access level) ---
    metrics_refresh_minutes: int = Field(default=180, ge=1, le=24 * 60)  # how often x:metrics:* re-reads
    non_public_metrics: bool = False  # ask for non_public_metrics (needs a user-context token of the account)
    request_timeout_seconds: float = Field(default=15.0, gt=0, le=120)
    max_retries: int = Field(default=3, ge=0, le=6)  # 5xx / timeouts, per request
    retry_base_seconds: float = Field(default=1.0, ge=0, le=30)
    retry_max_seconds: float = Field(default=20.0, ge=0, le=60)  # never sleep for minutes inside poll
    rate_limit_min_wait_seconds: int = Field(default=60, ge=1, le=3600)
    auth_pause_seconds: int = Field(default=300, ge=1, le=86_400)  # first pause after a 401/403, then doubled
    auth_pause_max_seconds: int = Field(default=6 * 3600, ge=1, le=7 * 86_400)
    fill_timeline_gaps: bool = True  # fetch past X's 800-mention / 3,200-post caps through recent search

    @classmethod
    def from_config(cls, settings: Any) -> XSettings:
        """Copy the known attributes of `bot.config.XConnector` (or a dict, or an XSettings)."""
        if isinstance(settings, XSettings):
            return settings
        if isinstance(settings, dict):
            return cls(**{k: v for k, v in settings.items() if k in cls.model_fields})
        values = {name: getattr(settings, name) for name in cls.model_fields if hasattr(settings, name)}
        return cls(**values)
