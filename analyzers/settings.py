"""Analyzer settings and the default MinTIC topic list.

Validated with pydantic so that a typo in `config.yaml` (`analyzers:` and `topics:` sections) is an error
at start-up instead of a silent fallback. Every field has a default: an empty config gives the lexicon
sentiment backend and the rule-based category classifier, which need no training data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SentimentBackend = Literal["lexicon", "model", "transformers"]
CategoryBackend = Literal["rules", "model"]

# Labels used by the usual Spanish tweet-sentiment checkpoints (pysentimiento/robertuito: NEG/NEU/POS;
# cardiffnlp/xlm-t: negative/neutral/positive; untouched configs: LABEL_0..2 in that order).
DEFAULT_TRANSFORMERS_LABELS: dict[str, str] = {
    "NEG": "negative",
    "NEU": "neutral",
    "POS": "positive",
    "negative": "negative",
    "neutral": "neutral",
    "positive": "positive",
    "LABEL_0": "negative",
    "LABEL_1": "neutral",
    "LABEL_2": "positive",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TransformersSettings(_Strict):
    """A local Hugging Face sequence-classification model directory (optional `transformers` extra)."""

    model_dir: Path | None = None
    label_map: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_TRANSFORMERS_LABELS))
    batch_size: int = Field(default=32, ge=1, le=1024)
    max_length: int = Field(default=128, ge=8, le=4096)

    @field_validator("label_map")
    @classmethod
    def _known_labels(cls, value: dict[str, str]) -> dict[str, str]:
        bad = sorted({v for v in value.values() if v not in ("negative", "neutral", "positive")})
        if bad:
            raise ValueError(f"label_map values must be negative, neutral or positive; got {', '.join(bad)}")
        return value


class AnalyzerSettings(_Strict):
    """Which analyzer backends run and how (see README "Analyzers")."""

    sentiment_backend: SentimentBackend = "lexicon"
    category_backend: CategoryBackend = "rules"
    # Languages the detector may answer; anything else is folded into the closest of these.
    languages: tuple[str, ...] = ("es", "en", "pt")
    # Below this detector confidence a post is taken to be Spanish (the ministry's audience is).
    language_min_confidence: float = Field(default=0.8, ge=0.0, le=1.0)
    # Longer texts are truncated for analysis only; the stored post keeps its full text.
    max_text_chars: int = Field(default=2000, ge=50, le=100_000)
    # Posts analysed together by `analyze_many` (matters for the model and transformers backends).
    batch_size: int = Field(default=256, ge=1, le=100_000)
    # English posts get TextBlob sentiment (it is English-only); other languages use the lexicon.
    english_textblob: bool = True
    transformers: TransformersSettings = TransformersSettings()

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if "es" not in value:
            raise ValueError("languages must include 'es' (Spanish is the default language)")
        return value


class TopicSpec(_Strict):
    """A topic: Spanish keywords (accent- and case-insensitive, whole words; `*` ends a prefix) and hashtags."""

    name: str = Field(min_length=1)
    keywords: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()

    @field_validator("hashtags")
    @classmethod
    def _strip_hash(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(h.strip().lstrip("#") for h in value if h.strip().lstrip("#"))


TOPIC_NAMES_ES = {
    "conectividad": "Conectividad e internet", "television_radio": "Televisión y radio",
    "servicios_postales": "Servicios postales", "espectro": "Espectro",
    "computadores_para_educar": "Computadores para Educar", "formacion_tic": "Formación y becas TIC",
    "gobierno_digital": "Gobierno Digital y trámites", "ciberseguridad_fraude": "Ciberseguridad y fraudes",
    "operadores_usuarios": "Operadores y usuarios", "empleo_convocatorias": "Empleo y convocatorias",
}


def topic_name(code: str) -> str:
    """The Spanish display name of a topic code (a configured topic of our own: its code, capitalised)."""
    return TOPIC_NAMES_ES.get(code) or code.replace("_", " ").capitalize()


DEFAULT_TOPICS: tuple[TopicSpec, ...] = (
    TopicSpec(
        name="conectividad",
        keywords=(
            "internet", "conectividad", "conexion", "centro digital", "centros digitales", "zona wifi",
            "zonas wifi", "zona wi-fi", "zonas wi-fi", "wifi", "wi-fi", "ultima milla", "fibra optica",
            "banda ancha", "señal", "sin señal", "megas", "velocidad de internet", "hogares conectados",
            "internet gratis", "conexion total", "conectar", "conectados", "5g", "4g", "cobertura",
        ),
        hashtags=("CentrosDigitales", "ZonasWifi", "UltimaMilla", "ConectividadParaTodos", "InternetParaTodos"),
    ),
    TopicSpec(
        name="television_radio",
        keywords=(
            "television", "tv", "radio", "emisora", "emisoras", "rtvc", "señal colombia", "canal",
            "canales", "tdt", "television digital", "radio comunitaria", "emisoras comunitarias",
            "antena", "decodificador", "radiodifusion", "contenidos audiovisuales",
        ),
        hashtags=("TDT", "RadioComunitaria", "SeñalColombia", "RTVC"),
    ),
    TopicSpec(
        name="servicios_postales",
        keywords=(
            "4-72", "472", "servicios postales", "servicio postal", "correos de colombia", "paquete",
            "paquetes", "envio", "envios", "encomienda", "encomiendas", "mensajeria", "guia de envio",
        ),
        hashtags=("472", "ServiciosPostales"),
    ),
    TopicSpec(
        name="espectro",
        keywords=(
            "espectro", "espectro radioelectrico", "subasta", "frecuencias", "frecuencia", "licencia",
            "licencias", "permiso de uso", "5g", "700 mhz", "3.5 ghz", "ane", "agencia nacional del espectro",
        ),
        hashtags=("Subasta5G", "Espectro", "5G"),
    ),
    TopicSpec(
        name="computadores_para_educar",
        keywords=(
            "computadores para educar", "cpe", "computadores", "computador", "tabletas", "tablets",
            "portatiles", "sedes educativas", "colegio", "colegios", "escuela", "escuelas",
            "docentes", "estudiantes",
        ),
        hashtags=("ComputadoresParaEducar", "CPE"),
    ),
    TopicSpec(
        name="formacion_tic",
        keywords=(
            "mision tic", "misiontic", "talento ti", "talento tech", "beca", "becas", "curso", "cursos",
            "bootcamp", "formacion", "programacion", "programadores", "certificado", "certificacion",
            "ciclo 1", "ciclo 2", "ruta de aprendizaje", "capacitacion", "por tic mujer", "ciudadania digital",
        ),
        hashtags=("MisionTIC", "MisionTIC2022", "TalentoTI", "TalentoTech", "CiudadaníaDigital", "PorTICMujer"),
    ),
    TopicSpec(
        name="gobierno_digital",
        keywords=(
            "gobierno digital", "tramite", "tramites", "gov.co", "govco", "carpeta ciudadana",
            "autenticacion digital", "firma digital", "servicios ciudadanos digitales", "plataforma",
            "pagina web", "portal", "sede electronica", "datos abiertos", "ventanilla",
        ),
        hashtags=("GobiernoDigital", "GOVCO", "CarpetaCiudadana"),
    ),
    TopicSpec(
        name="ciberseguridad_fraude",
        keywords=(
            "ciberseguridad", "hacker", "hackers", "hackeo", "hackearon", "hackeada", "hackeado",
            "phishing", "estafa", "estafas", "fraude", "fraudes", "suplantacion", "suplantan",
            "perfil falso", "cuenta falsa", "enlace falso", "link falso", "virus", "malware",
            "ransomware", "ciberataque", "filtracion", "datos personales", "colcert", "en tic confio",
        ),
        hashtags=("Ciberseguridad", "EnTICconfío", "EnTICConfio", "ColCERT"),
    ),
    TopicSpec(
        name="operadores_usuarios",
        keywords=(
            "operador", "operadores", "operador claro", "claro colombia", "movistar", "tigo", "wom", "etb",
            "telefonia", "celular", "linea celular", "linea movil", "plan de datos", "datos moviles",
            "factura", "cobro", "cobros", "portabilidad", "crc", "superindustria", "atencion al cliente",
        ),
        hashtags=("Portabilidad", "CRC"),
    ),
    TopicSpec(
        name="empleo_convocatorias",
        keywords=(
            "empleo", "empleos", "convocatoria", "convocatorias", "vacante", "vacantes", "trabajo",
            "contrato", "contratista", "contratistas", "hoja de vida", "oferta laboral", "practicas",
            "pasantia", "concurso", "licitacion", "licitaciones", "secop", "proveedores",
        ),
        hashtags=("Convocatoria", "Empleo", "EmpleoTIC"),
    ),
)
