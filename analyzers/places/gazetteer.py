"""DANE's DIVIPOLA list as Python objects: Colombia's 33 departments and 1,122 municipal units, with names for
people and a point for a map.

Why a module of its own: the region placer, the report's map and the web's department filter all need the same
codes, names and points; reading `data/divipola/*.csv` once (cached per path, the data is immutable) keeps
them consistent. Codes stay strings so "05" and "05001" keep their leading zero.

Fuente: DANE – DIVIPOLA (datos.gov.co, conjunto gdxc-w37w), CC BY-SA 4.0. Adaptado (ver data/divipola/SOURCE.md).
"""

from __future__ import annotations

import csv
import functools
import math
from dataclasses import dataclass, field
from pathlib import Path

import domain

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "data" / "divipola"
ATTRIBUTION = "Fuente: DANE – DIVIPOLA (datos.gov.co, conjunto gdxc-w37w), CC BY-SA 4.0. Adaptado (ver SOURCE.md)."

# The capital of a department is the municipality whose code is its dpto_code + "001" for 32 of the 33
# (checked at load time). The one exception: Cundinamarca's capital is Bogotá (11001), which DANE codes as its
# own department, and 25001 is Agua de Dios. Its map point is then the mean of Cundinamarca's own cabeceras,
# so that its circle on a map does not sit on top of Bogotá's.
CAPITAL_EXCEPTIONS = {"25": "11001"}

# Names people read, where title-casing DANE's name is not what Colombians write.
DEPARTMENT_DISPLAY = {
    "11": "Bogotá D.C.",
    "88": "San Andrés y Providencia",
}
MUNICIPALITY_DISPLAY = {
    "11001": "Bogotá D.C.",
    "76001": "Cali",
    "54001": "Cúcuta",
    "13001": "Cartagena",
}

_LOWER_WORDS = frozenset({"de", "del", "la", "las", "los", "y", "el", "e"})


def title_es(name: str) -> str:
    """DANE's upper-case name in Spanish title case: "NORTE DE SANTANDER" -> "Norte de Santander"."""
    words = name.lower().split(" ")
    out = []
    for i, word in enumerate(words):
        if i > 0 and word in _LOWER_WORDS:
            out.append(word)
        else:
            out.append(word[:1].upper() + word[1:])
    return " ".join(out)


@dataclass(frozen=True)
class Municipality:
    code: str  # "27001"
    dpto_code: str  # "27"
    name: str  # "QUIBDÓ", as DANE writes it
    display_name: str  # "Quibdó"
    lat: float  # the cabecera municipal (municipal seat), WGS84
    lon: float


@dataclass(frozen=True)
class Department:
    code: str  # "27"
    name: str  # "CHOCÓ", as DANE writes it
    display_name: str  # "Chocó"
    lat: float  # a representative point for a map: the capital's cabecera (see CAPITAL_EXCEPTIONS)
    lon: float
    capital_code: str  # "27001"


@dataclass(frozen=True)
class Gazetteer:
    departments: dict[str, Department]
    municipalities: dict[str, Municipality]
    source: Path = field(compare=False)

    def place(self, dpto_code: str, mpio_code: str | None = None, evidence: str = "text") -> domain.Place:
        """A `domain.Place` for these codes; raises ValueError on an unknown code or evidence."""
        if evidence not in domain.PLACE_EVIDENCE:
            raise ValueError(f"unknown place evidence {evidence!r}: use one of {domain.PLACE_EVIDENCE}")
        department = self.departments.get(dpto_code)
        if department is None:
            raise ValueError(f"unknown DANE department code {dpto_code!r}")
        if mpio_code is None:
            return domain.Place(dpto_code=dpto_code, departamento=department.name, evidence=evidence)
        municipality = self.municipalities.get(mpio_code)
        if municipality is None or municipality.dpto_code != dpto_code:
            raise ValueError(f"unknown DANE municipality code {mpio_code!r} in department {dpto_code!r}")
        return domain.Place(dpto_code=dpto_code, departamento=department.name, evidence=evidence,
                            mpio_code=mpio_code, municipio=municipality.name)

    def in_department(self, dpto_code: str) -> list[Municipality]:
        return [m for m in self.municipalities.values() if m.dpto_code == dpto_code]

    def nearest_municipality(self, lat: float, lon: float) -> tuple[Municipality, float]:
        """The municipal seat nearest to a point and its distance in km (haversine)."""
        best: Municipality | None = None
        best_km = math.inf
        for m in self.municipalities.values():
            km = haversine_km(lat, lon, m.lat, m.lon)
            if km < best_km:
                best, best_km = m, km
        assert best is not None
        return best, best_km


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, a)))


def load_gazetteer(path: Path | None = None) -> Gazetteer:
    """The gazetteer in `path` (a directory with municipios.csv and departamentos.csv; default the repo's
    data/divipola), parsed once per path."""
    return _load(str(Path(path or DEFAULT_DIR).resolve()))


@functools.lru_cache(maxsize=8)
def _load(directory: str) -> Gazetteer:
    base = Path(directory)
    dept_rows = _read(base / "departamentos.csv", ("dpto_code", "departamento"))
    mpio_rows = _read(base / "municipios.csv", ("dpto_code", "departamento", "mpio_code", "municipio", "lat", "lon"))
    municipalities: dict[str, Municipality] = {}
    for line, row in mpio_rows:
        code, dpto = row["mpio_code"], row["dpto_code"]
        where = f"{base / 'municipios.csv'} line {line}"
        if len(dpto) != 2 or len(code) != 5 or not code.isdigit() or not code.startswith(dpto):
            raise ValueError(f"{where}: bad codes {dpto!r}/{code!r} (expected 2 and 5 digits, mpio starting with dpto)")
        try:
            lat, lon = float(row["lat"]), float(row["lon"])
        except ValueError:
            raise ValueError(f"{where}: lat/lon {row['lat']!r}/{row['lon']!r} are not decimal numbers") from None
        name = row["municipio"]
        municipalities[code] = Municipality(code, dpto, name, MUNICIPALITY_DISPLAY.get(code, title_es(name)), lat, lon)
    departments: dict[str, Department] = {}
    for line, row in dept_rows:
        code, name = row["dpto_code"], row["departamento"]
        capital = CAPITAL_EXCEPTIONS.get(code, code + "001")
        if capital not in municipalities:
            raise ValueError(f"{base / 'departamentos.csv'} line {line}: department {code} has no capital {capital} "
                             "in municipios.csv; add it to CAPITAL_EXCEPTIONS")
        if code in CAPITAL_EXCEPTIONS:
            own = [m for m in municipalities.values() if m.dpto_code == code]
            lat, lon = sum(m.lat for m in own) / len(own), sum(m.lon for m in own) / len(own)
        else:
            lat, lon = municipalities[capital].lat, municipalities[capital].lon
        departments[code] = Department(code, name, DEPARTMENT_DISPLAY.get(code, title_es(name)), lat, lon, capital)
    orphans = {m.dpto_code for m in municipalities.values()} - departments.keys()
    if orphans:
        raise ValueError(f"{base / 'municipios.csv'}: department codes {sorted(orphans)} "
                         "missing from departamentos.csv")
    return Gazetteer(departments=departments, municipalities=municipalities, source=base)


def _read(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            if tuple(reader.fieldnames or ()) != columns:
                raise ValueError(f"{path}: columns {reader.fieldnames} (expected {', '.join(columns)})")
            rows = []
            for i, row in enumerate(reader):
                if None in row or None in row.values():
                    raise ValueError(f"{path} line {i + 2}: expected {len(columns)} fields ({', '.join(columns)}); "
                                     "quote a field that contains a comma")
                rows.append((i + 2, {k: v.strip() for k, v in row.items()}))
            return rows
    except FileNotFoundError:
        raise ValueError(f"{path} not found: the DIVIPOLA list ships in data/divipola/ (see SOURCE.md)") from None
