"""Language of a post: the platform's own tag when it has one, else an offline detector.

The detector is py3langid restricted to the languages that matter (es, en, pt by default): measured at
~40,000 short texts/s on one core. The audience is Colombian, so when the detector is unsure (confidence
below `min_confidence`) or the post has too few words, the answer is Spanish; a post with no words at all
(only emojis, only a URL, empty) is "und" (undetermined, BCP 47). A post with two or more words that
only Spanish has ("el", "y", "muy", "pero", ...) and none that only English or Portuguese have is Spanish
without asking the detector ("lang:markers"): it halves the cost for the usual post.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from analyzers.text import WORD, Doc

logger = logging.getLogger(__name__)

LANGUAGE_VERSION = "py3langid-1"
UNDETERMINED = "und"
# X's pseudo-codes for posts without linguistic content (media only, hashtags only, ...).
_NO_LANGUAGE_TAGS = frozenset({"und", "zxx", "qme", "qht", "qam", "qct", "qst", "art", ""})
# Function words that Spanish has and Portuguese/English do not (folded), and the reverse.
_SPANISH_ONLY = frozenset(
    [
        "el", "los", "las", "del", "y", "una", "con", "muy", "pero", "yo", "hay", "esto", "ese", "esa",
        "eso", "estoy", "usted", "ustedes", "ellos", "nosotros", "ahora", "donde", "cuando", "tambien",
        "gracias", "hola", "senal", "llevo"
    ]
)
_NOT_SPANISH = frozenset(
    [
        "the", "and", "is", "of", "to", "you", "it", "this", "that", "with", "for", "are", "was", "o", "os",
        "do", "da", "dos", "das", "um", "uma", "com", "nao", "muito", "mas", "voce", "obrigado", "obrigada",
        "isso", "esse", "essa", "ele", "ela", "nos", "eu", "tem"
    ]
)


@lru_cache(maxsize=8)
def _identifier(languages: tuple[str, ...]) -> Any:
    """Load py3langid's model once per process per language set (0.5 s); read-only afterwards."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(list(languages))
    return ident


def normalise_tag(tag: str | None) -> str | None:
    """"es-CO" -> "es"; pseudo-codes and empty tags -> None (meaning: detect it ourselves)."""
    if not tag:
        return None
    base = tag.strip().lower().replace("_", "-").split("-")[0]
    if base in _NO_LANGUAGE_TAGS or not base.isalpha() or len(base) > 3:
        return None
    return base


class LanguageDetector:
    version = LANGUAGE_VERSION

    def __init__(self, languages: Sequence[str] = ("es", "en", "pt"), min_confidence: float = 0.8,
                 default: str = "es") -> None:
        self.languages = tuple(languages)
        self.min_confidence = min_confidence
        self.default = default
        self._ident = _identifier(tuple(sorted(self.languages)))

    def detect(self, doc: Doc, hint: str | None = None) -> tuple[str, str]:
        """Return (language, rule) where rule says how it was decided."""
        tag = normalise_tag(hint)
        if tag is not None:
            return tag, "lang:platform"
        words = [t.text for t in doc.tokens if t.kind == WORD]
        if not words:
            has_text = any(t.kind != "p" for t in doc.tokens)
            return (self.default, "lang:default") if has_text else (UNDETERMINED, "lang:no_text")
        if len(words) < 3:
            return self.default, "lang:default"
        if self.default == "es":
            marked = _SPANISH_ONLY.intersection(words)
            if len(marked) >= 2 and not _NOT_SPANISH.intersection(words):
                return "es", "lang:markers"  # unmistakably Spanish: skip the detector (half the cost)
        try:
            lang, confidence = self._ident.classify(" ".join(words))
        except Exception:  # the detector must never break the pipeline
            logger.exception("language detection failed; assuming %s", self.default)
            return self.default, "lang:default"
        if lang != self.default and confidence < self.min_confidence:
            return self.default, "lang:default"
        return str(lang), "lang:detected"
