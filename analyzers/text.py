"""Text normalisation shared by every analyzer: one pass per post, reused by all of them.

Why one shared `Doc`: tokenising, folding accents and splitting hashtags is most of the cost of the rule
analyzers; doing it once keeps the whole pipeline above 5,000 posts/s on one core.

What it does, in order: repair broken Unicode (lone surrogates, control characters), truncate for
analysis, tokenise (URLs and @mentions are dropped, hashtags are split into words, emojis and emoticons
are kept as their own tokens, laughter such as "jajaja" becomes "jaja"), lowercase and fold accents
("Pésimo" -> "pesimo", "señal" -> "senal"), undo elongations ("buenooo" -> "bueno") and rewrite chat
spellings and typos ("xq" -> "porque", "exelente" -> "excelente") through the lexicon's alias table.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import NamedTuple

# Token kinds.
WORD = "w"
HASHWORD = "h"  # a word that came from splitting a hashtag
PUNCT = "p"
EMOJI = "e"
EMOTICON = "m"
LAUGH = "l"
NUMBER = "n"

_FOLD = str.maketrans(
    {
        "á": "a", "é": "e", "í": "i", "ó": "o", "ú": "u", "ü": "u", "ñ": "n",
        "à": "a", "è": "e", "ì": "i", "ò": "o", "ù": "u", "â": "a", "ê": "e", "î": "i", "ô": "o",
        "û": "u", "ã": "a", "õ": "o", "ç": "c", "ä": "a", "ë": "e", "ï": "i", "ö": "o",
        "’": "'", "´": "'", "`": "'",
    }
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200c\u2028\u2029\ufeff]")

_EMOTICONS_POS = (":)", ":-)", ":]", "=)", ":d", ":-d", "=d", ";)", ";-)", ";d", ":p", ":-p", "<3", "(:")
_EMOTICONS_NEG = (":(", ":-(", ":[", "=(", ":'(", ":’(", "d:", ":/", ":-/", ":s", ":|", "):", "-.-", "-_-", "u.u")
EMOTICON_SCORES: Mapping[str, float] = {
    **{e: 1.8 for e in _EMOTICONS_POS},
    **{e: -1.8 for e in _EMOTICONS_NEG},
}
_EMOTICON_RE = "|".join(
    re.escape(e) for e in sorted({*_EMOTICONS_POS, *(e.upper() for e in _EMOTICONS_POS), *_EMOTICONS_NEG,
                                  *(e.upper() for e in _EMOTICONS_NEG)}, key=len, reverse=True)
)

_TOKEN = re.compile(
    rf"""
    (?P<url>https?://\S+|www\.\S+)
  | (?P<mention>@\w+)
  | (?P<hashtag>\#\w+)
  | (?P<emoticon>(?<!\w)(?:{_EMOTICON_RE})(?!\w))
  | (?P<word>[^\W\d_]+(?:['’][^\W\d_]+)?)
  | (?P<number>\d+(?:[.,:]\d+)*)
  | (?P<punct>[!¡?¿]+|[.,;:…]+)
  | (?P<other>[^\w\s])
    """,
    re.VERBOSE,
)

_LAUGH = re.compile(r"^(?:[jaeiou]*j[aeiou]+j[jaeiou]*|(?:js)+j?|(?:sj)+s?|(?:h[aeo]){2,}h?)$")
_RUN3 = re.compile(r"(.)\1{2,}")
_RUN2 = re.compile(r"(.)\1+")
_CAMEL = re.compile(r"[A-ZÁÉÍÓÚÑ]+(?![a-záéíóúñü])|[A-ZÁÉÍÓÚÑ]?[a-záéíóúñü]+|\d+")
_SKIP_CHARS = frozenset("\ufe0f\u200d\u20e3") | frozenset(chr(c) for c in range(0x1F3FB, 0x1F400))


def clean(text: object) -> str:
    """Make any input a safe `str`: no lone surrogates, no control characters, composed accents."""
    if text is None:
        return ""
    if not isinstance(text, str):
        text = text.decode("utf-8", "replace") if isinstance(text, bytes | bytearray) else str(text)
    if not text.isascii():
        text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")  # lone surrogates -> U+FFFD
        text = unicodedata.normalize("NFC", text)
    return _CONTROL.sub(" ", text)


def fold(text: str) -> str:
    """Lowercase and strip accents (and the tilde of ñ): the key every lexicon and rule is matched on."""
    return text.lower().translate(_FOLD)


def collapse_candidates(word: str) -> tuple[str, ...]:
    """Spellings to try for an elongated word, most likely first ("buenooo" -> "bueno", "buenoo")."""
    if not _RUN2.search(word):
        return ()
    out = []
    once = _RUN3.sub(r"\1", word)
    if once != word:
        out.append(once)
    twice = _RUN3.sub(r"\1\1", word)
    if twice != word and twice != once:
        out.append(twice)
    single = _RUN2.sub(r"\1", word)
    if single not in out and single != word:
        out.append(single)
    return tuple(out)


def is_laugh(folded: str) -> bool:
    return len(folded) >= 4 and _LAUGH.match(folded) is not None


class Token(NamedTuple):
    """A NamedTuple rather than a frozen dataclass: ~15 are made per post and tuples are 4x cheaper."""

    text: str  # folded, canonical form (aliases applied, elongation undone)
    kind: str  # WORD, HASHWORD, PUNCT, EMOJI, EMOTICON, LAUGH, NUMBER
    caps: bool = False  # written in capitals (a shout), for words of 3+ letters
    elongated: bool = False  # had a letter repeated 3+ times ("buenooo")


@dataclass(frozen=True, slots=True)
class Doc:
    """One post prepared for analysis."""

    text: str  # the cleaned text actually analysed (truncated)
    tokens: tuple[Token, ...]
    norm: str  # " " + folded words and punctuation joined by single spaces + " " (hashtags split; no URLs,
    # mentions or emojis). The padding lets rules anchor word starts on a literal space (`compile_rule`).
    hashtags: tuple[str, ...]  # folded hashtag bodies, without "#"
    n_urls: int
    n_mentions: int
    all_caps: bool  # the whole post is shouted: caps then carry no extra emphasis
    truncated: bool

    @property
    def is_empty(self) -> bool:
        return not self.tokens


class TextProcessor:
    """Turns raw post text into a `Doc`.

    `vocabulary` (folded words) drives elongation repair and the splitting of lowercase hashtags;
    `aliases` maps folded chat spellings to their folded expansion; `is_emoji` tells emoji characters.
    """

    def __init__(
        self,
        vocabulary: Collection[str],
        aliases: Mapping[str, tuple[str, ...]],
        is_emoji: Callable[[str], bool],
        max_chars: int = 2000,
    ) -> None:
        self._vocab = frozenset(vocabulary)
        self._aliases = dict(aliases)
        self._is_emoji = is_emoji
        self._max_chars = max_chars
        self._max_word = max((len(w) for w in self._vocab), default=1)

    def prepare(self, raw: object) -> Doc:
        text = clean(raw)
        truncated = len(text) > self._max_chars
        if truncated:
            text = text[: self._max_chars]
        tokens: list[Token] = []
        hashtags: list[str] = []
        n_urls = n_mentions = 0
        letters = upper = 0
        for m in _TOKEN.finditer(text):
            group = m.lastgroup
            value = m.group()
            if group == "word":
                if value.isupper():
                    upper += len(value)
                letters += len(value)
                self._add_word(value, WORD, tokens)
            elif group == "punct":
                if value[0] in "!¡?¿":
                    if "?" in value or "¿" in value:
                        tokens.append(Token("?", PUNCT))
                    bangs = value.count("!") + value.count("¡")
                    tokens.extend(Token("!", PUNCT) for _ in range(min(bangs, 4)))
                else:
                    tokens.append(Token(value[0], PUNCT))
            elif group == "other":
                if value in _SKIP_CHARS:
                    continue
                if self._is_emoji(value):
                    tokens.append(Token(value, EMOJI))
            elif group == "hashtag":
                body = value[1:]
                hashtags.append(fold(body))
                for part in self.split_hashtag(body):
                    self._add_word(part, HASHWORD, tokens)
            elif group == "url":
                n_urls += 1
            elif group == "mention":
                n_mentions += 1
            elif group == "emoticon":
                tokens.append(Token(value.lower(), EMOTICON))
            else:  # number
                tokens.append(Token(value, NUMBER))
        norm = " " + " ".join(t.text for t in tokens if t.kind not in (EMOJI, EMOTICON)) + " "
        return Doc(
            text=text,
            tokens=tuple(tokens),
            norm=norm,
            hashtags=tuple(hashtags),
            n_urls=n_urls,
            n_mentions=n_mentions,
            all_caps=letters >= 8 and upper >= 0.8 * letters,
            truncated=truncated,
        )

    def _add_word(self, value: str, kind: str, out: list[Token]) -> None:
        caps = len(value) >= 3 and value.isupper()
        word = fold(value)
        if "'" in word:
            word = word.replace("'", "")
        if is_laugh(word):
            out.append(Token("jaja", LAUGH, caps=caps, elongated=len(word) > 8))
            return
        elongated = False
        if word not in self._vocab and word not in self._aliases:
            for candidate in collapse_candidates(word):
                if candidate in self._vocab or candidate in self._aliases:
                    elongated = _RUN3.search(word) is not None or len(candidate) < len(word)
                    word = candidate
                    break
            else:
                if _RUN3.search(word):
                    elongated = True
                    word = _RUN3.sub(r"\1", word)
        expansion = self._aliases.get(word)
        if expansion is None:
            out.append(Token(word, kind, caps, elongated))
        else:
            out.extend(Token(part, kind, caps, elongated) for part in expansion)

    def split_hashtag(self, body: str) -> list[str]:
        """"#FelizLunes" -> ["Feliz", "Lunes"]; "#sinservicio" -> ["sin", "servicio"] when the words are known."""
        if not body:
            return []
        if not body.islower() and not body.isupper():
            parts = _CAMEL.findall(body)
            if len(parts) > 1:
                return parts
        folded = fold(body)
        if folded in self._vocab or len(folded) > 40 or not folded.isalpha():
            return [body]
        return self._segment(folded) or [body]

    def _segment(self, s: str) -> list[str] | None:
        """Fewest-words split of `s` into vocabulary words (dynamic programming), or None."""
        n = len(s)
        best: list[tuple[int, int] | None] = [None] * (n + 1)  # (words used, start of last word)
        best[0] = (0, 0)
        vocab = self._vocab
        max_word = self._max_word
        for end in range(1, n + 1):
            for start in range(max(0, end - max_word), end):
                prev = best[start]
                if prev is None:
                    continue
                piece = s[start:end]
                if (len(piece) > 1 or piece in ("y", "a", "o", "e")) and piece in vocab:
                    cand = (prev[0] + 1, start)
                    current = best[end]
                    if current is None or cand[0] < current[0]:
                        best[end] = cand
        if best[n] is None:
            return None
        words = []
        end = n
        while end > 0:
            entry = best[end]
            assert entry is not None
            words.append(s[entry[1]:end])
            end = entry[1]
        return words[::-1]


# Short function words so that hashtags like #sinservicio or #queremosinternet split into words.
FUNCTION_WORDS: frozenset[str] = frozenset(
    [
        "a", "al", "algo", "alguien", "algun", "alguna", "algunas", "alguno", "algunos", "ante", "antes",
        "aqui", "asi", "aun", "bajo", "cada", "casi", "como", "con", "contra", "cual", "cuando", "cuanto",
        "de", "del", "desde", "donde", "dos", "e", "el", "ella", "ellas", "ellos", "en", "entre", "era",
        "eramos", "eran", "es", "esa", "esas", "ese", "eso", "esos", "esta", "estaba", "estado", "estamos",
        "estan", "estar", "este", "esto", "estos", "estoy", "fue", "fueron", "ha", "habia", "han", "hasta",
        "hay", "hoy", "la", "las", "le", "les", "lo", "los", "me", "mi", "mis", "muy", "nada", "ni", "no",
        "nos", "nosotros", "nuestra", "nuestro", "nuestros", "o", "otra", "otro", "para", "pero", "poco",
        "por", "porque", "que", "quien", "se", "sea", "ser", "si", "sin", "sobre", "solo", "son", "su",
        "sus", "tambien", "te", "tengo", "tiene", "tienen", "todo", "todos", "tu", "tus", "un", "una",
        "uno", "unos", "usted", "ustedes", "va", "vamos", "van", "y", "ya", "yo", "queremos", "quiero",
        "necesitamos", "necesito", "pedimos", "exigimos", "piden", "servicio", "servicios", "internet",
        "senal", "luz", "agua", "colombia", "gobierno", "ministerio", "mintic", "tic", "digital",
        "digitales", "centro", "centros", "zona", "zonas", "wifi", "pueblo", "gente", "ayuda", "justicia",
        "dia", "dias", "semana", "mes", "meses", "ano", "anos", "paz", "vida", "educacion", "ninos",
        "colegio", "trabajo", "empleo", "red", "redes", "conexion", "conectividad"
    ]
)



def _top_level_alternatives(pattern: str) -> list[str]:
    parts, depth, start, i, in_class = [], 0, 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def compile_rule(pattern: str) -> re.Pattern[str]:
    """Compile a rule written with `\\b` word starts for matching against `Doc.norm`.

    `Doc.norm` is padded and single-spaced, so a word start is always right after a space: a leading
    `\\b` becomes a literal space, which lets the regex engine jump from space to space instead of trying
    every position (measured 4x faster on typical rules). Matches then include that leading space.
    """
    alternatives = [(" " + alt[2:]) if alt.startswith("\\b") else alt for alt in _top_level_alternatives(pattern)]
    return re.compile("|".join(alternatives))
