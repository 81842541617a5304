"""How often ordinary traffic of one key reaches a given surge: an empirical tail per evidence window.

Real mention volume is bursty and heavy-tailed: a retweet storm or a bot makes one stream jump tenfold
several times a week, while another stream never moves. A parametric tail (Poisson, negative binomial)
fitted to a smooth baseline calls all of those jumps one-in-a-million events and pages people twice a
day. Instead, each evidence statistic (a log ratio of observed to expected volume, see `spikes.py`) is
compared with its own history: a decayed histogram of every value it took, so the detector learns how
surprising "3x the expected" is for THIS key.

`threshold(rate)` is the level that ordinary traffic exceeded in a share `rate` of the buckets, that is,
about once per 1/rate buckets: the detector asks for a rate of "one false alarm per N days", so the alert
budget is a property of the key, not of a distributional assumption. Where the history is too short to
hold enough buckets beyond that level, the top `TAIL_SHARE` of the histogram is extrapolated with an
exponential tail (peaks over threshold, shape 0, on the log ratio: a Pareto tail on the ratio itself).
A weak prior (an exponential tail of scale `prior_scale` worth `prior_buckets` buckets) makes a young key
demand a clear surge before its own history speaks; it fades with the same half-life as the data.

State is bounded (one float per bin, bins of 0.05 between -2 and 8, stored sparsely) and JSON friendly.
"""

from __future__ import annotations

import math

LOW, HIGH, STEP = -2.0, 8.0, 0.05
BINS = round((HIGH - LOW) / STEP) + 1
TAIL_SHARE = 0.15  # the top share of the histogram used to extrapolate beyond the observed tail
MIN_TAIL_BLOCKS = 3.0  # an empirical quantile needs this many buckets beyond it, else extrapolate
MAX_GAIN = 1e6  # lazy decay: weights grow by 1/keep per bucket and are renormalised past this


def _bin(value: float) -> int:
    return min(BINS - 1, max(0, int((value - LOW) / STEP)))


class TailCalibrator:
    """Decayed histogram of one statistic's block maxima, with the level exceeded at a given rate.

    The histogram holds the maximum of each block of `block` consecutive buckets (declustering: a surge
    that stays over a level for three 5-minute buckets is one exceedance, as it is in one 15-minute
    bucket), so rates are per block and mean the same whatever the bucket size.
    """

    def __init__(self, half_life_blocks: float, prior_blocks: float, prior_scale: float, block: int = 1) -> None:
        self._block = max(1, block)
        self._pending: float | None = None  # the maximum of the current, unfinished block
        self._filled = 0  # buckets in the current block
        self._keep = 0.5 ** (1.0 / max(half_life_blocks, 1.0))
        self._gain = 1.0  # the weight of the next observation (instead of decaying every bin each time)
        self._bins = [0.0] * BINS
        for i in range(BINS):
            x = LOW + i * STEP
            if x >= 0.0:  # prior: P(R > x) = exp(-x / scale) above ratio 1, nothing below
                self._bins[i] = prior_blocks * (math.exp(-x / prior_scale) - math.exp(-(x + STEP) / prior_scale))
        self._total = sum(self._bins)

    def learn(self, value: float) -> None:
        """One bucket's statistic; the block's maximum enters the histogram when the block is full."""
        self._pending = value if self._pending is None else max(self._pending, value)
        self._filled += 1
        if self._filled < self._block:
            return
        value, self._pending, self._filled = self._pending, None, 0
        self._gain /= self._keep
        self._bins[_bin(value)] += self._gain
        self._total += self._gain
        if self._gain > MAX_GAIN:
            self._renormalise()

    def _renormalise(self) -> None:
        self._bins = [b / self._gain for b in self._bins]
        self._total /= self._gain
        self._gain = 1.0

    @property
    def blocks(self) -> float:
        """Effective number of blocks the histogram holds (decayed)."""
        return self._total / self._gain

    def threshold(self, rate: float) -> float:
        """The value that ordinary traffic's block maxima exceed in a share `rate` of blocks."""
        target = rate * self._total
        if target >= MIN_TAIL_BLOCKS * self._gain:
            return self._level_reached(target)  # enough history: the empirical quantile
        # Too short a history for that rate: extrapolate the top of the histogram, but never below what
        # ordinary traffic already reached MIN_TAIL_BLOCKS times (a burst that keeps coming back is
        # what this key does, however thin the exponential tail says it should be).
        return max(self._extrapolate(target), self._level_reached(MIN_TAIL_BLOCKS * self._gain))

    def _top(self, weight: float) -> tuple[int, float]:
        """(i, above): the bins above bin i hold `above` < `weight`; adding bin i would reach it."""
        above, i = 0.0, BINS - 1
        while i >= 0 and above + self._bins[i] < weight:
            above += self._bins[i]
            i -= 1
        return i, above

    def _level_reached(self, weight: float) -> float:
        """The highest level that at least `weight` of the histogram's weight reached (bin resolution)."""
        i, _ = self._top(weight)
        return LOW + (i + 1) * STEP

    def _extrapolate(self, target: float) -> float:
        """Exponential tail fitted to the top TAIL_SHARE of the histogram (mean excess over its start)."""
        j, above = self._top(TAIL_SHARE * self._total)
        start = LOW + (j + 1) * STEP
        if above <= 0.0:
            return start
        excess = sum(self._bins[k] * (LOW + (k + 0.5) * STEP - start) for k in range(j + 1, BINS)) / above
        if excess <= 0.0 or above <= target:
            return start
        return start + excess * math.log(above / target)

    # --- persistence --------------------------------------------------------------------------------

    def to_state(self) -> dict:
        """Exact snapshot (weights as they are, with their gain): a restored calibrator continues identically."""
        return {
            "gain": self._gain,
            "total": self._total,
            "pending": self._pending,
            "filled": self._filled,
            "bins": {str(i): b for i, b in enumerate(self._bins) if b > 0.0},
        }

    def load(self, state: dict) -> None:
        self._gain = float(state["gain"])
        self._bins = [0.0] * BINS
        for key, weight in state["bins"].items():
            self._bins[int(key)] = float(weight)
        self._total = float(state["total"])
        self._pending = None if state["pending"] is None else float(state["pending"])
        self._filled = int(state["filled"])
