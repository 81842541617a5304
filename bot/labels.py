"""Spanish labels of the codes stored in the database, for the pages, the CSV exports and the weekly report."""

from __future__ import annotations

from domain import CATEGORIES, SENTIMENTS

CATEGORY_ES = {
    "peticion": "Petición",
    "queja": "Queja",
    "reclamo": "Reclamo",
    "sugerencia": "Sugerencia",
    "denuncia": "Denuncia",
    "felicitacion": "Felicitación",
    "otro": "Otro",
}
SENTIMENT_ES = {"negative": "Negativo", "neutral": "Neutral", "positive": "Positivo"}
# The weekly report also counts the citizen posts not analysed yet.
SENTIMENT_OR_UNANALYSED_ES = {**SENTIMENT_ES, "sin_analizar": "Sin analizar"}
STATE_ES = {"new": "Nuevo", "in_progress": "En curso", "attended": "Atendido", "not_applicable": "No aplica"}
STATE_FILTER_ES = {"pending": "Pendientes (nuevos y en curso)", **STATE_ES, "all": "Todos"}
FLAG_ES = {
    "outage": "Caída de servicio",
    "fraud": "Fraude o estafa",
    "data_leak": "Fuga de datos o cuenta hackeada",
    "threat": "Amenaza o violencia",
    "misinformation": "Desinformación",
}
PLATFORM_ES = {"x": "X", "facebook": "Facebook", "instagram": "Instagram"}
KIND_ES = {"mention": "mención", "comment": "comentario", "reply": "respuesta", "own_post": "publicación propia",
           "search_hit": "búsqueda"}
# Counts of posts by kind, as rows of the weekly report's tables.
KIND_PLURAL_ES = {"mention": "Menciones", "comment": "Comentarios", "reply": "Respuestas en conversaciones",
                  "search_hit": "Resultados de búsqueda", "own_post": "Publicaciones propias"}
ROLE_ES = {"viewer": "Consulta", "community_manager": "Community manager", "admin": "Administración"}
ACTION_ES = {"category": "Categoría", "sentiment": "Sentimiento", "topics": "Temas", "state": "Estado",
             "assignee": "Asignación", "note": "Nota interna"}
LEVEL_ES = {"aviso": "Aviso", "critico": "Crítico", "none": "Normal"}
SORT_ES = {"recent": "Más recientes", "urgency": "Urgencia"}
METRIC_ES = {"likes": "Me gusta", "reposts": "Reposts", "replies": "Respuestas", "quotes": "Citas",
             "bookmarks": "Guardados", "impressions": "Impresiones", "reactions": "Reacciones",
             "comments": "Comentarios", "shares": "Compartidos", "saves": "Guardados", "views": "Visualizaciones",
             "reach": "Alcance"}
# The weekly report's interaction types: X's bookmarks and Instagram's saves told apart.
INTERACTION_TYPE_ES = {**METRIC_ES, "bookmarks": "Guardados (X)", "saves": "Guardados (Instagram)"}
# How many saw a post, by each platform's own measure (storage.indicators.AUDIENCE_MEASURES): X counts
# impressions, Meta views (Facebook and Instagram) and Instagram also reach (unique accounts).
AUDIENCE_MEASURE_ES = {"impressions": "Impresiones", "views": "Visualizaciones", "reach": "Alcance"}
# How a post was placed (domain.PLACE_EVIDENCE, in order of trust): the report counts the posts of each
# ("texto 12"), the web app says it after the place ("Quibdó, Chocó · según el texto").
PLACE_EVIDENCE_ES = {"geo": "geolocalización", "text": "texto", "profile": "perfil del autor"}
PLACE_EVIDENCE_SOURCE_ES = {"geo": "según geoetiqueta", "text": "según el texto", "profile": "según el perfil"}
NO_PLACE_ES = "Sin ubicación"  # the posts no evidence placed (storage.inbox_filters.NO_PLACE)
DAYS_ES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
MONTHS_ES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
             "noviembre", "diciembre")

# Keyboard shortcuts: 1–7 set the category (in CATEGORIES order), 8/9/0 the sentiment.
CATEGORY_KEYS = {cat: str(i) for i, cat in enumerate(CATEGORIES, 1)}
SENTIMENT_KEYS = dict(zip(SENTIMENTS, ("8", "9", "0"), strict=True))


def label(mapping: dict[str, str], code: str | None) -> str:
    """The Spanish label of a code, or the code itself when it is not a known one (never empty)."""
    if code is None or code == "":
        return "—"
    return mapping.get(code, code)


_ES_SEPARATORS = str.maketrans(",.", ".,")


def es_number(value: float, decimals: int = 0) -> str:
    """A number the Spanish way, thousands with dots and decimals after a comma: 1234567.8 -> "1.234.567,8"."""
    return f"{value:,.{decimals}f}".translate(_ES_SEPARATORS)
