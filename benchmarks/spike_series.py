"""Seeded generator of realistic mention-volume series with labelled spikes (for benchmarks/spikes.py).

One series is several weeks of 15-minute counts for one stream, in Bogotá wall-clock time:

- rhythm: a daily shape (night near zero, morning ramp, midday and evening peaks) that starts later on
  weekends, and weekend days quieter than weekdays;
- noise: gamma-Poisson (overdispersed) counts, a random busier or quieter day, and a slow within-day
  wander (AR(1) on the log rate), so real data's "some days are just busy" is there;
- drift: the audience grows (or shrinks a little) over the period;
- outliers that are NOT spikes: collector outages (a few empty buckets) and single-bucket blips of
  1.3-1.8x, which a detector should neither alert on nor learn from;
- labelled spikes of four shapes (step of a few hours, ramp, short sharp burst, multi-hour plateau), of
  sizes from modest to huge, mostly in the daytime, sometimes a second one a few hours after the first.
  A spike adds posts on top of the normal volume; its window runs from its first to its last bucket.

Spike size is in units of the stream's peak rate per bucket (at least 2 posts per bucket, since a crisis
in a quiet stream still means several posts), so it is comparable across streams of different volumes;
a spike is at least MIN_SPIKE_POSTS extra posts in all (fewer is noise, not a crisis anyone must hear of).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np

BUCKET = timedelta(minutes=15)
BUCKETS_PER_DAY = 96
PEAK_RATES = (0.5, 3.0, 20.0, 100.0)  # posts per 15-minute bucket at a weekday's peak
SHAPES = ("step", "ramp", "burst", "plateau")
MIN_SPIKE_POSTS = 10.0  # expected extra posts of the smallest labelled spike

# Weekday hourly shape (relative to the peak), local time 00..23.
_WEEKDAY_SHAPE = np.array([0.12, 0.07, 0.04, 0.03, 0.03, 0.06, 0.15, 0.35, 0.6, 0.8, 0.95, 1.0,
                           0.9, 0.85, 0.85, 0.8, 0.75, 0.7, 0.75, 0.85, 0.9, 0.7, 0.45, 0.25])


@dataclass(frozen=True)
class Spike:
    start: int  # first bucket index
    end: int  # last bucket index (inclusive)
    shape: str
    size: float  # peak excess in units of the stream's peak rate


@dataclass(frozen=True)
class Series:
    name: str
    peak_rate: float
    start: datetime  # aware UTC, first bucket
    counts: np.ndarray  # int64, one per 15-minute bucket
    spikes: tuple[Spike, ...]
    normal: np.ndarray  # the generator's own expected volume without spikes (for diagnostics)

    def timestamps(self) -> list[datetime]:
        return [self.start + i * BUCKET for i in range(len(self.counts))]


def _daily_shape(rng: np.random.Generator) -> np.ndarray:
    """A stream's own weekday shape at 15-minute resolution (a jittered copy of the common one)."""
    hourly = _WEEKDAY_SHAPE * rng.lognormal(0.0, 0.1, 24)
    return np.interp(np.arange(BUCKETS_PER_DAY) / 4.0, np.arange(25), np.append(hourly, hourly[0]))


def _background(rng: np.random.Generator, peak: float, days: int, first_weekday: int) -> np.ndarray:
    """Expected volume per bucket without spikes: rhythm x weekly pattern x drift x daily and slow noise."""
    shape = _daily_shape(rng)
    weekend_shape = np.roll(shape, 6)  # weekends start about 1.5 hours later
    weekend_level = (rng.uniform(0.55, 0.75), rng.uniform(0.45, 0.65))  # Saturday, Sunday
    growth = rng.uniform(-0.05, 0.5)  # total change of the audience over the period
    n = days * BUCKETS_PER_DAY
    t = np.arange(n)
    rate = np.empty(n)
    for day in range(days):
        weekday = (first_weekday + day) % 7
        part = slice(day * BUCKETS_PER_DAY, (day + 1) * BUCKETS_PER_DAY)
        if weekday >= 5:
            rate[part] = weekend_shape * weekend_level[weekday - 5]
        else:
            rate[part] = shape
        rate[part] *= rng.lognormal(0.0, 0.12)  # a busier or quieter day
    wander = np.empty(n)
    level = 0.0
    for i, step in enumerate(rng.normal(0.0, 0.04, n)):  # AR(1), about 2-hour memory
        level = 0.9 * level + step
        wander[i] = level
    return peak * rate * np.exp(wander) * (1.0 + growth * t / n)


def _spike_profile(shape: str, rng: np.random.Generator) -> np.ndarray:
    """Relative excess (peak 1) per bucket for one spike."""
    if shape == "step":
        return np.ones(int(rng.integers(8, 25)))  # 2-6 hours
    if shape == "ramp":
        rise = int(rng.integers(4, 13))  # 1-3 hours up, an hour at the top, then down
        fall = int(rng.integers(4, 9))
        return np.concatenate([np.arange(1, rise + 1) / rise, np.ones(4), np.arange(fall, 0, -1) / (fall + 1)])
    if shape == "burst":
        return np.array([1.0, 0.6, 0.25][: int(rng.integers(1, 4))])  # 15-45 minutes
    plateau = int(rng.integers(16, 33))  # 4-8 hours
    return np.concatenate([[0.5], np.ones(plateau), [0.6, 0.3]])


def _spike_size(shape: str, rng: np.random.Generator) -> float:
    low, high = (1.5, 10.0) if shape == "burst" else (0.6, 6.0)
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def _place_spikes(rng: np.random.Generator, days: int) -> list[tuple[int, str, float]]:
    """Spike starts: every 1.5 to 4.5 days, mostly in the daytime, never in the first 36 hours."""
    out: list[tuple[int, str, float]] = []
    n = days * BUCKETS_PER_DAY
    t = int(1.5 * BUCKETS_PER_DAY)
    while True:
        t += int(rng.integers(3, 10) * BUCKETS_PER_DAY // 2)  # 1.5 to 5 days later
        if out and rng.random() < 0.2:
            t = out[-1][0] + int(rng.integers(24, 49))  # a second one 6-12 hours after the previous
        local_hour = (t % BUCKETS_PER_DAY) // 4  # series start at local midnight
        if rng.random() < 0.85 and not 7 <= local_hour <= 22:
            t += ((7 - local_hour) % 24) * 4 + int(rng.integers(0, 40))  # move most to the daytime
        if t >= n - 2 * BUCKETS_PER_DAY // 4:
            return out
        shape = SHAPES[int(rng.integers(0, len(SHAPES)))]
        out.append((t, shape, _spike_size(shape, rng)))


def generate(seed: int, peak_rate: float, weeks: int = 8, name: str | None = None) -> Series:
    """One stream's series; the same (seed, peak_rate, weeks) always gives the same series."""
    rng = np.random.default_rng([seed, int(peak_rate * 1000), weeks])
    days = weeks * 7
    first_weekday = int(rng.integers(0, 7))
    start = datetime(2024, 1, 1, 5, tzinfo=UTC) + timedelta(days=first_weekday)  # local midnight
    rate = _background(rng, peak_rate, days, first_weekday)
    dispersion = rng.uniform(0.03, 0.15)
    n = len(rate)

    for i in rng.choice(n, size=days // 2, replace=False):  # blips: 1.3-1.8x for one bucket
        rate[i] *= rng.uniform(1.3, 1.8)

    spikes: list[Spike] = []
    excess = np.zeros(n)
    free_after = 0
    for t, shape, size in _place_spikes(rng, days):
        if t < free_after:
            continue
        profile = _spike_profile(shape, rng) * size * max(peak_rate, 2.0)
        if profile.sum() < MIN_SPIKE_POSTS:  # a crisis is at least this many extra posts
            size *= MIN_SPIKE_POSTS / profile.sum()
            profile *= MIN_SPIKE_POSTS / profile.sum()
        end = min(n, t + len(profile))
        excess[t:end] += profile[: end - t]
        spikes.append(Spike(t, end - 1, shape, size))
        free_after = end + 8

    gamma = rng.gamma(1.0 / dispersion, dispersion, n)
    counts = rng.poisson(rate * gamma) + rng.poisson(excess)
    for _ in range(weeks):  # collector outages: 1-4 empty buckets, outside spikes
        i = int(rng.integers(0, n - 4))
        if not excess[i : i + 4].any():
            counts[i : i + int(rng.integers(1, 5))] = 0
    return Series(name or f"peak{peak_rate:g}-seed{seed}", peak_rate, start, counts.astype(np.int64),
                  tuple(spikes), rate)


def generate_set(seeds: list[int], weeks: int = 8) -> list[Series]:
    """Every stream volume for every seed."""
    return [generate(seed, peak, weeks) for seed in seeds for peak in PEAK_RATES]
