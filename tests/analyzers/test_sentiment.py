import pytest

from tests.analyzers.helpers import label, score


@pytest.mark.parametrize(
    "text",
    [
        "Qué chévere la zona wifi, gracias",
        "Bacano el curso, muy buenos profes",
        "Excelente atención 👏",
        "Los técnicos son unos berracos, la berraquera",
        "me encantóooo",
    ],
)
def test_positive_examples(text):
    assert label(text) == "positive"


@pytest.mark.parametrize(
    "text",
    [
        "Pésimo servicio",
        "pesimo servicio",  # missing accent
        "Esto es un asco",
        "Qué vergüenza con la gente del campo",
        "estoy berraco con este operador",
        "#QuéVergüenza",
        "Nadie contesta, qué falta de respeto 😡",
    ],
)
def test_negative_examples(text):
    assert label(text) == "negative"


def test_negation_flips_and_dampens():
    assert score("me gusta") > 0 > score("no me gusta")
    assert score("es bueno") > 0 > score("no es bueno")
    assert abs(score("no es bueno")) < abs(score("es bueno"))
    assert score("sin problema") > 0
    assert score("nunca funciona bien") < 0
    assert score("no está mal") > 0


def test_negation_scope_ends_at_punctuation():
    assert score("no, es bueno") > 0


def test_intensifiers_diminishers_and_superlatives():
    assert score("es muy bueno") > score("es bueno") > score("es un poco bueno") > 0
    assert score("malísimo") < score("malo") < 0
    assert score("súper lento") < score("lento")


def test_elongation_caps_and_exclamations_amplify():
    assert score("está buenooo") > score("está bueno") > 0
    assert score("esto es PÉSIMO") < score("esto es pésimo")
    assert score("pésimo!!!") < score("pésimo")


def test_contrast_gives_weight_to_what_follows_pero():
    assert score("bonito pero no funciona") < 0
    assert score("caro pero excelente") > 0


def test_mentions_and_urls_are_ignored():
    assert score("@pesimo_servicio https://malo.example/horrible") == 0.0


def test_colombian_politeness_is_not_sorrow():
    assert label("Qué pena con usted, ¿me ayuda con el certificado?") != "negative"
    assert label("Qué pena que cerraron el centro digital") == "negative"


def test_emoji_only_posts_are_scored_by_the_emoji_ranking():
    assert score("😍😍") > 0 > score("😡😡")
    assert score("") == 0.0


def test_discourse_marker_bueno_is_neutral():
    assert score("Bueno, mañana hablamos") == 0.0
    assert score("el curso es bueno") > 0
