"""The `model` backends: the active scikit-learn models (see `training.py`) behind the analyzer interfaces.

Sentiment: label = most probable class, score = P(positive) - P(negative) in -1..1.
Category: label = most probable class; rules fired are still reported next to the model's decision, so
community managers see why the rules would have decided otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from analyzers.categories import CategoryResult, RuleCategorizer
from analyzers.learning.training import LoadedModel, load_active
from analyzers.sentiment.lexicon import SentimentResult
from analyzers.text import Doc


class ModelSentiment:
    def __init__(self, loaded: LoadedModel) -> None:
        self._model = loaded
        self._classes = [str(c) for c in loaded.estimator.classes_]
        self.version = f"model-{loaded.model_id}"
        self._rule = f"sentiment:model:{loaded.model_id}"

    @classmethod
    def from_models_dir(cls, models_dir: Path) -> ModelSentiment:
        return cls(load_active("sentiment", models_dir))

    def predict(self, docs: Sequence[Doc]) -> list[SentimentResult]:
        if not docs:
            return []
        probabilities = self._model.estimator.predict_proba(list(docs))
        index = {c: i for i, c in enumerate(self._classes)}
        out = []
        for row in probabilities:
            best = self._classes[int(row.argmax())]
            pos = float(row[index["positive"]]) if "positive" in index else 0.0
            neg = float(row[index["negative"]]) if "negative" in index else 0.0
            out.append(SentimentResult(best, round(pos - neg, 4), self._rule))
        return out


class CategoryModel:
    def __init__(self, loaded: LoadedModel, rules: RuleCategorizer | None = None) -> None:
        self._model = loaded
        self._classes = [str(c) for c in loaded.estimator.classes_]
        self._rules = rules or RuleCategorizer()
        self.version = f"model-{loaded.model_id}"
        self._rule = f"category:model:{loaded.model_id}"

    @classmethod
    def from_models_dir(cls, models_dir: Path) -> CategoryModel:
        return cls(load_active("category", models_dir))

    def classify_many(self, docs: Sequence[Doc], sentiments: Sequence[str]) -> list[CategoryResult]:
        if not docs:
            return []
        predicted = self._model.estimator.predict(list(docs))
        out = []
        for doc, sentiment, label in zip(docs, sentiments, predicted, strict=True):
            fired = tuple(f"category:rule:{r.name}" for r in self._rules.fired(doc, sentiment))
            out.append(CategoryResult(str(label), (self._rule, *fired)))
        return out
