"""Choose the lexicon sentiment thresholds by 5-fold cross-validation on a development split.

Usage: python scripts/tune_lexicon.py ../shared/data/sentiment-es/train.tsv [--errors N]

Never run this on the validation split: its figures must stay an honest estimate.
Prints the cross-validated macro-F1 of a threshold grid and the pair that is best on the whole file.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analyzers.learning.evaluation import macro_f1, read_labelled
from analyzers.processing import default_processor
from analyzers.sentiment.lexicon import LexiconSentiment, label_for
from analyzers.sentiment.lexicon_es import load_lexicon

GRID = [round(x * 0.025, 3) for x in range(0, 17)]


def best_pair(scores: list[float], gold: list[str]) -> tuple[float, float, float]:
    best = (-1.0, 0.0, 0.0)
    for pos, neg in itertools.product(GRID, GRID):
        pred = [label_for(s, pos, -neg) for s in scores]
        f1 = macro_f1(gold, pred)
        if f1 > best[0]:
            best = (f1, pos, -neg)
    return best


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data", type=Path)
    parser.add_argument("--errors", type=int, default=0, help="print N misclassified examples")
    args = parser.parse_args()
    rows = read_labelled(args.data)
    processor = default_processor()
    scorer = LexiconSentiment(load_lexicon())
    scores = [scorer.evidence(processor.prepare(text)).score for _, text in rows]
    gold = [label for label, _ in rows]
    order = list(range(len(rows)))
    random.Random(13).shuffle(order)
    folds = [order[k::5] for k in range(5)]
    cv = []
    for k in range(5):
        test = set(folds[k])
        train_idx = [i for i in order if i not in test]
        _, pos, neg = best_pair([scores[i] for i in train_idx], [gold[i] for i in train_idx])
        cv.append(macro_f1([gold[i] for i in folds[k]], [label_for(scores[i], pos, neg) for i in folds[k]]))
    f1, pos, neg = best_pair(scores, gold)
    print(f"cross-validated macro-F1: {sum(cv) / len(cv):.3f} (folds: {', '.join(f'{x:.3f}' for x in cv)})")
    print(f"best on the whole file: macro-F1 {f1:.3f} at positive > {pos}, negative < {neg}")
    if args.errors:
        shown = 0
        for (label, text), s in zip(rows, scores, strict=True):
            pred = label_for(s, pos, neg)
            if pred != label:
                print(f"{label:>8} {pred:>8} {s:+.2f} {text}")
                shown += 1
                if shown >= args.errors:
                    break
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
