"""The region placer: every hard case named in issue 16, geo tags, profile locations, never inventing a place,
and a precision floor on the held-out check split (data/places/places-check.tsv)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import domain
from analyzers.places import Placer, load_gazetteer
from analyzers.places.evaluation import DATA_DIR, evaluate, read_examples


@pytest.fixture(scope="module")
def placer() -> Placer:
    return Placer.load()


def codes(place: domain.Place | None) -> tuple[str, str | None] | None:
    return None if place is None else (place.dpto_code, place.mpio_code)


def check_text(placer: Placer, text: str, expected: tuple[str, str | None] | None) -> None:
    place = placer.place_text(text)
    assert codes(place) == expected, f"{text!r} -> {place}"
    if place is not None:
        assert place.evidence == "text"


# -- names that are also words, people, teams, streets, rivers ----------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("aquí en Caldas no hay señal", ("17", None)),
    ("la gobernación de Caldas no responde", ("17", None)),
    ("Francisco José de Caldas fue un sabio", None),
    ("el Once Caldas perdió y se cayó el streaming", None),
    ("la señora Caldas del 3er piso tampoco tiene internet", None),
    ("en Córdoba los colegios no tienen wifi", ("23", None)),
    ("Piedad Córdoba habló de conectividad", None),
    ("Córdoba, Argentina, tiene buena fibra", None),
    ("en Bolívar hay pueblos sin antena", ("13", None)),
    ("Simón Bolívar estaría triste", None),
    ("la Plaza de Bolívar está llena", None),
    ("me pagaron en bolívares", None),
    ("en Sucre la señal es intermitente", ("70", None)),
    ("Antonio José de Sucre, el mariscal", None),
    ("en Santander no llega la fibra", ("68", None)),
    ("Francisco de Paula Santander, el hombre de las leyes", None),
    ("el Banco Santander me cobró", None),
    ("en Nariño no hay cobertura", ("52", None)),
    ("Antonio Nariño tradujo los derechos del hombre", None),
    ("la Casa de Nariño no contesta", None),
])
def test_departments_that_are_names_of_people(placer: Placer, text: str, expected: tuple | None) -> None:
    check_text(placer, text, expected)


@pytest.mark.parametrize(("text", "expected"), [
    ("en el Meta no hay cobertura rural", ("50", None)),
    ("del Meta nadie se acuerda", ("50", None)),
    ("la meta es conectar al país", None),
    ("cumplimos la meta de zonas wifi", None),
    ("Meta bloqueó mi cuenta de Facebook", None),
    ("en el Valle no hay fibra en las veredas", ("76", None)),
    ("el valle donde vivo no tiene señal", None),
    ("el Valle del Cauca merece internet", ("76", None)),
    ("aquí en el Cauca seguimos sin antenas", ("19", None)),
    ("el río Cauca se creció", None),
    ("Bajo Cauca antioqueño sin señal", ("05", None)),
    ("en el Cesar hay colegios sin wifi", ("20", None)),
    ("César, mi primo, tampoco tiene señal", None),
    ("en el Magdalena hay veredas sin señal", ("47", None)),
    ("el río Magdalena se desbordó", None),
    ("Magdalena me contó que no tiene internet", None),
    ("en Amazonas los resguardos no tienen conexión", ("91", None)),
    ("la selva del Amazonas se quema", None),
    ("el Putumayo existe, ministra", ("86", None)),
    ("el río Putumayo arrastró la antena", None),
    ("en la Guajira no hay cómo conectarse", ("44", None)),
    ("la Guajira olvidada", ("44", None)),
    ("en el Atlántico las escuelas no tienen wifi", ("08", None)),
    ("cruzar el océano Atlántico es más fácil", None),
])
def test_departments_that_are_words_or_rivers(placer: Placer, text: str, expected: tuple | None) -> None:
    check_text(placer, text, expected)


@pytest.mark.parametrize(("text", "expected"), [
    ("en Pasto no hay 4G", ("52", "52001")),
    ("aquí en pasto el internet es malo", ("52", "52001")),
    ("el pasto del parque está altísimo", None),
    ("cortando pasto en la finca", None),
    ("en Bello se cayó la fibra", ("05", "05088")),
    ("qué bello es ver a los niños aprendiendo", None),
    ("en Armenia no hay señal", ("63", "63001")),
    ("Armenia y Azerbaiyán firmaron un acuerdo", None),
    ("en Armenia, Antioquia, no hay señal", ("05", "05059")),
    ("en Florencia la fibra no llega", ("18", "18001")),
    ("Florencia me dijo que no sirve", None),
    ("Florencia, Italia, es preciosa", None),
    ("Montería sin internet", ("23", "23001")),
    ("en Cartago no hay señal", ("76", "76147")),
    ("aquí en Palmira el wifi no sirve", ("76", "76520")),
    ("Palmira en Siria fue destruida", None),
    ("vivo en Girón y el internet es una burla", ("68", "68307")),
    ("el profe Girón no deja tareas", None),
    ("Neiva sin señal", ("41", "41001")),
    ("en Victoria, Caldas, no hay señal", ("17", "17867")),
    ("la victoria de la selección", None),
    ("Victoria Eugenia tampoco tiene señal", None),
    ("doña Victoria no tiene internet", None),
    ("socorro, llevo tres días sin internet", None),
    ("en el Socorro, Santander, no hay fibra", ("68", "68755")),
    ("los remedios caseros no arreglan el internet", None),
    ("me saqué la ceja del estrés", None),
    ("en un apartado del contrato dice otra cosa", None),
    ("el internet va en modo turbo jaja", None),
    ("Uribe habló de internet", None),
    ("Colombia necesita conectividad ya", None),
    ("el jurado del concurso no tenía señal", None),
    ("el bus chocó contra el poste de la antena", None),
    ("Chocó sin internet", ("27", None)),
    ("CHOCÓ SIN INTERNET", ("27", None)),
    ("ese mariquita no contesta", None),
    ("la canción de Arjona", None),
    ("las acacias del parque", None),
    ("la Universidad de San Buenaventura sin wifi", None),
    ("Buenaventura sin agua ni señal", ("76", "76109")),
])
def test_municipalities_that_are_words_or_people(placer: Placer, text: str, expected: tuple | None) -> None:
    check_text(placer, text, expected)


# -- shared names --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("en La Unión no hay señal", None),  # four municipalities in four departments
    ("La Unión, Nariño sin señal desde ayer", ("52", "52399")),
    ("municipio de La Unión (Valle) sin fibra", ("76", "76400")),
    ("La Unión - Sucre sin internet", ("70", "70400")),
    ("vivo en La Unión y en Nariño nadie responde", ("52", "52399")),  # the department elsewhere in the text
    ("en San Pedro no hay internet", None),
    ("en Buenavista, Córdoba, no hay señal", ("23", "23079")),
    ("en Granada no hay señal", None),
    ("en Granada, Meta, la torre está apagada", ("50", "50313")),
    ("en Mosquera el internet es malo", None),
    ("Mosquera, Cundinamarca sin luz", ("25", "25473")),
    ("en Mosquera, Nariño, no llega la señal", ("52", "52473")),
    ("en Guadalupe no hay internet", None),
    ("en Guadalupe, Huila, no hay internet", ("41", "41319")),
    ("la Virgen de Guadalupe nos ampare", None),
    ("en La Vega no hay señal", None),
    ("en La Vega, Cundinamarca, no hay señal", ("25", "25402")),
    ("en El Carmen, Norte de Santander, no hay señal", ("54", "54245")),
    ("en Florida tampoco hay señal", None),
    ("Madrid, España tiene mejor internet", None),
    ("en Madrid, Cundinamarca, no hay fibra", ("25", "25430")),
    ("en Rionegro no hay señal", None),
    ("entre Medellín y Rionegro no hay señal", ("05", None)),  # Rionegro read as Antioquia's from Medellín
    ("en Puerto Colombia no hay señal en la playa", ("08", "08573")),
    ("en San Andrés el internet es carísimo", ("88", "88001")),
])
def test_names_shared_by_several_municipalities(placer: Placer, text: str, expected: tuple | None) -> None:
    check_text(placer, text, expected)


@pytest.mark.parametrize(("text", "expected"), [
    ("en Córdoba no hay luz", ("23", None)),  # the department, not Córdoba (Bolívar/Nariño/Quindío)
    ("en el municipio de Córdoba, Quindío, no hay señal", ("63", "63212")),
    ("en el municipio de Córdoba no hay señal", None),  # which of three?
    ("en el departamento de Sucre no hay internet", ("70", None)),
    ("en Arauca la gente no tiene cómo conectarse", ("81", None)),
    ("Bogotá sin internet", ("11", "11001")),
    ("en Boyacá hay veredas sin antena", ("15", None)),
    ("Avenida Boyacá con 80 sin semáforos", None),
    ("en Risaralda se cayó la señal", ("66", None)),
])
def test_departments_versus_capitals_and_namesakes(placer: Placer, text: str, expected: tuple | None) -> None:
    check_text(placer, text, expected)


# -- spellings -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("Bogota sin internet", ("11", "11001")),
    ("BOGOTÁ SIN INTERNET", ("11", "11001")),
    ("Bogotá D.C. sin fibra", ("11", "11001")),
    ("bta sin internet otra vez", ("11", "11001")),
    ("Cucuta sin señal", ("54", "54001")),
    ("San José de Cúcuta sin señal", ("54", "54001")),
    ("en B/quilla se cayó la red", ("08", "08001")),
    ("Barranquiya sin internet", ("08", "08001")),
    ("medallo sin internet", ("05", "05001")),
    ("Medellin sin internet", ("05", "05001")),
    ("Cartagena sin señal", ("13", "13001")),
    ("Cartagena de Indias sin señal", ("13", "13001")),
    ("Cali sin señal", ("76", "76001")),
    ("Santiago de Cali sin señal", ("76", "76001")),
    ("villavo sin señal", ("50", "50001")),
    ("Santa Marta sin luz", ("47", "47001")),
    ("Tumaco sin señal", ("52", "52835")),
    ("Piendamó sin señal", ("19", "19548")),
    ("#Quibdó sin internet", ("27", "27001")),
    ("#QuibdóSinLuz", ("27", "27001")),
    ("#Cali exige respuestas", ("76", "76001")),
    ("#SantaMarta sin luz", ("47", "47001")),
    ("Chiquinquirá sin internet", ("15", "15176")),
    ("Chocó olvidado", ("27", None)),
    ("sin señal en Quibdó", ("27", "27001")),
    ("mi Cali sin internet, qué tristeza", ("76", "76001")),
    ("mi Victoria no tiene señal", None),
])
def test_spellings_people_write(placer: Placer, text: str, expected: tuple | None) -> None:
    check_text(placer, text, expected)


def test_never_matches_inside_words(placer: Placer) -> None:
    for text in ("calidad del servicio", "caliente el celular", "la calima no deja ver", "metas cumplidas",
                 "valledupareño de corazón", "bogotano de nacimiento", "antioqueño en Londres",
                 "cundinamarqués", "el santandereano", "pastoreo de ovejas", "bellísimo"):
        assert placer.place_text(text) is None, text


# -- several places ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("text", "expected"), [
    ("soy de Cali pero vivo en Bogotá y aquí no hay señal", ("11", "11001")),
    ("viajé de Medellín a Cali y en la carretera no hay señal", None),
    ("Pasto, Ipiales y Tumaco sin internet", ("52", None)),
    ("Quibdó, Cali y Bogotá sin servicio", None),
    ("de Cali a Palmira no hay señal en la vía", ("76", None)),
    ("Medellín, Antioquia sin internet", ("05", "05001")),
    ("desde Bogotá el Ministerio anunció zonas wifi", ("11", "11001")),  # still a place
    ("desde Bogotá el Ministerio anunció zonas wifi para Quibdó", ("27", "27001")),  # the regional subject
    ("el Eje Cafetero sin señal", None),
    ("en los Llanos no hay internet", None),
])
def test_several_places_in_one_text(placer: Placer, text: str, expected: tuple | None) -> None:
    check_text(placer, text, expected)


# -- never invent --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", [
    "", "   ", "el internet está lento", "@MinTIC cuándo conectan a las regiones?", "#SinInternet #MinTIC",
    "😡😡😡", "http://example.com/quibdo", "a" * 5000, "\ud800 roto", "12345", "la paz total",
    "queremos la paz y también internet", "la unión hace la fuerza", "#totoro",
])
def test_never_invents_a_place(placer: Placer, text: str) -> None:
    assert placer.place_text(text) is None


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(list("#@/,.-() enlaQuibdóCaliPastoLaUnión"))))
def test_any_text_gives_a_valid_place_or_none(text: str) -> None:
    placer = Placer.load()
    g = load_gazetteer()
    for place in (placer.place_text(text), placer.place_profile(text)):
        assert place is None or (place.dpto_code in g.departments and (
            place.mpio_code is None or g.municipalities[place.mpio_code].dpto_code == place.dpto_code))


def test_odd_inputs(placer: Placer) -> None:
    assert placer.place_text(None) is None  # type: ignore[arg-type]
    assert codes(placer.place_text(b"sin se\xc3\xb1al en Quibd\xc3\xb3")) == ("27", "27001")  # type: ignore[arg-type]
    assert placer.place("", geo=domain.GeoTag(), profile_location="") is None


def test_long_text_is_truncated_not_rejected(placer: Placer) -> None:
    assert codes(placer.place_text("sin señal en Quibdó " + "bla " * 2000)) == ("27", "27001")


# -- profile locations ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("location", "expected"), [
    ("Medellín, Colombia", ("05", "05001")),
    ("Barranquilla 🇨🇴", ("08", "08001")),
    ("Bogota DC", ("11", "11001")),
    ("Cali - Valle", ("76", "76001")),
    ("Pasto", ("52", "52001")),
    ("Antioquia, Colombia", ("05", None)),
    ("Colombia", None),
    ("Colombia 🇨🇴", None),
    ("Madrid, España", None),
    ("Caracas, Venezuela", None),
    ("Miami, FL", None),
    ("En algún lugar del mundo", None),
    ("Victoria, Australia", None),
])
def test_profile_locations(placer: Placer, location: str, expected: tuple | None) -> None:
    place = placer.place_profile(location)
    assert codes(place) == expected, location
    if place is not None:
        assert place.evidence == "profile"


# -- geo tags ------------------------------------------------------------------------------------------------
def test_x_city_place(placer: Placer) -> None:
    tag = domain.GeoTag(name="Quibdó", full_name="Quibdó, Colombia", country_code="CO", city="Quibdó",
                        lat=5.69, lon=-76.65)
    assert placer.place_geo(tag) == domain.Place("27", "CHOCÓ", "geo", "27001", "QUIBDÓ")


def test_x_admin_and_neighbourhood_places(placer: Placer) -> None:
    admin = domain.GeoTag(name="Chocó", full_name="Chocó, Colombia", country_code="CO", region="Chocó")
    assert codes(placer.place_geo(admin)) == ("27", None)
    hood = domain.GeoTag(name="Chapinero", full_name="Chapinero, Bogotá", country_code="CO")
    assert codes(placer.place_geo(hood)) == ("11", "11001")


def test_facebook_place(placer: Placer) -> None:
    tag = domain.GeoTag(name="Panadería Bello Horizonte", full_name="Panadería Bello Horizonte", country_code="CO",
                        city="Cali", region="Valle del Cauca", lat=3.45, lon=-76.53)
    assert codes(placer.place_geo(tag)) == ("76", "76001")
    business_only = domain.GeoTag(name="Panadería Bello Horizonte", full_name="Panadería Bello Horizonte")
    assert placer.place_geo(business_only) is None  # "Bello" in a shop's name proves nothing


def test_foreign_tags_place_nothing(placer: Placer) -> None:
    assert placer.place_geo(domain.GeoTag(name="Madrid", full_name="Madrid, España", country_code="ES")) is None
    # a foreign tag named like a Colombian town, even with coordinates inside Colombia's box
    assert placer.place_geo(domain.GeoTag(name="Armenia", country_code="AM", lat=5.0, lon=-75.0)) is None
    assert placer.place_geo(domain.GeoTag(name="Valencia", city="Valencia", region="Carabobo",
                                          country_code="VE")) is None


def test_bare_coordinates(placer: Placer) -> None:
    g = load_gazetteer()
    quibdo = g.municipalities["27001"]
    near = domain.GeoTag(lat=quibdo.lat + 0.02, lon=quibdo.lon)  # ~2 km
    assert placer.place_geo(near) == g.place("27", "27001", "geo")
    far = domain.GeoTag(lat=2.0, lon=-70.5)  # deep in the Amazon rainforest, far from any seat
    assert placer.place_geo(far) is None
    assert placer.place_geo(domain.GeoTag(lat=40.4, lon=-3.7)) is None  # Madrid
    assert placer.place_geo(domain.GeoTag(lat=float("nan"), lon=-76.6)) is None


def test_evidence_order(placer: Placer) -> None:
    geo = domain.GeoTag(name="Quibdó", full_name="Quibdó, Colombia", country_code="CO")
    assert placer.place("sin señal en Cali", geo=geo, profile_location="Medellín").evidence == "geo"
    place = placer.place("sin señal en Cali", geo=None, profile_location="Medellín")
    assert (place.evidence, place.mpio_code) == ("text", "76001")
    place = placer.place("sin señal", geo=None, profile_location="Medellín, Colombia")
    assert (place.evidence, place.mpio_code) == ("profile", "05001")
    foreign = domain.GeoTag(name="Madrid", full_name="Madrid, España", country_code="ES")
    place = placer.place("sin señal en Cali", geo=foreign)  # a foreign tag is no evidence; the text still is
    assert (place.evidence, place.mpio_code) == ("text", "76001")
    assert placer.place("sin señal", geo=foreign, profile_location="Colombia") is None


def test_profile_only_when_the_text_says_nothing_and_version(placer: Placer) -> None:
    out = [placer.place(t, profile_location=p)
           for t, p in (("sin señal en Quibdó", "Pasto, Nariño"), ("nada", None), ("nada", "Pasto, Nariño"))]
    assert [codes(p) for p in out] == [("27", "27001"), None, ("52", "52001")]
    assert placer.version.startswith("places-")
    assert Placer.load() is placer


def test_places_carry_dane_names(placer: Placer) -> None:
    place = placer.place_text("en Cúcuta no hay señal")
    assert place == domain.Place("54", "NORTE DE SANTANDER", "text", "54001", "SAN JOSÉ DE CÚCUTA")
    assert place.as_dict()["departamento"] == "NORTE DE SANTANDER"


# -- the held-out check split --------------------------------------------------------------------------------
def test_precision_floor_on_the_check_split(placer: Placer) -> None:
    examples = read_examples(DATA_DIR / "places-check.tsv")
    assert len(examples) >= 180
    ev = evaluate(placer, examples)
    assert ev.overall.dpto_precision >= 0.95, ev.errors
    assert ev.overall.mpio_precision >= 0.95, ev.errors
    assert ev.overall.dpto_recall >= 0.80, ev.errors  # a floor so that "never place anything" cannot pass


def test_precision_floor_on_the_blind_split(placer: Placer) -> None:
    ev = evaluate(placer, read_examples(DATA_DIR / "places-blind.tsv"))
    assert ev.overall.dpto_precision >= 0.95, ev.errors
    assert ev.overall.dpto_recall >= 0.80, ev.errors


def test_evaluation_sets_are_well_formed() -> None:
    g = load_gazetteer()
    total = 0
    for name in ("places-dev.tsv", "places-check.tsv", "places-blind.tsv"):
        examples = read_examples(DATA_DIR / name)
        total += len(examples)
        for ex in examples:
            assert ex.dpto_code is None or ex.dpto_code in g.departments, (name, ex.line)
            assert ex.mpio_code is None or g.municipalities[ex.mpio_code].dpto_code == ex.dpto_code, (name, ex.line)
        assert sum(ex.dpto_code is None for ex in examples) >= 0.25 * len(examples)  # many negatives
        assert {ex.kind for ex in examples} == {"text", "profile"}
    assert total >= 400
