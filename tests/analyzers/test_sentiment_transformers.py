"""The optional transformers backend, with a tiny randomly initialised model the test builds itself.

Nothing is downloaded: the tokenizer is built from a vocabulary file written here, the model from a
config, both saved with `save_pretrained` into a temporary directory and loaded with local_files_only.
"""

import logging

import pytest

from analyzers.pipeline import build_text_analyzer
from analyzers.sentiment.transformer import TransformersSentiment, TransformersUnavailable
from analyzers.settings import DEFAULT_TOPICS, AnalyzerSettings, TransformersSettings

transformers = pytest.importorskip(
    "transformers", reason="the optional 'transformers' extra (transformers + torch) is not installed"
)
pytest.importorskip("torch", reason="the optional 'transformers' extra needs torch")


@pytest.fixture(scope="module")
def tiny_model_dir(tmp_path_factory):
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    directory = tmp_path_factory.mktemp("tiny-sentiment")
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "bueno", "malo", "el", "curso", "es", "no"]
    vocab = directory / "vocab.txt"
    vocab.write_text("\n".join(words) + "\n", encoding="utf-8")
    tokenizer = BertTokenizer(str(vocab))
    config = BertConfig(vocab_size=len(words), hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=16, max_position_embeddings=64, num_labels=3,
                        id2label={0: "NEG", 1: "NEU", 2: "POS"}, label2id={"NEG": 0, "NEU": 1, "POS": 2})
    model = BertForSequenceClassification(config)
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def test_loads_lazily_batches_and_maps_labels(tiny_model_dir):
    backend = TransformersSentiment(tiny_model_dir, TransformersSettings().label_map, batch_size=2)
    assert backend._loaded is None  # nothing loaded until the first batch
    texts = ["el curso es bueno", "malo", "", "no", "bueno bueno"]
    results = backend.predict_texts(texts)
    assert len(results) == len(texts)
    assert all(r.label in ("negative", "neutral", "positive") for r in results)
    assert all(-1.0 <= r.score <= 1.0 for r in results)
    assert results[0].rule == f"sentiment:transformers:{tiny_model_dir.name}"
    # Batching must not change answers: one by one gives the same labels.
    single = [backend.predict_texts([t])[0].label for t in texts]
    assert single == [r.label for r in results]


def test_unknown_model_labels_are_a_clear_error(tiny_model_dir):
    backend = TransformersSentiment(tiny_model_dir, {"NEG": "negative"}, batch_size=2)
    with pytest.raises(TransformersUnavailable, match="label_map"):
        backend.predict_texts(["bueno"])


def test_pipeline_uses_the_configured_directory(tiny_model_dir, tmp_path, caplog):
    settings = AnalyzerSettings(sentiment_backend="transformers",
                                transformers=TransformersSettings(model_dir=tiny_model_dir, batch_size=4))
    analyzer = build_text_analyzer(settings, DEFAULT_TOPICS, tmp_path)
    assert "sentiment=transformers-" in analyzer.version
    result = analyzer.analyze("el curso es bueno y la zona wifi también")
    assert any(r.startswith("sentiment:transformers:") for r in result.rules)
    with caplog.at_level(logging.WARNING):
        missing = AnalyzerSettings(sentiment_backend="transformers",
                                   transformers=TransformersSettings(model_dir=tmp_path / "nope"))
        fallback = build_text_analyzer(missing, DEFAULT_TOPICS, tmp_path)
    assert "sentiment=lexicon" in fallback.version and "does not exist" in caplog.text
