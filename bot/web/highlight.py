"""Marks the inbox search term in a post's original text, matched the way the search matches.

The search compares folded text (case and accents removed, `storage.search_text.fold_search_text`), so
"senal" finds "Señal". To highlight, each original character is folded on its own and the folded string keeps
a map back to the character it came from; a match in the folded text becomes a <mark> over the original
characters it covers. Everything else is escaped: the result is safe HTML.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from storage.search_text import fold_search_text

MAX_MARKS = 50  # a one-letter term in a long post: enough to see it, not a wall of marks


def highlight(text: str | None, term: str | None) -> Markup:
    """`text` escaped, with every non-overlapping occurrence of `term` (folded) wrapped in <mark>."""
    if not text:
        return Markup("")
    needle = fold_search_text(term.strip()) if term else ""
    if not needle:
        return Markup(escape(text))
    folded: list[str] = []
    origin: list[int] = []  # origin[k] = index in `text` of the character that folded into folded[k]
    for i, ch in enumerate(text):
        for piece in fold_search_text(ch):
            folded.append(piece)
            origin.append(i)
    haystack = "".join(folded)
    out: list[str] = []
    shown = 0  # characters of `text` already written
    start = haystack.find(needle)
    marks = 0
    while start != -1 and marks < MAX_MARKS:
        first, last = origin[start], origin[start + len(needle) - 1]
        while last + 1 < len(text) and not fold_search_text(text[last + 1]):
            last += 1  # a combining accent written apart belongs to the letter before it
        if first >= shown:
            out.append(escape(text[shown:first]))
            out.append(Markup("<mark>") + escape(text[first:last + 1]) + Markup("</mark>"))
            shown = last + 1
            marks += 1
        start = haystack.find(needle, start + len(needle))
    out.append(escape(text[shown:]))
    return Markup("").join(out)
