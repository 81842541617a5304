"""The synthetic sample's people: public profiles for its authors, the voices of every audience segment, and the
ministry accounts' daily follower counts. Used by `generate_sample.py`; everything here is invented.

Names are visibly fictional ("Ficticia", "Ejemplar", "Sintética"...), handles carry `_syn`, and links point to
`example.invalid`, except the official domains the segment rules read (`.gov.co`, `.edu.co`): those hosts carry
`-syn` and exist nowhere. Each profile is drawn from its own seeded generator, so adding profiles leaves the
posts' texts and times untouched. What each platform would really tell is respected: X gives the whole
profile; Facebook a commenter's name only; Instagram a username.
"""

# ruff: noqa: E501  (the roster and text banks keep one entry per line so they read and diff as data)

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from scripts.sample_places import profile_location

NEG, POS, NEU = "negative", "positive", "neutral"
OUTAGE_EPISODE = "caida_plataforma_talento_ti"
SCAM_EPISODE = "suplantacion_portatiles_gratis"


@dataclass(frozen=True)
class Voice:
    """An invented public account of one audience segment (X), with the posts it writes this week."""

    handle: str
    name: str
    bio: str
    verified_type: str  # "blue" | "business" | "government" | "none"
    followers: int
    following: int
    posts: int
    location: str | None
    website: str | None
    segment: str  # the audience it belongs to (the ground truth the default segment rules should find)
    bank: str  # which texts it writes (VOICE_BANK)
    count: int  # posts in the week, besides the crisis ones


ROSTER: tuple[Voice, ...] = (
    # press
    Voice("NotiSur_syn", "Noticias del Sur Ficticio", "Medio digital de noticias del suroccidente colombiano. Datos de muestra sintéticos.", "business", 245_300, 1_210, 88_400, "Pasto, Colombia", "https://example.invalid/medios/notisur", "medios_periodistas", "press", 4),
    Voice("RadioVereda_syn", "Radio Vereda Estéreo (ficticia)", "Emisora comunitaria: la voz de las veredas de Cauca y Nariño.", "none", 18_450, 640, 21_900, "Silvia, Cauca", None, "medios_periodistas", "press", 3),
    Voice("AnaFicticia_syn", "Ana Ficticia", "Periodista de tecnología y consumo en @NotiSur_syn. Opiniones personales.", "blue", 412_300, 2_150, 58_900, "Bogotá D.C.", "https://example.invalid/medios/ana-ficticia", "medios_periodistas", "press", 4),
    Voice("CarlosInvent_syn", "Carlos Inventado", "Reportero. Cubro conectividad rural, regiones y orden público.", "blue", 86_200, 3_400, 40_120, "Quibdó, Chocó", None, "medios_periodistas", "press", 3),
    Voice("DiarioMuestra_syn", "Diario La Muestra (sintético)", "Periódico regional. Noticias del Caribe colombiano las 24 horas.", "business", 530_800, 410, 301_500, "Barranquilla", "https://example.invalid/medios/la-muestra", "medios_periodistas", "press", 3),
    # people in office
    Voice("SenadoraLuz_syn", "Luz Ejemplar", "Senadora de la República. Comisión Sexta: TIC, transporte y comunicaciones.", "blue", 310_400, 1_890, 27_300, "Colombia", "https://example.invalid/politica/luz-ejemplar", "gobierno_y_politica", "official", 3),
    Voice("RepPedro_syn", "Pedro Muestra", "Representante a la Cámara por Nariño. Conectividad para el campo.", "blue", 42_700, 980, 12_450, "Nariño, Colombia", None, "gobierno_y_politica", "official", 3),
    Voice("ConcejalaMar_syn", "Mar Ficticia", "Concejala de Pasto. Veeduría ciudadana a la conectividad de las veredas.", "none", 9_820, 1_150, 6_400, "Pasto, Nariño", None, "gobierno_y_politica", "official", 2),
    Voice("ConcejalBeto_syn", "Beto Ejemplar", "Concejal de Quibdó 2024-2027.", "none", 5_130, 720, 3_980, "Quibdó", None, "gobierno_y_politica", "official", 2),
    Voice("DiputadaSol_syn", "Sol Inventada", "Diputada a la Asamblea del Cauca.", "blue", 12_050, 530, 5_210, "Popayán, Cauca", None, "gobierno_y_politica", "official", 2),
    # the State's institutions
    Voice("AlcaldiaVF_syn", "Alcaldía de Villa Ficticia", "Cuenta oficial de la Alcaldía Municipal de Villa Ficticia (municipio sintético).", "government", 64_200, 210, 14_800, "Villa Ficticia, Nariño", "https://www.villaficticia-syn.gov.co", "entidades_gubernamentales", "entity", 3),
    Voice("GobRegion_syn", "Gobernación de la Región Ficticia", "Cuenta oficial. Trabajamos por la región.", "government", 210_500, 380, 33_100, "Colombia", "https://www.regionficticia-syn.gov.co", "entidades_gubernamentales", "entity", 2),
    Voice("PersoneriaVM_syn", "Personería de Villa Muestra", "Defendemos los derechos de los ciudadanos de Villa Muestra.", "none", 7_940, 450, 2_860, "Villa Muestra", "https://www.personeria-villamuestra-syn.gov.co", "entidades_gubernamentales", "entity", 2),
    Voice("AgenciaDigi_syn", "Agencia Digital Ficticia", "Entidad pública de servicios digitales del Estado (ficticia).", "government", 95_300, 160, 9_730, "Bogotá", "https://www.agenciadigital-syn.gov.co", "entidades_gubernamentales", "entity", 2),
    # operators and ICT companies
    Voice("TelcoFict_syn", "TelcoFicticia Colombia", "Operador móvil y de internet. Soporte 24/7 por mensaje directo.", "business", 640_000, 95, 310_200, "Colombia", "https://example.invalid/empresas/telcoficticia", "operadores_y_empresas_tic", "operator", 3),
    Voice("FibraMuestra_syn", "Fibra Muestra S.A.S.", "Internet por fibra óptica para hogares y empresas del Caribe.", "business", 23_400, 310, 8_150, "Montería", "https://example.invalid/empresas/fibra-muestra", "operadores_y_empresas_tic", "operator", 2),
    # ICT sector: guilds and professionals
    Voice("AsoTICFict_syn", "Asociación TIC Ficticia", "Gremio de la industria TIC de Colombia (ficticio).", "none", 15_600, 820, 7_340, "Bogotá", "https://example.invalid/gremios/asotic", "sector_tic", "tic", 2),
    Voice("DevCaribe_syn", "Dani Ejemplar", "Desarrolladora de software. Comunidad tech del Caribe 💻", "none", 3_420, 1_180, 9_870, "Cartagena", None, "sector_tic", "tic", 2),
    # academia
    Voice("UniSintetica_syn", "Universidad Sintética del Caribe", "Cuenta oficial. Acreditada en alta calidad.", "none", 120_400, 530, 22_800, "Barranquilla", "https://www.unisintetica-syn.edu.co", "academia", "academia", 2),
    Voice("UFicticia_syn", "Universidad Ficticia del Sur", "Educación superior pública en el sur del país.", "none", 58_300, 270, 14_100, "Pasto", "https://www.uficticia-syn.edu.co", "academia", "academia", 2),
    Voice("ProfeMarta_syn", "Marta Muestra", "Profesora e investigadora en redes y telecomunicaciones.", "none", 6_310, 890, 4_020, "Barranquilla", "https://www.unisintetica-syn.edu.co/docentes/marta-muestra", "academia", "academia", 2),
    # influencers
    Voice("LaParceraTech_syn", "La Parcera Tech", "Creadora de contenido | Tecnología fácil para todos | 🇨🇴", "blue", 890_200, 1_020, 15_600, "Medellín", "https://example.invalid/creadores/la-parcera", "influenciadores", "influencer", 3),
    Voice("ElProfeYT_syn", "El Profe de los Videos (ficticio)", "Explico tecnología en videos cortos. 1 millón en YouTube.", "blue", 1_304_000, 310, 8_900, "Cali", "https://example.invalid/creadores/el-profe", "influenciadores", "influencer", 2),
    Voice("MemesTIC_syn", "Memes TIC", "Humor y tecnología. Cuenta de parodia.", "none", 260_700, 45, 31_200, None, None, "influenciadores", "influencer", 2),
)

# (text, category, topic, sentiment). "@Ministerio_TIC" makes it a mention; otherwise a search hit naming MinTIC.
VOICE_BANK: dict[str, list[tuple[str, str, str, str]]] = {
    "press": [
        ("¿Qué pasa con los Centros Digitales de {depto}? Oyentes reportan que llevan días sin servicio. Consultamos al @Ministerio_TIC", "peticion", "conectividad", NEU),
        ("Usuarios de {muni} denuncian cobros por conectarse a la Zona Wi-Fi gratuita. ¿Qué dice el MinTIC?", "peticion", "conectividad", NEU),
        ("En la emisión de hoy: el balance de la TDT en {depto}, con cifras del MinTIC", "otro", "television_radio", NEU),
        ("Pedimos al @Ministerio_TIC el cronograma de la subasta 5G. Seguimos esperando respuesta", "peticion", "espectro", NEU),
        ("Entrevista: qué promete el MinTIC sobre internet de Última Milla para {depto}", "otro", "conectividad", NEU),
        ("Padres de {muni} denuncian que los computadores del colegio llegaron dañados. Consultamos al @Ministerio_TIC", "peticion", "computadores_para_educar", NEG),
    ],
    "official": [
        ("Radiqué un derecho de petición al @Ministerio_TIC por los Centros Digitales apagados en {muni}. Las veredas no pueden seguir incomunicadas", "peticion", "conectividad", NEG),
        ("Hoy citamos al MinTIC para explicar los retrasos de Última Milla en {depto}", "otro", "conectividad", NEU),
        ("Pido al @Ministerio_TIC revisar las quejas contra los operadores en {muni}: semanas sin señal", "queja", "operadores_usuarios", NEG),
        ("Gracias al @Ministerio_TIC por la mesa de trabajo sobre conectividad rural en {depto}", "felicitacion", "conectividad", POS),
        ("Solicito al @Ministerio_TIC información sobre las emisoras comunitarias sin licencia en {depto}", "peticion", "television_radio", NEU),
    ],
    "entity": [
        ("En alianza con el @Ministerio_TIC abrimos inscripciones a cursos gratuitos de Talento TI para jóvenes de {muni}", "otro", "formacion_tic", POS),
        ("La Zona Wi-Fi del parque principal está en mantenimiento. Trabajamos con el MinTIC para restablecerla pronto", "otro", "conectividad", NEU),
        ("Solicitamos al @Ministerio_TIC apoyo técnico para los Centros Digitales de nuestras veredas", "peticion", "conectividad", NEU),
        ("Jornada de trámites en línea con el MinTIC este sábado en la plaza principal de {muni}", "otro", "gobierno_digital", POS),
    ],
    "operator": [
        ("Informamos a nuestros usuarios de {depto} que trabajamos en restablecer el servicio móvil. cc @Ministerio_TIC", "otro", "operadores_usuarios", NEU),
        ("Participamos en la mesa del MinTIC sobre espectro para conectividad rural", "otro", "espectro", NEU),
        ("Nos sumamos a Última Milla del @Ministerio_TIC: hogares de {muni} ya tienen fibra óptica", "otro", "conectividad", POS),
    ],
    "tic": [
        ("Desde el gremio pedimos al @Ministerio_TIC reglas claras para el despliegue de infraestructura en {depto}", "peticion", "espectro", NEU),
        ("Buen anuncio del MinTIC sobre becas de programación; la industria necesita talento", "felicitacion", "formacion_tic", POS),
        ("¿El @Ministerio_TIC tiene fecha para la nueva convocatoria de Talento TI? Muchos devs de {muni} preguntan", "peticion", "formacion_tic", NEU),
    ],
    "academia": [
        ("Nuestros estudiantes terminaron el bootcamp de Talento TI del @Ministerio_TIC. ¡Felicitaciones!", "felicitacion", "formacion_tic", POS),
        ("Publicamos un estudio sobre brecha digital en {depto}; lo compartimos con el MinTIC", "otro", "conectividad", NEU),
        ("¿Cuándo abre el @Ministerio_TIC la convocatoria de becas de maestría en ciberseguridad?", "peticion", "formacion_tic", NEU),
    ],
    "influencer": [
        ("A ver @Ministerio_TIC, ¿por qué en {muni} seguimos sin señal? Mis seguidores de allá me escriben todos los días 😤", "reclamo", "operadores_usuarios", NEG),
        ("Hilo 🧵: cómo reconocer una estafa que usa el nombre del MinTIC", "otro", "ciberseguridad_fraude", NEU),
        ("Hice el curso gratis de Talento TI del @Ministerio_TIC y les cuento qué tal 👇", "felicitacion", "formacion_tic", POS),
        ("jajaja el wifi gratis del MinTIC en {muni} llega más rápido que mi ex 😂", "otro", "conectividad", POS),
    ],
}

# The press, officials and influencers during the planted crises: (handle, episode, minutes after the episode's
# start, text, category, topic, sentiment, flags). After the spikes open, so the detection is unchanged.
CRISIS_VOICES: tuple[tuple[str, str, int, str, str, str, str, tuple[str, ...]], ...] = (
    ("NotiSur_syn", OUTAGE_EPISODE, 75, "🔴 Última hora: cae la plataforma de inscripción de Talento TI en el último día. Usuarios reportan error 503. ¿Ampliará el plazo el @Ministerio_TIC?", "peticion", "formacion_tic", NEG, ("outage",)),
    ("AnaFicticia_syn", OUTAGE_EPISODE, 95, "Cientos de jóvenes no pudieron inscribirse a Talento TI por la caída de la plataforma. El @Ministerio_TIC debe ampliar el plazo", "reclamo", "formacion_tic", NEG, ("outage",)),
    ("SenadoraLuz_syn", OUTAGE_EPISODE, 130, "Exijo al @Ministerio_TIC ampliar el plazo de Talento TI: la plataforma lleva horas caída en el último día de inscripciones", "reclamo", "formacion_tic", NEG, ("outage",)),
    ("LaParceraTech_syn", OUTAGE_EPISODE, 150, "Parceros, la página de Talento TI sigue caída 😩 @Ministerio_TIC ¿amplían el plazo o qué?", "reclamo", "formacion_tic", NEG, ("outage",)),
    ("DiarioMuestra_syn", SCAM_EPISODE, 95, "Alerta: circula por WhatsApp una estafa que ofrece portátiles gratis a nombre del MinTIC. No entregue datos ni dinero", "denuncia", "ciberseguridad_fraude", NEG, ("fraud",)),
    ("AlcaldiaVF_syn", SCAM_EPISODE, 120, "⚠️ No caiga: el @Ministerio_TIC NO regala portátiles por WhatsApp. Denuncie los mensajes sospechosos", "denuncia", "ciberseguridad_fraude", NEG, ("fraud",)),
    ("LaParceraTech_syn", SCAM_EPISODE, 140, "Me llegó el mensaje de los 'portátiles gratis del MinTIC' 🚩 es estafa, no le den sus datos a nadie", "denuncia", "ciberseguridad_fraude", NEG, ("fraud",)),
)

# --- ordinary authors ---------------------------------------------------------------------------------

FIRST_NAMES = ("Laura", "Andrés", "Camila", "Juan", "Valentina", "Carlos", "Daniela", "Santiago", "Mariana", "Felipe",
               "Paola", "Jorge", "Natalia", "Luis", "Diana", "Julián", "Sandra", "Óscar", "Lina", "Wilson", "Yuliana",
               "Édgar", "Marleny", "Jhon", "Leidy", "Brayan", "Gloria", "Fabio", "Yesenia", "Hernando")  # fmt: skip
SURNAMES = ("Ficticio", "Inventado", "Ejemplar", "Muestra", "Sintético", "Imaginario", "Prueba", "Modelo", "Supuesto",
            "Figurado")  # fmt: skip
NICKNAMES = ("La Mona 🌻", "El Paisa", "Profe en la vereda", "Costeña de corazón", "El Llanero", "Doña Gloria",
             "Parcero digital", "La Negra", "El Cuchito", "Mamá de tres")  # fmt: skip
# Bios by the handle's prefix; {muni}, {depto} and {vereda} from the author's home. None: no bio.
BIOS: dict[str, tuple[str, ...]] = {
    "profe": ("Docente rural en {muni}. Enseñar es sembrar.", "Docente de matemáticas | {depto}"),
    "estudiante": ("Estudiante. Soñando con programar 💻", "Estudiante de último semestre. {muni}"),
    "ingeniera": ("Ingeniera de sistemas. {muni}, {depto}", "Ingeniera de telecomunicaciones. Café y fibra óptica ☕"),
    "lider": ("Líder comunal de la vereda {vereda}, {muni}.", "Presidente JAC vereda {vereda}"),
    "emprendedor": ("Emprendedor. Artesanías de {depto} por encargo.", "Tienda de barrio y domicilios en {muni}"),
    "tendero": ("Tienda El Porvenir, {muni}. Recargas y giros.",),
    "campesina": ("Campesina de {vereda}. Café, plátano y ganas 🌱",),
    "abuela": ("Abuela de 5 nietos. Aprendiendo a usar el celular 📱",),
    "mama": ("Mamá, trabajadora y soñadora 💙", "Mamá de dos. {muni}"),
    "": ("Colombiano de a pie. {muni}.", "Hincha del {muni} FC ⚽", "{depto} en el corazón 🇨🇴", "Aquí opinando",
         "Amante del café y la música", "Trabajador. Padre. {muni}.", "Cuenta personal"),
}
# The segment each bio lands in under the default rules (the rest: ciudadania).
BIO_SEGMENT = {"profe": "academia", "ingeniera": "sector_tic"}
INFLUENCER_BIOS = ("Creadora de contenido | Humor costeño 😂", "Youtuber. Recetas colombianas fáciles 🍲",
                   "Creador de contenido. Viajes por Colombia ✈️", "Memes, fútbol y opinión ⚽")  # fmt: skip


def person_profile(rng: random.Random, handle: str, place: tuple[str, str], vereda: str,
                   influencer: int | None) -> dict[str, Any]:
    """A citizen's public profile: a visibly fictional name, often no bio, link or location; few followers.
    `influencer` (an index into INFLUENCER_BIOS) makes it a large account."""
    muni, depto = place
    prefix = handle.split("_syn", 1)[0]
    slots = {"muni": muni, "depto": depto, "vereda": vereda}
    name = rng.choice(NICKNAMES) if rng.random() < 0.12 else f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
    bios = BIOS.get(prefix)
    has_bio = rng.random() < (0.8 if bios else 0.45)
    bio = rng.choice(bios or BIOS[""]).format_map(slots) if has_bio else None
    segment = BIO_SEGMENT.get(prefix, "ciudadania") if bio is not None and bios else "ciudadania"
    followers = min(30_000, int(rng.lognormvariate(5.0, 1.4)))
    verified = "blue" if rng.random() < 0.03 else "none"
    if influencer is not None:
        bio = INFLUENCER_BIOS[influencer % len(INFLUENCER_BIOS)]
        followers = rng.randint(60_000, 380_000)
        verified = "blue"
        segment = "influenciadores"
    location = rng.choice((f"{muni}, {depto}", muni, f"{depto} 🇨🇴", "Colombia")) if rng.random() < 0.55 else None
    location = profile_location(handle, location, place)  # its own draws: the other fields stay as they were
    website = f"https://example.invalid/perfil/{handle}" if rng.random() < 0.04 or influencer is not None else None
    return {"display_name": name, "description": bio, "verified_type": verified, "followers": followers,
            "following": int(rng.lognormvariate(5.5, 0.9)), "post_count": int(rng.lognormvariate(6.5, 1.3)),
            "location": location, "website": website, "segment": segment}


def voice_profile(voice: Voice) -> dict[str, Any]:
    return {"display_name": voice.name, "description": voice.bio, "verified_type": voice.verified_type,
            "followers": voice.followers, "following": voice.following, "post_count": voice.posts,
            "location": voice.location, "website": voice.website, "segment": voice.segment}


MINISTRY_PROFILE = {
    "x": {"display_name": "Ministerio TIC Colombia (muestra)",
          "description": "Ministerio de Tecnologías de la Información y las Comunicaciones. Cuenta de muestra "
                         "sintética.", "verified_type": "government", "location": "Bogotá, Colombia",
          "website": "https://example.invalid/mintic", "segment": "entidades_gubernamentales"},
    "facebook": {"display_name": "Ministerio TIC Colombia (muestra)", "segment": "ciudadania"},
    "instagram": {"segment": "ciudadania"},
}

# --- the ministry accounts' audience -------------------------------------------------------------------

# (followers, following, posts) on the Monday before the week; daily net growth; the busy days' multiplier.
AUDIENCE_START = {"x": (1_184_210, 1_302, 98_450), "facebook": (2_031_400, None, None),
                  "instagram": (412_870, 295, 6_120)}
DAILY_GROWTH = {"x": 410, "facebook": 160, "instagram": 280}
BUSY_DAYS = {2: 4.5, 4: 2.8}  # Wednesday's outage and Friday's scam alert bring followers (people want news)
SNAPSHOT_HOUR = 6  # local time of the daily reading


def daily_audience(rng: random.Random, platform: str, monday_local: datetime,
                   own_posts_before: list[datetime]) -> list[tuple[datetime, int, int | None, int | None]]:
    """One (taken_at local, followers, following, posts) a day at 06:00 Bogotá: the growth of the day before,
    plus the ministry's own posts (X, Instagram) counted into the account's post count."""
    followers, following, posts = AUDIENCE_START[platform]
    out = []
    for day in range(7):
        taken = monday_local + timedelta(days=day, hours=SNAPSHOT_HOUR)
        if day > 0:
            followers += int(DAILY_GROWTH[platform] * BUSY_DAYS.get(day - 1, 1.0) * rng.uniform(0.75, 1.25))
            if following is not None and rng.random() < 0.3:
                following += 1
        count = None if posts is None else posts + sum(1 for t in own_posts_before if t < taken)
        out.append((taken, followers, following, count))
    return out
