import pytest

from analyzers.language import LanguageDetector, normalise_tag
from tests.analyzers.helpers import doc


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector(("es", "en", "pt"), 0.8)


def test_platform_tag_wins(detector):
    assert detector.detect(doc("I love this"), "es") == ("es", "lang:platform")
    assert detector.detect(doc("hola"), "es-CO") == ("es", "lang:platform")


def test_pseudo_tags_mean_detect_it(detector):
    assert normalise_tag("und") is None and normalise_tag("qme") is None and normalise_tag("") is None
    lang, rule = detector.detect(doc("This program is really useful for my family, thank you"), "und")
    assert (lang, rule) == ("en", "lang:detected")


def test_detects_the_languages_that_matter(detector):
    assert detector.detect(doc("Llevo tres días sin señal en la vereda"))[0] == "es"
    assert detector.detect(doc("The website has been down since yesterday, please fix it"))[0] == "en"
    assert detector.detect(doc("Obrigado pela ajuda, o curso foi muito bom para mim"))[0] == "pt"


def test_short_or_wordless_posts(detector):
    assert detector.detect(doc("gracias")) == ("es", "lang:default")
    assert detector.detect(doc("")) == ("und", "lang:no_text")
    assert detector.detect(doc("https://t.co/abc")) == ("und", "lang:no_text")
    assert detector.detect(doc("😂😂"))[0] == "es"
