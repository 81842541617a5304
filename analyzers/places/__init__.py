"""Where a citizen post comes from: a Colombian department (and municipality when known), in DANE DIVIPOLA codes.

Pure (no database, no network). `Placer.place` uses, in order of trust, the platform's geo tag, the text, then
the author's profile location; see docs/places.md.
"""

from analyzers.places.gazetteer import Department, Gazetteer, Municipality, load_gazetteer
from analyzers.places.placer import Placer

__all__ = ["Department", "Gazetteer", "Municipality", "Placer", "load_gazetteer"]
