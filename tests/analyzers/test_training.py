import json

import pytest

from analyzers.learning.training import ModelUnavailable, NotEnoughData, load_active, train_model
from analyzers.pipeline import build_text_analyzer
from analyzers.settings import DEFAULT_TOPICS, AnalyzerSettings

POSITIVE = ["excelente {}", "gracias por {}", "me encanta {}", "qué chévere {}", "muy bueno {}"]
NEGATIVE = ["pésimo {}", "odio {}", "qué asco {}", "horrible {}", "no sirve {}"]
NEUTRAL = ["mañana hay {}", "a qué hora es {}", "hoy se habla de {}", "publicaron {}", "dónde queda {}"]
THINGS = ["el curso", "la zona wifi", "el centro digital", "la plataforma"]


def sentiment_examples() -> list[tuple[str, str]]:
    rows = []
    for label, templates in (("positive", POSITIVE), ("negative", NEGATIVE), ("neutral", NEUTRAL)):
        rows.extend((label, t.format(thing)) for t in templates for thing in THINGS)
    return rows


def test_train_saves_model_metadata_and_activates_it(tmp_path):
    examples = sentiment_examples()
    meta = train_model("sentiment", examples, tmp_path, source="test")
    model_dir = tmp_path / "sentiment" / meta["model_id"]
    assert (model_dir / "model.joblib").exists()
    saved = json.loads((model_dir / "meta.json").read_text())
    assert saved == meta
    assert len(meta["data_sha256"]) == 64 and meta["n_examples"] == len(examples)
    assert meta["label_counts"] == {"negative": 20, "neutral": 20, "positive": 20}
    assert 0 <= meta["validation"]["macro_f1"] <= 1 and meta["validation"]["n"] == 12
    assert json.loads((tmp_path / "sentiment" / "active.json").read_text())["model_id"] == meta["model_id"]

    analyzer = build_text_analyzer(AnalyzerSettings(sentiment_backend="model"), DEFAULT_TOPICS, tmp_path)
    assert f"sentiment=model-{meta['model_id']}" in analyzer.version
    results = analyzer.analyze_many(["excelente el curso", "pésimo el curso", "", "😂"])
    assert results[0].sentiment == "positive" and results[1].sentiment == "negative"
    assert f"sentiment:model:{meta['model_id']}" in results[0].rules
    assert results[0].sentiment_score > 0 > results[1].sentiment_score


def test_category_model_from_corrections_shape(tmp_path):
    rows = [("reclamo", f"llevo {n} días sin internet en {t}") for n in range(2, 8) for t in THINGS[:2]]
    rows += [("peticion", f"¿cómo me inscribo en {t}? paso {n}") for n in range(2, 8) for t in THINGS[:2]]
    rows += [("felicitacion", f"gracias por {t}, excelente {n}") for n in range(2, 8) for t in THINGS[:2]]
    meta = train_model("category", rows, tmp_path, source="corrections")
    analyzer = build_text_analyzer(AnalyzerSettings(category_backend="model"), DEFAULT_TOPICS, tmp_path)
    result = analyzer.analyze("llevo 20 días sin internet en la vereda")
    assert result.category == "reclamo"
    assert result.rules[2] == f"category:model:{meta['model_id']}"


def test_not_enough_or_bad_data_is_refused(tmp_path):
    with pytest.raises(NotEnoughData, match="not enough labelled examples"):
        train_model("category", [("queja", "mala atención")] * 3, tmp_path, source="corrections")
    with pytest.raises(ValueError, match="unknown sentiment label"):
        train_model("sentiment", [("bueno", "x")] * 40, tmp_path, source="test")
    assert not (tmp_path / "sentiment").exists()


def test_load_active_errors_name_the_file_and_the_fix(tmp_path):
    with pytest.raises(ModelUnavailable, match=r"python main\.py train --task sentiment"):
        load_active("sentiment", tmp_path)
    (tmp_path / "sentiment").mkdir()
    (tmp_path / "sentiment" / "active.json").write_text("{broken")
    with pytest.raises(ModelUnavailable, match=r"active\.json is corrupt"):
        load_active("sentiment", tmp_path)
    (tmp_path / "sentiment" / "active.json").write_text('{"model_id": "gone"}')
    with pytest.raises(ModelUnavailable, match=r"gone/model.joblib is missing"):
        load_active("sentiment", tmp_path)
