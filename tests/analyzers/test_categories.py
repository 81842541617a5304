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
