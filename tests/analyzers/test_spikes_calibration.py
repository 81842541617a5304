"""Empirical tails per key: what makes the detector quiet on ordinary bursts and loud on real surges."""

from __future__ import annotations

import json

import numpy as np

from analyzers.spikes.calibration import TailCalibrator
from analyzers.spikes.detector import SpikeDetector, SpikeSettings
from tests.analyzers.test_spikes import MONDAY, counts, daytime, rates, run, starts


def filled(values: list[float], block: int = 1, half_life: float = 10_000) -> TailCalibrator:
    calibrator = TailCalibrator(half_life_blocks=half_life, prior_blocks=10, prior_scale=0.2, block=block)
    for value in values:
        calibrator.learn(value)
    return calibrator


def test_a_heavy_tailed_history_asks_for_a_bigger_surge_than_a_light_one():
    rng = np.random.default_rng(1)
    light = filled(list(rng.normal(0.0, 0.1, 5000)))
    heavy = filled(list(rng.laplace(0.0, 0.3, 5000)))
    rate = 1 / 2000
    assert light.threshold(rate) < 0.6 < 1.2 < heavy.threshold(rate)


def test_the_threshold_is_the_level_exceeded_at_the_asked_rate():
    rng = np.random.default_rng(2)
    values = list(rng.exponential(0.5, 20_000))
    calibrator = filled(values)
    for rate in (0.01, 0.001):
        level = calibrator.threshold(rate)
        share = np.mean(np.array(values) > level)
        assert rate / 2 < share < rate * 2  # within the histogram's bin width


def test_blocks_count_one_exceedance_per_block():
    # The same surge three buckets long is one exceedance in 3-bucket blocks, three in 1-bucket blocks.
    values = ([0.0] * 297 + [2.0] * 3) * 20
    assert filled(values, 3, 1e12).blocks * 2.9 < filled(values, 1, 1e12).blocks
    per_block = filled(values, block=3)
    assert per_block.threshold(1 / 200) > 1.9  # one block in a hundred held 2.0: above its 0.5% level


def test_state_round_trip_is_exact():
    rng = np.random.default_rng(3)
    calibrator = filled(list(rng.normal(0, 0.2, 777)), block=3)
    copy = TailCalibrator(10_000, 10, 0.2, 3)
    copy.load(json.loads(json.dumps(calibrator.to_state())))
    for value in rng.normal(0, 0.2, 100):
        calibrator.learn(value)
        copy.learn(value)
    assert copy.to_state() == calibrator.to_state()


def test_recurring_bursts_become_ordinary_for_their_key():
    """A key hit by a retweet storm or a bot every other day does not page people for each of them."""
    rate = rates(42, 3.0)
    values = counts(rate, seed=4)
    bursts = [daytime(day, 15) for day in range(2, 42, 2)]
    for at in bursts:
        values[at] += 60  # sixty posts in one bucket where three are usual, every other day
    found = starts(run(values))
    assert set(found) <= set(bursts)  # nothing else
    assert len(found) <= len(bursts) // 2  # most are recognised as what this key does (the old detector: all)
    assert len([i for i in found if i >= daytime(21, 0)]) <= 3  # about one a week once it has seen them


def test_a_surge_unlike_anything_the_key_has_done_still_fires_after_the_bursts():
    rate = rates(42, 3.0)
    at = daytime(36, 10)
    rate[at : at + 12] *= 8  # three hours at eight times the usual volume
    values = counts(rate, seed=4)
    for day in range(2, 42, 2):
        values[daytime(day, 15)] += 60
    found = starts(run(values))
    assert any(at <= i <= at + 4 for i in found)


def test_a_state_of_the_earlier_detector_is_upgraded_keeping_what_it_learnt():
    settings = SpikeSettings()
    detector = SpikeDetector(settings)
    values = counts(rates(10, 20.0), seed=8)
    for i, value in enumerate(values):
        detector.update(MONDAY + i * settings.bucket, value)
    state = detector.to_state()
    old = {key: state[key] for key in ("bucket_minutes", "timezone", "next", "seen", "low_streak", "baseline")}
    old.update(version=1, cusum=0.0, run=None, spike=None)
    upgraded = SpikeDetector.from_state(settings, json.loads(json.dumps(old)))
    moment = MONDAY + len(values) * settings.bucket
    assert upgraded.update(moment, 20).expected == detector.update(moment, 20).expected  # same baseline
