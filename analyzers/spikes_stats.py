"""Upper-tail surprise of one bucket's volume against its expected rate.

Counts are scored with a negative binomial (Poisson when there is no extra dispersion), which stays honest
at low volume where a normal approximation would call a single post a six-sigma event. Non-integer series
(real datasets) have no count unit, so they are scored with a normal whose variance scales with the mean.
"""

from __future__ import annotations

import math

from scipy.special import betainc, gammainc, log_ndtr, ndtr

MAX_SCORE = 300.0  # -log10 of the smallest probability we report; keeps state and JSON finite
_LN10 = math.log(10.0)
_POISSON_PSI = 1e-9  # below this extra dispersion the negative binomial is a Poisson


def count_surprise(count: float, mean: float, psi: float) -> float:
    """-log10 P(X >= count) for X with mean `mean` and variance mean + psi * mean**2."""
    if count <= 0:
        return 0.0
    tail = _upper_tail(math.ceil(count), mean, psi)
    if tail <= 0.0:
        return MAX_SCORE
    return min(MAX_SCORE, max(0.0, -math.log10(tail)))


def _upper_tail(k: int, mean: float, psi: float) -> float:
    """P(X >= k) for an integer k >= 1."""
    if psi < _POISSON_PSI:
        return float(gammainc(k, mean))  # Poisson: P(X >= k) = P(k, mean), the regularised lower gamma
    # Negative binomial with n = 1/psi successes: P(X >= k) = I_q(k, n) with q = psi*mean/(1+psi*mean).
    q = psi * mean / (1.0 + psi * mean)
    return float(betainc(k, 1.0 / psi, q))


def normal_surprise(value: float, mean: float, sd: float) -> float:
    """-log10 P(Y >= value) for a normal Y; used for non-count series."""
    z = (value - mean) / sd
    return min(MAX_SCORE, max(0.0, -float(log_ndtr(-z)) / _LN10))


def count_shift_llr(count: float, mean: float, psi: float, ratio: float) -> float:
    """Log-likelihood ratio (nats) of `count` for a rate `ratio` x `mean` against `mean`.

    Negative binomial with the same psi under both; the increment of a CUSUM that looks for a lasting
    shift of that size. For psi -> 0 it is the Poisson count * ln(ratio) - (ratio - 1) * mean.
    """
    if psi < _POISSON_PSI:
        return count * math.log(ratio) - (ratio - 1.0) * mean
    n = 1.0 / psi
    return n * math.log((n + mean) / (n + ratio * mean)) + count * math.log(ratio * (n + mean) / (n + ratio * mean))


def normal_shift_llr(value: float, mean: float, sd: float, ratio: float) -> float:
    """Log-likelihood ratio (nats) of a normal value for mean `ratio` x `mean` against `mean`."""
    shifted = ratio * mean
    return ((value - mean) ** 2 - (value - shifted) ** 2) / (2.0 * sd * sd)


def count_lower_tail(count: float, mean: float, psi: float) -> float:
    """P(X <= count) for the same negative binomial as `count_surprise`."""
    return max(0.0, 1.0 - _upper_tail(math.floor(count) + 1, mean, psi))


def normal_lower_tail(value: float, mean: float, sd: float) -> float:
    """P(Y <= value) for a normal Y."""
    return float(ndtr((value - mean) / sd))
