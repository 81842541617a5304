"""Labelled data files and the scores every analyzer is judged by (macro-F1, per-class P/R, confusion).

Plain Python on purpose: the figures must not depend on which scikit-learn version is installed, and the
same code prints them in `evaluate`, `train` and the benchmark.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path


class DataError(ValueError):
    """A labelled data file is unusable; the message names the file and line."""


def read_labelled(path: Path, allowed: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """Read `label<TAB>text` rows after a header row. Bad rows are errors, not silently skipped."""
    allowed_set = set(allowed) if allowed is not None else None
    rows: list[tuple[str, str]] = []
    try:
        handle = path.open(encoding="utf-8", errors="replace", newline="")
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    with handle:
        header = handle.readline()
        if not header:
            raise DataError(f"{path} is empty; expected a header row 'label<TAB>text' and labelled rows")
        if "\t" not in header:
            raise DataError(f"{path}:1: the header must be 'label<TAB>text'")
        for lineno, line in enumerate(handle, start=2):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            label, sep, text = line.partition("\t")
            label = label.strip()
            if not sep:
                raise DataError(f"{path}:{lineno}: expected 'label<TAB>text', found no tab")
            if allowed_set is not None and label not in allowed_set:
                raise DataError(
                    f"{path}:{lineno}: unknown label {label!r}; allowed: {', '.join(sorted(allowed_set))}"
                )
            rows.append((label, text))
    if not rows:
        raise DataError(f"{path} has a header but no labelled rows")
    return rows


@dataclass(frozen=True)
class ClassScores:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Report:
    labels: tuple[str, ...]
    per_class: tuple[ClassScores, ...]
    confusion: tuple[tuple[int, ...], ...]  # rows: gold label, columns: predicted label
    macro_f1: float
    accuracy: float
    n: int

    def as_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "macro_f1": round(self.macro_f1, 4),
            "accuracy": round(self.accuracy, 4),
            "per_class": {
                c.label: {"precision": round(c.precision, 4), "recall": round(c.recall, 4),
                          "f1": round(c.f1, 4), "support": c.support}
                for c in self.per_class
            },
            "labels": list(self.labels),
            "confusion": [list(row) for row in self.confusion],
        }

    def format(self) -> str:
        width = max(12, *(len(label) + 2 for label in self.labels))
        lines = [f"macro-F1: {self.macro_f1:.3f}   accuracy: {self.accuracy:.3f}   n = {self.n}", ""]
        lines.append(f"{'class':<{width}}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}")
        for c in self.per_class:
            lines.append(f"{c.label:<{width}}{c.precision:>10.3f}{c.recall:>10.3f}{c.f1:>10.3f}{c.support:>10}")
        lines.append("")
        lines.append("confusion matrix (rows: true label, columns: predicted)")
        lines.append(" " * width + "".join(f"{label[:11]:>12}" for label in self.labels))
        for label, row in zip(self.labels, self.confusion, strict=True):
            lines.append(f"{label:<{width}}" + "".join(f"{v:>12}" for v in row))
        return "\n".join(lines)


def evaluate(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] | None = None) -> Report:
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")
    if labels is None:
        labels = sorted(set(gold) | set(predicted))
    else:
        extra = sorted((set(gold) | set(predicted)) - set(labels))
        labels = [*labels, *extra]
    index = {label: i for i, label in enumerate(labels)}
    k = len(labels)
    matrix = [[0] * k for _ in range(k)]
    for g, p in zip(gold, predicted, strict=True):
        matrix[index[g]][index[p]] += 1
    per_class = []
    present = []
    for i, label in enumerate(labels):
        tp = matrix[i][i]
        support = sum(matrix[i])
        predicted_n = sum(matrix[r][i] for r in range(k))
        precision = tp / predicted_n if predicted_n else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class.append(ClassScores(label, precision, recall, f1, support))
        if support or predicted_n:
            present.append(f1)
    n = len(gold)
    return Report(
        labels=tuple(labels),
        per_class=tuple(per_class),
        confusion=tuple(tuple(row) for row in matrix),
        macro_f1=sum(present) / len(present) if present else 0.0,  # over classes seen in gold or predictions
        accuracy=sum(matrix[i][i] for i in range(k)) / n if n else 0.0,
        n=n,
    )


def macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    return evaluate(gold, predicted).macro_f1
