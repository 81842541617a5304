"""Legal answer terms of citizen posts (PQRSD), in business days: the one table the inbox, the urgency order
and the weekly report share.

Legal basis: Ley 1755 de 2015 (derecho de petición), art. 14, "Términos para resolver las distintas
modalidades de peticiones":
- 15 business days after receipt in general (art. 14, first paragraph): every petición, whatever its form.
  Quejas, reclamos, denuncias and sugerencias are modalities of the derecho de petición (art. 13: "toda
  actuación que inicie cualquier persona ante las autoridades implica el ejercicio del derecho de petición",
  including "formular consultas, quejas, denuncias y reclamos"); a sugerencia is a petición in the general
  interest, so it gets the general term. The ministry's communication plan (2019–2022) lists "peticiones, quejas,
  soluciones y sugerencias" together among the citizen requests to attend in time.
- 10 business days for requests of documents or information (art. 14, 1): our `peticion` class, which the
  classifier uses for "asks for something: information, a procedure, help, documents". When the classifier
  can not tell an information request from another petición, the shorter term is the safe one to track.
- 30 business days for consultas to the authorities on matters in their charge (art. 14, 2):
  `CONSULTATION_TERM_DAYS`. `domain.CATEGORIES` has no `consulta` class today, so no post gets this term; the
  constant is here so that a future `consulta` category only needs its line in `LEGAL_TERMS`.

Terms count from the business day after receipt and end at local midnight of the last business day
(`domain.business_calendar.BusinessCalendar.deadline`). Praise (`felicitacion`) and `otro` carry no term.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

GENERAL_TERM_DAYS = 15  # art. 14: any petición (quejas, reclamos, denuncias, sugerencias)
INFORMATION_TERM_DAYS = 10  # art. 14, 1: requests of documents or information
CONSULTATION_TERM_DAYS = 30  # art. 14, 2: consultas (no such category yet)

LEGAL_TERMS: Mapping[str, int] = MappingProxyType({
    "peticion": INFORMATION_TERM_DAYS,
    "queja": GENERAL_TERM_DAYS,
    "reclamo": GENERAL_TERM_DAYS,
    "sugerencia": GENERAL_TERM_DAYS,
    "denuncia": GENERAL_TERM_DAYS,
})

# The categories that carry a duty to answer, in the order of domain.CATEGORIES.
TERM_CATEGORIES: tuple[str, ...] = tuple(LEGAL_TERMS)


def legal_term(category: str | None) -> int | None:
    """Business days the law allows to answer a post of `category`, or None when it carries no duty to answer."""
    return LEGAL_TERMS.get(category or "")
