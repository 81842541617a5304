"""What placement and campaign matching cost `classify`, measured against the baseline in the same run.

    python benchmarks/classify_places.py [--data-dir ../shared/data/sentiment-es] [--repeat 2]

Runs `classify_stream` (JSON in, JSON out, batches of 256: the command's own work) over the same lines with
four analyzers, in one process, alternating so drift on the shared machine hits all of them alike:
- baseline: no campaigns, no placer (what `classify` did before issue 16);
- campaigns: config.yaml's campaigns matched (dates apply: every line carries `created_at`);
- places: the region placer;
- both: what `classify` does now.
Prints posts/s (one core's CPU time, best of --rounds) and each one's overhead over the baseline (target for both:
at most +20%), and the campaign matcher alone in µs per post.

Inputs: the bundled sample week (data/sample/week.jsonl: SYNTHETIC posts written by scripts/generate_sample.py,
with hashtags, links and Colombian places on purpose: a heavy case for both), and, when --data-dir exists, the
real Spanish tweets of train.tsv + val.tsv as plain lines (no date: content-only matching).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzers.pipeline import TextAnalyzer, build_text_analyzer  # noqa: E402
from benchmarks.analyzers import best_rate  # noqa: E402
from bot.commands.analysis import classify_stream  # noqa: E402
from bot.config import load_config  # noqa: E402


def sample_lines(repeat: int) -> list[str]:
    lines = []
    with (ROOT / "data" / "sample" / "week.jsonl").open(encoding="utf-8") as f:
        for line in f:
            post = json.loads(line)
            lines.append(json.dumps({"text": post["text"], "created_at": post["created_at"], "lang": post.get("lang")},
                                    ensure_ascii=False))
    return lines * repeat


def tweet_lines(data_dir: Path) -> list[str]:
    out: list[str] = []
    for name in ("train.tsv", "val.tsv"):
        path = data_dir / name
        if path.exists():
            with path.open(encoding="utf-8") as f:
                next(f)
                out.extend(line.rstrip("\n").split("\t", 1)[1] for line in f if "\t" in line)
    return out


def measure(title: str, lines: list[str], analyzers: dict[str, TextAnalyzer], rounds: int) -> None:
    def run(analyzer: TextAnalyzer):  # type: ignore[no-untyped-def]
        return lambda: classify_stream(analyzer, lines, io.StringIO(), 256)

    for analyzer in analyzers.values():  # warm up (lazy loads)
        classify_stream(analyzer, lines[:300], io.StringIO(), 256)
    rates: dict[str, float] = {name: 0.0 for name in analyzers}
    for _ in range(rounds):  # alternate, keep each one's best
        for name, analyzer in analyzers.items():
            rates[name] = max(rates[name], best_rate(len(lines), run(analyzer), repeats=1))
    base = rates["baseline"]
    print(f"\n{title}: {len(lines):,} lines, classify posts/s of one core (best of {rounds}, "
          "alternating)")
    for name, rate in rates.items():
        note = "" if name == "baseline" else f"   time {base / rate - 1:+.1%} vs baseline"
        if name == "both":
            note += f" (target <= +20%): {'OK' if base / rate - 1 <= 0.20 else 'OVER'}"
        print(f"  {name:<10} {rate:>9,.0f}{note}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "sentiment-es")
    parser.add_argument("--repeat", type=int, default=2, help="times the sample week is repeated")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds; each analyzer's best is kept")
    args = parser.parse_args()

    config = load_config(ROOT / "config.yaml")
    campaigns = config.campaign_list()
    models = Path("/nonexistent")
    analyzers = {
        "baseline": build_text_analyzer(config.analyzers, config.topics, models, places=False),
        "campaigns": build_text_analyzer(config.analyzers, config.topics, models, campaigns, places=False),
        "places": build_text_analyzer(config.analyzers, config.topics, models, places=True),
        "both": build_text_analyzer(config.analyzers, config.topics, models, campaigns, places=True),
    }
    print(f"analyzer: {analyzers['both'].version}")
    print(f"campaigns: {', '.join(c.id for c in campaigns)}")

    lines = sample_lines(args.repeat)
    measure("Sample week (SYNTHETIC, data/sample/week.jsonl, with created_at)", lines, analyzers, args.rounds)
    tweets = tweet_lines(args.data_dir)
    if tweets:
        measure(f"Real Spanish tweets ({args.data_dir.name} train+val, plain text)", tweets, analyzers, args.rounds)
    else:
        print(f"\n(no tweets: {args.data_dir} not found)")

    both = analyzers["both"]
    posts = [json.loads(line) for line in lines]
    docs = [both.processor.prepare(p["text"]) for p in posts]
    dates = [datetime.fromisoformat(p["created_at"]) for p in posts]
    matcher = both.campaigns
    rate = best_rate(len(docs), lambda: [matcher.match_doc(d, created_at=t) for d, t in zip(docs, dates, strict=True)])
    matched = sum(1 for d, t in zip(docs, dates, strict=True) if matcher.match_doc(d, created_at=t))
    print(f"\ncampaign matcher alone on the prepared sample posts: {1e6 / rate:.2f} µs/post; "
          f"{matched / len(docs):.1%} of the posts match a campaign")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
