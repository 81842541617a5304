"""Where the citizen conversation comes from: the period's placed citizen posts per Colombian department (DANE
DIVIPOLA), each department's tone, PQRSD mix, topics and evidence, and the honest count of posts not placed.

A post is placed by its analysis (analyzers/places: the platform's geotag, the text, or the author's profile
location, in that order of trust) or not at all: shares are over the placed posts, and the unplaced ones are
always said ("sin ubicación"). Names and map points come from the DIVIPOLA gazetteer; the map draws each
department at its capital's seat and every municipal seat as a faint dot that traces the country.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from analyzers.indicators import ratio
from analyzers.places import load_gazetteer
from analyzers.places.gazetteer import ATTRIBUTION
from analyzers.settings import topic_name
from bot.labels import CATEGORY_ES, NO_PLACE_ES, PLACE_EVIDENCE_ES
from bot.reports.model.columns import Column, Table
from domain import CATEGORIES, PLACE_EVIDENCE
from storage.region_indicators import DepartmentActivity, RegionActivity

TOP_MUNICIPALITIES = 3  # named per department in the table
TOPIC_VIEW_TOPICS = 5  # topic columns of the department x topic view
NOT_PQRSD = "otro"  # the category that is no petición, queja, reclamo, sugerencia, denuncia or felicitación


@dataclass(frozen=True)
class DepartmentFigures:
    """One department's placed citizen posts this period (and how many the period before)."""

    code: str
    name: str  # as people write it: "Chocó", "Bogotá, D.C."
    lat: float | None  # the capital's seat (None: a code the gazetteer does not know)
    lon: float | None
    now: DepartmentActivity
    placed_total: int  # placed posts of every department this period
    previous_posts: int | None  # None: no data the previous period
    municipalities: list[tuple[str, int]] = field(default_factory=list)  # the top ones: (name, posts)

    @property
    def posts(self) -> int:
        return self.now.posts

    @property
    def share(self) -> float | None:
        """Of the period's placed posts."""
        return ratio(self.now.posts, self.placed_total)

    @property
    def analysed(self) -> int:
        return sum(self.now.sentiments.values())

    @property
    def negative_share(self) -> float | None:
        return ratio(self.now.negative, self.analysed)

    @property
    def main_category(self) -> str | None:
        """The most frequent PQRSD category ("otro" is none); ties in the usual category order."""
        found = [(-self.now.categories.get(c, 0), i, c) for i, c in enumerate(CATEGORIES)
                 if c != NOT_PQRSD and self.now.categories.get(c, 0)]
        return min(found)[2] if found else None

    @property
    def main_topic(self) -> str | None:
        found = [(-t.posts, topic) for topic, t in self.now.topics.items() if t.posts]
        return min(found)[1] if found else None

    def evidence(self, kind: str) -> int:
        return self.now.evidence.get(kind, 0)

    def evidence_text(self) -> str:
        """'texto 8, perfil del autor 4' in the order of trust."""
        return ", ".join(f"{PLACE_EVIDENCE_ES[k]} {self.evidence(k)}" for k in PLACE_EVIDENCE if self.evidence(k))


@dataclass(frozen=True)
class RegionSection:
    """The report's "Regiones": departments by placed posts (most first), and what the map draws."""

    now: RegionActivity
    before: RegionActivity | None  # None: no data the previous period
    departments: list[DepartmentFigures]
    seats: list[tuple[float, float]]  # (lon, lat) of every municipal seat: the country's outline on the map
    topics: list[str]  # the topics of the department x topic view, most placed posts first

    @property
    def placed(self) -> int:
        return self.now.placed

    @property
    def unplaced(self) -> int:
        return self.now.unplaced

    @property
    def placed_share(self) -> float | None:
        """Of every citizen post of the period."""
        return ratio(self.now.placed, self.now.citizen_posts)

    @property
    def has_data(self) -> bool:
        return self.placed > 0

    def topic_name(self, topic: str) -> str:
        return topic_name(topic)


def region_section(now: RegionActivity, before: RegionActivity | None) -> RegionSection:
    """Name and locate the departments of `now` (DIVIPOLA), most placed posts first (ties: DANE code)."""
    gaz = load_gazetteer()
    placed = now.placed
    out = []
    for code, d in now.departments.items():
        dpto = gaz.departments.get(code)
        towns = sorted(d.municipalities.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_MUNICIPALITIES]
        names = [(gaz.municipalities[m].display_name if m in gaz.municipalities else m, n) for m, n in towns]
        prev = None if before is None else (before.departments[code].posts if code in before.departments else 0)
        out.append(DepartmentFigures(code, dpto.display_name if dpto else code, dpto.lat if dpto else None,
                                     dpto.lon if dpto else None, d, placed, prev, names))
    out.sort(key=lambda f: (-f.posts, f.code))
    totals: dict[str, int] = {}
    for d in now.departments.values():
        for topic, t in d.topics.items():
            totals[topic] = totals.get(topic, 0) + t.posts
    topics = [t for t, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:TOPIC_VIEW_TOPICS]]
    seats = [(m.lon, m.lat) for m in gaz.municipalities.values()]
    return RegionSection(now, before, out, seats, topics)


def _category(code: str | None) -> str:
    return CATEGORY_ES.get(code, code) if code else ""


def region_overview(s: RegionSection) -> Table:
    """The HTML's table of departments (`regiones.csv` has every column): placed posts, share, tone, main PQRSD
    category and topic, and the evidence that placed them."""
    rows: list[list[object]] = [[d.name, d.posts, d.share, d.negative_share, _category(d.main_category),
                                 topic_name(d.main_topic) if d.main_topic else "", d.evidence_text()]
                                for d in s.departments]
    if s.now.citizen_posts:
        rows.append([NO_PLACE_ES, s.unplaced, None, None, "", "", ""])
    return Table("regiones_resumen", "Publicaciones ciudadanas por departamento",
                 [Column("Departamento"), Column("Publicaciones ubicadas", "n"), Column("Participación", "pct"),
                  Column("Tono negativo", "pct"), Column("Categoría PQRSD principal"), Column("Tema principal"),
                  Column("Ubicadas por")], rows,
                 "Participación sobre las publicaciones ubicadas; tono negativo sobre las analizadas del "
                 "departamento; categoría principal sin contar «Otro». «Sin ubicación»: publicaciones sin "
                 "evidencia de un lugar de Colombia (o aún sin analizar), que no se reparten entre departamentos. "
                 "Todas las columnas (semana anterior, quejas y reclamos, municipios) en regiones.csv.")


def topic_view(s: RegionSection, *, short: bool = False) -> Table:
    """Department x topic: the placed posts of each of the top topics that are negative or a queja/reclamo (each
    post once), for the departments with any. `short`: topic names alone as headers (the HTML, whose title
    says what the cells count); the CSV's headers say it in each column."""
    suffix = "" if short else ": negativas o quejas/reclamos"
    header = [Column("Departamento"), Column("Publicaciones ubicadas", "n")]
    header += [Column(f"{topic_name(t)}{suffix}", "n") for t in s.topics]
    rows = []
    for d in s.departments:
        cells = [d.now.topics[t].unhappy if t in d.now.topics else 0 for t in s.topics]
        if any(cells):
            rows.append([d.name, d.posts, *cells])
    return Table(
        "regiones_temas", "Publicaciones negativas o con queja o reclamo, por departamento y tema", header, rows,
        "Publicaciones ubicadas de cada tema que son negativas o una queja o un reclamo (cada publicación una vez), "
        f"para los {len(s.topics)} temas con más publicaciones ubicadas; solo departamentos con alguna.")


def region_tables(s: RegionSection) -> list[Table]:
    """`regiones` (one row per department, then the unplaced posts), `regiones_temas` (department x topic) and
    `regiones_pqrsd` (each department's PQRSD mix, CSV only)."""
    prev = s.before is not None
    rows: list[list[object]] = []
    for d in s.departments:
        rows.append([d.code, d.name, d.posts, d.share, d.previous_posts if prev else None, d.negative_share,
                     d.now.negative, d.now.complaints, _category(d.main_category),
                     topic_name(d.main_topic) if d.main_topic else "",
                     "; ".join(f"{name} ({n})" for name, n in d.municipalities),
                     d.evidence("geo"), d.evidence("text"), d.evidence("profile")])
    if s.now.citizen_posts:
        before_unplaced = s.before.unplaced if s.before is not None else None
        rows.append(["", NO_PLACE_ES, s.unplaced, None, before_unplaced, None, None, None, "", "", "",
                     None, None, None])
    regions = Table(
        "regiones", "Publicaciones ciudadanas por departamento",
        [Column("Código DANE"), Column("Departamento"), Column("Publicaciones ubicadas", "n"),
         Column("Participación entre las ubicadas", "pct"), Column("Semana anterior", "n"),
         Column("Tono negativo", "pct"), Column("Negativas", "n"), Column("Quejas y reclamos", "n"),
         Column("Categoría PQRSD principal"), Column("Tema principal"), Column("Municipios principales"),
         Column("Ubicadas por geolocalización", "n"), Column("Ubicadas por el texto", "n"),
         Column("Ubicadas por el perfil del autor", "n")], rows,
        "Departamento de cada publicación ciudadana según, en orden de confianza, la geolocalización que da la "
        "plataforma, lo que dice el texto o la ubicación del perfil del autor; sin ninguna de ellas la publicación "
        "queda «Sin ubicación» y no se reparte entre departamentos. Participación sobre las publicaciones "
        "ubicadas; tono negativo sobre las analizadas del departamento; categoría principal sin contar «Otro». "
        + ATTRIBUTION)
    topics = topic_view(s)
    rows = [[d.code, d.name, CATEGORY_ES.get(c, c), d.now.categories[c], ratio(d.now.categories[c], d.analysed)]
            for d in s.departments for c in CATEGORIES if d.now.categories.get(c)]
    mix = Table("regiones_pqrsd", "Clasificación PQRSD por departamento",
                [Column("Código DANE"), Column("Departamento"), Column("Categoría"), Column("Publicaciones", "n"),
                 Column("Participación en el departamento", "pct")], rows,
                "Publicaciones ubicadas y analizadas de cada departamento por categoría; participación sobre las "
                "analizadas del departamento.")
    return [regions, topics, mix]


def evidence_totals(s: RegionSection) -> Mapping[str, int]:
    """Placed posts per evidence over every department, in the order of trust."""
    return {k: sum(d.evidence(k) for d in s.departments) for k in PLACE_EVIDENCE}
