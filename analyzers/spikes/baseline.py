"""What volume to expect in the next bucket of one stream, learnt online with bounded state.

expected = level x day-of-week x hour-of-day x weekday/weekend-hour x short-term ratio:

- the level is the deseasonalised mean per bucket, a ratio of exponentially decayed sums (the Poisson
  maximum-likelihood rate), so it follows slow audience growth and forgets old months;
- each seasonal factor is a ratio of decayed sums per slot with a gamma prior centred on 1: a slot never
  seen falls back to the coarser layers (day one works), a night slot full of zeros gives a small
  expectation instead of a division by zero. Slots forget per occurrence (per day, per week), learn
  from an occurrence only once it is over (a spike cannot raise its own expectation), and hourly slots
  interpolate between neighbouring hours. Weekends get their own hour-of-day profile on top of the
  shared one, because people wake up later on Saturdays;
- every component learns against the current values of the others, and the factors are renormalised
  to average 1 each day, so the level keeps meaning "a typical bucket";
- the short-term ratio (recent volume / seasonal expectation, half-life 3 h, shrunk towards 1) follows a
  busier or quieter day; it leaves out the last hour, so the onset of a spike does not explain itself away;
- the spread: variance = mean + psi x mean^2 (negative binomial). psi is the dispersion the predictions
  actually show (a moment estimate with errors clipped at 3 sd) plus each estimate's own uncertainty, so
  a young model asks for a larger deviation before calling something a spike. The lag-1 autocorrelation of the errors is
  measured too, for the detector to discount runs of correlated buckets;
- values are clipped to mean +/- 3 sd before they are learnt, so outliers cannot poison the baseline; the
  detector clips spike buckets much harder, keeps a spike's onset out of the short-term ratio, and does
  not pass on buckets so low they must be a collection outage.

A series with a non-integer value is not a count: it has no Poisson term and is scored with a gamma.
Seasonality is in wall-clock terms of the configured time zone: hours of the day exist only for buckets
shorter than a day and days of the week only for buckets shorter than a week.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

CLIP_SD = 3.0  # learnt values are clipped to mean +/- CLIP_SD standard deviations
DISPERSION_CLIP = 9.0  # a squared error counts for at most this many predicted variances (3 sd) in psi
MAX_LAYER_VARIANCE = 4.0  # relative variance of a layer with no information at all
PRIOR_DOW, PRIOR_HOD, PRIOR_HOT = 10.0, 1.0, 3.0  # prior strength (effective counts) of each layer
PRIOR_PSI_COUNT, PRIOR_PSI_FLOAT = 0.02, 0.01  # prior extra dispersion for counts / non-count series
WEIGHT_PSI_COUNT, WEIGHT_PSI_FLOAT = 0.05, 0.01  # overdispersion assumed when weighing data against priors
FLOOR_SHARE = 0.01  # the expectation never drops below this share of the level
MIN_CLIP_COUNTS = 10.0  # values are clipped only once the level rests on this many effective counts
DISPERSION_HALF_LIFE_DAYS = 7.0
PRIOR_PSI_WEIGHT = 20.0  # the prior psi is worth this many average buckets
PRIOR_RHO_WEIGHT = 50.0  # buckets' worth of "no autocorrelation" before the data speak
MAX_RHO = 0.8
MIN_LEVEL_HALF_LIFE_BUCKETS = 10.0
RECENT_HALF_LIFE_HOURS = 3.0  # the short-term ratio (today is busier than usual) ...
RECENT_LAG_HOURS = 1.0  # ... leaves out the last hour, so a spike's own onset does not raise it
PRIOR_RECENT = 30.0  # effective counts pulling the short-term ratio towards 1 (day-to-day CV ~ 18%)
MAX_RECENT_RATIO = 1.3  # a busy or quiet day moves the expectation by 30% at most; beyond that is a spike
MAX_REBASE = 20.0


@dataclass(frozen=True)
class BaselineParams:
    bucket_minutes: int
    timezone: str
    level_half_life_hours: float
    season_half_life_days: float


Point = tuple[tuple[int, int, float], ...]  # (slot, occurrence, weight) pairs: where a bucket sits in a layer


@dataclass(frozen=True)
class Expectation:
    """The prediction for one bucket, and what is needed to learn from it afterwards."""

    mean: float
    psi: float  # relative variance: observation overdispersion plus model uncertainty
    var: float
    level: float  # deseasonalised mean per bucket (the "typical" bucket)
    seasonal: float  # the expectation before the short-term ratio
    factors: tuple[float, float, float]  # day of week, hour of day, weekday/weekend hour
    points: tuple[Point, Point, Point]  # the bucket's place in each layer (empty: layer not used)
    day: int  # local day number
    disp: float  # variance-to-mean ratio of this bucket: what one effective count is worth

    @property
    def sd(self) -> float:
        return math.sqrt(self.var)


class _Layer:
    """Per-slot decayed sums of observed values (x) and of values expected with a factor of 1 (w).

    A slot learns from an occurrence (a day, a week) only once that occurrence is over: within today the
    hour-of-day profile is frozen, so a spike the detector has not caught yet cannot raise its own
    expectation bucket after bucket. Hourly layers interpolate linearly between the two nearest slot
    centres, so a morning ramp inside an hour is followed instead of averaged away; each observation is
    shared between those two slots.
    """

    def __init__(self, size: int, prior: float, decay_per_occurrence: float) -> None:
        self.x = [0.0] * size  # settled sums, as of occurrence `settled`
        self.w = [0.0] * size
        self.settled = [-1] * size
        self.open_x = [0.0] * size  # sums of the occurrence `open` still in progress
        self.open_w = [0.0] * size
        self.open = [-1] * size
        self.prior = prior
        self.decay = decay_per_occurrence

    def _sums(self, slot: int, occurrence: int, live: bool = False) -> tuple[float, float]:
        """Decayed sums over every occurrence before `occurrence` (and the open one too if `live`)."""
        x, w, at = self.x[slot], self.w[slot], self.settled[slot]
        opened = self.open[slot]
        if opened >= 0 and (opened < occurrence or (live and opened == occurrence)):
            keep = self.decay ** (opened - at) if at >= 0 else 0.0
            x, w, at = x * keep + self.open_x[slot], w * keep + self.open_w[slot], opened
        if at < 0:
            return 0.0, 0.0
        keep = self.decay ** max(0, occurrence - at)
        return x * keep, w * keep

    def factor(self, point: Point, dispersion: float, live: bool = False) -> tuple[float, float]:
        """(factor, relative variance): gamma posterior mean and squared CV, blended over the point.

        Predictions use what earlier occurrences settled; learning (`live`) also uses the open one.
        """
        factor = variance = 0.0
        pseudo = self.prior * dispersion
        for slot, occurrence, weight in point:
            x, w = self._sums(slot, occurrence, live)
            factor += weight * (x + pseudo) / (w + pseudo)
            variance += weight / (self.prior + x / dispersion)
        return factor, variance

    def learn(self, point: Point, value: float, expected: float) -> None:
        for slot, occurrence, weight in point:
            if self.open[slot] != occurrence:
                self.x[slot], self.w[slot] = self._sums(slot, occurrence)
                self.settled[slot] = occurrence - 1 if self.open[slot] >= 0 else -1
                self.open[slot], self.open_x[slot], self.open_w[slot] = occurrence, 0.0, 0.0
            self.open_x[slot] += weight * value
            self.open_w[slot] += weight * expected

    def rescale(self, mean: float) -> None:
        """Divide every factor by about `mean` (the expectations behind `w` grow by that much)."""
        self.w = [w * mean for w in self.w]
        self.open_w = [w * mean for w in self.open_w]

    def to_state(self) -> dict:
        return {"x": list(self.x), "w": list(self.w), "settled": list(self.settled),
                "open_x": list(self.open_x), "open_w": list(self.open_w), "open": list(self.open)}

    def load(self, state: dict) -> None:
        if len(state["x"]) != len(self.x):
            raise ValueError("stored seasonal layer has the wrong size")
        self.x = [float(v) for v in state["x"]]
        self.w = [float(v) for v in state["w"]]
        self.settled = [int(v) for v in state["settled"]]
        self.open_x = [float(v) for v in state["open_x"]]
        self.open_w = [float(v) for v in state["open_w"]]
        self.open = [int(v) for v in state["open"]]


def _hourly_point(hours: float, period: int) -> Point:
    """Two neighbouring hourly slots of a cycle of `period` hours; slot k is centred on hour k + 0.5.

    `hours` counts local wall-clock hours from a Monday midnight, so the occurrence (day or week number)
    of each slot comes out of the same division.
    """
    position = hours - 0.5
    first = math.floor(position)
    share = position - first
    return ((first % period, first // period, 1.0 - share), ((first + 1) % period, (first + 1) // period, share))


def _day_type_point(hod: Point) -> Point:
    """The hour-of-day point moved to the profile of its day type: slots 0-23 weekdays, 24-47 weekends."""
    return tuple((slot + 24 * (day % 7 >= 5), day, weight) for slot, day, weight in hod)


class SeasonalBaseline:
    """Online expected volume of one stream; see the module docstring for the model."""

    def __init__(self, params: BaselineParams) -> None:
        self._tz = ZoneInfo(params.timezone)
        minutes = params.bucket_minutes
        self._bucket_minutes = minutes
        self._use_hod = minutes < 24 * 60
        self._use_dow = minutes < 7 * 24 * 60
        hours = minutes / 60.0
        self._level_keep = 0.5 ** (1.0 / max(params.level_half_life_hours / hours, MIN_LEVEL_HALF_LIFE_BUCKETS))
        self._psi_keep = 0.5 ** (hours / (DISPERSION_HALF_LIFE_DAYS * 24.0))
        self._recent_keep = 0.5 ** (1.0 / max(RECENT_HALF_LIFE_HOURS / hours, 2.0))
        self._recent_lag = max(1, math.ceil(RECENT_LAG_HOURS / hours))
        day_keep = 0.5 ** (1.0 / params.season_half_life_days)
        week_keep = 0.5 ** (7.0 / params.season_half_life_days)
        self._dow = _Layer(7, PRIOR_DOW, week_keep)
        self._hod = _Layer(24, PRIOR_HOD, day_keep)
        self._hot = _Layer(2 * 24, PRIOR_HOT, day_keep)
        self._layers = (self._dow, self._hod, self._hot)
        self.integer = True  # every value seen so far was a whole number: a count series
        self._level_x = 0.0
        self._level_w = 0.0
        self._psi = [0.0, 0.0, 0.0]  # decayed sums: clipped excess variance, mean^2, buckets
        self._rho = [0.0, 0.0]  # decayed sums of z(t) * z(t-1) and z(t)^2 of standardised errors
        self._last_z: float | None = None  # the previous bucket's standardised error, if it was usual
        self._recent = [0.0, 0.0]  # decayed sums of learnt values and of their seasonal expectation
        self._pending: list[list[float]] = []  # last buckets, not yet in `_recent`: [value, seasonal, usable]
        self._day = -1  # local day of the last learnt bucket (factors are renormalised each new day)
        self._learnt = 0  # buckets learnt so far (capped): the weekly layer waits for one full day
        self._day_buckets = max(1, round(24 * 60 / minutes))

    # --- prediction ---------------------------------------------------------------------------------

    @property
    def level(self) -> float:
        """Deseasonalised mean per bucket: the volume of a typical bucket."""
        return self._level_x / self._level_w if self._level_w > 0 else 0.0

    def note_value(self, value: float) -> None:
        """A single non-integer value means the series has no count unit (no Poisson term)."""
        if self.integer and value != math.floor(value):
            self.integer = False

    def _psi_obs(self) -> float:
        prior = PRIOR_PSI_COUNT if self.integer else PRIOR_PSI_FLOAT
        num, den, n = self._psi
        weight = PRIOR_PSI_WEIGHT * (den / n if n > 0 else 1.0)
        psi = (num + prior * weight) / (den + weight) if weight > 0 else prior
        return max(psi, 0.0 if self.integer else 1e-6)

    def _dispersion(self, mean: float) -> float:
        """Variance-to-mean ratio of a bucket: how many units one effective count is worth.

        A fixed modest overdispersion, not the measured one: the measured one also holds the model's
        errors, and letting it set how much the data weigh would slow learning exactly when the model
        is wrong.
        """
        if self.integer:
            return 1.0 + WEIGHT_PSI_COUNT * mean
        return max(WEIGHT_PSI_FLOAT * mean, 1e-12)

    def _points(self, bucket_start: datetime) -> tuple[int, tuple[Point, Point, Point]]:
        local = bucket_start.astimezone(self._tz)
        day = local.toordinal() - 1  # day 0 (0001-01-01) was a Monday
        middle = local.hour + (local.minute + self._bucket_minutes / 2.0) / 60.0
        hours = day * 24 + middle
        dow: Point = ((day % 7, day // 7, 1.0),) if self._use_dow else ()
        hod = _hourly_point(hours, 24) if self._use_hod else ()
        hot = _day_type_point(hod) if self._use_hod and self._use_dow else ()
        return day, (dow, hod, hot)

    def _factors(self, points: tuple[Point, Point, Point], disp: float) -> tuple[list[float], float]:
        """Each layer's factor for the bucket, and the sum of their relative variances."""
        factors, variance = [], 0.0
        for layer, point in zip(self._layers, points, strict=True):
            if point:
                factor, v = layer.factor(point, disp)
                factors.append(factor)
                variance += v
            else:
                factors.append(1.0)
        return factors, variance

    def expect(self, bucket_start: datetime) -> Expectation:
        day, points = self._points(bucket_start)
        level = self.level
        psi_obs = self._psi_obs()
        typical_disp = self._dispersion(level)
        # A quiet night bucket's counts are worth more (closer to Poisson) than a busy hour's: the
        # layers weigh their data and their priors with this bucket's own dispersion.
        rough, _ = self._factors(points, typical_disp)
        disp = self._dispersion(level * rough[0] * rough[1] * rough[2])
        factors, model_psi = self._factors(points, disp)
        if self._level_x > 0:
            model_psi += min(MAX_LAYER_VARIANCE, typical_disp / self._level_x)
        else:
            model_psi += MAX_LAYER_VARIANCE
        f_dow, f_hod, f_hot = factors
        floor = max(FLOOR_SHARE * level, 1e-3 if self.integer else 1e-9)
        seasonal = max(level * f_dow * f_hod * f_hot, floor)
        recent_x, recent_m = self._recent
        pseudo = PRIOR_RECENT * disp
        ratio = min(MAX_RECENT_RATIO, max(1.0 / MAX_RECENT_RATIO, (recent_x + pseudo) / (recent_m + pseudo)))
        model_psi += 1.0 / (PRIOR_RECENT + recent_x / disp)
        mean = max(seasonal * ratio, floor)
        psi = psi_obs + model_psi
        var = (mean if self.integer else 0.0) + psi * mean * mean
        if not self.integer:
            var = max(var, (FLOOR_SHARE * max(level, mean)) ** 2, 1e-18)
        return Expectation(mean, psi, var, level, seasonal, (f_dow, f_hod, f_hot), points, day, disp)

    # --- learning -----------------------------------------------------------------------------------

    def learn(self, exp: Expectation, value: float, clip_sd: float = CLIP_SD, usual: bool = True) -> None:
        """Fold one observed bucket into the model, clipped to mean +/- clip_sd sd.

        `usual` is False for buckets inside a spike; the detector clips them hard (`clip_sd`), and they
        still teach the profile and the short-term ratio, so an unusually busy day, or a model error,
        cannot lock the detector into an endless spike (the current day's profile is frozen anyway,
        and the ratio is capped). They do not teach the dispersion or the autocorrelation.
        """
        if exp.day != self._day:
            if self._day >= 0:
                self._renormalise(exp.points)
            self._day = exp.day
        x = value
        if self._level_x >= MIN_CLIP_COUNTS * self._dispersion(exp.level):
            sd = exp.sd
            x = min(max(value, exp.mean - clip_sd * sd, 0.0), exp.mean + clip_sd * sd)
        self._learn_recent(x, exp.seasonal)
        # The seasonal model learns the long-run profile from the values themselves (not divided by the
        # short-term ratio), so the ratio keeps meaning "unlike the usual" and averages 1 over time.
        # Each component learns against the current values of all the others, including what the
        # open occurrences already hold, so two layers never both absorb the same weekend drop.
        disp = exp.disp
        live = [layer.factor(point, disp, live=True)[0] if point else 1.0
                for layer, point in zip(self._layers, exp.points, strict=True)]
        self._level_x = self._level_x * self._level_keep + x
        self._level_w = self._level_w * self._level_keep + live[0] * live[1] * live[2]
        level = self.level
        self._learnt = min(self._learnt + 1, self._day_buckets)
        for index, (layer, point) in enumerate(zip(self._layers, exp.points, strict=True)):
            if not point or (layer is self._dow and self._learnt < self._day_buckets):
                # Until a whole day has been seen the level is still a running mean of the hours so
                # far; a day-of-week factor learnt against it would be mostly time-of-day noise.
                continue
            others = level
            for other, factor in enumerate(live):
                if other != index:
                    others *= factor
            layer.learn(point, x, others)
            live[index] = layer.factor(point, disp, live=True)[0]
        if usual and self._learnt >= self._day_buckets:  # the first day's errors say nothing lasting
            self._learn_dispersion(exp, value)
            self._learn_autocorrelation(exp, value)
        else:
            self._last_z = None

    def _learn_recent(self, value: float, seasonal: float) -> None:
        """The short-term ratio learns with a lag, so the last hour (a spike's onset) is not in it yet."""
        self._pending.append([value, seasonal, 1.0])
        if len(self._pending) > self._recent_lag:
            old_value, old_seasonal, old_usable = self._pending.pop(0)
            if old_usable:
                keep = self._recent_keep
                self._recent = [self._recent[0] * keep + old_value, self._recent[1] * keep + old_seasonal]

    def forget_recent(self) -> None:
        """A spike has opened: the buckets still waiting to enter the short-term ratio belong to it."""
        for item in self._pending:
            item[2] = 0.0

    def _renormalise(self, points: tuple[Point, Point, Point]) -> None:
        """Keep each layer's factors averaging 1 and the level equal to a typical bucket.

        Level x factors is all that matters for the expectation, but the split between them would
        otherwise drift (the first day's level is learnt from a night, say); with factors centred on 1
        the level means "a typical bucket", which severity and the priors rely on.
        """
        disp = self._dispersion(self.level)
        total = 1.0
        for layer, point, size in zip(self._layers, points, (7, 24, 2 * 24), strict=True):
            if not point:
                continue
            occurrence = point[0][1]
            mean = sum(layer.factor(((slot, occurrence, 1.0),), disp)[0] for slot in range(size)) / size
            if mean > 0:
                layer.rescale(mean)
                total *= mean
        self._level_x *= total

    def _learn_dispersion(self, exp: Expectation, value: float) -> None:
        """Moment estimate of psi from the prediction errors: E[(x - mean)^2] = mean + psi * mean^2.

        The errors include the model's misfit, which the next prediction will suffer too. A squared
        error counts for at most 3 predicted sd, so a spike the detector missed cannot inflate psi;
        the clip is relative to the whole predicted variance (Poisson part included), which keeps
        the estimate unbiased at low counts.
        """
        poisson = exp.mean if self.integer else 0.0
        excess = min((value - exp.mean) ** 2, DISPERSION_CLIP * exp.var) - poisson
        keep = self._psi_keep
        num, den, n = self._psi
        self._psi = [num * keep + excess, den * keep + exp.mean**2, n * keep + 1.0]

    def _learn_autocorrelation(self, exp: Expectation, value: float) -> None:
        """Lag-1 autocorrelation of the standardised errors (clipped at 3 sd).

        Real volume comes in bursts longer than a bucket (more so with short buckets), so consecutive
        errors are not independent; evidence summed over a run must be discounted accordingly.
        """
        z = min(3.0, max(-3.0, (value - exp.mean) / exp.sd))
        keep = self._psi_keep
        product = z * self._last_z if self._last_z is not None else 0.0
        if self._last_z is not None:
            self._rho = [self._rho[0] * keep + product, self._rho[1] * keep + z * z]
        self._last_z = z

    @property
    def rho(self) -> float:
        """Lag-1 autocorrelation of prediction errors, between 0 and MAX_RHO."""
        return min(MAX_RHO, max(0.0, self._rho[0] / (self._rho[1] + PRIOR_RHO_WEIGHT)))

    def rebase(self, ratio: float) -> None:
        """Accept a lasting change of volume: the level moves by `ratio`, the short-term ratio restarts."""
        self._level_x *= min(MAX_REBASE, max(1.0 / MAX_REBASE, ratio))
        self._recent = [0.0, 0.0]
        self.forget_recent()

    # --- persistence --------------------------------------------------------------------------------

    def to_state(self) -> dict:
        return {
            "integer": self.integer,
            "level": [self._level_x, self._level_w],
            "psi": list(self._psi),
            "rho": list(self._rho),
            "last_z": self._last_z,
            "recent": list(self._recent),
            "pending": [list(item) for item in self._pending],
            "day": self._day,
            "learnt": self._learnt,
            "dow": self._dow.to_state(),
            "hod": self._hod.to_state(),
            "hot": self._hot.to_state(),
        }

    def load(self, state: dict) -> None:
        self.integer = bool(state["integer"])
        self._level_x, self._level_w = (float(v) for v in state["level"])
        self._psi = [float(v) for v in state["psi"]]
        self._rho = [float(v) for v in state["rho"]]
        self._last_z = None if state["last_z"] is None else float(state["last_z"])
        self._recent = [float(v) for v in state["recent"]]
        self._pending = [[float(v) for v in item] for item in state["pending"]]
        self._day = int(state["day"])
        self._learnt = int(state["learnt"])
        self._dow.load(state["dow"])
        self._hod.load(state["hod"])
        self._hot.load(state["hot"])
