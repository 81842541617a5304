"""The text processor every analyzer and the model trainer share: its vocabulary knows the lexicon's words and
the configured topics' keywords, so spelling repair never "fixes" a word we look for.

Its own module (not the pipeline's) so that training can build one without importing the pipeline that loads
trained models.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from analyzers.sentiment.lexicon_es import Lexicon, load_lexicon
from analyzers.settings import DEFAULT_TOPICS, TopicSpec
from analyzers.text import FUNCTION_WORDS, TextProcessor, fold


def make_processor(lexicon: Lexicon, topics: Sequence[TopicSpec] = DEFAULT_TOPICS,
                   max_chars: int = 2000) -> TextProcessor:
    """The text processor, with a vocabulary that knows the lexicon's and the topics' words."""
    vocab = set(lexicon.vocabulary()) | FUNCTION_WORDS
    for topic in topics:
        for keyword in topic.keywords:
            vocab.update(w for w in fold(keyword.rstrip("*")).replace("-", " ").split() if w.isalpha())
    emoji = lexicon.emoji
    return TextProcessor(vocab, lexicon.aliases, emoji.__contains__, max_chars)


def default_processor(lexicon: Lexicon | None = None, extra_words: Iterable[str] = (),
                      max_chars: int = 2000) -> TextProcessor:
    topics: list[TopicSpec] = list(DEFAULT_TOPICS)
    extra = [w for w in extra_words if w]
    if extra:
        topics.append(TopicSpec(name="_extra", keywords=tuple(extra)))
    return make_processor(lexicon or load_lexicon(), topics, max_chars)
