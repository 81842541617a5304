"""Sentiment backends behind one interface; the default is the Spanish lexicon scorer.

`LexiconSentiment` is a VADER-style scorer adapted to Spanish and Colombian usage: word and phrase
valences from the project's lexicon, emoji valences from the Emoji Sentiment Ranking, negation scope
("no", "nunca", "ni", "sin"), intensifiers and softeners ("muy", "re", "súper", "un poco"), superlatives
and diminutives ("malísimo", "feíto"), elongations ("buenooo"), capitals and exclamation marks, and "pero"
contrast. Hashtags arrive already split into words and URLs and mentions already dropped (`text.Doc`).

Thresholds: a post is positive when its normalised score is above `POSITIVE_THRESHOLD` and negative when
below `NEGATIVE_THRESHOLD`; the values were chosen by 5-fold cross-validation on the development split
(`scripts/tune_lexicon.py` on train.tsv), never on the validation split.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from analyzers.sentiment.lexicon_es import LEXICON_VERSION, Lexicon
from analyzers.text import EMOJI, EMOTICON, EMOTICON_SCORES, LAUGH, NUMBER, PUNCT, Doc

POSITIVE_THRESHOLD = 0.4
NEGATIVE_THRESHOLD = -0.05

NEGATION_SCOPE = 3  # words after a negator whose valence is flipped
NEGATION_FACTOR = -0.6  # "no es bueno" is less negative than "es malo"
CAPS_FACTOR = 1.3
ELONGATION_FACTOR = 1.2
SUPERLATIVE_FACTOR = 1.4
DIMINUTIVE_FACTOR = 0.9
EMOJI_WEIGHT = 3.0  # emoji scores are in -1..1, words in -4..4
LAUGH_SCORE = 1.0
EXCLAMATION_BOOST = 0.3
BEFORE_CONTRAST = 0.5
AFTER_CONTRAST = 1.5
NORMALISATION_ALPHA = 15.0  # score = s / sqrt(s^2 + alpha), as in VADER

_CLAUSE_BREAKS = frozenset(".,;:!?")
_SCOPE_BREAKS = frozenset({"y", "e"})  # "no puedo arreglar ninguna y es muy frustrante"
_DISCOURSE_MARKERS = frozenset({"bueno", "buena", "bien", "vale", "claro", "listo", "ok", "okey", "pues"})
_SUPERLATIVE = (("isimos", "os"), ("isimas", "as"), ("isimo", "o"), ("isima", "a"))
_DIMINUTIVE = (
    ("citos", "os"), ("citas", "as"), ("cito", "o"), ("cita", "a"),
    ("itos", "os"), ("itas", "as"), ("ito", "o"), ("ita", "a"),
    ("illos", "os"), ("illas", "as"), ("illo", "o"), ("illa", "a"),
)


@dataclass(frozen=True, slots=True)
class SentimentResult:
    label: str  # negative | neutral | positive
    score: float  # -1 .. +1
    rule: str  # e.g. "sentiment:lexicon", "sentiment:model:20250101T000000"


class SentimentBackend(Protocol):
    """What the pipeline needs from any sentiment backend."""

    version: str

    def predict(self, docs: Sequence[Doc]) -> list[SentimentResult]: ...


def label_for(score: float, positive: float = POSITIVE_THRESHOLD, negative: float = NEGATIVE_THRESHOLD) -> str:
    if score > positive:
        return "positive"
    if score < negative:
        return "negative"
    return "neutral"


@dataclass(frozen=True, slots=True)
class LexiconEvidence:
    """The raw sums behind a lexicon score; also used as features by the learnt model."""

    total: float
    positive: float
    negative: float
    hits: int
    negations: int
    emoji: float
    exclamations: int
    questions: int

    @property
    def score(self) -> float:
        return self.total / math.sqrt(self.total * self.total + NORMALISATION_ALPHA) if self.total else 0.0


class LexiconSentiment:
    """The default backend: needs no training data, explains itself, ~50 µs per post."""

    def __init__(
        self,
        lexicon: Lexicon,
        positive_threshold: float = POSITIVE_THRESHOLD,
        negative_threshold: float = NEGATIVE_THRESHOLD,
    ) -> None:
        self.lexicon = lexicon
        self.positive_threshold = positive_threshold
        self.negative_threshold = negative_threshold
        self.version = f"lexicon-{LEXICON_VERSION}"

    def predict(self, docs: Sequence[Doc]) -> list[SentimentResult]:
        return [self.predict_one(doc) for doc in docs]

    def predict_one(self, doc: Doc) -> SentimentResult:
        score = self.evidence(doc).score
        return SentimentResult(
            label_for(score, self.positive_threshold, self.negative_threshold), round(score, 4), "sentiment:lexicon"
        )

    def word_value(self, word: str) -> tuple[float | None, float]:
        """Valence of one folded word and the factor its form adds (superlative, diminutive)."""
        lex = self.lexicon
        value = lex.lookup(word)
        if value is not None or len(word) < 5:
            return value, 1.0
        for suffix, ending in _SUPERLATIVE:
            if word.endswith(suffix):
                base = word[: -len(suffix)]
                value = lex.lookup(base + ending)
                if value is None and base.endswith("qu"):  # "poquisimo" -> "poco"
                    value = lex.lookup(base[:-2] + "c" + ending)
                return value, SUPERLATIVE_FACTOR
        for suffix, ending in _DIMINUTIVE:
            if word.endswith(suffix):
                base = word[: -len(suffix)]
                value = lex.lookup(base + ending) or lex.lookup(base + "e")  # "pobrecito" -> "pobre"
                if value is None and base.endswith("e"):  # "tristecito" -> "triste"
                    value = lex.lookup(base)
                return value, DIMINUTIVE_FACTOR
        return None, 1.0

    def evidence(self, doc: Doc) -> LexiconEvidence:
        lex = self.lexicon
        tokens = doc.tokens
        texts = [t.text for t in tokens]
        n = len(tokens)
        values: list[float] = []
        contrast_at = -1
        negate_left = 0
        boost = 0.0
        boost_left = 0
        negations = exclamations = questions = 0
        emoji_total = 0.0
        i = 0
        while i < n:
            tok = tokens[i]
            kind = tok.kind
            if kind == PUNCT:
                if tok.text == "!":
                    exclamations += 1
                elif tok.text == "?":
                    questions += 1
                if tok.text in _CLAUSE_BREAKS:
                    negate_left = 0
                    boost_left = 0
                i += 1
                continue
            if kind == EMOJI:
                v = lex.emoji.get(tok.text)
                if v is not None:
                    values.append(v * EMOJI_WEIGHT)
                    emoji_total += v
                i += 1
                continue
            if kind == EMOTICON:
                values.append(EMOTICON_SCORES.get(tok.text, 0.0))
                i += 1
                continue
            if kind == LAUGH:
                values.append(LAUGH_SCORE)
                i += 1
                continue
            if kind == NUMBER:
                i += 1
                continue
            word = tok.text
            value: float | None = None
            factor = 1.0
            span = 1
            phrases = lex.phrases.get(word)
            if phrases:
                for words, score in phrases:
                    m = len(words)
                    if i + m <= n and tuple(texts[i : i + m]) == words:
                        value, span = score, m
                        break
            if value is None:
                if word in lex.negators:
                    negate_left = NEGATION_SCOPE
                    negations += 1
                    i += 1
                    continue
                if word in lex.contrast:
                    contrast_at = len(values)
                    negate_left = 0
                    i += 1
                    continue
                if word in _SCOPE_BREAKS:
                    negate_left = 0
                    boost_left = 0
                    i += 1
                    continue
                intensity = lex.intensifiers.get(word)
                if intensity is not None:
                    boost += intensity
                    boost_left = 2
                    i += 1
                    continue
                if word in _DISCOURSE_MARKERS and (i + 1 == n or tokens[i + 1].kind == PUNCT) and (
                    i == 0 or tokens[i - 1].kind == PUNCT
                ):
                    i += 1  # "Bueno, ..." / "Bien..." organise speech, they do not praise
                    continue
                value, factor = self.word_value(word)
            if value is not None and value != 0.0:
                value *= factor
                if boost_left:
                    value *= 1.0 + boost
                if tok.caps and not doc.all_caps:
                    value *= CAPS_FACTOR
                if tok.elongated:
                    value *= ELONGATION_FACTOR
                if negate_left:
                    value *= NEGATION_FACTOR
                values.append(value)
                boost = 0.0
                boost_left = 0
            elif boost_left:
                boost_left -= 1
                if not boost_left:
                    boost = 0.0
            if negate_left:
                negate_left = max(0, negate_left - span)
            i += span
        if 0 < contrast_at < len(values):
            values = [v * BEFORE_CONTRAST for v in values[:contrast_at]] + [
                v * AFTER_CONTRAST for v in values[contrast_at:]
            ]
        total = sum(values)
        if total and exclamations:
            total += math.copysign(EXCLAMATION_BOOST * min(exclamations, 3), total)
        return LexiconEvidence(
            total=total,
            positive=sum(v for v in values if v > 0),
            negative=sum(v for v in values if v < 0),
            hits=len(values),
            negations=negations,
            emoji=emoji_total,
            exclamations=exclamations,
            questions=questions,
        )


class TextBlobSentiment:
    """TextBlob's pattern analyzer: English only (it calls 95% of Spanish tweets neutral)."""

    version = "textblob-1"

    def __init__(self, threshold: float = 0.1) -> None:
        from textblob import TextBlob  # imported lazily: ~0.3 s, and only English posts need it

        self._blob = TextBlob
        self.threshold = threshold

    def predict(self, docs: Sequence[Doc]) -> list[SentimentResult]:
        return [self.predict_text(doc.text) for doc in docs]

    def predict_text(self, text: str) -> SentimentResult:
        try:
            polarity = float(self._blob(text).sentiment.polarity)
        except Exception:  # TextBlob on odd input must not break the pipeline
            polarity = 0.0
        return SentimentResult(label_for(polarity, self.threshold, -self.threshold), round(polarity, 4),
                               "sentiment:textblob")
