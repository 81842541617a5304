"""Streaming crisis-spike detector: one closed time bucket of one stream in, one verdict out.

Pure: no database, no network, no wall clock, never looks ahead. Per stream key the caller feeds closed
buckets in order; gaps are zero counts. `SeasonalBaseline` says what volume to expect (level x day of week
x hour of day x weekday/weekend hour, times a short-term "busier than usual today" ratio) and how much it
varies. A bucket is scored by its upper-tail probability under a negative binomial around that
expectation (score = -log10 p), and a spike opens on a bucket at least `min_ratio` times the expectation
(and, for counts, at least `min_count` posts) when either

- the bucket alone is far out ("burst": score >= `fire_score`), or
- a run of buckets is persistently high: a one-sided CUSUM of the log-likelihood ratio for a rate
  `cusum_ratio` times the expectation reaches `cusum_threshold`, and the run's total is itself unlikely
  (score >= `run_score`) even allowing for a model error shared by all its buckets. This catches ramps and
  modest steps that no single bucket gives away.

Evidence from consecutive buckets is discounted by their measured autocorrelation (bursts outlast a
short bucket), and thresholds are set for 15-minute buckets and shifted by the log of the number of
buckets per week, so the false-alarm rate per week does not depend on the bucket size.

A spike stays open until the volume has been back to normal for `quiet_minutes` (a wobbling spike does
not re-fire); its buckets are learnt only clipped hard. Severity grows with how far AND how long: a spike
starts as `aviso` and becomes `critico` once its excess since it opened is worth `crit_excess_minutes` of
typical volume while it runs at `crit_ratio` times the expectation or more (one huge bucket, or a long
sustained excess). A spike that lasts `max_spike_hours` is taken as the new normal: it ends and the level
is rebased to it. `level` never goes down while a spike lasts. A bucket far below its expectation
(p < OUTAGE_P) is taken for a collection outage and not learnt, for up to a day.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from analyzers.spikes_baseline import CLIP_SD, BaselineParams, Expectation, SeasonalBaseline
from analyzers.spikes_stats import (
    amount_lower_tail,
    amount_shift_llr,
    amount_surprise,
    count_lower_tail,
    count_shift_llr,
    count_surprise,
)
from domain import utc, valid_timezone

STATE_VERSION = 1
QUIET_SCORE = 1.3  # a bucket with p > 0.05 counts as back to normal
RUN_PSI = 0.01  # relative variance of a model error shared by consecutive buckets (CV 10%)
REFERENCE_BUCKETS_PER_WEEK = 7 * 24 * 4  # thresholds below are for 15-minute buckets
MIN_WARMUP_BUCKETS = 8
CRIT_MIN_COUNTS = 5  # critico also needs an excess of at least this many times min_count posts
SPIKE_CLIP_SD = 1.0  # buckets inside a spike are learnt only up to mean + this many sd
MAX_RUN_HOURS = 6.0  # a CUSUM run this long without opening a spike is dropped
OUTAGE_P = 1e-3  # a bucket this improbably low is taken for a collection outage


@dataclass(frozen=True)
class Preset:
    """Thresholds of one sensitivity preset (see the module docstring)."""

    fire_score: float  # burst: -log10 p of one bucket
    cusum_ratio: float  # persistent: the CUSUM looks for volume this many times the expectation ...
    cusum_threshold: float  # ... and fires at this log-likelihood ratio (nats)
    run_score: float  # ... and the run's total has -log10 p at least this, allowing for a shared error
    min_ratio: float  # a spike's volume is at least this many times the expectation
    crit_excess_minutes: float  # critico: excess worth this many minutes of typical volume ...
    crit_ratio: float  # ... while the spike runs at this many times the expectation


PRESETS: dict[str, Preset] = {
    "fewer": Preset(fire_score=4.2, cusum_ratio=1.7, cusum_threshold=4.0, run_score=4.2, min_ratio=2.0,
                    crit_excess_minutes=240.0, crit_ratio=2.5),
    "balanced": Preset(fire_score=3.5, cusum_ratio=1.7, cusum_threshold=3.0, run_score=3.0, min_ratio=1.5,
                       crit_excess_minutes=120.0, crit_ratio=2.0),
    "more": Preset(fire_score=3.2, cusum_ratio=1.5, cusum_threshold=3.0, run_score=2.6, min_ratio=1.3,
                   crit_excess_minutes=60.0, crit_ratio=1.5),
}


class SpikeSettings(BaseModel):
    """Detector configuration (`spikes:` in config.yaml). Every field has a sensible default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bucket_minutes: int = Field(default=15, ge=1, le=31 * 24 * 60)
    sensitivity: Literal["fewer", "balanced", "more"] = "balanced"
    timezone: str = "America/Bogota"  # seasonality (hour of day, day of week) is local wall-clock time
    min_count: int = Field(default=3, ge=1)  # count series: fewer posts than this never open a spike
    warmup_hours: float = Field(default=24.0, ge=0, le=24 * 60)  # no alert before this much history
    quiet_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)  # back to normal this long = spike over
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
    score: float  # -log10 of the upper-tail probability of `value` given `expected`
    in_spike: bool
    event: str = ""  # "start" | "escalate" | "end" | "" (nothing changed)
    since: datetime | None = None  # when the open spike (or the run that led to it) began


@dataclass
class _Run:
    """Aggregates of consecutive elevated buckets (a CUSUM run or an open spike)."""

    since: str  # ISO timestamp of the first bucket
    buckets: int = 0
    total: float = 0.0
    expected: float = 0.0
    variance: float = 0.0  # sum of the buckets' predictive variances
    excess: float = 0.0  # sum of (value - expected) / typical bucket volume
    level: str = "none"
    quiet: int = 0  # consecutive quiet buckets (open spikes only)

    def add(self, value: float, exp: Expectation, typical: float) -> None:
        self.buckets += 1
        self.total += value
        self.expected += exp.mean
        self.variance += exp.var
        self.excess += (value - exp.mean) / typical


@dataclass(frozen=True)
class _Thresholds:
    fire_score: float
    cusum_threshold: float
    run_score: float
    warmup_buckets: int
    quiet_buckets: int
    max_spike_buckets: int
    max_run_buckets: int
    day_buckets: int


def _thresholds(settings: SpikeSettings) -> _Thresholds:
    preset = PRESETS[settings.sensitivity]
    per_week = 7 * 24 * 60 / settings.bucket_minutes
    more_buckets = per_week / REFERENCE_BUCKETS_PER_WEEK
    minutes = settings.bucket_minutes
    return _Thresholds(
        fire_score=max(2.0, preset.fire_score + math.log10(more_buckets)),
        cusum_threshold=max(3.0, preset.cusum_threshold + math.log(more_buckets)),
        run_score=max(2.0, preset.run_score + math.log10(more_buckets)),
        warmup_buckets=max(MIN_WARMUP_BUCKETS, math.ceil(settings.warmup_hours * 60 / minutes)),
        quiet_buckets=max(1, math.ceil(settings.quiet_minutes / minutes)),
        max_spike_buckets=max(2, math.ceil(settings.max_spike_hours * 60 / minutes)),
        max_run_buckets=max(2, math.ceil(MAX_RUN_HOURS * 60 / minutes)),
        day_buckets=max(1, math.ceil(24 * 60 / minutes)),
    )


class SpikeDetector:
    """Spike detector for one stream key; see the module docstring."""

    def __init__(self, settings: SpikeSettings) -> None:
        self._settings = settings
        self._preset = PRESETS[settings.sensitivity]
        self._limits = _thresholds(settings)
        self._baseline = SeasonalBaseline(BaselineParams(
            bucket_minutes=settings.bucket_minutes,
            timezone=settings.timezone,
            level_half_life_hours=settings.level_half_life_hours,
            season_half_life_days=settings.season_half_life_days,
        ))
        self._next: datetime | None = None
        self._seen = 0
        self._cusum = 0.0
        self._low_streak = 0  # consecutive implausibly low buckets (not learnt)
        self._run: _Run | None = None
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
        event = ""
        if self._spike is not None:
            event, learn = self._continue_spike(value, exp, score, typical)
        else:
            event = self._watch(start, value, exp, score, typical)
            learn = not event
        if self._implausibly_low(value, exp):
            self._low_streak += 1  # most likely the collector was down: keep it out of the baseline
        else:
            self._low_streak = 0
            self._baseline.learn(exp, value, CLIP_SD if learn else SPIKE_CLIP_SD, usual=learn)
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
        )

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

    def _shift_evidence(self, value: float, exp: Expectation) -> float:
        ratio = self._preset.cusum_ratio
        if self._baseline.integer:
            return count_shift_llr(value, exp.mean, exp.psi, ratio)
        return amount_shift_llr(value, exp.mean, exp.var, ratio)

    def _watch(self, start: datetime, value: float, exp: Expectation, score: float, typical: float) -> str:
        """Outside a spike: feed the CUSUM and open a spike when the evidence is strong enough."""
        preset, limits = self._preset, self._limits
        if self._seen < limits.warmup_buckets:
            return ""  # still learning what normal looks like: no evidence is collected yet
        self._cusum = max(0.0, self._cusum + self._independence() * self._shift_evidence(value, exp))
        if self._run is not None and self._run.buckets >= limits.max_run_buckets:
            self._cusum, self._run = 0.0, None  # hours of simmering that never added up: start afresh
        if self._cusum > 0:
            if self._run is None:
                self._run = _Run(since=start.isoformat())
            self._run.add(value, exp, typical)
        else:
            self._run = None
        if value < preset.min_ratio * exp.mean or (self._baseline.integer and value < self._settings.min_count):
            return ""  # a spike never opens on a bucket that is itself unremarkable
        burst = score >= limits.fire_score
        run = self._run
        persistent = (run is not None and self._cusum >= limits.cusum_threshold
                      and self._run_surprise(run) >= limits.run_score)
        if not (burst or persistent):
            return ""
        # The spike dates from the run that led to it, but its severity counts from this bucket on: a
        # long low simmer before it says little about how bad it is now.
        spike = _Run(since=run.since if run is not None else start.isoformat())
        spike.add(value, exp, typical)
        spike.level = "critico" if self._is_critical(spike) else "aviso"
        self._spike, self._run, self._cusum = spike, None, 0.0
        self._baseline.forget_recent()
        return "start"

    def _continue_spike(self, value: float, exp: Expectation, score: float, typical: float) -> tuple[str, bool]:
        """Inside a spike: escalate, end after a quiet spell, or accept a very long one as the new normal."""
        spike = self._spike
        assert spike is not None
        spike.add(value, exp, typical)
        quiet = score < QUIET_SCORE
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

    def _independence(self) -> float:
        """Share of a bucket's evidence that is new: (1 - rho) / (1 + rho) for autocorrelated errors."""
        rho = self._baseline.rho
        return (1.0 - rho) / (1.0 + rho)

    def _run_surprise(self, run: _Run) -> float:
        """-log10 p of a run's total volume, allowing for a model error shared by its buckets.

        A CUSUM treats buckets as independent, but when the expectation is 20% low for an afternoon
        every bucket of it is: the total is tested with that shared error added (RUN_PSI).
        """
        rho, n = self._baseline.rho, run.buckets
        inflation = 1.0 + 2.0 * rho / (1.0 - rho) * (1.0 - (1.0 - rho**n) / (n * (1.0 - rho)))  # AR(1) sum
        variance = run.variance * inflation + RUN_PSI * run.expected**2
        if self._baseline.integer:
            psi = max(0.0, (variance - run.expected) / run.expected**2)
            return count_surprise(run.total, run.expected, psi)
        return amount_surprise(run.total, run.expected, variance)

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
            "cusum": self._cusum,
            "low_streak": self._low_streak,
            "run": asdict(self._run) if self._run else None,
            "spike": asdict(self._spike) if self._spike else None,
            "baseline": self._baseline.to_state(),
        }

    @classmethod
    def from_state(cls, settings: SpikeSettings, state: dict) -> SpikeDetector:
        """Rebuild a detector; a state learnt with another bucket size or time zone is refused."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported spike detector state version {state.get('version')!r}")
        for name in ("bucket_minutes", "timezone"):
            if state[name] != getattr(settings, name):
                raise ValueError(f"stored detector state has {name}={state[name]!r} but the settings say "
                                 f"{getattr(settings, name)!r}; the state must be reset")
        detector = cls(settings)
        detector._next = datetime.fromisoformat(state["next"]) if state["next"] else None
        detector._seen = int(state["seen"])
        detector._cusum = float(state["cusum"])
        detector._low_streak = int(state["low_streak"])
        detector._run = _Run(**state["run"]) if state["run"] else None
        detector._spike = _Run(**state["spike"]) if state["spike"] else None
        detector._baseline.load(state["baseline"])
        return detector


# --- backtest ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BacktestAlert:
    """One line of `backtest` output: a spike that starts, or one that escalates."""

    bucket_start: datetime
    severity: str  # "aviso" | "critico"
    value: float
    expected: float
    event: str  # "start" | "escalate"
    row: int  # index (0-based, data rows only) of the first input row in the bucket


def backtest(
    rows: Iterable[tuple[datetime, float]], settings: SpikeSettings, jitter: timedelta | None = None
) -> Iterator[BacktestAlert]:
    """Run the live detector over a regular series, one bucket at a time, and yield its alerts.

    Buckets are `settings.bucket_minutes` long and anchored at the first timestamp. A row belongs to the
    bucket that contains its timestamp moved forward by `jitter` (default half a bucket, so slightly early
    or late timestamps land in the right bucket; pass half the series' own step when `bucket_minutes` is
    coarser than the series). Rows in the same bucket are summed, so a coarser bucket aggregates a finer
    series; missing buckets are zeros. Raises ValueError naming the row (0-based) that goes back in time.
    """
    detector = SpikeDetector(settings)
    bucket = settings.bucket
    shift = bucket / 2 if jitter is None else jitter
    anchor: datetime | None = None
    current: tuple[int, float, int] | None = None  # (bucket index, summed value, first row)

    def flush(item: tuple[int, float, int]) -> Iterator[BacktestAlert]:
        assert anchor is not None
        verdict = detector.update(anchor + item[0] * bucket, item[1])
        if verdict.event in ("start", "escalate"):
            yield BacktestAlert(verdict.bucket_start, verdict.level, verdict.value, verdict.expected,
                                verdict.event, item[2])

    for number, (moment, value) in enumerate(rows):
        moment = utc(moment)
        if anchor is None:
            anchor = moment
        index = (moment - anchor + shift) // bucket
        if current is not None and index < current[0]:
            raise ValueError(f"row {number}: timestamp {moment.isoformat()} goes back in time")
        if current is not None and index == current[0]:
            current = (index, current[1] + value, current[2])
            continue
        if current is not None:
            yield from flush(current)
        current = (index, value, number)
    if current is not None:
        yield from flush(current)
