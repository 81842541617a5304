from analyzers.text import EMOJI, EMOTICON, HASHWORD, LAUGH, WORD, clean, collapse_candidates, compile_rule, fold
from tests.analyzers.helpers import doc, processor


def test_clean_repairs_broken_unicode_and_any_input_type():
    repaired = clean("\ud800abc")
    assert repaired.endswith("abc") and "\ufffd" in repaired
    repaired.encode("utf-8")  # no lone surrogate left
    assert clean(None) == ""
    assert clean(b"se\xf1al") == "se\ufffdal"
    assert clean(42) == "42"
    assert clean("a\x00b\u200bc") == "a b c"
    assert clean("e\u0301xito") == "éxito"  # decomposed accents are composed


def test_fold_strips_accents_and_tilde():
    assert fold("Pésimo SEÑAL Qué") == "pesimo senal que"


def test_elongation_candidates_prefer_single_letters():
    assert collapse_candidates("buenooo")[0] == "bueno"
    assert "graciass"[:-1] in collapse_candidates("graciass")
    assert collapse_candidates("casa") == ()


def test_tokens_drop_urls_and_mentions_and_keep_emojis():
    d = doc("@MinTIC mire esto https://t.co/x1 😡 :( jajajaja")
    kinds = [(t.text, t.kind) for t in d.tokens]
    assert ("mire", WORD) in kinds and ("esto", WORD) in kinds
    assert ("😡", EMOJI) in kinds
    assert (":(", EMOTICON) in kinds
    assert ("jaja", LAUGH) in kinds
    assert all("mintic" not in t.text and "http" not in t.text for t in d.tokens)
    assert d.n_urls == 1 and d.n_mentions == 1


def test_hashtags_are_split_into_words():
    assert processor().split_hashtag("FelizLunes") == ["Feliz", "Lunes"]
    assert processor().split_hashtag("sinservicio") == ["sin", "servicio"]
    assert processor().split_hashtag("quevergüenza") == ["que", "verguenza"]
    d = doc("#QuéVergüenza con el #sinservicio")
    assert [t.text for t in d.tokens if t.kind == HASHWORD] == ["que", "verguenza", "sin", "servicio"]
    assert d.hashtags == ("queverguenza", "sinservicio")


def test_aliases_and_elongations_are_normalised():
    d = doc("xq el servicio es pesimooo q exelente")
    words = [t.text for t in d.tokens]
    assert words[:2] == ["porque", "el"]
    assert "pesimo" in words and "excelente" in words
    assert any(t.elongated for t in d.tokens if t.text == "pesimo")


def test_caps_and_all_caps_posts():
    assert doc("esto es PÉSIMO").tokens[-1].caps
    assert doc("ESTO ES UN ABUSO TOTAL").all_caps
    assert not doc("esto es PÉSIMO").all_caps


def test_truncation_keeps_a_bounded_text():
    long = "palabra " * 10_000
    d = doc(long)
    assert d.truncated and len(d.text) == 2000
    assert not doc("corto").truncated


def test_norm_is_padded_and_rules_anchor_on_word_starts():
    d = doc("¿Cómo me inscribo?")
    assert d.norm == " ? como me inscribo ? "
    rule = compile_rule(r"\b(?:ola|como)\b")
    assert rule.search(d.norm)
    assert not rule.search(doc("hola amigos").norm)  # "ola" inside "hola" is not a word start
