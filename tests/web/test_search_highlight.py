"""The inbox marks what the search matched, the way the search matches: ignoring case and accents."""

from __future__ import annotations

from bot.web.highlight import highlight
from tests.web.helpers import XSS, Seeded


def test_matches_are_marked_ignoring_case_and_accents() -> None:
    assert highlight("Sin SEÑAL en la vereda, señal caída", "senal") == (
        "Sin <mark>SEÑAL</mark> en la vereda, <mark>señal</mark> caída")
    assert highlight("el trámite", "TRAMITE") == "el <mark>trámite</mark>"
    assert highlight("Bogotá", "bogota ") == "<mark>Bogotá</mark>"


def test_a_combining_accent_stays_inside_the_mark() -> None:
    decomposed = "tra\u0301mite"  # "trámite" with the accent written as its own code point
    assert highlight(decomposed, "tramite") == f"<mark>{decomposed}</mark>"


def test_text_around_and_inside_marks_is_escaped() -> None:
    assert highlight(XSS, "script") == "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;"
    assert highlight("a <b>", "") == "a &lt;b&gt;"
    assert highlight("<i>x</i>", "<i>") == "<mark>&lt;i&gt;</mark>x&lt;/i&gt;"
    assert highlight(None, "x") == ""


def test_the_inbox_marks_the_search_term_in_each_row(client_for, seeded: Seeded) -> None:  # type: ignore[no-untyped-def]
    html = client_for("viewer").get("/inbox?q=senal&estado=all").text
    assert "Llevo 3 días sin <mark>señal</mark> en el Centro Digital" in html
    assert "<mark>" not in client_for("viewer").get("/inbox?estado=all").text
