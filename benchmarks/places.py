"""Benchmark of the region placer (analyzers/places): quality on the labelled sets, and its cost in `classify`.

    python benchmarks/places.py [--data-dir ../shared/data/sentiment-es] [--dev-errors]

Prints:
- precision and recall at department and municipality level, overall and per evidence kind (post text,
  profile location), on data/places/places-dev.tsv (the rules were written against it) and
  data/places/places-check.tsv (scored only, not tuned on) and data/places/places-blind.tsv (written last,
  scored once the rules were final, never tuned on), and the list of errors on the check and blind splits;
- `place_text` alone in µs per post on the Spanish tweets of train.tsv + val.tsv in --data-dir and on the
  labelled sentences (which almost all name a place, so they take the slow path: a worst case). What placement
  costs `classify` against its baseline (the 20% target) is benchmarks/classify_places.py's question;
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

from analyzers.places import Placer  # noqa: E402
from analyzers.places.evaluation import DATA_DIR, Evaluation, Scores, evaluate, read_examples  # noqa: E402
from benchmarks.analyzers import best_rate  # noqa: E402


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
    alone = best_rate(len(tweets), lambda: [placer.place_text(t) for t in tweets])
    sentences = [ex.text for ex in dev + check + blind]
    dense = best_rate(len(sentences), lambda: [placer.place_text(t) for t in sentences])
    print("\nplace_text alone, posts/s of one core, best of 3 (its cost in `classify`: classify_places.py):")
    print(f"  on {len(tweets)} Spanish tweets ({args.data_dir.name} train+val): {alone:>9,.0f}   "
          f"({1e6 / alone:.1f} µs/post)")
    print(f"  on the {len(sentences)} labelled sentences: {dense:>9,.0f}   ({1e6 / dense:.1f} µs/post, "
          "nearly all name a place: worst case)")

    found = [(t, p) for t in tweets if (p := placer.place_text(t)) is not None]
    print(f"\nTweets placed: {len(found)} of {len(tweets)} ({len(found) / len(tweets):.2%}); these tweets are mostly "
          "from Spain, so each placement is a likely false positive:")
    for text, place in found[:10]:
        print(f"  {place.dpto_code}/{place.mpio_code or '-'} {place.departamento}: {text[:110]!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
