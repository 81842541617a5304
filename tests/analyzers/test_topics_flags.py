import pytest

from analyzers.flags import FlagDetector
from analyzers.settings import DEFAULT_TOPICS, TopicSpec
from analyzers.topics import TopicMatcher
from tests.analyzers.helpers import doc, processor


def topics(text: str, specs=DEFAULT_TOPICS):
    return TopicMatcher(specs, processor()).match(doc(text))


def test_default_topics_match_keywords_accent_and_case_insensitive():
    names, rules = topics("La ZONA WI-FI del parque y el Centro Digital")
    assert names == ("conectividad",)
    assert rules[0].startswith("topic:conectividad:")
    assert topics("Inscripciones de MISIÓN TIC")[0] == ("formacion_tic",)
    assert topics("mi paquete de 4-72 no llega")[0] == ("servicios_postales",)


def test_topics_match_hashtags_and_prefixes():
    specs = [TopicSpec(name="x", keywords=("conect*",), hashtags=("#ColombiaConectada",))]
    assert topics("#ColombiaConectada", specs)[0] == ("x",)
    assert topics("estamos desconectados", specs)[0] == ()  # whole words only
    assert topics("quedamos conectadísimos", specs)[0] == ("x",)


def test_no_topic_for_unrelated_text():
    assert topics("hoy hace calor")[0] == ()


def test_topic_version_changes_with_the_list():
    a = TopicMatcher(DEFAULT_TOPICS, processor()).version
    b = TopicMatcher([TopicSpec(name="x", keywords=("y",))], processor()).version
    assert a != b and a == TopicMatcher(DEFAULT_TOPICS, processor()).version


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("La plataforma de inscripciones está caída", "outage"),
        ("El portal no carga, error 503", "outage"),
        ("Cuidado: estafa con falsos subsidios a nombre del ministerio", "fraud"),
        ("Perfil falso de MinTIC pidiendo plata", "fraud"),
        ("Me hackearon la cuenta del curso", "data_leak"),
        ("Se filtraron los datos personales de los beneficiarios", "data_leak"),
        ("Los vamos a matar si no cumplen", "threat"),
        ("Es falso que el ministerio regale celulares, no compartan esa cadena", "misinformation"),
    ],
)
def test_crisis_flags(text, flag):
    flags, rules = FlagDetector().detect(doc(text))
    assert flag in flags
    assert any(r.startswith(f"flag:{flag}:") for r in rules)


def test_ordinary_posts_raise_no_flag():
    assert FlagDetector().detect(doc("Gracias por el curso, muy bueno")) == ((), ())
    assert FlagDetector().detect(doc("¿Cómo me inscribo?")) == ((), ())
