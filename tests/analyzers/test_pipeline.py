import logging
from pathlib import Path

import pytest

import domain
from analyzers.pipeline import build_text_analyzer
from analyzers.settings import DEFAULT_TOPICS, AnalyzerSettings
from tests.analyzers.helpers import default_analyzer


def test_full_analysis_of_a_citizen_complaint():
    result = default_analyzer().analyze("Llevo 3 días sin señal en la vereda @MinTIC #SinInternet 😡")
    assert isinstance(result, domain.TextAnalysis)
    assert result.lang == "es"
    assert result.sentiment == "negative" and -1 <= result.sentiment_score < 0
    assert result.category == "reclamo"
    assert result.topics == ("conectividad",)
    assert result.flags == ("outage",)
    assert "sentiment:lexicon" in result.rules
    assert "category:rule:sin_servicio" in result.rules
    assert "flag:outage:sin_servicio" in result.rules
    assert result.version == default_analyzer().version
    assert all(part in result.version for part in ("lang=", "sentiment=lexicon", "category=rules", "topics=", "flags="))


@pytest.mark.parametrize(
    "text",
    ["", "   ", "😂😂😂", "https://t.co/abc", "@MinTIC", "\ud800\udfff raro \x00", "ñ" * 50_000, "?!?!",
     "Das ist nicht gut", "这是一个测试", "\n\t"],
)
def test_bad_input_never_crashes_and_gives_valid_values(text):
    result = default_analyzer().analyze(text)
    assert result.sentiment in domain.SENTIMENTS
    assert result.category in domain.CATEGORIES
    assert set(result.flags) <= set(domain.CRISIS_FLAGS)
    assert -1.0 <= result.sentiment_score <= 1.0


def test_non_string_input_is_tolerated():
    assert default_analyzer().analyze(None).lang == "und"  # type: ignore[arg-type]


def test_long_text_is_truncated_for_analysis_and_says_so():
    result = default_analyzer().analyze("pésimo servicio " * 1000)
    assert "text:truncated" in result.rules
    assert result.sentiment == "negative"


def test_english_posts_use_textblob_and_others_the_lexicon():
    en = default_analyzer().analyze("I love this program, thank you so much")
    assert en.lang == "en" and "sentiment:textblob" in en.rules and en.sentiment == "positive"
    es = default_analyzer().analyze("Me encanta este programa, muchas gracias")
    assert "sentiment:lexicon" in es.rules and es.sentiment == "positive"


def test_analyze_many_keeps_order_and_uses_hints():
    texts = ["gracias", "pésimo", "", "I hate it"]
    results = default_analyzer().analyze_many(texts, ["es", None, None, "en"])
    assert [r.sentiment for r in results] == ["positive", "negative", "neutral", "negative"]
    assert results[0].rules[0] == "lang:platform"
    with pytest.raises(ValueError):
        default_analyzer().analyze_many(["a"], [None, None])


def test_missing_model_falls_back_to_lexicon_with_a_clear_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        analyzer = build_text_analyzer(AnalyzerSettings(sentiment_backend="model"), DEFAULT_TOPICS, tmp_path)
    assert "sentiment=lexicon" in analyzer.version
    message = caplog.text
    assert str(tmp_path / "sentiment" / "active.json") in message
    assert "python main.py train --task sentiment DATA.tsv" in message
    assert analyzer.analyze("excelente").sentiment == "positive"


def test_corrupt_model_file_falls_back_with_the_file_named(tmp_path, caplog):
    model_dir = tmp_path / "sentiment" / "m1"
    model_dir.mkdir(parents=True)
    (model_dir / "model.joblib").write_bytes(b"not a pickle at all")
    (tmp_path / "sentiment" / "active.json").write_text('{"model_id": "m1"}')
    with caplog.at_level(logging.WARNING):
        analyzer = build_text_analyzer(AnalyzerSettings(sentiment_backend="model"), DEFAULT_TOPICS, tmp_path)
    assert "sentiment=lexicon" in analyzer.version
    assert str(model_dir / "model.joblib") in caplog.text and "corrupt" in caplog.text
    assert "python main.py train --task sentiment" in caplog.text


def test_category_model_missing_falls_back_to_rules(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        analyzer = build_text_analyzer(AnalyzerSettings(category_backend="model"), DEFAULT_TOPICS, tmp_path)
    assert "category=rules" in analyzer.version
    assert "python main.py train --task category" in caplog.text


def test_transformers_backend_without_model_dir_falls_back(caplog):
    with caplog.at_level(logging.WARNING):
        analyzer = build_text_analyzer(AnalyzerSettings(sentiment_backend="transformers"), DEFAULT_TOPICS,
                                       Path("/nonexistent"))
    assert "sentiment=lexicon" in analyzer.version
    assert "model_dir" in caplog.text


def test_settings_reject_unknown_keys_and_backends():
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        AnalyzerSettings.model_validate({"sentiment_backend": "vader"})
    with pytest.raises(ValidationError):
        AnalyzerSettings.model_validate({"sentimen_backend": "lexicon"})
    with pytest.raises(ValidationError):
        AnalyzerSettings.model_validate({"transformers": {"label_map": {"LABEL_0": "bad"}}})


@pytest.mark.parametrize("text", [
    "¿Hasta cuándo está abierta la convocatoria de Talento TI?",
    "¿Hasta cuándo van las inscripciones de Misión TIC?",
    "¿Dónde queda el Centro Digital de mi vereda?",
])
def test_plain_questions_are_neutral_petitions(text):
    result = default_analyzer().analyze(text)
    assert result.sentiment == "neutral" and result.category == "peticion"


def test_hasta_cuando_with_a_grievance_is_still_a_claim():
    assert default_analyzer().analyze("¿Hasta cuándo sin internet en la vereda?").category == "reclamo"


def test_a_data_leak_with_a_demand_is_a_negative_claim_not_otro():
    result = default_analyzer().analyze("Se filtraron los datos personales de los inscritos en la plataforma del "
                                        "MinTIC, exijo una explicación")
    assert "data_leak" in result.flags
    assert result.category == "reclamo" and result.sentiment == "negative"


def _campaign_analyzer(campaigns):  # type: ignore[no-untyped-def]
    return build_text_analyzer(AnalyzerSettings(), DEFAULT_TOPICS, Path("/nonexistent/models"), campaigns,
                               places=False)


def test_campaigns_are_matched_with_the_post_context() -> None:
    from datetime import UTC, date, datetime

    from analyzers.pipeline import PostContext

    talento = domain.Campaign(id="talento-ti", name="#TalentoTI", starts_on=date(2026, 11, 16),
                              ends_on=date(2026, 11, 22), hashtags=("TalentoTI",),
                              links=("mintic.gov.co/talentoti",))
    analyzer = _campaign_analyzer([talento])
    inside = PostContext(created_at=datetime(2026, 11, 17, 15, tzinfo=UTC))
    after = PostContext(created_at=datetime(2026, 11, 24, 15, tzinfo=UTC))
    linked = PostContext(urls=("https://www.mintic.gov.co/talentoti/becas",))
    texts = ["Inscríbete #TalentoTI 🚀", "Inscríbete #TalentoTI 🚀", "Inscríbete https://t.co/x1", "Inscríbete"]
    results = analyzer.analyze_many(texts, None, [inside, after, linked, None])
    assert [r.campaigns for r in results] == [("talento-ti",), (), ("talento-ti",), ()]
    assert analyzer.analyze("#talentotí ya").campaigns == ("talento-ti",)  # no context: content only
    assert all(r.place is None for r in results)  # placement off
    assert ";campaigns=campaigns-1-" in analyzer.version and analyzer.version.endswith(";places=off")

    before = analyzer.version
    analyzer.set_campaigns([])
    assert analyzer.version != before and analyzer.analyze("#TalentoTI").campaigns == ()
    with pytest.raises(ValueError, match="contexts"):
        analyzer.analyze_many(["a", "b"], None, [None])


def test_keywords_are_normalised_by_the_pipelines_processor() -> None:
    from datetime import date

    zonas = domain.Campaign(id="zonas-wifi", name="Zonas WiFi", starts_on=date(2026, 1, 1),
                            keywords=("zona wi-fi gratis",))
    analyzer = _campaign_analyzer([zonas])
    assert analyzer.analyze("La ZONA WI FI GRATIS del parque no sirve").campaigns == ("zonas-wifi",)
    assert analyzer.match_campaigns("zona wifi gratis") == analyzer.analyze("zona wifi gratis").campaigns
