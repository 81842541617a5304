"""The optional `transformers` sentiment backend: a local Hugging Face sequence-classification model.

Not part of the default install (`pip install transformers torch`). The model directory must already be
on disk (e.g. a Spanish tweet-sentiment checkpoint saved with `save_pretrained`); nothing is downloaded:
loading uses `local_files_only=True`. The libraries and weights are loaded lazily on the first batch, so
configuring this backend costs nothing until a post arrives. `label_map` maps the model's own label
names (its `config.id2label`) to negative/neutral/positive.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from analyzers.sentiment.lexicon import SentimentResult
from analyzers.text import Doc

logger = logging.getLogger(__name__)


class TransformersUnavailable(RuntimeError):
    """transformers/torch are not installed or the model directory is unusable."""


class TransformersSentiment:
    def __init__(self, model_dir: Path, label_map: Mapping[str, str], batch_size: int = 32,
                 max_length: int = 128) -> None:
        self.model_dir = Path(model_dir)
        self.label_map = dict(label_map)
        self.batch_size = batch_size
        self.max_length = max_length
        self.version = f"transformers-{self.model_dir.name}"
        self._rule = f"sentiment:transformers:{self.model_dir.name}"
        self._loaded: tuple[Any, Any, Any, list[str]] | None = None

    def check(self) -> None:
        """Fail early (at start-up) with a clear message if the backend cannot work."""
        if not self.model_dir.is_dir():
            raise TransformersUnavailable(f"transformers model directory {self.model_dir} does not exist")
        try:
            import torch  # noqa: F401
            import transformers  # noqa: F401
        except ImportError as exc:
            raise TransformersUnavailable(
                f"the transformers backend needs the optional packages: pip install transformers torch ({exc})"
            ) from None

    def _load(self) -> tuple[Any, Any, Any, list[str]]:
        if self._loaded is None:
            self.check()
            import torch
            from transformers import AutoModelForSequenceClassification, AutoTokenizer

            try:
                tokenizer = AutoTokenizer.from_pretrained(self.model_dir, local_files_only=True)
                model = AutoModelForSequenceClassification.from_pretrained(self.model_dir, local_files_only=True)
            except Exception as exc:
                raise TransformersUnavailable(f"cannot load the model in {self.model_dir}: {exc}") from None
            model.eval()
            id2label = model.config.id2label
            labels = []
            for i in range(model.config.num_labels):
                raw = str(id2label.get(i, f"LABEL_{i}"))
                mapped = self.label_map.get(raw)
                if mapped is None:
                    raise TransformersUnavailable(
                        f"model label {raw!r} is not in analyzers.transformers.label_map ({self.label_map})"
                    )
                labels.append(mapped)
            self._loaded = (torch, tokenizer, model, labels)
            logger.info("loaded transformers sentiment model from %s (labels %s)", self.model_dir, labels)
        return self._loaded

    def predict(self, docs: Sequence[Doc]) -> list[SentimentResult]:
        return self.predict_texts([doc.text for doc in docs])

    def predict_texts(self, texts: Sequence[str]) -> list[SentimentResult]:
        if not texts:
            return []
        torch, tokenizer, model, labels = self._load()
        out: list[SentimentResult] = []
        for start in range(0, len(texts), self.batch_size):
            batch = [t if t.strip() else "." for t in texts[start : start + self.batch_size]]
            encoded = tokenizer(batch, padding=True, truncation=True, max_length=self.max_length,
                                return_tensors="pt")
            with torch.no_grad():
                probabilities = torch.softmax(model(**encoded).logits, dim=-1).tolist()
            for row in probabilities:
                best = max(range(len(row)), key=row.__getitem__)
                pos = sum(p for p, lab in zip(row, labels, strict=True) if lab == "positive")
                neg = sum(p for p, lab in zip(row, labels, strict=True) if lab == "negative")
                out.append(SentimentResult(labels[best], round(pos - neg, 4), self._rule))
        return out
