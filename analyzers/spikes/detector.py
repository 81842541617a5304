"""Streaming crisis-spike detector: one closed time bucket of one stream in, one verdict out.

Pure: no database, no network, no wall clock, never looks ahead. Per stream key the caller feeds closed
buckets in order; gaps are zero counts. `SeasonalBaseline` says what volume to expect (level x day of week
x hour of day x weekday/weekend hour, times a short-term "busier than usual today" ratio).

Real mention traffic is bursty and heavy-tailed, so how far above the expectation a bucket is, is not
judged by a textbook distribution (a negative binomial around a smooth baseline called ordinary bursts
one-in-a-million events and paged people twice a day on real X traffic). Instead, evidence windows look
at the surge at several time scales, and each is compared with the key's OWN history
(`spikes_calibration.TailCalibrator`):

- burst: the log ratio of the posts of the last `BURST_MINUTES` to their expectation (plus a small
  offset, so two posts where 0.2 were expected is not a 10x surge);
- sustained (`SUSTAINED_MINUTES`, 1 h, 4 h, 12 h): the level that at least 75% of the window's buckets
  reached, as a log ratio to their expectation. One retweet storm does not move it; a surge that holds does.

A spike opens when some window's statistic reaches the level that ordinary traffic of this key reaches
about once per `false_alarm_days` (bursts, the commonest false alarm, once per `burst_factor` times that),
and the surge is material: the window holds at least `min_ratio` times its expected volume and, for
counts, at least `min_excess` posts above it, and the bucket itself is above its expectation and has at
least `min_count` posts. A small topic therefore cannot page people on a handful of posts, and a key whose
traffic jumps tenfold every other day learns that such jumps are ordinary for it.

A spike stays open until every window has been back under `QUIET_RATIO` times the expectation for
`quiet_minutes` (a wobbling spike does not re-fire); its buckets are learnt by the baseline only clipped
hard (they still feed the calibration: a key that has crises learns how large they get). Severity grows
with how far AND how long: a spike starts as `aviso` and becomes `critico` once its excess since it opened
is worth `crit_excess_minutes` of typical volume while it runs at `crit_ratio` times the expectation or
more. A spike that lasts `max_spike_hours` is taken as the new normal: it ends and the level is rebased
to it. `level` never goes down while a spike lasts. A bucket far below its expectation (p < OUTAGE_P)
is taken for a collection outage and not learnt, for up to a day.

Parameters were chosen on real tweet-volume series with labelled anomalies (NAB realTweets) by
leave-one-series-out cross-validation; see docs/spikes.md and benchmarks/spikes_real.py.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from analyzers.spikes.baseline import CLIP_SD, BaselineParams, Expectation, SeasonalBaseline
from analyzers.spikes.calibration import TailCalibrator
from analyzers.spikes.stats import amount_lower_tail, amount_surprise, count_lower_tail, count_surprise
from domain import utc, valid_timezone

STATE_VERSION = 2
BURST_MINUTES = 15
SUSTAINED_MINUTES = (60, 240, 720)
SUSTAINED_QUANTILE = 0.25  # sustained level: the one that 75% of the window's buckets reached
BURST_OFFSET = 10.0  # posts added to observed and expected volume of the burst window
BUCKET_OFFSET = 2.0  # posts added to each bucket's observed and expected volume (sustained windows)
FLOAT_OFFSET_SHARE = 0.5  # non-count series: the offsets are this share of the typical bucket
QUIET_RATIO = 1.3  # every window under this ratio counts as back to normal
BLOCK_MINUTES = 15  # calibration counts at most one exceedance per this many minutes
CALIBRATION_HALF_LIFE_DAYS = 28.0
CALIBRATION_PRIOR_DAYS = 2.0  # a new key's calibration starts from an exponential tail worth this ...
CALIBRATION_PRIOR_SCALE = 0.25  # ... of this scale on the log ratio (P(ratio > 2) ~ 6% of blocks) for bursts,
CALIBRATION_PRIOR_SCALE_SUSTAINED = 0.15  # ... and of this one for sustained windows (levels held vary less)
MIN_WARMUP_BUCKETS = 8
CRIT_MIN_COUNTS = 5  # critico also needs an excess of at least this many times min_count posts
SPIKE_CLIP_SD = 1.0  # buckets inside a spike are learnt only up to mean + this many sd
OUTAGE_P = 1e-3  # a bucket this improbably low is taken for a collection outage


@dataclass(frozen=True)
class Preset:
    """Thresholds of one sensitivity preset (see the module docstring)."""

    false_alarm_days: float  # each sustained window: ordinary traffic reaches its threshold once per this
    burst_factor: float  # the burst window asks for this many times rarer surges
    min_ratio: float  # a spike's window volume is at least this many times the expectation
    crit_excess_minutes: float  # critico: excess worth this many minutes of typical volume ...
    crit_ratio: float  # ... while the spike runs at this many times the expectation


PRESETS: dict[str, Preset] = {
    "fewer": Preset(false_alarm_days=28.0, burst_factor=2.0, min_ratio=2.0, crit_excess_minutes=480.0,
                    crit_ratio=2.5),
    "balanced": Preset(false_alarm_days=14.0, burst_factor=2.0, min_ratio=1.5, crit_excess_minutes=360.0,
                       crit_ratio=2.0),
    "more": Preset(false_alarm_days=7.0, burst_factor=2.0, min_ratio=1.3, crit_excess_minutes=180.0,
                   crit_ratio=1.5),
}


class SpikeSettings(BaseModel):
    """Detector configuration (`spikes:` in config.yaml). Every field has a sensible default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bucket_minutes: int = Field(default=15, ge=1, le=31 * 24 * 60)
    sensitivity: Literal["fewer", "balanced", "more"] = "balanced"
    timezone: str = "America/Bogota"  # seasonality (hour of day, day of week) is local wall-clock time
    min_count: int = Field(default=3, ge=1)  # count series: a bucket with fewer posts never opens a spike
    min_excess: float = Field(default=10.0, ge=0)  # count series: posts above the expected a spike needs
    warmup_hours: float = Field(default=24.0, ge=0, le=24 * 60)  # no alert before this much history
    quiet_minutes: int = Field(default=120, ge=1, le=7 * 24 * 60)  # back to normal this long = spike over
    max_spike_hours: float = Field(default=24.0, gt=0, le=24 * 60)  # longer = the new normal
    level_half_life_hours: float = Field(default=72.0, gt=0, le=24 * 365)
    season_half_life_days: float = Field(default=28.0, ge=1, le=365)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return valid_timezone(value)

    @property
    def bucket(self) -> timedelta:
        return timedelta(minutes=self.bucket_minutes)


@dataclass(frozen=True)
class Verdict:
    """What the detector says about one bucket."""

    bucket_start: datetime
    value: float
    expected: float
    level: str  # "none" | "aviso" | "critico"; never goes down while a spike lasts
    score: float  # -log10 of the model's upper-tail probability of `value` given `expected` (diagnostic)
    in_spike: bool
    event: str = ""  # "start" | "escalate" | "end" | "" (nothing changed)
    since: datetime | None = None  # when the open spike (or the surge that led to it) began
    evidence: str = ""  # at "start": the window that fired, e.g. "burst 15 min" or "sustained 240 min"


@dataclass
class _Run:
    """Aggregates of an open spike."""

    since: str  # ISO timestamp of the first bucket
    buckets: int = 0
    total: float = 0.0
    expected: float = 0.0
    excess: float = 0.0  # sum of (value - expected) / typical bucket volume
    level: str = "none"
    quiet: int = 0  # consecutive quiet buckets

    def add(self, value: float, exp: Expectation, typical: float) -> None:
        self.buckets += 1
        self.total += value
        self.expected += exp.mean
        self.excess += (value - exp.mean) / typical


@dataclass(frozen=True)
class _Window:
    name: str
    buckets: int
    sustained: bool
    rate: float  # per calibration block: the share of ordinary blocks allowed over the threshold


@dataclass(frozen=True)
class _Evidence:
    statistic: float  # log ratio
    total: float
    expected: float


@dataclass(frozen=True)
class _Thresholds:
    warmup_buckets: int
    quiet_buckets: int
    max_spike_buckets: int
    day_buckets: int


def _block_buckets(settings: SpikeSettings) -> int:
    """Buckets per calibration block (declustering: one exceedance per BLOCK_MINUTES at most)."""
    return max(1, round(BLOCK_MINUTES / settings.bucket_minutes))


def _windows(settings: SpikeSettings) -> tuple[_Window, ...]:
    """The evidence windows in buckets (a sustained window of one bucket would repeat the burst one)."""
    preset = PRESETS[settings.sensitivity]
    minutes = settings.bucket_minutes
    blocks_per_day = 24 * 60 / (_block_buckets(settings) * minutes)
    rate = 1.0 / (preset.false_alarm_days * blocks_per_day)  # per calibration block
    burst = max(1, round(BURST_MINUTES / minutes))
    windows = [_Window(f"burst {burst * minutes} min", burst, False, rate / preset.burst_factor)]
    for span in SUSTAINED_MINUTES:
        size = max(1, round(span / minutes))
        if size > 1 and all(w.buckets != size or not w.sustained for w in windows):
            windows.append(_Window(f"sustained {size * minutes} min", size, True, rate))
    return tuple(windows)


def _thresholds(settings: SpikeSettings) -> _Thresholds:
    minutes = settings.bucket_minutes
    return _Thresholds(
        warmup_buckets=max(MIN_WARMUP_BUCKETS, math.ceil(settings.warmup_hours * 60 / minutes)),
        quiet_buckets=max(1, math.ceil(settings.quiet_minutes / minutes)),
        max_spike_buckets=max(2, math.ceil(settings.max_spike_hours * 60 / minutes)),
        day_buckets=max(1, math.ceil(24 * 60 / minutes)),
    )


class SpikeDetector:
    """Spike detector for one stream key; see the module docstring."""

    def __init__(self, settings: SpikeSettings) -> None:
        self._settings = settings
        self._preset = PRESETS[settings.sensitivity]
        self._limits = _thresholds(settings)
        self._windows = _windows(settings)
        self._baseline = SeasonalBaseline(BaselineParams(
            bucket_minutes=settings.bucket_minutes,
            timezone=settings.timezone,
            level_half_life_hours=settings.level_half_life_hours,
            season_half_life_days=settings.season_half_life_days,
        ))
        block = _block_buckets(settings)
        blocks_per_day = 24 * 60 / (block * settings.bucket_minutes)
        self._calibrators = [
            TailCalibrator(CALIBRATION_HALF_LIFE_DAYS * blocks_per_day, CALIBRATION_PRIOR_DAYS * blocks_per_day,
                           CALIBRATION_PRIOR_SCALE_SUSTAINED if window.sustained else CALIBRATION_PRIOR_SCALE, block)
            for window in self._windows
        ]
        self._recent: list[tuple[float, float]] = []  # (value, expected) of the last buckets, oldest first
        self._next: datetime | None = None
        self._seen = 0
        self._low_streak = 0  # consecutive implausibly low buckets (not learnt)
        self._spike: _Run | None = None

    # --- the stream ---------------------------------------------------------------------------------

    def update(self, bucket_start: datetime, count: float) -> Verdict:
        """Score the bucket starting at `bucket_start`; missing buckets before it count as zero."""
        start = utc(bucket_start)
        if count < 0 or not math.isfinite(count):
            raise ValueError(f"bucket {start.isoformat()}: value {count!r} must be a finite number >= 0")
        bucket = self._settings.bucket
        if self._next is not None:
            if start < self._next:
                raise ValueError(f"bucket {start.isoformat()} is not after the last one "
                                 f"({(self._next - bucket).isoformat()})")
            if (start - self._next) % bucket:
                raise ValueError(f"bucket {start.isoformat()} is not on the {self._settings.bucket_minutes}-minute "
                                 f"grid that started at {self._next.isoformat()}")
            while self._next < start:
                self._step(self._next, 0)
        return self._step(start, count)

    def _step(self, start: datetime, value: float) -> Verdict:
        self._baseline.note_value(value)
        exp = self._baseline.expect(start)
        score = self._surprise(value, exp)
        typical = max(exp.mean, exp.level)
        self._recent.append((value, exp.mean))
        del self._recent[:-max(w.buckets for w in self._windows)]
        evidence = [self._evidence(window, exp.level) for window in self._windows]
        event, fired = "", ""
        if self._spike is not None:
            event, learn = self._continue_spike(value, exp, evidence, typical)
        else:
            fired = self._watch(value, exp, evidence)
            if fired:
                self._open_spike(start, value, exp, typical, fired)
                event = "start"
            learn = not event
        if self._seen >= self._limits.warmup_buckets:  # a baseline still learning its first day is no reference
            for calibrator, item in zip(self._calibrators, evidence, strict=True):
                calibrator.learn(item.statistic)  # spikes too: a key that has crises learns how large they get
        if self._implausibly_low(value, exp):
            self._low_streak += 1  # most likely the collector was down: keep it out of the baseline
        else:
            self._low_streak = 0
            self._baseline.learn(exp, value, CLIP_SD if learn else SPIKE_CLIP_SD, usual=learn)
        if event == "start":
            self._baseline.forget_recent()
        self._seen += 1
        self._next = start + self._settings.bucket
        spike = self._spike
        return Verdict(
            bucket_start=start,
            value=value,
            expected=exp.mean,
            level=spike.level if spike else "none",
            score=score,
            in_spike=spike is not None,
            event=event,
            since=datetime.fromisoformat(spike.since) if spike else None,
            evidence=fired,
        )

    def _evidence(self, window: _Window, level: float) -> _Evidence:
        recent = self._recent[-window.buckets:]
        total = sum(v for v, _ in recent)
        expected = sum(e for _, e in recent)
        integer = self._baseline.integer
        if window.sustained:
            offset = BUCKET_OFFSET if integer else FLOAT_OFFSET_SHARE * level
            ratios = sorted(math.log((v + offset) / (e + offset)) for v, e in recent) if offset > 0 else [0.0]
            statistic = ratios[int(SUSTAINED_QUANTILE * (len(ratios) - 1))]
        else:
            offset = BURST_OFFSET if integer else FLOAT_OFFSET_SHARE * level * len(recent)
            statistic = math.log((total + offset) / (expected + offset)) if offset > 0 else 0.0
        return _Evidence(statistic, total, expected)

    def _surprise(self, value: float, exp: Expectation) -> float:
        if self._baseline.integer:
            return count_surprise(value, exp.mean, exp.psi)
        return amount_surprise(value, exp.mean, exp.var)

    def _implausibly_low(self, value: float, exp: Expectation) -> bool:
        """Far too little volume (p < OUTAGE_P), for no longer than a day: not learnt.

        An empty hour where dozens of posts are usual is a collection outage, not a quieter audience.
        A drop that lasts longer is real and is learnt again.
        """
        if self._low_streak >= self._limits.day_buckets or self._seen < self._limits.warmup_buckets:
            return False
        if self._baseline.integer:
            return count_lower_tail(value, exp.mean, exp.psi) < OUTAGE_P
        return amount_lower_tail(value, exp.mean, exp.var) < OUTAGE_P

    def _watch(self, value: float, exp: Expectation, evidence: list[_Evidence]) -> str:
        """Outside a spike: the name of the first window whose surge is both rare for this key and material."""
        if self._seen < self._limits.warmup_buckets:
            return ""  # still learning what normal looks like
        integer = self._baseline.integer
        if value < exp.mean or (integer and value < self._settings.min_count):
            return ""  # a spike never opens on a bucket that is itself unremarkable
        for window, item, calibrator in zip(self._windows, evidence, self._calibrators, strict=True):
            if item.total < self._preset.min_ratio * item.expected:
                continue
            if integer and item.total - item.expected < self._settings.min_excess:
                continue
            if item.statistic >= calibrator.threshold(window.rate):
                return window.name
        return ""

    def _open_spike(self, start: datetime, value: float, exp: Expectation, typical: float, fired: str) -> None:
        window = next(w for w in self._windows if w.name == fired)
        since = start - (min(window.buckets, len(self._recent)) - 1) * self._settings.bucket
        spike = _Run(since=since.isoformat())
        spike.add(value, exp, typical)
        spike.level = "critico" if self._is_critical(spike) else "aviso"
        self._spike = spike

    def _continue_spike(self, value: float, exp: Expectation, evidence: list[_Evidence],
                        typical: float) -> tuple[str, bool]:
        """Inside a spike: escalate, end after a quiet spell, or accept a very long one as the new normal."""
        spike = self._spike
        assert spike is not None
        spike.add(value, exp, typical)
        quiet = max(item.statistic for item in evidence) < math.log(QUIET_RATIO)
        spike.quiet = spike.quiet + 1 if quiet else 0
        if spike.quiet >= self._limits.quiet_buckets:
            self._spike = None
            return "end", True
        if spike.buckets >= self._limits.max_spike_buckets:
            self._spike = None
            self._baseline.rebase(spike.total / spike.expected)
            return "end", False
        if spike.level == "aviso" and self._is_critical(spike):
            spike.level = "critico"
            return "escalate", quiet
        return "", quiet

    def _is_critical(self, run: _Run) -> bool:
        preset = self._preset
        far_and_long = run.excess * self._settings.bucket_minutes >= preset.crit_excess_minutes
        strong = run.total >= preset.crit_ratio * run.expected
        enough = not self._baseline.integer or run.total - run.expected >= CRIT_MIN_COUNTS * self._settings.min_count
        return far_and_long and strong and enough

    # --- persistence --------------------------------------------------------------------------------

    def to_state(self) -> dict:
        """JSON-serialisable snapshot; `from_state` continues exactly where this left off."""
        return {
            "version": STATE_VERSION,
            "bucket_minutes": self._settings.bucket_minutes,
            "timezone": self._settings.timezone,
            "next": self._next.isoformat() if self._next else None,
            "seen": self._seen,
            "low_streak": self._low_streak,
            "recent": [list(item) for item in self._recent],
            "calibration": [c.to_state() for c in self._calibrators],
            "spike": asdict(self._spike) if self._spike else None,
            "baseline": self._baseline.to_state(),
        }

    @classmethod
    def from_state(cls, settings: SpikeSettings, state: dict) -> SpikeDetector:
        """Rebuild a detector; a state learnt with another bucket size or time zone is refused.

        A version-1 state (the earlier negative-binomial detector) keeps its learnt baseline and open
        spike; only the calibration starts afresh, from its prior. A changed sensitivity keeps everything:
        it only moves the rates asked of the calibration, not what it learnt.
        """
        version = state.get("version")
        if version not in (1, STATE_VERSION):
            raise ValueError(f"unsupported spike detector state version {version!r}")
        for name in ("bucket_minutes", "timezone"):
            if state[name] != getattr(settings, name):
                raise ValueError(f"stored detector state has {name}={state[name]!r} but the settings say "
                                 f"{getattr(settings, name)!r}; the state must be reset")
        detector = cls(settings)
        detector._next = datetime.fromisoformat(state["next"]) if state["next"] else None
        detector._seen = int(state["seen"])
        detector._low_streak = int(state["low_streak"])
        if state["spike"]:
            fields = {k: v for k, v in state["spike"].items() if k in _Run.__dataclass_fields__}
            detector._spike = _Run(**fields)
        detector._baseline.load(state["baseline"])
        if version == STATE_VERSION:
            detector._recent = [(float(v), float(e)) for v, e in state["recent"]]
            for calibrator, saved in zip(detector._calibrators, state["calibration"], strict=True):
                calibrator.load(saved)
        return detector


# --- backtest ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BacktestAlert:
    """One line of `backtest` output: a spike that starts, or one that escalates."""

    bucket_start: datetime
    severity: str  # "aviso" | "critico"
    value: float
    expected: float
    event: str  # "start" | "escalate" (| "end" when asked for)
    row: int  # index (0-based, data rows only) of the last input row in the bucket: when it is known


def backtest(
    rows: Iterable[tuple[datetime, float]], settings: SpikeSettings, jitter: timedelta | None = None,
    include_ends: bool = False,
) -> Iterator[BacktestAlert]:
    """Run the live detector over a regular series, one bucket at a time, and yield its alerts.

    Buckets are `settings.bucket_minutes` long and anchored at the first timestamp. A row belongs to the
    bucket that contains its timestamp moved forward by `jitter` (default half a bucket, so slightly early
    or late timestamps land in the right bucket; pass half the series' own step when `bucket_minutes` is
    coarser than the series). Rows in the same bucket are summed, so a coarser bucket aggregates a finer
    series; missing buckets are zeros. An alert names the bucket's LAST row: a bucket that sums three
    5-minute rows is only known once the third has arrived, so reporting the first would be look-ahead.
    With `include_ends`, the end of each spike is yielded too (event "end", the level it had): a
    recovery message, for counting what people receive. Raises ValueError naming the row (0-based)
    that goes back in time.
    """
    detector = SpikeDetector(settings)
    bucket = settings.bucket
    shift = bucket / 2 if jitter is None else jitter
    anchor: datetime | None = None
    current: tuple[int, float, int] | None = None  # (bucket index, summed value, last row)

    level = "none"

    def flush(item: tuple[int, float, int]) -> Iterator[BacktestAlert]:
        nonlocal level
        assert anchor is not None
        verdict = detector.update(anchor + item[0] * bucket, item[1])
        if verdict.event in ("start", "escalate") or (include_ends and verdict.event == "end"):
            severity = verdict.level if verdict.event != "end" else level
            yield BacktestAlert(verdict.bucket_start, severity, verdict.value, verdict.expected,
                                verdict.event, item[2])
        level = verdict.level

    for number, (moment, value) in enumerate(rows):
        moment = utc(moment)
        if anchor is None:
            anchor = moment
        index = (moment - anchor + shift) // bucket
        if current is not None and index < current[0]:
            raise ValueError(f"row {number}: timestamp {moment.isoformat()} goes back in time")
        if current is not None and index == current[0]:
            current = (index, current[1] + value, number)
            continue
        if current is not None:
            yield from flush(current)
        current = (index, value, number)
    if current is not None:
        yield from flush(current)
