"""Configuration: `config.yaml` validated at start-up, secrets from the environment only.

Every mistake is reported with the key's dotted path, the value given and what is allowed; unknown keys are
errors (a typo must not silently fall back to a default). Secrets (tokens, webhooks) are never read from
the file, never logged and never stored.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from analyzers.campaigns import CAMPAIGN_ID, CAMPAIGN_ID_MAX, HASHTAG
from analyzers.segment_defaults import DEFAULT_SEGMENTS
from analyzers.segments import (
    DOMAIN,
    NO_PROFILE,
    PRIORITIES,
    SEGMENT_ID,
    VERIFIED_TYPES,
    RuleSpec,
    Segmenter,
    SegmentRules,
    SegmentSpec,
    bio_pattern,
    normalize_handle,
)
from analyzers.settings import DEFAULT_TOPICS, AnalyzerSettings, TopicSpec
from analyzers.spikes.detector import SpikeSettings
from connectors.meta_settings import MetaSettings
from connectors.x_settings import XSettings
from domain import Campaign, valid_timezone
from domain.business_calendar import BusinessCalendar, parse_office_hours

DEFAULT_CONFIG_PATH = Path("config.yaml")
DEFAULT_DATABASE_URL = "sqlite:///var/vigia.db"


class ConfigError(Exception):
    """A configuration problem, worded for the person who has to fix it."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Accounts(_Strict):
    """The ministry's own accounts to watch, by handle (X, Instagram) or page name (Facebook)."""

    x: list[str] = Field(default_factory=list)
    facebook: list[str] = Field(default_factory=list)
    instagram: list[str] = Field(default_factory=list)

    @field_validator("x", "facebook", "instagram")
    @classmethod
    def _handles(cls, value: list[str]) -> list[str]:
        cleaned = [h.strip().lstrip("@") for h in value]
        for handle in cleaned:
            if not handle or any(c.isspace() for c in handle):
                raise ValueError(f"account handle {handle!r} must be a non-empty name without spaces")
        return cleaned


class PollSettings(_Strict):
    enabled: bool = False
    poll_interval_seconds: int = Field(default=120, ge=10, le=86_400)


class SampleConnector(PollSettings):
    """The bundled synthetic week, replayed on a clock that runs `speed` times faster than real time."""

    enabled: bool = True
    path: Path = Path("data/sample/week.jsonl")
    poll_interval_seconds: int = Field(default=15, ge=1, le=86_400)
    speed: float = Field(default=60.0, gt=0, le=100_000)


class Connectors(_Strict):
    sample: SampleConnector = SampleConnector()
    x: XSettings = XSettings()
    facebook: MetaSettings = MetaSettings()
    instagram: MetaSettings = MetaSettings()

    @model_validator(mode="after")
    def _sample_alone(self) -> Connectors:
        real = [name for name in ("x", "facebook", "instagram") if getattr(self, name).enabled]
        if self.sample.enabled and real:
            raise ValueError(
                f"connectors.sample.enabled is true together with real connectors ({', '.join(real)}): "
                "the synthetic replay runs on its own clock and must not be mixed with real data; "
                "set connectors.sample.enabled: false"
            )
        return self


class SchedulerSettings(_Strict):
    jitter_seconds: int = Field(default=10, ge=0, le=3600)
    misfire_grace_seconds: int = Field(default=60, ge=1, le=86_400)
    spike_check_seconds: int = Field(default=60, ge=1, le=3600)
    outbox_flush_seconds: int = Field(default=10, ge=1, le=3600)


class AlertSettings(_Strict):
    channel: str = "#vigia-alertas"
    ops_channel: str = "#vigia-operaciones"
    console: bool = True
    outbox_file: Path = Path("var/outbox/alerts.jsonl")
    inbox_url: str = "http://127.0.0.1:8000/inbox"
    bucket_close_delay_seconds: int = Field(default=120, ge=0, le=3600)
    cooldown_minutes: int = Field(default=60, ge=0, le=24 * 60)  # a spike this soon after an incident reopens it
    slack_api_base_url: str = "https://slack.com/api/"


class ReportSettings(_Strict):
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    time: str = "08:00"
    out_dir: Path = Path("var/reports")
    slack_channel: str = "#vigia-informes"
    office_hours: str = "08:00-17:00"  # business hours for response times (Mon-Fri, Colombian holidays off)
    pdf: bool = True  # also render a PDF when a PDF engine (headless Chromium) is available

    @field_validator("office_hours")
    @classmethod
    def _span(cls, value: str) -> str:
        start, sep, end = value.partition("-")
        if not sep:
            raise ValueError(f"office_hours {value!r} must be HH:MM-HH:MM, e.g. '08:00-17:00'")
        first, last = cls._hhmm(start.strip()), cls._hhmm(end.strip())
        if first >= last:
            raise ValueError(f"office_hours {value!r} must end after it starts")
        return f"{first}-{last}"

    @field_validator("time")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        parts = value.split(":")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise ValueError(f"time {value!r} must be HH:MM (24-hour), e.g. '08:00'")
        hour, minute = int(parts[0]), int(parts[1])
        if not (0 <= hour <= 23 and 0 <= minute <= 59):
            raise ValueError(f"time {value!r} is not a valid 24-hour HH:MM")
        return f"{hour:02d}:{minute:02d}"


class WebSettings(_Strict):
    """The community managers' web app (`main.py serve`)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str = "http://127.0.0.1:8000"  # how people reach it (links in alerts and reports)
    session_hours: float = Field(default=12, gt=0, le=24 * 30)
    cookie_secure: bool = False  # set true behind HTTPS (the default serves plain HTTP on loopback)
    login_max_attempts: int = Field(default=5, ge=1, le=100)
    login_lock_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Addresses of the reverse proxies in front of the app: only a request arriving from one of them has its
    # X-Forwarded-For read for the client's address (the audit trail, the login throttle); empty: never read.
    trusted_proxies: list[str] = Field(default_factory=list)

    @field_validator("trusted_proxies")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item.strip(), strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network; write e.g. 127.0.0.1 or "
                                 "10.0.0.0/24 (the reverse proxy's address as the app sees it)") from None
        return [item.strip() for item in value]


class RetentionSettings(_Strict):
    """How long citizens' personal data is kept (docs/data-protection.md, Ley 1581 de 2012). Past each term the
    daily job (leader only) or `main.py retention --apply` anonymises or deletes it; counts and indicators stay."""

    enabled: bool = True  # false: the daily job does nothing (`main.py retention` still works)
    post_text_months: int = Field(default=24, ge=1, le=240)  # citizen post text, raw payload, link, handle
    author_profile_months: int = Field(default=24, ge=1, le=240)  # profile of an author not seen this long
    notes_months: int = Field(default=24, ge=1, le=240)  # community managers' notes on posts
    audit_months: int = Field(default=24, ge=1, le=240)  # web audit trail (logins, role changes, exports)
    rejected_payload_days: int = Field(default=30, ge=1, le=3650)  # payloads a connector could not read
    batch_size: int = Field(default=500, ge=1, le=100_000)  # rows per transaction
    run_at: str = "03:30"  # local time of the daily job (HH:MM, config timezone)
    # The daily job stops after this long and continues the next day (on SQLite the scheduler has one worker:
    # polls wait while it runs). A first run over years of data: `main.py retention --apply`, which has no limit.
    job_max_seconds: int = Field(default=120, ge=10, le=24 * 3600)

    @field_validator("run_at")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        try:
            hour, minute = (int(p) for p in value.split(":"))
            if not (0 <= hour < 24 and 0 <= minute < 60):
                raise ValueError
        except ValueError:
            raise ValueError(f"{value!r} is not a time of day; write HH:MM, e.g. 03:30") from None
        return value


class HealthSettings(_Strict):
    """When `main.py status`, `/healthz` and the health gauges of `/metrics` call things degraded or down
    (docs/deploy.md, "Health"). A stream is late when its last successful poll is older than a multiple of its
    own `poll_interval_seconds`."""

    stream_degraded_intervals: float = Field(default=3, ge=1, le=1000)  # late: degraded
    stream_down_intervals: float = Field(default=10, ge=1, le=10_000)  # very late: down
    leader_heartbeat_down_seconds: int = Field(default=30, ge=5, le=3600)  # no leader heartbeat for this: down
    min_standbys: int = Field(default=0, ge=0, le=10)  # fewer live standbys than this: degraded
    outbox_degraded_seconds: int = Field(default=300, ge=10, le=7 * 86_400)  # oldest undelivered alert this old
    outbox_down_seconds: int = Field(default=3600, ge=10, le=30 * 86_400)
    outbox_backlog_degraded: int = Field(default=100, ge=1, le=1_000_000)  # this many undelivered rows
    report_max_age_days: int = Field(default=8, ge=1, le=366)  # last weekly report built longer ago: degraded
    run_metrics_port: int | None = Field(default=None, ge=1, le=65535)  # `run` serves its counters here when set
    run_metrics_host: str = "127.0.0.1"

    @model_validator(mode="after")
    def _ordered(self) -> HealthSettings:
        if self.stream_down_intervals <= self.stream_degraded_intervals:
            raise ValueError(f"stream_down_intervals: {self.stream_down_intervals:g} must be greater than "
                             f"stream_degraded_intervals ({self.stream_degraded_intervals:g}); e.g. 3 and 10")
        if self.outbox_down_seconds <= self.outbox_degraded_seconds:
            raise ValueError(f"outbox_down_seconds: {self.outbox_down_seconds} must be greater than "
                             f"outbox_degraded_seconds ({self.outbox_degraded_seconds}); e.g. 300 and 3600")
        return self


class AudienceSettings(_Strict):
    """One audience segment (`segments.audiences[]`): id, Spanish label, priority and explicit handles."""

    id: str
    label: str = Field(min_length=1, max_length=80)
    # 0 (normal) to 3 (alta): weighs the inbox's urgency order; 3 marks the press and official voices whose
    # share the spike alerts give ("medios o cuentas oficiales").
    priority: int = 0
    handles: list[str] = Field(default_factory=list)

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not SEGMENT_ID.match(value):
            raise ValueError(f"segment id {value!r} must be snake_case: lower-case letters, digits and _, starting "
                             "with a letter (e.g. medios_periodistas)")
        if value == NO_PROFILE:
            raise ValueError(f"segment id {NO_PROFILE!r} is reserved for authors without a stored profile; "
                             "choose another id")
        return value

    @field_validator("priority")
    @classmethod
    def _priority(cls, value: int) -> int:
        if value not in PRIORITIES:
            raise ValueError("priority must be 0 (normal), 1, 2 or 3 (alta: press and official voices)")
        return value

    @field_validator("handles")
    @classmethod
    def _handles(cls, value: list[str]) -> list[str]:
        for handle in value:
            norm = normalize_handle(handle)
            if not norm or norm.endswith(":"):
                raise ValueError(f"handle {handle!r} is empty; write it without '@', e.g. ELTIEMPO or x:ELTIEMPO")
        return value


class SegmentRuleSettings(_Strict):
    """One placement rule (`segments.rules[]`): every condition given must hold, any listed value may match."""

    segment: str
    bio: list[str] = Field(default_factory=list)
    bio_regex: list[str] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)
    verified: list[str] = Field(default_factory=list)
    min_followers: int | None = None

    @field_validator("bio")
    @classmethod
    def _bio(cls, value: list[str]) -> list[str]:
        for word in value:
            bio_pattern(word)  # raises ValueError naming the word
        return value

    @field_validator("bio_regex")
    @classmethod
    def _regex(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bio_regex {pattern!r} is not a valid regular expression ({exc}); fix it or use "
                                 "bio words instead") from None
            if len(pattern) > 100:
                raise ValueError(f"bio_regex {pattern[:40]!r}… is longer than 100 characters; split it into rules")
        return value

    @field_validator("domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        for domain in value:
            if not DOMAIN.match(domain.lower()):
                raise ValueError(f"domain {domain!r} must be a host suffix such as '.gov.co' or 'mintic.gov.co' "
                                 "(no scheme, path or spaces)")
        return [d.lower() for d in value]

    @field_validator("verified")
    @classmethod
    def _verified(cls, value: list[str]) -> list[str]:
        for kind in value:
            if kind.lower() not in VERIFIED_TYPES:
                raise ValueError(f"verified {kind!r} must be one of {', '.join(VERIFIED_TYPES)} (X's verified_type)")
        return [v.lower() for v in value]

    @field_validator("min_followers")
    @classmethod
    def _threshold(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("min_followers must be a whole number of followers, at least 1 (e.g. 50000)")
        return value

    @model_validator(mode="after")
    def _has_condition(self) -> SegmentRuleSettings:
        if not (self.bio or self.bio_regex or self.domains or self.verified or self.min_followers is not None):
            raise ValueError(f"the rule for {self.segment!r} has no condition; give bio, bio_regex, domains, "
                             "verified or min_followers")
        return self


def _default_segments() -> Any:
    return SegmentsSettings.model_validate(DEFAULT_SEGMENTS)


class SegmentsSettings(_Strict):
    """Audience segments (docs/segments.md): explicit handles first, then `rules` top to bottom, then `default`."""

    default: str = DEFAULT_SEGMENTS["default"]
    audiences: list[AudienceSettings] = Field(
        default_factory=lambda: [AudienceSettings.model_validate(a) for a in DEFAULT_SEGMENTS["audiences"]])
    rules: list[SegmentRuleSettings] = Field(
        default_factory=lambda: [SegmentRuleSettings.model_validate(r) for r in DEFAULT_SEGMENTS["rules"]])

    @model_validator(mode="after")
    def _consistent(self) -> SegmentsSettings:
        ids = [a.id for a in self.audiences]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"audiences: segment ids must be unique; repeated: {', '.join(dupes)} (merge or rename "
                             "them)")
        known = ", ".join(ids)
        if self.default not in ids:
            raise ValueError(f"default: {self.default!r} is not an id in audiences ({known}); add it there or "
                             "choose one of them")
        for n, rule in enumerate(self.rules):
            if rule.segment not in ids:
                raise ValueError(f"rules[{n}].segment: {rule.segment!r} is not an id in audiences ({known}); "
                                 "fix the spelling or add the audience")
        owner: dict[str, str] = {}
        for n, audience in enumerate(self.audiences):
            for handle in audience.handles:
                norm = normalize_handle(handle)
                if norm in owner and owner[norm] != audience.id:
                    raise ValueError(f"audiences[{n}].handles: {handle!r} is already listed in {owner[norm]!r}; an "
                                     "account belongs to one segment, keep it in one list")
                owner[norm] = audience.id
        return self

    def to_rules(self) -> SegmentRules:
        return SegmentRules(
            segments=tuple(SegmentSpec(a.id, a.label, a.priority, tuple(a.handles)) for a in self.audiences),
            rules=tuple(RuleSpec(r.segment, tuple(r.bio), tuple(r.bio_regex), tuple(r.domains), tuple(r.verified),
                                 r.min_followers) for r in self.rules),
            default=self.default,
        )


class CampaignSettings(_Strict):
    """One communications campaign (`campaigns[]`, docs/campaigns.md): what marks its posts and when it runs."""

    id: str
    name: str = Field(min_length=1, max_length=128)
    description: str = ""
    hashtags: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    links: list[str] = Field(default_factory=list)
    starts_on: date
    ends_on: date | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if len(value) > CAMPAIGN_ID_MAX or not CAMPAIGN_ID.match(value):
            raise ValueError(f"campaign id {value!r} must be a slug of at most {CAMPAIGN_ID_MAX} characters: "
                             "lower-case letters and digits separated by single hyphens, starting with a letter "
                             "(e.g. talento-ti); it is stored on every matched post, so keep it once chosen")
        return value

    @field_validator("hashtags")
    @classmethod
    def _hashtags(cls, value: list[str]) -> list[str]:
        cleaned = [h.strip() for h in value]
        for tag in cleaned:
            if not HASHTAG.match(tag):
                raise ValueError(f"hashtag {tag!r} must be one hashtag: letters, digits or _ with no spaces or "
                                 "punctuation, with or without '#' (e.g. TalentoTI)")
        return [t.lstrip("#") for t in cleaned]

    @field_validator("keywords")
    @classmethod
    def _keywords(cls, value: list[str]) -> list[str]:
        cleaned = [k.strip() for k in value]
        for keyword in cleaned:
            if not any(c.isalnum() for c in keyword):
                raise ValueError(f"keyword {keyword!r} has no letter or digit; write a word or phrase "
                                 "(e.g. 'talento ti')")
        return cleaned

    @field_validator("links")
    @classmethod
    def _links(cls, value: list[str]) -> list[str]:
        cleaned = [link.strip() for link in value]
        for link in cleaned:
            if not link or any(c.isspace() for c in link):
                raise ValueError(f"link {link!r} must be a URL prefix (e.g. mintic.gov.co/talentoti) or a "
                                 "utm_campaign value (e.g. utm_campaign=talentoti2026), without spaces")
        return cleaned

    @model_validator(mode="after")
    def _complete(self) -> CampaignSettings:
        if not (self.hashtags or self.keywords or self.links):
            raise ValueError("hashtags: campaign has no hashtag, keyword or link, so no post could match it; add "
                             "at least one to hashtags, keywords or links")
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError(f"ends_on: {self.ends_on.isoformat()} is before starts_on "
                             f"({self.starts_on.isoformat()}); fix the dates (both days are included) or leave "
                             "ends_on out for a campaign still running")
        return self

    def to_campaign(self) -> Campaign:
        return Campaign(id=self.id, name=self.name, starts_on=self.starts_on, ends_on=self.ends_on,
                        hashtags=tuple(self.hashtags), keywords=tuple(self.keywords), links=tuple(self.links),
                        description=self.description)


class Paths(_Strict):
    var_dir: Path = Path("var")
    models_dir: Path = Path("var/models")


class LoggingSettings(_Strict):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["json", "console"] = "json"


class Config(_Strict):
    timezone: str = "America/Bogota"
    accounts: Accounts = Accounts()
    connectors: Connectors = Connectors()
    scheduler: SchedulerSettings = SchedulerSettings()
    analyzers: AnalyzerSettings = AnalyzerSettings()
    topics: list[TopicSpec] = Field(default_factory=lambda: list(DEFAULT_TOPICS))
    campaigns: list[CampaignSettings] = Field(default_factory=list)
    spikes: SpikeSettings = SpikeSettings()
    alerts: AlertSettings = AlertSettings()
    report: ReportSettings = ReportSettings()
    segments: SegmentsSettings = Field(default_factory=_default_segments)
    web: WebSettings = WebSettings()
    health: HealthSettings = HealthSettings()
    retention: RetentionSettings = RetentionSettings()
    paths: Paths = Paths()
    logging: LoggingSettings = LoggingSettings()

    @model_validator(mode="before")
    @classmethod
    def _spikes_follow_the_timezone(cls, data: Any) -> Any:
        """The detector's seasonality uses the bot's time zone unless `spikes.timezone` says otherwise."""
        if isinstance(data, dict) and isinstance(data.get("timezone"), str):
            spikes = data.get("spikes") or {}
            if isinstance(spikes, dict) and "timezone" not in spikes:
                data = {**data, "spikes": {**spikes, "timezone": data["timezone"]}}
        return data

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return valid_timezone(value)

    @field_validator("topics")
    @classmethod
    def _unique_topics(cls, value: list[TopicSpec]) -> list[TopicSpec]:
        names = [t.name for t in value]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"topic names must be unique; repeated: {', '.join(dupes)}")
        return value

    @field_validator("campaigns")
    @classmethod
    def _unique_campaigns(cls, value: list[CampaignSettings]) -> list[CampaignSettings]:
        ids = [c.id for c in value]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"campaign ids must be unique; repeated: {', '.join(dupes)} (merge the campaigns or "
                             "give each its own id)")
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def campaign_list(self) -> list[Campaign]:
        """The campaigns of `config.yaml` as domain values (synced into the database at start-up)."""
        return [c.to_campaign() for c in self.campaigns]


def business_calendar(config: Any) -> BusinessCalendar:
    """The ministry's business calendar from the config: `timezone` and `report.office_hours` (Mon–Fri, minus
    Colombian holidays). The one place it is built, so the inbox's deadlines and the weekly report agree."""
    spec = str(getattr(getattr(config, "report", None), "office_hours", ReportSettings().office_hours))
    opens, closes = parse_office_hours(spec)
    return BusinessCalendar(config.tz, opens, closes)


def segmenter(config: Any) -> Segmenter:
    """The audience segmenter from the config's `segments:` (built-in defaults without it). The one place it is
    built, so the poll's placements, the inbox, the alerts and the report agree on ids, labels and priorities."""
    settings = getattr(config, "segments", None)
    if not isinstance(settings, SegmentsSettings):
        settings = _default_segments()
    return Segmenter(settings.to_rules())


class Secrets(BaseModel):
    """Credentials from the environment. `SecretStr` keeps them out of reprs and logs."""

    model_config = ConfigDict(frozen=True)

    x_bearer_token: SecretStr | None = None
    meta_access_token: SecretStr | None = None
    meta_app_secret: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_webhook_url: SecretStr | None = None
    metrics_token: SecretStr | None = None  # VIGIA_METRICS_TOKEN: bearer token of /metrics (Prometheus)
    # VIGIA_PSEUDONYM_KEY: the HMAC key of anonymised authors' pseudonyms and forget records' hashes (at least
    # 32 characters; docs/data-protection.md). Without it nothing can be anonymised.
    pseudonym_key: SecretStr | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Secrets:
        env = os.environ if env is None else env

        def get(name: str) -> SecretStr | None:
            value = env.get(name, "").strip()
            return SecretStr(value) if value else None

        return cls(
            x_bearer_token=get("X_BEARER_TOKEN"),
            meta_access_token=get("META_ACCESS_TOKEN"),
            meta_app_secret=get("META_APP_SECRET"),
            slack_bot_token=get("SLACK_BOT_TOKEN"),
            slack_webhook_url=get("SLACK_WEBHOOK_URL"),
            metrics_token=get("VIGIA_METRICS_TOKEN"),
            pseudonym_key=get("VIGIA_PSEUDONYM_KEY"),
        )


def database_url(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return env.get("VIGIA_DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL


def masked_url(url: str) -> str:
    """A database URL fit for a message or a log line: the password, if any, replaced by ***."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not even a URL: mask anything between "://user:" and "@"
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def resolve_config_path(path: str | Path | None, env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if path:
        return Path(path)
    if env.get("VIGIA_CONFIG"):
        return Path(env["VIGIA_CONFIG"])
    return DEFAULT_CONFIG_PATH


_SECRET_KEYS = {"token", "bearer_token", "access_token", "app_secret", "webhook_url", "password", "secret",
                "metrics_token"}
# Values that are secrets whatever key holds them (a token pasted as `alerts.channel`, a webhook URL as a
# base URL): Slack tokens and webhooks, X app bearer tokens, Meta access tokens, passwords inside URLs.
_SECRET_VALUES = (
    ("a Slack token", re.compile(r"\bxox[abposre]-[0-9A-Za-z-]{10,}")),
    ("a Slack webhook URL", re.compile(r"hooks\.slack(?:-gov)?\.com/(?:services|workflows|triggers)/", re.I)),
    ("an X bearer token", re.compile(r"\bAAAAAAAAAAAAAAAAAAAAA[0-9A-Za-z%]{20,}")),
    ("a Meta access token", re.compile(r"\bEAA[A-Za-z0-9]{40,}")),
    ("a bearer token", re.compile(r"\bBearer\s+[A-Za-z0-9._~+/=-]{20,}", re.I)),
    ("a password inside a URL", re.compile(r"://[^/\s:@]+:[^/\s@]+@")),
)


def parse_config(data: Any, source: str = "config.yaml") -> Config:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of keys (timezone, accounts, …)")
    secret_paths = _find_secret_keys(data)
    if secret_paths:
        raise ConfigError(
            f"{source}: {', '.join(secret_paths)}: secrets are never read from the config file; "
            "remove them and set X_BEARER_TOKEN, META_ACCESS_TOKEN, META_APP_SECRET, SLACK_BOT_TOKEN, "
            "SLACK_WEBHOOK_URL or VIGIA_METRICS_TOKEN in the environment instead"
        )
    secret_values = _find_secret_values(data)
    if secret_values:
        raise ConfigError(
            f"{source}: {'; '.join(secret_values)}: secrets are never kept in the config file; remove the "
            "value and set it in the environment (SLACK_BOT_TOKEN, SLACK_WEBHOOK_URL, X_BEARER_TOKEN, "
            "META_ACCESS_TOKEN, META_APP_SECRET, VIGIA_DATABASE_URL)"
        )
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source)) from None


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate the configuration file (see README "Configuration")."""
    resolved = resolve_config_path(path)
    if not resolved.exists():
        raise ConfigError(
            f"configuration file {resolved} not found; pass --config PATH or set VIGIA_CONFIG "
            "(the repository ships config.yaml as a starting point)"
        )
    try:
        data = yaml.safe_load(resolved.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{resolved}: not valid YAML: {exc}") from None
    return parse_config(data, str(resolved))


def _find_secret_keys(data: Any, prefix: str = "") -> list[str]:
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if str(key).lower() in _SECRET_KEYS:
                found.append(path)
            found.extend(_find_secret_keys(value, path))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            found.extend(_find_secret_keys(item, f"{prefix}[{index}]"))
    return found


def _find_secret_values(data: Any, prefix: str = "") -> list[str]:
    """'path looks like a Slack token' for every value that looks like a secret (the value is not echoed)."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            found.extend(_find_secret_values(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            found.extend(_find_secret_values(item, f"{prefix}[{index}]"))
    elif isinstance(data, str):
        for what, pattern in _SECRET_VALUES:
            if pattern.search(data):
                found.append(f"{prefix or '(top level)'} looks like {what}")
                break
    return found


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The field names allowed at the parent of `loc`, for 'unknown key' messages."""
    model: Any = Config
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", None)
        model = args[0] if args and isinstance(args[0], type) else annotation
    return sorted(getattr(model, "model_fields", {}))


_SUBPATH = re.compile(r"^([a-z_]\w*(?:\[\d+\])*(?:\.[a-z_]\w*(?:\[\d+\])*)*): ")


def format_validation_error(exc: ValidationError, source: str) -> str:
    lines = [f"{source}: {exc.error_count()} problem(s) in the configuration:"]
    for err in exc.errors():
        loc = tuple(err["loc"])
        path = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in loc).replace(".[", "[")
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc)
            hint = f"; allowed keys here: {', '.join(allowed)}" if allowed else ""
            lines.append(f"  - {path}: unknown key (check the spelling){hint}")
            continue
        given = err.get("input")
        shown = repr(given) if not isinstance(given, dict | list) else type(given).__name__
        message = err["msg"].removeprefix("Value error, ")
        inner = _SUBPATH.match(message) if isinstance(given, dict) else None
        if inner:  # a section's check that names the key inside it ("rules[3].segment: ...")
            lines.append(f"  - {path}.{inner.group(1)}: {message[inner.end():]}")
            continue
        lines.append(f"  - {path} = {shown}: {message}")
    return "\n".join(lines)
