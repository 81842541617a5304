"""The built-in audience segments: what the bot uses when `config.yaml` has no `segments:` section.

The shipped `config.yaml` spells out the same list with comments (tests/analyzers/test_segments.py keeps the
two equal); docs/segments.md explains the order and the priorities. Same shape as the config section.

The handles are EXAMPLES of well-known public Colombian accounts, to be maintained by the communications team
(accounts change names; officials change). The plan's four audiences ("público objetivo": Sector TIC,
Academia, Entidades gubernamentales, Usuarios de redes sociales) are `sector_tic`, `academia`,
`entidades_gubernamentales` and the default `ciudadania` (labelled "Ciudadanía (usuarios de redes sociales)":
the plan's social-media users are everyone no other rule places).
"""

from __future__ import annotations

from typing import Any

DEFAULT_SEGMENTS: dict[str, Any] = {
    "default": "ciudadania",
    "audiences": [
        {"id": "medios_periodistas", "label": "Medios y periodistas", "priority": 3,
         "handles": ["ELTIEMPO", "elespectador", "NoticiasCaracol", "NoticiasRCN", "CaracolRadio", "BluRadioCo",
                     "RevistaSemana", "elcolombiano", "lasillavacia", "larepublica_co"]},
        {"id": "gobierno_y_politica", "label": "Gobierno y política (funcionarios, Congreso, concejos)",
         "priority": 3, "handles": ["SenadoGovCo", "CamaraColombia", "ConcejoDeBogota"]},
        {"id": "entidades_gubernamentales", "label": "Entidades gubernamentales", "priority": 3,
         "handles": ["infopresidencia", "CRCCol", "ANEColombia", "sicsuper", "PoliciaColombia", "DNP_Colombia"]},
        {"id": "operadores_y_empresas_tic", "label": "Operadores y empresas TIC", "priority": 2,
         "handles": ["ClaroColombia", "MovistarCo", "TigoColombia", "WOMColombia"]},
        {"id": "sector_tic", "label": "Sector TIC (gremios y profesionales)", "priority": 1,
         "handles": ["CCITColombia"]},
        {"id": "academia", "label": "Academia", "priority": 1,
         "handles": ["UNALOficial", "Uniandes", "UdeA", "SENAComunica"]},
        {"id": "influenciadores", "label": "Influenciadores", "priority": 2, "handles": []},
        {"id": "ciudadania", "label": "Ciudadanía (usuarios de redes sociales)", "priority": 0, "handles": []},
    ],
    "rules": [
        # People in office first: their role beats the institution's domain or badge they may also show.
        {"segment": "gobierno_y_politica",
         "bio": ["senador*", "representante a la camara", "congresista*", "concejal*", "diputad*", "edil",
                 "edilesa", "alcalde", "alcaldesa", "gobernador", "gobernadora", "ministro", "ministra",
                 "viceministr*", "precandidat*", "exsenador*", "exconcejal*", "exministr*"]},
        # Institutions of the State: official domains, X's government badge, their names in the bio.
        {"segment": "entidades_gubernamentales", "domains": [".gov.co", ".mil.co"]},
        {"segment": "entidades_gubernamentales", "verified": ["government"]},
        {"segment": "entidades_gubernamentales",
         "bio": ["alcaldia de", "alcaldia municipal", "gobernacion de",
                 "ministerio de", "superintendencia", "agencia nacional", "entidad publica", "personeria",
                 "contraloria", "procuraduria", "defensoria del pueblo", "policia nacional", "ejercito nacional"]},
        # Press: after the State's own accounts, so "Noticias del Ministerio" stays an entity.
        {"segment": "medios_periodistas",
         "bio": ["periodista*", "reportero", "reportera", "corresponsal*", "columnista*", "presentador*",
                 "medio de comunicacion", "medio digital", "medio independiente", "noticias", "noticiero",
                 "emisora"]},
        # Operators: their own words, or a business badge with telecom words (a verified bank is not one).
        {"segment": "operadores_y_empresas_tic",
         "bio": ["operador de telecomunicaciones", "operador movil", "operador de internet",
                 "operador de television", "proveedor de internet", "proveedor de servicios de internet"]},
        {"segment": "operadores_y_empresas_tic", "verified": ["business"],
         "bio": ["telecomunicaciones", "internet", "conectividad", "telefonia", "fibra optica"]},
        # Teaching and research roles before TIC professions ("docente de ingeniería de sistemas" is academia).
        {"segment": "academia",
         "bio": ["docente*", "profesor*", "investigador*", "rector*", "vicerrector*", "decano", "decana",
                 "catedratic*", "doctorand*"]},
        {"segment": "sector_tic",
         "bio": ["ingenier* de telecomunicaciones", "ingenier* en telecomunicaciones", "ingenier* de sistemas",
                 "ingenier* electronic*", "desarrollador*", "developer", "programador*", "desarrollo de software",
                 "ciberseguridad", "transformacion digital", "sector tic", "industria tic", "telecomunicaciones",
                 "startup*"]},
        # Institutions of education after the professions ("ingeniero, egresado de la Universidad ...").
        {"segment": "academia", "domains": [".edu.co"]},
        {"segment": "academia", "bio": ["universidad", "institucion educativa", "institucion universitaria"]},
        # Reach last: a journalist with 400,000 followers stays press; anyone else that large is an influencer.
        {"segment": "influenciadores", "min_followers": 50000},
    ],
}
