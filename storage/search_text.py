"""The folded copy of a post's text that the inbox search matches on (`posts.search_text`, migration 0009).

Folding: Unicode compatibility decomposition (NFKD), combining marks dropped, case folded. So "Petición",
"PETICION" and "peticion" all store and search as "peticion", and "BOGOTÁ" finds "bogota". The ñ loses its
tilde too ("año" finds "ano" and the other way round): a wider match, which a search box can afford; the list
shows the original text. Compatibility forms fold as well (full-width "ＴＩ" is "ti", "ﬁ" is "fi").

Storage may not import analyzers, so this is its own small function rather than `analyzers.text.fold`; both
fold accents the same way for Spanish text. The same function folds the stored text (on insert, on a text
change, and in migration 0009) and the user's search term: change it only together with a migration that
refills the column.
"""

from __future__ import annotations

import unicodedata
from typing import Any


def fold_search_text(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def search_text_default(context: Any) -> str | None:
    """Column default of `posts.search_text`: the folded `text` of the row being inserted."""
    text = context.get_current_parameters().get("text")
    return None if text is None else fold_search_text(text)
