"""Spike detector on REAL tweet-volume series with labelled anomalies, scored by NAB's rules.

    .venv/bin/python benchmarks/spikes_real.py [--data DIR] [--scorer FILE] [--cv] [--jobs 2]

Data: `../shared/data/spike-series/` (five NAB realTweets series: tweets per 5 minutes mentioning a
company, Feb-Apr 2015, with NAB's labelled anomaly windows; MIT licence, see its SOURCE.md). Scorer:
`../shared/tools/nab_score.py` (NAB's published scoring: standard and reward_low_FP_rate profiles).
Neither ships with the repository; pass --data / --scorer when they live elsewhere.

What it runs is what `main.py backtest FILE.csv [--bucket-minutes N] [--sensitivity S]` prints, through
the same functions (`bot.commands.backtest.read_series`, `settings_for`, `run_detector`), with the
settings of config.yaml. It prints, in one run:

1. per profile (fewer / balanced / more) and bucket size (the native 5 minutes, the product's 15, an
   hour): NAB standard and low-FP scores, alerts (every printed line: starts and escalations), false
   alerts (outside every labelled window), the worst series' false alerts per week;
2. per series, for the defaults, at 5 and 15 minutes;
3. the alert budget of one deployment whose five keys are these five series: Slack messages a day
   (openings, escalations and recoveries), on average and on the worst day;
4. the baseline measured in the same run: a rolling 3-sigma detector (an episode opens when a bucket
   exceeds the mean + 3 sd of the previous day and lasts while buckets stay above it);
5. with --cv: leave-one-series-out cross-validation of the preset's two main parameters
   (false_alarm_days x burst_factor over a small grid): each series is scored with the values chosen on
   the other four, at 5 and 15 minutes, next to the all-five figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import itertools
import json
import statistics
import sys
from collections import Counter
from datetime import timedelta
from multiprocessing import Pool
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analyzers.spikes import detector as spikes  # noqa: E402
from bot.commands.backtest import Series, read_series, run_detector, settings_for  # noqa: E402
from bot.config import load_config  # noqa: E402

PROFILES = ("standard", "reward_low_FP_rate")
BUCKETS = (None, 15, 60)  # None: the series' own step (5 minutes)
CV_GRID = {"false_alarm_days": (5.0, 7.0, 10.0, 14.0), "burst_factor": (2.0, 4.0, 8.0)}
TARGETS = {5: (75.0, 72.0), 15: (70.0, 65.0)}


def load_scorer(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("nab_score", path)
    if spec is None or spec.loader is None or not path.exists():
        sys.exit(f"spikes_real: no NAB scorer at {path} (pass --scorer)")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclasses.dataclass(frozen=True)
class Labelled:
    name: str
    series: Series
    windows: list[list[str]]


def load_data(data: Path) -> list[Labelled]:
    windows_file = data / "windows.json"
    if not windows_file.exists():
        sys.exit(f"spikes_real: no windows.json in {data} (pass --data)")
    windows = json.loads(windows_file.read_text())
    out = []
    for key in sorted(windows):
        name = Path(key).name
        out.append(Labelled(name[:-4], read_series(data / name), windows[key]))
    return out


# --- scoring -------------------------------------------------------------------------------------------


def raw_scores(scorer: ModuleType, item: Labelled, alert_rows: list[int]) -> dict[str, float]:
    """NAB's raw score per profile for one series, and its false alerts."""
    times = [scorer.parse_ts(label) for label in item.series.labels]
    out: dict[str, float] = {}
    for profile in PROFILES:
        score, false_alerts = scorer.score_file(times, item.windows, alert_rows, scorer.PROFILES[profile])
        out[profile] = score
        out["false"] = false_alerts
    out["alerts"] = len(set(alert_rows))
    return out


def normalised(raws: list[dict[str, float]], windows: list[int], profile: str) -> float:
    """NAB's normalisation: 0 = no alerts at all, 100 = every window found at its start, no false alert."""
    total, count = sum(r[profile] for r in raws), sum(windows)
    return 100.0 * (total + count) / (2.0 * count)  # null = -count (every window missed), perfect = +count


def weeks(series: Series) -> float:
    return (series.times[-1] - series.times[0]) / timedelta(days=7)


# --- detectors -----------------------------------------------------------------------------------------


def vigia_rows(item: Labelled, base: spikes.SpikeSettings, bucket: int | None, sensitivity: str,
               overrides: dict | None = None, include_ends: bool = False) -> list[spikes.BacktestAlert]:
    if overrides:  # cross-validation only: this worker process runs with another preset
        spikes.PRESETS[sensitivity] = dataclasses.replace(spikes.PRESETS[sensitivity], **overrides)
    settings = settings_for(item.series, base, bucket, sensitivity, Path(item.name))
    return run_detector(item.series, settings, include_ends=include_ends)


def rolling_3sigma_rows(item: Labelled, bucket: int | None) -> list[int]:
    """Episode starts of a rolling mean + 3 sd over the previous day (the usual baseline)."""
    values, last_rows = aggregate(item.series, bucket)
    step = bucket or 5
    window = 24 * 60 // step
    starts, above = [], False
    for i in range(window, len(values)):
        history = values[i - window:i]
        mean, sd = statistics.fmean(history), statistics.pstdev(history)
        now = values[i] > mean + 3.0 * sd
        if now and not above:
            starts.append(last_rows[i])
        above = now
    return starts


def aggregate(series: Series, bucket: int | None) -> tuple[list[float], list[int]]:
    """Values per bucket (summed) and the last row of each, anchored at the first row like backtest."""
    if bucket is None:
        return list(series.values), list(range(len(series.values)))
    size = timedelta(minutes=bucket)
    anchor, shift = series.times[0], timedelta(minutes=2.5)
    values: list[float] = []
    rows: list[int] = []
    index = -1
    for number, (moment, value) in enumerate(zip(series.times, series.values, strict=True)):
        current = (moment - anchor + shift) // size
        while index < current:
            values.append(0.0)
            rows.append(number)
            index += 1
        values[-1] += value
        rows[-1] = number
    return values, rows


# --- one configuration over all series (a worker's job) -------------------------------------------------


def evaluate(job: tuple) -> tuple:
    data, scorer_path, config_path, bucket, sensitivity, overrides, detector = job
    scorer = load_scorer(Path(scorer_path))
    base = load_config(Path(config_path)).spikes
    results = []
    for item in load_data(Path(data)):
        if detector == "vigia":
            alerts = vigia_rows(item, base, bucket, sensitivity, overrides, include_ends=True)
            printed = [a for a in alerts if a.event != "end"]
            raws = raw_scores(scorer, item, [a.row for a in printed])
            messages = [item.series.times[a.row].date().isoformat() for a in alerts]
        else:
            raws = raw_scores(scorer, item, rolling_3sigma_rows(item, bucket))
            messages = []
        results.append((item.name, len(item.windows), weeks(item.series), raws, messages))
    return job, results


def summary(results: list) -> dict:
    raws = [r[3] for r in results]
    windows = [r[1] for r in results]
    return {
        "standard": normalised(raws, windows, "standard"),
        "low_fp": normalised(raws, windows, "reward_low_FP_rate"),
        "alerts": sum(r["alerts"] for r in raws),
        "false": sum(r["false"] for r in raws),
        "worst_false_per_week": max(r[3]["false"] / r[2] for r in results),
    }


def budget(results: list) -> tuple[float, int]:
    """Slack messages a day when the series are the keys of one deployment: mean and worst day."""
    per_day = Counter(day for r in results for day in r[4])
    days = max(r[2] for r in results) * 7
    return sum(per_day.values()) / days, max(per_day.values(), default=0)


# --- main ----------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "spike-series")
    parser.add_argument("--scorer", type=Path, default=ROOT.parent / "shared" / "tools" / "nab_score.py")
    parser.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    parser.add_argument("--cv", action="store_true", help="also run leave-one-series-out cross-validation")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    load_scorer(args.scorer)
    names = [item.name for item in load_data(args.data)]
    common = (str(args.data), str(args.scorer), str(args.config))
    jobs = [(*common, bucket, sensitivity, None, "vigia")
            for sensitivity in ("balanced", "fewer", "more") for bucket in BUCKETS]
    jobs += [(*common, bucket, "balanced", None, "rolling3sigma") for bucket in BUCKETS]
    with Pool(args.jobs) as pool:
        done = dict(pool.map(evaluate, jobs))
        print(f"Real series: {', '.join(names)} ({args.data}); scorer {args.scorer.name}")
        print("alerts = printed lines (openings + escalations); false = outside every labelled window")
        print(f"{'detector':<22}{'bucket':>7}{'NAB std':>9}{'low-FP':>8}{'alerts':>8}{'false':>7}"
              f"{'worst false/wk':>16}{'msgs/day':>10}{'worst day':>10}")
        for job in jobs:
            res = done[job]
            s = summary(res)
            label = f"vigia {job[4]}" if job[6] == "vigia" else "rolling 3-sigma"
            mean, worst = budget(res) if job[6] == "vigia" else (float("nan"), 0)
            bucket = job[3] or 5
            print(f"{label:<22}{bucket:>5}min{s['standard']:>9.1f}{s['low_fp']:>8.1f}{s['alerts']:>8}"
                  f"{s['false']:>7}{s['worst_false_per_week']:>16.2f}{mean:>10.2f}{worst:>10}")
        for bucket in (None, 15):
            res = done[(*common, bucket, "balanced", None, "vigia")]
            print(f"\nper series, balanced, {bucket or 5}-minute buckets:")
            for name, count, span, raws, messages in res:
                print(f"  {name:<22} windows {count}  std {raws['standard']:6.2f}  low-FP "
                      f"{raws['reward_low_FP_rate']:6.2f}  alerts {raws['alerts']:3}  false {raws['false']:3} "
                      f"({raws['false'] / span:.2f}/week)  messages {len(messages)}")
        for bucket, (std_target, low_target) in TARGETS.items():
            s = summary(done[(*common, None if bucket == 5 else bucket, "balanced", None, "vigia")])
            ok = s["standard"] >= std_target and s["low_fp"] >= low_target and s["worst_false_per_week"] <= 1.0
            print(f"target at {bucket} min: standard >= {std_target}, low-FP >= {low_target}, <= 1 false/week/"
                  f"series: {'met' if ok else 'NOT met'}")
        if args.cv:
            cross_validate(pool, common, names)
    return 0


def cross_validate(pool: Pool, common: tuple, names: list[str]) -> None:
    """Leave one series out: choose the preset on four series, score the fifth with it."""
    grid = [dict(zip(CV_GRID, values, strict=True)) for values in itertools.product(*CV_GRID.values())]
    jobs = [(*common, bucket, "balanced", tuple(sorted(g.items())), "vigia") for g in grid for bucket in (None, 15)]
    done = dict(pool.map(_evaluate_overrides, jobs))
    print(f"\nleave-one-series-out over {len(grid)} presets ({', '.join(CV_GRID)}), chosen by the mean of the "
          "four scores (standard and low-FP, 5 and 15 min) on the other series:")
    held: dict[tuple[int | None, str], list] = {}
    for name in names:
        train = [n for n in names if n != name]

        def fit(g: dict, train: list[str] = train) -> float:
            total = 0.0
            for bucket in (None, 15):
                res = [r for r in done[(*common, bucket, "balanced", tuple(sorted(g.items())), "vigia")]
                       if r[0] in train]
                s = summary(res)
                total += s["standard"] + s["low_fp"]
            return total

        best = max(grid, key=fit)
        print(f"  held out {name:<22} chosen {best}")
        for bucket in (None, 15):
            res = done[(*common, bucket, "balanced", tuple(sorted(best.items())), "vigia")]
            held.setdefault((bucket, "cv"), []).extend(r for r in res if r[0] == name)
    for bucket in (None, 15):
        s = summary(held[(bucket, "cv")])
        print(f"  cross-validated, {bucket or 5}-minute buckets: standard {s['standard']:.1f}, low-FP "
              f"{s['low_fp']:.1f}, false alerts {s['false']}")


def _evaluate_overrides(job: tuple) -> tuple:
    data, scorer, config, bucket, sensitivity, overrides, detector = job
    _, results = evaluate((data, scorer, config, bucket, sensitivity, dict(overrides), detector))
    return job, results


if __name__ == "__main__":
    sys.exit(main())
