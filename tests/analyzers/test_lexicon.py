import pytest

from analyzers.sentiment.lexicon_es import LEXICON_PATH, LexiconError, load_emoji_scores, load_lexicon, parse_lexicon


def test_project_lexicon_parses_without_conflicts():
    lexicon = parse_lexicon(LEXICON_PATH.read_text(encoding="utf-8"), str(LEXICON_PATH))
    assert len(lexicon.words) + len(lexicon.stems) > 800
    assert {"no", "nunca", "ni", "sin"} <= lexicon.negators


@pytest.mark.parametrize("word", ["chevere", "bacano", "excelente", "gracias", "berraquera"])
def test_colombian_and_general_positive_words(word):
    assert load_lexicon().lookup(word) > 0


@pytest.mark.parametrize("word", ["pesimo", "pesima", "odiamos", "estafadores", "incompetentes"])
def test_negative_words_and_stems(word):
    assert load_lexicon().lookup(word) < 0


def test_phrases_are_indexed_by_first_word():
    phrases = dict(load_lexicon().phrases["un"])
    assert phrases[("un", "asco")] < -2
    que = dict(load_lexicon().phrases["que"])
    assert que[("que", "verguenza")] < -2
    assert que[("que", "pena", "con")] > que[("que", "pena")]  # Colombian politeness, not sorrow


def test_conflicting_duplicates_and_bad_lines_are_reported_with_line_numbers():
    with pytest.raises(LexiconError, match=r"x:3: 'bueno' already defined at line 2"):
        parse_lexicon("[words]\nbueno 2\nbueno -1\n", "x")
    with pytest.raises(LexiconError, match=r"x:2: score 'mucho' is not a number"):
        parse_lexicon("[words]\nbueno mucho\n", "x")
    with pytest.raises(LexiconError, match=r"unknown section"):
        parse_lexicon("[palabras]\nbueno 2\n", "x")
    with pytest.raises(LexiconError, match=r"outside -4..4"):
        parse_lexicon("[words]\nbueno 9\n", "x")


def test_emoji_scores_come_from_the_emoji_sentiment_ranking():
    scores = load_emoji_scores()
    assert scores["❤"] > 0.5
    assert scores["😡"] < 0
    assert all(-1 <= v <= 1 for v in scores.values())
