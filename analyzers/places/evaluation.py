"""Precision and recall of the placer on a labelled TSV (data/places/*.tsv), shared by the test that sets a
precision floor and by benchmarks/places.py.

File format: a header, then `dpto_code<TAB>mpio_code<TAB>evidence_kind<TAB>text`; empty codes mean "no
Colombian place can be told from this"; evidence_kind is "text" (a post) or "profile" (a profile location).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import domain
from analyzers.places.placer import Placer

DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "places"
KINDS = ("text", "profile")


@dataclass(frozen=True)
class Example:
    dpto_code: str | None
    mpio_code: str | None
    kind: str
    text: str
    line: int


@dataclass
class Scores:
    n: int = 0
    gold_dpto: int = 0  # examples with a department label
    gold_mpio: int = 0
    predicted: int = 0  # examples placed (a department predicted)
    predicted_mpio: int = 0
    correct_dpto: int = 0
    correct_mpio: int = 0

    @property
    def dpto_precision(self) -> float:
        return self.correct_dpto / self.predicted if self.predicted else 1.0

    @property
    def dpto_recall(self) -> float:
        return self.correct_dpto / self.gold_dpto if self.gold_dpto else 1.0

    @property
    def mpio_precision(self) -> float:
        return self.correct_mpio / self.predicted_mpio if self.predicted_mpio else 1.0

    @property
    def mpio_recall(self) -> float:
        return self.correct_mpio / self.gold_mpio if self.gold_mpio else 1.0


@dataclass
class Evaluation:
    overall: Scores = field(default_factory=Scores)
    by_kind: dict[str, Scores] = field(default_factory=dict)
    errors: list[tuple[Example, domain.Place | None]] = field(default_factory=list)


def read_examples(path: Path) -> list[Example]:
    out = []
    with path.open(encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        if header != ["dpto_code", "mpio_code", "evidence_kind", "text"]:
            raise ValueError(f"{path}: header {header} (expected dpto_code, mpio_code, evidence_kind, text)")
        for i, raw in enumerate(f, start=2):
            line = raw.rstrip("\n")
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) != 4 or parts[2] not in KINDS:
                raise ValueError(f"{path} line {i}: expected 4 tab-separated fields with kind in {KINDS}")
            dpto, mpio, kind, text = parts
            if mpio and not mpio.startswith(dpto):
                raise ValueError(f"{path} line {i}: mpio_code {mpio} is not in department {dpto}")
            out.append(Example(dpto or None, mpio or None, kind, text, i))
    return out


def predict(placer: Placer, example: Example) -> domain.Place | None:
    if example.kind == "profile":
        return placer.place_profile(example.text)
    return placer.place_text(example.text)


def evaluate(placer: Placer, examples: Iterable[Example]) -> Evaluation:
    result = Evaluation(by_kind={kind: Scores() for kind in KINDS})
    for ex in examples:
        got = predict(placer, ex)
        for scores in (result.overall, result.by_kind[ex.kind]):
            scores.n += 1
            scores.gold_dpto += ex.dpto_code is not None
            scores.gold_mpio += ex.mpio_code is not None
            if got is not None:
                scores.predicted += 1
                scores.correct_dpto += got.dpto_code == ex.dpto_code
                if got.mpio_code is not None:
                    scores.predicted_mpio += 1
                    scores.correct_mpio += got.mpio_code == ex.mpio_code
        wrong = (got is None) != (ex.dpto_code is None) or (
            got is not None and (got.dpto_code != ex.dpto_code or got.mpio_code != ex.mpio_code))
        if wrong:
            result.errors.append((ex, got))
    return result
