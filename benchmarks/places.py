"""Benchmark of the region placer (analyzers/places): quality on the labelled sets, and its cost in `classify`.

    python benchmarks/places.py [--data-dir ../shared/data/sentiment-es] [--dev-errors]

Prints:
- precision and recall at department and municipality level, overall and per evidence kind (post text,
  profile location), on data/places/places-dev.tsv (the rules were written against it) and
  data/places/places-check.tsv (scored only, not tuned on) and data/places/places-blind.tsv (written last,
  scored once the rules were final, never tuned on), and the list of errors on the check and blind splits;
- throughput of the text analyzer pipeline streaming in batches like `classify`, with and without the placer,
  measured in the same run on the same texts (the Spanish tweets of train.tsv + val.tsv in --data-dir), the
  overhead in percent (target: at most 20%; the difference of two noisy rates, so also the placer's own time
  as a share of the pipeline's, which is steadier), and `place_text` alone on those tweets and on the labelled
  sentences (which almost all name a place, so they take the slow path: a worst case);
- how many of those tweets (mostly from Spain, not Colombia) the placer places at all: each is a likely
  false positive on real text.

Limitation: the labelled sentences were written by us for this purpose, not taken from real posts; real posts
mention places less often and in messier ways, so precision and recall on real traffic will differ. Throughput
is per second of this process's CPU time, best of 3 runs (the machine is shared).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzers.pipeline import build_text_analyzer  # noqa: E402
from analyzers.places import Placer  # noqa: E402
from analyzers.places.evaluation import DATA_DIR, Evaluation, Scores, evaluate, read_examples  # noqa: E402
from analyzers.settings import DEFAULT_TOPICS, AnalyzerSettings  # noqa: E402
from benchmarks.analyzers import best_rate, streaming  # noqa: E402


def scores_line(name: str, s: Scores) -> str:
    return (f"  {name:<8} n={s.n:<4} placed={s.predicted:<4} dept P={s.dpto_precision:.3f} R={s.dpto_recall:.3f}"
            f"   mpio P={s.mpio_precision:.3f} R={s.mpio_recall:.3f}"
            f"   (wrong dept {s.predicted - s.correct_dpto}, wrong mpio {s.predicted_mpio - s.correct_mpio})")


def report(title: str, ev: Evaluation, show_errors: bool) -> None:
    print(f"\n{title}")
    print(scores_line("all", ev.overall))
    for kind, scores in ev.by_kind.items():
        print(scores_line(kind, scores))
    if show_errors:
        print(f"  errors ({len(ev.errors)}):")
        for ex, got in ev.errors:
            gold = f"{ex.dpto_code or '-'}/{ex.mpio_code or '-'}"
            pred = f"{got.dpto_code}/{got.mpio_code or '-'}" if got else "-"
            print(f"    line {ex.line:>3} [{ex.kind}] gold {gold:<12} got {pred:<12} {ex.text}")


def read_texts(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as f:
        next(f)
        return [line.rstrip("\n").split("\t", 1)[1] for line in f if "\t" in line]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data" / "sentiment-es")
    parser.add_argument("--dev-errors", action="store_true", help="also list the errors on the dev split")
    args = parser.parse_args()

    placer = Placer.load()
    print(f"Placer {placer.version}; gazetteer {len(placer.gazetteer.departments)} departments, "
          f"{len(placer.gazetteer.municipalities)} municipalities (DANE DIVIPOLA)")
    print("Labelled sentences were written by us, not real posts (see data/places/README.md).")
    dev = read_examples(DATA_DIR / "places-dev.tsv")
    check = read_examples(DATA_DIR / "places-check.tsv")
    report(f"Dev split ({len(dev)} lines; the rules were written against it)", evaluate(placer, dev), args.dev_errors)
    report(f"Check split ({len(check)} lines; scored, not tuned on)", evaluate(placer, check), True)
    blind = read_examples(DATA_DIR / "places-blind.tsv")
    report(f"Blind split ({len(blind)} lines; written after the rules were final, scored, never tuned on)",
           evaluate(placer, blind), True)

    tweets = read_texts(args.data_dir / "train.tsv") + read_texts(args.data_dir / "val.tsv")
    without = build_text_analyzer(AnalyzerSettings(), DEFAULT_TOPICS, Path("/nonexistent"), places=False)
    with_places = build_text_analyzer(AnalyzerSettings(), DEFAULT_TOPICS, Path("/nonexistent"), places=True)
    streaming(with_places, tweets)()  # warm up both: the first pass pays lazy loads (measured 3x slower)
    streaming(without, tweets)()
    base = placed = 0.0
    for _ in range(5):  # interleaved, so that both see the same load on the shared machine
        base = max(base, best_rate(len(tweets), streaming(without, tweets), repeats=1))
        placed = max(placed, best_rate(len(tweets), streaming(with_places, tweets), repeats=1))
    alone = best_rate(len(tweets), lambda: [placer.place_text(t) for t in tweets])
    sentences = [ex.text for ex in dev + check + blind]
    dense = best_rate(len(sentences), lambda: [placer.place_text(t) for t in sentences])
    overhead = base / placed - 1
    added = base / alone  # the placer's own CPU time per post over the pipeline's: steadier than a difference
    print(f"\nSpeed on {len(tweets)} Spanish tweets ({args.data_dir.name} train+val), posts/s of one core, best of 5:")
    print(f"  text analyzer without placement (baseline): {base:>9,.0f}")
    print(f"  text analyzer with placement:               {placed:>9,.0f}   measured overhead {overhead:+.1%} "
          "(noisy on a shared machine)")
    print(f"  place_text alone:                           {alone:>9,.0f}   ({1e6 / alone:.1f} µs/post) = "
          f"+{added:.1%} of the baseline's time (target <= +20%): {'OK' if added <= 0.20 else 'OVER'}")
    print(f"  place_text on the {len(sentences)} labelled sentences: {dense:>9,.0f}   ({1e6 / dense:.1f} µs/post, "
          "nearly all name a place: worst case)")

    found = [(t, p) for t in tweets if (p := placer.place_text(t)) is not None]
    print(f"\nTweets placed: {len(found)} of {len(tweets)} ({len(found) / len(tweets):.2%}); these tweets are mostly "
          "from Spain, so each placement is a likely false positive:")
    for text, place in found[:10]:
        print(f"  {place.dpto_code}/{place.mpio_code or '-'} {place.departamento}: {text[:110]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
