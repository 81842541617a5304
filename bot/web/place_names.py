"""What the web app shows of a post's place: DIVIPOLA display names and the evidence that placed it.

The analysis stores codes (`analyses.place_dpto` "27", `place_mpio` "27001") and the evidence ("geo", "text",
"profile"); people read "Quibdó, Chocó · según el texto". The names come from the gazetteer the placer itself
uses (`analyzers.places`, DANE's DIVIPOLA list), loaded once per process.
"""

from __future__ import annotations

from functools import cache

from analyzers.places import load_gazetteer
from bot.labels import NO_PLACE_ES, PLACE_EVIDENCE_SOURCE_ES
from storage.inbox_filters import NO_PLACE
from storage.search_text import fold_search_text


@cache
def department_names() -> dict[str, str]:
    """DANE department code -> display name ("27" -> "Chocó"), in alphabetical order of the names."""
    gazetteer = load_gazetteer()
    names = {code: dept.display_name for code, dept in gazetteer.departments.items()}
    return dict(sorted(names.items(), key=lambda kv: fold_search_text(kv[1])))


def department_choices() -> dict[str, str]:
    """The department filter's values: every department, then "sin ubicación"."""
    return {**department_names(), NO_PLACE: NO_PLACE_ES}


def place_label(dpto: str | None, mpio: str | None = None) -> str:
    """"Quibdó, Chocó", "Chocó", or "" when the post was not placed. A code the gazetteer does not know
    (a newer DIVIPOLA edition wrote it) is shown as the code rather than hidden."""
    if not dpto:
        return ""
    gazetteer = load_gazetteer()
    department = gazetteer.departments.get(dpto)
    name = department.display_name if department is not None else dpto
    town = gazetteer.municipalities.get(mpio) if mpio else None
    if town is None or town.display_name == name:  # Bogotá, D.C. is both
        return name
    return f"{town.display_name}, {name}"


def evidence_label(evidence: str | None) -> str:
    return PLACE_EVIDENCE_SOURCE_ES.get(evidence or "", "")
