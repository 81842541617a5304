"""The transformers backend's own logic (lazy loading, batching, label mapping, no downloads), tested with
stand-in `torch` and `transformers` modules so it runs even where the optional extra is not installed.
The real libraries are exercised by test_sentiment_transformers.py when they are installed.
"""

import sys
import types
from contextlib import nullcontext

import pytest

from analyzers.sentiment.transformer import TransformersSentiment, TransformersUnavailable


class _Tensor:
    def __init__(self, rows):
        self.rows = rows

    def tolist(self):
        return self.rows


def _install_fakes(monkeypatch, calls, id2label):
    torch = types.ModuleType("torch")
    torch.no_grad = nullcontext
    torch.softmax = lambda logits, dim: logits  # the fake model already returns probabilities

    class Tokenizer:
        def __call__(self, batch, **kwargs):
            calls["batches"].append(list(batch))
            calls["tokenizer_kwargs"] = kwargs
            return {"texts": list(batch)}

    class Model:
        config = types.SimpleNamespace(id2label=id2label, num_labels=len(id2label))

        def eval(self):
            calls["eval"] = True

        def __call__(self, texts):
            rows = [[0.7, 0.2, 0.1] if "malo" in t else [0.1, 0.2, 0.7] for t in texts]
            return types.SimpleNamespace(logits=_Tensor(rows))

    def loader(kind):
        def from_pretrained(path, **kwargs):
            calls["loads"].append((kind, str(path), kwargs))
            return Tokenizer() if kind == "tokenizer" else Model()

        return from_pretrained

    transformers = types.ModuleType("transformers")
    transformers.AutoTokenizer = types.SimpleNamespace(from_pretrained=loader("tokenizer"))
    transformers.AutoModelForSequenceClassification = types.SimpleNamespace(from_pretrained=loader("model"))
    monkeypatch.setitem(sys.modules, "torch", torch)
    monkeypatch.setitem(sys.modules, "transformers", transformers)


@pytest.fixture
def calls():
    return {"batches": [], "loads": []}


def test_lazy_local_only_loading_and_batching(monkeypatch, tmp_path, calls):
    _install_fakes(monkeypatch, calls, {0: "NEG", 1: "NEU", 2: "POS"})
    backend = TransformersSentiment(tmp_path, {"NEG": "negative", "NEU": "neutral", "POS": "positive"},
                                    batch_size=2, max_length=64)
    assert calls["loads"] == []  # nothing happens before the first post
    results = backend.predict_texts(["muy malo", "bueno", "", "malo", "ok"])
    assert [len(b) for b in calls["batches"]] == [2, 2, 1]
    assert calls["batches"][1][0] == "."  # empty text is replaced, never sent empty
    assert all(kwargs.get("local_files_only") is True for _, _, kwargs in calls["loads"])
    assert calls["tokenizer_kwargs"]["truncation"] is True and calls["tokenizer_kwargs"]["max_length"] == 64
    assert [r.label for r in results] == ["negative", "positive", "positive", "negative", "positive"]
    assert results[0].score == pytest.approx(-0.6)
    backend.predict_texts(["otra vez"])
    assert len(calls["loads"]) == 2  # loaded once, reused


def test_label_mapping_must_cover_the_model_labels(monkeypatch, tmp_path, calls):
    _install_fakes(monkeypatch, calls, {0: "LABEL_0", 1: "LABEL_1", 2: "LABEL_2"})
    backend = TransformersSentiment(tmp_path, {"LABEL_0": "negative"}, batch_size=8)
    with pytest.raises(TransformersUnavailable, match="LABEL_1"):
        backend.predict_texts(["hola"])


def test_missing_directory_or_libraries_are_clear_errors(monkeypatch, tmp_path):
    with pytest.raises(TransformersUnavailable, match="does not exist"):
        TransformersSentiment(tmp_path / "nope", {}).check()
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    with pytest.raises(TransformersUnavailable, match="pip install transformers torch"):
        TransformersSentiment(tmp_path, {}).check()
