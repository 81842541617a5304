import pytest

from analyzers.categories import RuleCategorizer
from tests.analyzers.helpers import doc


def classify(text: str, sentiment: str = "neutral"):
    return RuleCategorizer().classify(doc(text), sentiment)


@pytest.mark.parametrize(
    ("text", "sentiment", "category", "rule"),
    [
        ("¿Cómo me inscribo en Talento Tech?", "neutral", "peticion", "pregunta_como"),
        ("Solicito información sobre las zonas wifi", "neutral", "peticion", "solicito"),
        ("Llevo 3 días sin señal en la vereda", "negative", "reclamo", "sin_servicio"),
        ("La plataforma no funciona desde ayer", "negative", "reclamo", "no_funciona"),
        ("La funcionaria fue muy grosera conmigo", "negative", "queja", "trato"),
        ("Nadie contesta en la línea de atención", "negative", "queja", "sin_respuesta"),
        ("Sugiero abrir los centros digitales los domingos", "neutral", "sugerencia", "sugiero"),
        ("Sería bueno tener clases en la noche", "positive", "sugerencia", "seria_bueno"),
        ("Denuncio una página falsa que cobra por las becas", "negative", "denuncia", "denuncio"),
        ("Me estafaron con un subsidio falso", "negative", "denuncia", "estafa"),
        ("Felicitaciones al equipo del centro digital", "positive", "felicitacion", "felicito"),
        ("Mil gracias por el curso", "positive", "felicitacion", "gracias"),
    ],
)
def test_each_category_and_the_rule_that_fired(text, sentiment, category, rule):
    result = classify(text, sentiment)
    assert result.category == category
    assert f"category:rule:{rule}" in result.rules


def test_thanks_closing_a_request_is_politeness():
    assert classify("¿Dónde descargo el certificado? gracias").category == "peticion"


def test_negative_sentiment_vetoes_praise():
    assert classify("Gracias por nada, llevo un mes sin internet", "negative").category == "reclamo"
    assert classify("gracias por nada", "negative").category == "otro"


def test_nothing_fired_is_otro():
    result = classify("Hoy es el día del periodista")
    assert result.category == "otro" and result.rules == ("category:rule:default_otro",)


def test_model_features_include_rules_and_their_answer():
    names = RuleCategorizer().fired_features(doc("Llevo 3 días sin señal"))
    assert "sin_servicio" in names and "rules_say:reclamo" in names


def test_on_the_blind_set_questions_that_ask_nothing_are_not_petitions():
    """data/categories-blind.tsv was written by someone who never read the rules (see its .md)."""
    from pathlib import Path

    from tests.analyzers.helpers import default_analyzer

    path = Path(__file__).resolve().parents[2] / "data" / "categories-blind.tsv"
    rows = [line.rstrip("\n").split("\t", 1) for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    analyzer = default_analyzer()
    pairs = [(label, analyzer.analyze(text).category) for label, text in rows]
    predicted = [g for g, p in pairs if p == "peticion"]
    actual = [p for g, p in pairs if g == "peticion"]
    assert sum(g == "peticion" for g in predicted) / len(predicted) >= 0.75  # was 0.50 before the rhetoric rule
    assert sum(p == "peticion" for p in actual) / len(actual) >= 0.95
