"""The DIVIPOLA gazetteer: the shipped data is whole and codes, names and map points are what others rely on."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

import domain
from analyzers.places import Department, Gazetteer, Municipality, load_gazetteer
from analyzers.places.gazetteer import ATTRIBUTION, DEFAULT_DIR, title_es


def test_shipped_data_is_the_vetted_copy() -> None:
    digests = {name: hashlib.sha256((DEFAULT_DIR / name).read_bytes()).hexdigest()
               for name in ("municipios.csv", "departamentos.csv")}
    source = (DEFAULT_DIR / "SOURCE.md").read_text(encoding="utf-8")
    for digest in digests.values():
        assert digest in source
    assert ATTRIBUTION in source


def test_counts_and_codes_keep_leading_zeros() -> None:
    g = load_gazetteer()
    assert isinstance(g, Gazetteer)
    assert len(g.departments) == 33
    assert len(g.municipalities) == 1122
    assert all(isinstance(d, Department) and len(code) == 2 for code, d in g.departments.items())
    assert all(isinstance(m, Municipality) and len(code) == 5 and code.startswith(m.dpto_code)
               for code, m in g.municipalities.items())
    assert g.municipalities["05001"].name == "MEDELLÍN"
    assert g.departments["05"].name == "ANTIOQUIA"
    assert len(g.in_department("25")) == 116


def test_names_for_people() -> None:
    g = load_gazetteer()
    assert g.departments["27"].display_name == "Chocó"
    assert g.departments["11"].name == "BOGOTÁ, D.C."
    assert g.departments["11"].display_name == "Bogotá D.C."
    assert g.departments["88"].display_name == "San Andrés y Providencia"
    assert g.departments["54"].display_name == "Norte de Santander"
    assert g.departments["76"].display_name == "Valle del Cauca"
    assert g.departments["44"].display_name == "La Guajira"
    assert g.municipalities["76001"].display_name == "Cali"
    assert g.municipalities["54001"].display_name == "Cúcuta"
    assert g.municipalities["05148"].display_name == "El Carmen de Viboral"
    assert title_es("SANTA CRUZ DE MOMPOX") == "Santa Cruz de Mompox"


def test_capitals_and_map_points() -> None:
    g = load_gazetteer()
    for code, d in g.departments.items():
        capital = g.municipalities[d.capital_code]
        if code == "25":  # Cundinamarca's capital is Bogotá, its own DANE department
            assert d.capital_code == "11001"
            assert (d.lat, d.lon) != (capital.lat, capital.lon)
            assert 3.5 < d.lat < 5.9 and -75 < d.lon < -73
        else:
            assert d.capital_code == code + "001"
            assert (d.lat, d.lon) == (capital.lat, capital.lon)
        assert -4.3 < d.lat < 13.5 and -82 < d.lon < -66.8
    assert g.departments["27"].capital_code == "27001"


def test_place_helper_and_its_errors() -> None:
    g = load_gazetteer()
    assert g.place("27", "27001", evidence="geo") == domain.Place("27", "CHOCÓ", "geo", "27001", "QUIBDÓ")
    assert g.place("23") == domain.Place("23", "CÓRDOBA", "text")
    with pytest.raises(ValueError, match="evidence"):
        g.place("27", evidence="gps")
    with pytest.raises(ValueError, match="municipality"):
        g.place("27", "05001")
    with pytest.raises(ValueError, match="department"):
        g.place("00")


def test_nearest_municipality() -> None:
    g = load_gazetteer()
    m, km = g.nearest_municipality(5.6900, -76.6450)  # near Quibdó's seat
    assert m.code == "27001" and km < 2


def test_cached_per_path_and_clear_errors(tmp_path: Path) -> None:
    assert load_gazetteer() is load_gazetteer(DEFAULT_DIR)
    shutil.copy(DEFAULT_DIR / "departamentos.csv", tmp_path / "departamentos.csv")
    with pytest.raises(ValueError, match=r"municipios\.csv not found"):
        load_gazetteer(tmp_path)
    text = (DEFAULT_DIR / "municipios.csv").read_text(encoding="utf-8").replace("6.246631", "6,2", 1)
    (tmp_path / "municipios.csv").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        load_gazetteer(tmp_path)
