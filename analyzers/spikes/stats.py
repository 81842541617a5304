"""Tail probabilities and shift evidence for one bucket's volume against its expected rate.

Counts are modelled as negative binomial (Poisson when there is no extra dispersion), which stays honest
at low volume where a normal approximation would call a single post a six-sigma event. Non-integer series
(real datasets) have no count unit; they are modelled as gamma with the same mean and variance, which
keeps the right skew of volume data (a normal tail would call every busy hour a crisis).
"""

from __future__ import annotations

import math

from scipy.special import betainc, gammainc, gammaincc

MAX_SCORE = 300.0  # -log10 of the smallest probability we report; keeps state and JSON finite
_POISSON_PSI = 1e-9  # below this extra dispersion the negative binomial is a Poisson


def _score(tail: float) -> float:
    if tail <= 0.0:
        return MAX_SCORE
    return min(MAX_SCORE, max(0.0, -math.log10(tail)))


def _count_upper_tail(k: int, mean: float, psi: float) -> float:
    """P(X >= k) for an integer k >= 1, X with mean `mean` and variance mean + psi * mean**2."""
    if psi < _POISSON_PSI:
        return float(gammainc(k, mean))  # Poisson: P(X >= k) = P(k, mean), the regularised lower gamma
    # Negative binomial with n = 1/psi successes: P(X >= k) = I_q(k, n) with q = psi*mean/(1+psi*mean).
    q = psi * mean / (1.0 + psi * mean)
    return float(betainc(k, 1.0 / psi, q))


def count_surprise(count: float, mean: float, psi: float) -> float:
    """-log10 P(X >= count)."""
    if count <= 0:
        return 0.0
    return _score(_count_upper_tail(math.ceil(count), mean, psi))


def count_lower_tail(count: float, mean: float, psi: float) -> float:
    """P(X <= count)."""
    return max(0.0, 1.0 - _count_upper_tail(math.floor(count) + 1, mean, psi))


def count_shift_llr(count: float, mean: float, psi: float, ratio: float) -> float:
    """Log-likelihood ratio (nats) of `count` for a rate `ratio` x `mean` against `mean`.

    Negative binomial with the same psi under both; the increment of a CUSUM that looks for a lasting
    shift of that size. For psi -> 0 it is the Poisson count * ln(ratio) - (ratio - 1) * mean.
    """
    if psi < _POISSON_PSI:
        return count * math.log(ratio) - (ratio - 1.0) * mean
    n = 1.0 / psi
    return n * math.log((n + mean) / (n + ratio * mean)) + count * math.log(ratio * (n + mean) / (n + ratio * mean))


def _gamma(mean: float, var: float) -> tuple[float, float]:
    """(shape, scale) of the gamma with this mean and variance."""
    return mean * mean / var, var / mean


def amount_surprise(value: float, mean: float, var: float) -> float:
    """-log10 P(Y >= value) for a gamma Y with this mean and variance (non-count series)."""
    shape, scale = _gamma(mean, var)
    return _score(float(gammaincc(shape, max(value, 0.0) / scale)))


def amount_lower_tail(value: float, mean: float, var: float) -> float:
    """P(Y <= value) for the same gamma."""
    shape, scale = _gamma(mean, var)
    return float(gammainc(shape, max(value, 0.0) / scale))


def amount_shift_llr(value: float, mean: float, var: float, ratio: float) -> float:
    """Log-likelihood ratio (nats) of `value` for mean `ratio` x `mean` against `mean`, same gamma shape."""
    shape, scale = _gamma(mean, var)
    return -shape * math.log(ratio) + value / scale * (1.0 - 1.0 / ratio)
