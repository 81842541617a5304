"""The folding the inbox search matches on (storage/search_text.py)."""

from __future__ import annotations

import pytest

from storage.search_text import fold_search_text


@pytest.mark.parametrize(("text", "folded"), [
    ("Petición", "peticion"),
    ("INFORMACIÓN", "informacion"),
    ("BOGOTÁ", "bogota"),
    ("Ñandú", "nandu"),  # the ñ folds to n: "año" and "ano" search alike
    ("pingüino", "pinguino"),
    ("Ｔａｌｅｎｔｏ ＴＩ", "talento ti"),  # full-width forms
    ("Stra\u00dfe", "strasse"),  # case folding, not just lower()
    ("a\u0301rbol", "arbol"),  # an accent typed as a combining mark
    ("100% _juan_", "100% _juan_"),  # LIKE's metacharacters stay (the query escapes them)
    ("", ""),
])
def test_fold(text: str, folded: str) -> None:
    assert fold_search_text(text) == folded


def test_the_term_and_the_text_fold_alike() -> None:
    assert fold_search_text("peticion") in fold_search_text("Mi PETICIÓN no ha sido respondida")
    assert fold_search_text("Bogotá") == fold_search_text("BOGOTA") == fold_search_text("bogota")
