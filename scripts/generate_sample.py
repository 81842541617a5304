"""Writes the synthetic sample week that `demo`, `run` (on embedded defaults) and the tests replay.

Everything here is invented: authors, ids, URLs and events. The texts imitate how Colombians write to and
about MinTIC on X, Facebook and Instagram (informal, emojis, hashtags, typos, Colombian expressions) so the
analyzers and the spike detector meet realistic input without any real person's data. Each post carries
hidden ground-truth labels in `raw["label"]` so tests can score the analyzers; analyzers must never read them.

The output depends only on `--seed` and `--week`: running it twice gives byte-identical files.

    python scripts/generate_sample.py [--seed N] [--week YYYY-Www] [--out DIR]
"""

# ruff: noqa: E501  (the text banks keep one template per line so they read and diff as data)

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parent.parent
if __package__ in (None, ""):  # run as a script: make the repo's packages importable
    sys.path.insert(0, str(REPO_ROOT))

from connectors.sample_replay import ACCOUNTS_FILE, AUTHORS_FILE, post_to_dict  # noqa: E402
from domain import GeoTag, Metrics, Platform, Post, PostKind  # noqa: E402
from scripts import sample_places  # noqa: E402
from scripts.sample_profiles import (  # noqa: E402
    CRISIS_VOICES,
    MINISTRY_PROFILE,
    ROSTER,
    VOICE_BANK,
    Voice,
    daily_audience,
    person_profile,
    voice_profile,
)

GENERATOR = "scripts/generate_sample.py"
DEFAULT_SEED = 20261116
DEFAULT_WEEK = "2026-W47"
DEFAULT_OUT = REPO_ROOT / "data" / "sample"
BOGOTA = ZoneInfo("America/Bogota")
LINK = "https://example.invalid/mintic"

ACCOUNTS: dict[Platform, str] = {
    Platform.X: "Ministerio_TIC",
    Platform.FACEBOOK: "MinTICColombia",
    Platform.INSTAGRAM: "mintic_colombia",
}
_ID_PREFIX = {Platform.X: "syn-x", Platform.FACEBOOK: "syn-fb", Platform.INSTAGRAM: "syn-ig"}

# --- volume model -----------------------------------------------------------------------------------

BASE_DAILY_CITIZEN_POSTS = 500
DAY_FACTOR = (1.08, 1.0, 0.98, 0.97, 0.92, 0.72, 0.66)  # Monday .. Sunday: weekends are quieter
# Relative activity per local hour: near zero at night, mid-morning and evening peaks, a lunch dip.
HOUR_WEIGHT = (
    0.5, 0.3, 0.15, 0.1, 0.15, 0.4, 1.2, 2.6, 4.2, 5.4, 6.0, 5.7,
    4.6, 4.1, 4.6, 4.9, 4.7, 4.5, 4.9, 5.6, 6.1, 5.4, 3.6, 1.7,
)  # fmt: skip
WEEKEND_MORNING_FACTOR = 0.5  # people sleep in: 06:00-09:59 is quieter on Saturday and Sunday
PLATFORM_SHARE = ((Platform.X, 0.5), (Platform.FACEBOOK, 0.3), (Platform.INSTAGRAM, 0.2))
CATEGORY_SHARE = (
    ("reclamo", 0.30), ("peticion", 0.25), ("queja", 0.12), ("otro", 0.12),
    ("felicitacion", 0.09), ("denuncia", 0.06), ("sugerencia", 0.06),
)  # fmt: skip
TOPIC_SHARE = (
    ("conectividad", 0.18), ("operadores_usuarios", 0.14), ("formacion_tic", 0.14),
    ("gobierno_digital", 0.11), ("ciberseguridad_fraude", 0.08), ("television_radio", 0.08),
    ("empleo_convocatorias", 0.08), ("computadores_para_educar", 0.07), ("servicios_postales", 0.06),
    ("espectro", 0.06),
)  # fmt: skip
OFF_TOPIC_SHARE = 0.03  # spam, greetings, jokes about nothing in particular
ENGLISH_SHARE = 0.01
REPLY_RATE = {
    "peticion": 0.45, "reclamo": 0.40, "queja": 0.35, "denuncia": 0.40,
    "felicitacion": 0.30, "sugerencia": 0.25, "otro": 0.04,
}  # fmt: skip
FOLLOW_UP_RATE = 0.15  # citizens who answer the ministry's reply

DEFAULT_SENTIMENT = {
    "peticion": "neutral", "queja": "negative", "reclamo": "negative", "sugerencia": "neutral",
    "denuncia": "negative", "felicitacion": "positive", "otro": "neutral",
}  # fmt: skip

# --- the topics (names match config.yaml's default topic list) ---------------------------------------

TOPIC_TITLES = {
    "conectividad": "Conectividad e internet (Centros Digitales, Zonas Wi-Fi, Última Milla)",
    "television_radio": "Televisión y radio",
    "servicios_postales": "Servicios postales",
    "espectro": "Espectro",
    "computadores_para_educar": "Computadores para Educar",
    "formacion_tic": "Formación y becas TIC (Talento TI, Misión TIC)",
    "gobierno_digital": "Gobierno Digital y trámites",
    "ciberseguridad_fraude": "Ciberseguridad y fraudes",
    "operadores_usuarios": "Operadores y usuarios (quejas de telefonía)",
    "empleo_convocatorias": "Empleo y convocatorias",
}
TOPIC_HASHTAGS = {
    "conectividad": ("#CentrosDigitales", "#ZonasWiFi", "#UltimaMilla", "#Conectividad", "#InternetRural"),
    "television_radio": ("#TDT", "#TelevisiónDigital", "#RadioComunitaria", "#TVPública"),
    "servicios_postales": ("#ServiciosPostales", "#Correo", "#Envíos"),
    "espectro": ("#Espectro", "#5G", "#Radioaficionados"),
    "computadores_para_educar": ("#ComputadoresParaEducar", "#EducaciónDigital"),
    "formacion_tic": ("#TalentoTI", "#MisiónTIC", "#BecasTIC", "#FormaciónTIC"),
    "gobierno_digital": ("#GobiernoDigital", "#TrámitesEnLínea", "#CarpetaCiudadana"),
    "ciberseguridad_fraude": ("#Ciberseguridad", "#NoCaigasEnLaTrampa", "#Estafa", "#Phishing"),
    "operadores_usuarios": ("#DerechosDeLosUsuarios", "#Telefonía", "#SinSeñal"),
    "empleo_convocatorias": ("#Convocatoria", "#EmpleoTIC", "#Prácticas"),
}

# A bank entry is a template, or (template, sentiment or None for the category default, flags).
Entry = str | tuple[str, str | None, tuple[str, ...]]
NEG, POS, NEU = "negative", "positive", "neutral"
FRAUD, OUTAGE, LEAK, THREAT, MISINFO = "fraud", "outage", "data_leak", "threat", "misinformation"

CITIZEN_BANK: dict[str, dict[str, list[Entry]]] = {
    "conectividad": {
        "reclamo": [
            "El Centro Digital de la vereda {vereda} en {muni} lleva {n} días sin internet y los niños no pueden hacer tareas",
            "La Zona Wi-Fi del parque de {muni} no sirve desde {dia}, se conecta pero no navega",
            "llevo {n} días sin señal en el Centro Digital de {vereda}, {muni} ({depto}). ¿Quién responde?",
            "Nos instalaron internet de Última Milla en {muni} y se cae a cada rato, así no se puede trabajar",
            "La antena del Centro Digital de {vereda} se dañó hace {n_sem} semanas y nadie viene a arreglarla",
            "El wifi gratis de la plaza de {muni} es lentísimo, no carga ni el WhatsApp",
            "En {muni}, {depto} el Centro Digital está apagado desde hace {n} días, ¿para qué lo pusieron entonces?",
            "El internet de Última Milla que pagamos en {muni} funciona solo en la madrugada",
        ],
        "queja": [
            "Llamé {n} veces a la línea de soporte de los Centros Digitales y me colgaron, pésima atención",
            "El técnico que vino a revisar la Zona Wi-Fi de {muni} tomó fotos y se fue sin arreglar nada",
            "Reportamos la falla del Centro Digital de {vereda} y nos dieron un número de caso que nadie conoce",
            "La funcionaria que vino a {muni} fue muy grosera con los señores de la vereda {vereda}",
            "Nadie contesta los correos sobre el internet de Última Milla en {muni}, un mes esperando respuesta",
            ("Si no arreglan el Centro Digital de {vereda} esta semana vamos a ir a tumbar esa antena, ya estamos mamados", None, (THREAT,)),
        ],
        "peticion": [
            "¿Cómo hace una vereda para pedir un Centro Digital? En {vereda}, {muni} no tenemos nada de internet",
            "¿Cuándo llega el internet de Última Milla a {muni}, {depto}? Nos inscribimos hace {n_sem} semanas",
            "¿Dónde puedo consultar si mi municipio tiene Zonas Wi-Fi gratis? Soy de {muni}",
            "Solicito información sobre el horario del Centro Digital de la vereda {vereda}",
            "¿A qué número se reporta una falla de un Centro Digital? El de {vereda} no funciona",
            "¿Qué requisitos piden para el internet social de Última Milla en estrato 1?",
        ],
        "sugerencia": [
            "Deberían poner una Zona Wi-Fi en la terminal de {muni}, allá llega mucha gente sin datos",
            "Sería bueno que los Centros Digitales tuvieran un WhatsApp para reportar fallas",
            "Propongo que el Centro Digital de {vereda} abra también los sábados, entre semana la gente está camellando",
            "Ojalá ampliaran la cobertura de Última Milla a las veredas de {muni}, no solo al casco urbano",
        ],
        "denuncia": [
            ("Denuncio que en {muni} el contratista cobra {monto} por conectarse a la Zona Wi-Fi que es gratis", None, (FRAUD,)),
            "En el Centro Digital de {vereda} se robaron el panel solar y nadie dice nada, eso fue gente de adentro",
            ("El internet del Centro Digital de {vereda} lo tiene un señor para su negocio, le puso clave y cobra", None, (FRAUD,)),
        ],
        "felicitacion": [
            "Gracias a la Zona Wi-Fi del parque de {muni} mi hija pudo presentar su examen, bacano",
            "El Centro Digital de {vereda} nos cambió la vida, ahora los muchachos estudian desde la vereda",
            "Excelente el internet de Última Milla en {muni}, rápido y estable, felicitaciones",
            "Qué chimba el Centro Digital nuevo en {vereda}, {muni}, por fin internet en el campo",
        ],
        "otro": [
            "En {muni} hoy inauguraron la Zona Wi-Fi del parque, había harta gente",
            "Leyendo sobre los Centros Digitales, dicen que ya van miles en el país",
            ("jajaja en mi pueblo el wifi gratis llega más lento que el bus de {hora}", POS, ()),
            ("Ojo: el MinTIC va a empezar a cobrar las Zonas Wi-Fi desde enero, compartan", None, (MISINFO,)),
        ],
    },
    "television_radio": {
        "reclamo": [
            "En {muni} no se ve la señal de TDT desde {dia}, solo sale 'sin señal'",
            "La televisión digital en {vereda} se ve pixelada todo el tiempo, no se puede ver ni el noticiero",
            "Nos entregaron el decodificador hace {n_sem} semanas y nunca ha funcionado",
            "Se cayó la señal del canal regional en {muni} justo en el partido, qué vergüenza",
            "La emisora comunitaria de {muni} lleva {n} días fuera del aire y nadie explica por qué",
        ],
        "queja": [
            "Fui a reclamar el decodificador en {muni} y el funcionario me dijo que volviera otro día sin explicarme nada",
            "La atención para lo de la TDT es un asco, nadie sabe nada y lo mandan a uno de un lado a otro",
            "En la jornada de entrega de decodificadores de {muni} nos tuvieron {n} horas bajo el sol",
        ],
        "peticion": [
            "¿Cómo se sintoniza la TDT en un televisor viejo? Vivo en {muni}",
            "¿Dónde entregan decodificadores gratis en {depto}?",
            "¿Qué necesita una emisora comunitaria para renovar la licencia?",
            "¿La señal de TDT llega a la vereda {vereda}, {muni}? Quiero comprar la antena",
        ],
        "sugerencia": [
            "Deberían hacer videos cortos explicando cómo instalar la antena de TDT, a los abuelos les cuesta",
            "Propongo más programación regional en la TV pública, con contenidos de {depto}",
            "Sería chévere que las emisoras comunitarias tuvieran capacitación en producción digital",
        ],
        "denuncia": [
            ("Están vendiendo a {monto} los decodificadores que el gobierno entrega gratis en {muni}", None, (FRAUD,)),
            "Una emisora sin licencia está tapando la señal de la emisora comunitaria de {muni}",
        ],
        "felicitacion": [
            "Por fin llegó la TDT a {muni}, se ve nítido, gracias",
            "Gracias por el decodificador, mi abuela feliz viendo sus novelas",
            "Bacano el apoyo a las emisoras comunitarias, la de {muni} suena muy bien",
        ],
        "otro": [
            "¿Alguien más viendo el partido por TDT en {muni}?",
            ("La emisora de mi pueblo pone vallenatos todo el día y así está bien jaja", POS, ()),
            ("Dicen que la televisión abierta la van a apagar el otro año y toca pagar cable", None, (MISINFO,)),
        ],
    },
    "servicios_postales": {
        "reclamo": [
            "Envié un paquete por correo certificado a {muni} hace {n_sem} semanas y no ha llegado",
            "La guía de mi envío dice 'en tránsito' desde hace {n} días, ¿dónde está mi paquete?",
            "Me llegó la caja rota y con cosas faltantes, envío desde {muni}",
            "El giro postal que me mandaron a {muni} no aparece, y lo necesito para el arriendo",
        ],
        "queja": [
            "En la oficina de correos de {muni} atienden con una mala cara terrible y solo hay una ventanilla",
            "El mensajero dijo que vino a mi casa y mentira, nadie vino, y ahora toca ir a recoger a la oficina",
            "Llevo {n} días llamando a la línea de correos y no contesta nadie",
        ],
        "peticion": [
            "¿Quién vigila a las empresas de mensajería? Quiero poner una queja formal",
            "¿Cómo hago un reclamo por un envío perdido? Ya pasaron {n} días",
            "¿Cuánto se demora un envío certificado de Bogotá a {muni}?",
        ],
        "sugerencia": [
            "Deberían tener rastreo en tiempo real de los envíos, como las empresas privadas",
            "Ojalá abrieran una oficina de correos en {muni}, toca ir hasta la capital",
        ],
        "denuncia": [
            "Denuncio que en la oficina de correos de {muni} abren los paquetes y sacan cosas",
            ("Un supuesto mensajero está pidiendo {monto} por liberar paquetes 'retenidos', es estafa", None, (FRAUD,)),
        ],
        "felicitacion": [
            "Llegó mi paquete a {muni} en {n} días, rapidísimo, gracias",
            "Muy amable la señora de la oficina de correos de {muni}, me ayudó con todo",
        ],
        "otro": [
            ("¿Todavía hay gente que manda cartas? Yo le mandé una a mi abuela en {muni} jaja", POS, ()),
            "Hoy es día de pagar facturas y la fila de correos le da la vuelta a la cuadra",
        ],
    },
    "espectro": {
        "reclamo": [
            "Hay una interferencia horrible en la frecuencia de la emisora de {muni}, no se escucha nada",
            "Desde que pusieron la antena nueva en {muni} no funciona el radio de la finca",
            "Nuestra solicitud de permiso de uso del espectro lleva {n_sem} semanas sin respuesta",
        ],
        "queja": [
            "El trámite de la licencia de radioaficionado es eterno y nadie da razón",
            "Fuimos a la mesa técnica de espectro en {depto} y el funcionario ni nos escuchó",
        ],
        "peticion": [
            "¿Cuándo es la subasta del 5G? ¿Llegará a municipios como {muni}?",
            "¿Cómo solicito una licencia de radioaficionado?",
            "¿Dónde se reportan interferencias en una frecuencia? En {muni} hay una muy fuerte",
        ],
        "sugerencia": [
            "Deberían exigir cobertura rural a quien gane el espectro del 5G, no solo ciudades",
            "Propongo publicar un mapa de las interferencias reportadas para que los usuarios sepan",
        ],
        "denuncia": [
            "Hay una emisora pirata en {muni} transmitiendo sin licencia, interfiere con la comunitaria",
            "Un señor en {muni} vende repetidores de señal ilegales que dañan la red",
        ],
        "felicitacion": [
            "Buenísimo que asignaran espectro para internet rural, ojalá llegue pronto a {depto}",
            "Gracias por resolver lo de la interferencia en {muni}, ya se escucha la emisora",
        ],
        "otro": [
            "¿El 5G da cáncer? Mi tía dice que sí y no me deja en paz",
            "Leyendo sobre el espectro radioeléctrico, es más complicado de lo que pensaba",
        ],
    },
    "computadores_para_educar": {
        "reclamo": [
            "Los computadores que llegaron al colegio de {vereda} en {muni} vinieron sin cargador",
            "En la sede {vereda} de {muni} los portátiles de Computadores para Educar están dañados hace {n_sem} semanas",
            "Nos prometieron las tabletas para la escuela de {vereda} desde el año pasado y nada",
        ],
        "queja": [
            "El técnico de Computadores para Educar no volvió a la escuela de {vereda}, los profes estamos solos",
            "La capacitación para docentes en {muni} fue una pérdida de tiempo, el tallerista ni llegó",
        ],
        "peticion": [
            "¿Cómo postulo mi colegio a Computadores para Educar? Soy rector en {muni}",
            "¿Qué hacemos con los computadores viejos del colegio? ¿Los recogen?",
            "Solicito información sobre la garantía de los portátiles entregados en {muni}",
        ],
        "sugerencia": [
            "Deberían entregar los computadores con internet incluido, en {vereda} no sirven sin conexión",
            "Sería bueno que la formación docente de Computadores para Educar fuera virtual también",
        ],
        "denuncia": [
            "En el colegio de {muni} el rector se llevó para la casa los portátiles de Computadores para Educar",
            "Están vendiendo en {muni} computadores con el logo de Computadores para Educar, eso es del Estado",
        ],
        "felicitacion": [
            "Mis estudiantes de {vereda} felices con los computadores nuevos, gracias Computadores para Educar",
            "Qué chimba ver a los niños de {muni} programando en los portátiles que llegaron",
        ],
        "otro": [
            ("Con el computador que me tocó en el colegio aprendí Excel jaja, todavía prende", POS, ()),
            "Hoy entregaron computadores en {muni}, salió hasta en el noticiero local",
        ],
    },
    "formacion_tic": {
        "reclamo": [
            "Terminé el curso de {curso} de Talento TI y el certificado no aparece en la plataforma",
            "La plataforma de Misión TIC me saca cada vez que voy a presentar la prueba",
            "Me inscribí a Talento TI hace {n_sem} semanas y nunca me llegó el correo de confirmación",
            "Perdí el módulo de {curso} porque la plataforma se cayó en pleno examen",
        ],
        "queja": [
            "El tutor de {curso} en Misión TIC no responde dudas, solo lee las diapositivas",
            "Escribí {n} veces a soporte de Talento TI y me responden con un mensaje automático",
            "El coordinador del bootcamp fue muy despectivo con los que vivimos en regiones",
        ],
        "peticion": [
            "¿Cuándo abren convocatoria de Talento TI 2027? Quiero estudiar {curso}",
            "¿Los cursos de Misión TIC sirven para personas de {edad} años?",
            "¿Cómo recupero la contraseña de la plataforma de Talento TI?",
            "¿Cuáles son los requisitos para la beca de {curso}? Soy de {muni}",
            "¿Hay cursos de {curso} para personas con discapacidad visual?",
        ],
        "sugerencia": [
            "Deberían dar los cursos de {curso} también en horario nocturno, muchos trabajamos de día",
            "Propongo que Talento TI tenga cupos especiales para {depto}, acá casi nadie sabe de la convocatoria",
            "Sería bacano que los cursos se pudieran descargar para verlos sin internet",
        ],
        "denuncia": [
            ("Hay gente cobrando {monto} por 'asegurar' un cupo en Talento TI, eso es gratis, pilas", None, (FRAUD,)),
            ("Una página en Facebook pide datos y plata para inscribirse a Misión TIC, es falsa", None, (FRAUD,)),
        ],
        "felicitacion": [
            "Gracias a Misión TIC conseguí mi primer trabajo como desarrollador en {muni}",
            "Terminé el curso de {curso} de Talento TI, excelente contenido, gracias MinTIC",
            "El profe de {curso} de Talento TI es un berraco, explica súper bien",
        ],
        "otro": [
            ("Primer día del curso de {curso} y ya me duele la cabeza jajaja", POS, ()),
            ("Mi mamá se inscribió a Talento TI a los {edad} años, la admiro", POS, ()),
        ],
    },
    "gobierno_digital": {
        "reclamo": [
            "La página de trámites en línea no deja subir el PDF, sale error y ya van {n} intentos",
            "La Carpeta Ciudadana no me carga los documentos desde {dia}",
            "El trámite que radiqué hace {n_sem} semanas sigue 'en revisión' y ya se vencieron los términos",
            "No me llega el código de verificación para entrar a la página del ministerio",
        ],
        "queja": [
            "El chat de atención de la página dice que responde en minutos y llevo {n} horas esperando",
            "En la ventanilla me dijeron que el trámite era en línea y en línea me dicen que es presencial",
        ],
        "peticion": [
            "¿Cómo descargo el certificado de mi trámite? No encuentro la opción",
            "Solicito copia del radicado de mi petición, la hice {dia}",
            "¿Qué documentos piden para registrarse como proveedor de redes y servicios?",
            "¿Cuánto se demora la respuesta de un derecho de petición?",
        ],
        "sugerencia": [
            "La página de trámites debería funcionar bien desde el celular, en computador es otra cosa",
            "Deberían avisar el estado del trámite por correo o WhatsApp",
        ],
        "denuncia": [
            ("Un tramitador en {muni} cobra {monto} por hacer trámites que son gratis en la página del ministerio", None, (FRAUD,)),
            "Me pidieron 'una colaboración' para agilizar mi trámite, eso es corrupción",
        ],
        "felicitacion": [
            "Hice el trámite en línea en {n} minutos, muy fácil, felicitaciones al equipo de Gobierno Digital",
            "Muy buena la Carpeta Ciudadana, ya tengo todos mis documentos en un solo lugar",
        ],
        "otro": [
            ("Trámite en línea a las 11 de la noche, así somos los colombianos jaja", POS, ()),
            "Hoy aprendí qué es la Carpeta Ciudadana, tocaba",
        ],
    },
    "ciberseguridad_fraude": {
        "reclamo": [
            ("Reporté una página falsa del ministerio hace {n} días y sigue funcionando", None, (FRAUD,)),
            "Me hackearon el WhatsApp y la línea de ayuda que publicaron no funciona",
        ],
        "queja": [
            ("Fui a denunciar una estafa con el nombre del MinTIC y el funcionario me dijo que eso no era con ellos", None, (FRAUD,)),
        ],
        "peticion": [
            ("¿Este link es del MinTIC? Me llegó por mensaje de texto: https://example.invalid/premio-mintic", None, (FRAUD,)),
            ("¿Dónde se denuncia un perfil falso que usa el logo del ministerio?", None, (FRAUD,)),
            "¿Tienen alguna guía para que los abuelos no caigan en estafas por WhatsApp?",
        ],
        "sugerencia": [
            ("Deberían verificar todas las cuentas oficiales, hay muchas falsas usando su nombre", None, (FRAUD,)),
            "Propongo campañas de ciberseguridad en las emisoras comunitarias de {depto}",
        ],
        "denuncia": [
            ("Me llamaron diciendo que eran del MinTIC y que me gané un computador, me pidieron {monto} para el envío 🚩", None, (FRAUD,)),
            ("Hay un perfil de Facebook que se hace pasar por el Ministerio y pide datos bancarios", None, (FRAUD,)),
            ("Me llegó un correo 'del MinTIC' con un archivo adjunto raro, creo que es phishing", None, (FRAUD,)),
            ("Están circulando los datos de los inscritos a Misión TIC en un grupo de Telegram", None, (LEAK,)),
        ],
        "felicitacion": [
            "Gracias por la alerta de estafas, mi mamá casi cae con el mensaje del subsidio",
            "Muy buena la charla de ciberseguridad en el colegio de {muni}",
        ],
        "otro": [
            ("Qué miedo los estafadores de ahora, ya hasta usan voces con IA", NEG, ()),
            ("Ojo que hackearon la cuenta del ministerio, están publicando cosas raras", NEG, (LEAK, MISINFO)),
        ],
    },
    "operadores_usuarios": {
        "reclamo": [
            "Llevo {n} días sin señal en {muni} y el operador dice que es problema de la zona",
            "Me cobraron un plan que nunca pedí y el operador no me quiere devolver la plata",
            "Pagué la factura y me cortaron el internet igual, ya van {n} días",
            "Pedí la portabilidad hace {n_sem} semanas y sigo sin línea",
            "El operador me subió la tarifa sin avisar, {monto} más al mes",
        ],
        "queja": [
            "El asesor del operador me colgó {n} veces, qué falta de respeto",
            "En el punto de atención de {muni} lo tienen a uno {n} horas esperando para nada",
            "Puse un PQR al operador hace {n_sem} semanas y nunca respondieron, ¿ustedes qué hacen?",
            ("Ese asesor del punto de atención de {muni} que se cuide, la gente está muy berraca con él", None, (THREAT,)),
        ],
        "peticion": [
            "¿Dónde pongo una queja contra mi operador de celular si no me responden?",
            "¿Cuáles son mis derechos si el operador no me da cobertura en {muni}?",
            "¿El operador puede cobrarme por cancelar el contrato?",
        ],
        "sugerencia": [
            "Deberían obligar a los operadores a poner antenas en {muni}, acá no entra llamada",
            "Propongo una app donde uno vea qué operador tiene mejor señal en cada municipio",
        ],
        "denuncia": [
            ("Unos supuestos asesores están vendiendo líneas a nombre de otras personas en {muni}", None, (FRAUD,)),
            ("Me están llegando cobros de una línea que nunca saqué, alguien usó mis datos", None, (FRAUD,)),
        ],
        "felicitacion": [
            "Por fin me solucionaron lo de la señal en {muni}, gracias por la ayuda",
            "Gracias, después de escribirles el operador me devolvió la plata",
        ],
        "otro": [
            ("En {muni} pa' tener señal toca subirse al palo de mango jajaja", POS, ()),
            "Mi plan de datos se acaba más rápido que la quincena",
        ],
    },
    "empleo_convocatorias": {
        "reclamo": [
            "Me presenté a la convocatoria y los resultados que prometieron para {dia} todavía no salen",
            "La plataforma de la convocatoria no deja cargar la hoja de vida, error tras error",
            "Gané la convocatoria de contratistas y llevo {n_sem} semanas sin que me paguen",
        ],
        "queja": [
            "En la entrevista de la convocatoria nos trataron horrible, ni nos miraban",
            "Nadie responde los correos de la convocatoria, {n} correos enviados y nada",
        ],
        "peticion": [
            "¿Hay vacantes para ingenieros de sistemas en el ministerio? Soy de {muni}",
            "¿Dónde publican los resultados de la convocatoria de prácticas?",
            "¿Aceptan tecnólogos en la convocatoria de contratistas?",
        ],
        "sugerencia": [
            "Deberían publicar las convocatorias con más tiempo, {n} días no alcanzan",
            "Ojalá abrieran convocatorias de prácticas para estudiantes de {depto}",
        ],
        "denuncia": [
            "La convocatoria ya tenía ganadores escogidos, puro amiguismo, qué vergüenza",
            ("Están cobrando {monto} por 'ayudar' a pasar la convocatoria del ministerio", None, (FRAUD,)),
        ],
        "felicitacion": [
            "Pasé la convocatoria de prácticas del MinTIC, gracias por la oportunidad",
            "Muy claro el proceso de la convocatoria, así debería ser todo",
        ],
        "otro": [
            "Buscando trabajo en tecnología desde {muni}, deséenme suerte",
            ("Las convocatorias del Estado piden más requisitos que una visa jaja", NEG, ()),
        ],
    },
}

# Posts that are about nothing the ministry handles: category "otro", no topic.
OFF_TOPIC_BANK: list[Entry] = [
    ("Buenos días Colombia ☀️ feliz {dia_semana}", POS, ()),
    "¿Alguien sabe si el lunes es festivo?",
    "Primera vez que comento acá, saludos desde {muni}",
    "Gana dinero desde tu casa 💸 escríbeme al DM",
    ("jajaja el community manager de esta cuenta se merece un aumento", POS, ()),
    "¿Y el partido de hoy a qué hora es?",
    "Sigan mi página de recetas de {depto} 🍲",
    ("Qué calor tan berraco hace en {muni} hoy", NEG, ()),
]

# A few English posts (tourists, expats): language detection has to see them.
ENGLISH_BANK: list[tuple[str, str, str, str]] = [  # (text, category, topic, sentiment)
    ("Hi, is the Misión TIC bootcamp open to foreigners living in {muni}?", "peticion", "formacion_tic", NEU),
    ("Great initiative, the free WiFi zone in {muni} worked perfectly", "felicitacion", "conectividad", POS),
    ("The government website keeps crashing when I upload documents, terrible service", "reclamo", "gobierno_digital", NEG),
    ("Got a text message claiming to be from the ministry asking for my bank details. Scam?", "denuncia", "ciberseguridad_fraude", NEG),
    ("No mobile signal at all near {muni} for days, any update?", "reclamo", "operadores_usuarios", NEG),
    ("How do I send a registered letter abroad from {muni}?", "peticion", "servicios_postales", NEU),
]

# --- episodes ----------------------------------------------------------------------------------------

# (text, category, topic, sentiment, flags, phase) phase: "during" the outage or "after" it is fixed.
EpisodeEntry = tuple[str, str, str, str, tuple[str, ...], str]
TALENTO = "formacion_tic"
GOBDIG = "gobierno_digital"
CIBER = "ciberseguridad_fraude"

OUTAGE_BANK: list[EpisodeEntry] = [
    ("La plataforma de inscripción de Talento TI está caída y hoy es el último día, ¿qué hacemos?", "reclamo", TALENTO, NEG, (OUTAGE,), "during"),
    ("No carga la página de inscripción de Talento TI, sale error 503 desde {hora_c}", "reclamo", TALENTO, NEG, (OUTAGE,), "during"),
    ("Llevo {h} horas intentando inscribirme a Talento TI y nada, la página no abre", "reclamo", TALENTO, NEG, (OUTAGE,), "during"),
    ("Se cayó la plataforma justo el último día de inscripciones, qué vergüenza", "reclamo", TALENTO, NEG, (OUTAGE,), "during"),
    ("Error 503 en la inscripción de Talento TI, ya probé desde el celular y desde el computador", "reclamo", TALENTO, NEG, (OUTAGE,), "during"),
    ("La página del MinTIC no abre, ni la de trámites ni la de Talento TI", "reclamo", GOBDIG, NEG, (OUTAGE,), "during"),
    ("Me sale 'servicio no disponible' cuando le doy inscribir, ya perdí toda la mañana", "reclamo", TALENTO, NEG, (OUTAGE,), "during"),
    ("Llené todo el formulario de Talento TI y al enviar se cayó, toca empezar de nuevo 😭", "reclamo", TALENTO, NEG, (OUTAGE,), "during"),
    ("Desde {muni} tampoco carga la página de inscripción, no es el internet de uno", "reclamo", TALENTO, NEG, (OUTAGE,), "during"),
    ("¿Es en serio? La plataforma de Talento TI caída el último día y sin ningún aviso", "reclamo", TALENTO, NEG, (OUTAGE,), "during"),
    ("La página de trámites en línea del ministerio tampoco funciona, todo caído", "reclamo", GOBDIG, NEG, (OUTAGE,), "during"),
    ("No deja ni iniciar sesión en la plataforma de Talento TI, se queda cargando y cargando", "reclamo", TALENTO, NEG, (OUTAGE,), "during"),
    ("Van {h} horas con la plataforma caída y ni un comunicado, un asco", "reclamo", TALENTO, NEG, (OUTAGE,), "during"),
    ("Llamé a la línea de atención por la caída de la plataforma y nadie contesta", "queja", TALENTO, NEG, (OUTAGE,), "during"),
    ("El chat de soporte de Talento TI solo dice 'intente más tarde', ¿esa es la atención que dan?", "queja", TALENTO, NEG, (OUTAGE,), "during"),
    ("Miles de personas sin poder inscribirse y ustedes publicando otras cosas, respondan", "queja", TALENTO, NEG, (OUTAGE,), "during"),
    ("¿Van a ampliar el plazo de inscripción de Talento TI por la caída de la plataforma?", "peticion", TALENTO, NEU, (OUTAGE,), "during"),
    ("¿Qué hacemos los que no pudimos inscribirnos por la caída? Porfa respondan", "peticion", TALENTO, NEG, (OUTAGE,), "during"),
    ("¿Hay otro link para inscribirse? La plataforma de Talento TI no funciona", "peticion", TALENTO, NEU, (OUTAGE,), "during"),
    ("¿A qué hora vuelve la plataforma? Necesito terminar la inscripción", "peticion", TALENTO, NEU, (OUTAGE,), "during"),
    ("Ojo: están vendiendo 'cupos asegurados' de Talento TI por WhatsApp aprovechando la caída 🚩", "denuncia", CIBER, NEG, (FRAUD,), "during"),
    ("Un perfil falso está compartiendo un 'link alterno' de inscripción a Talento TI, no lo abran, es estafa", "denuncia", CIBER, NEG, (FRAUD,), "during"),
    ("Me escribieron que por {monto} me inscriben aunque la plataforma esté caída, eso es estafa", "denuncia", CIBER, NEG, (FRAUD,), "during"),
    ("La plataforma de Talento TI más caída que mi ánimo un lunes 😂", "otro", TALENTO, NEG, (OUTAGE,), "during"),
    ("Todo Colombia dándole F5 a la página de Talento TI jajaja", "otro", TALENTO, NEU, (OUTAGE,), "during"),
    ("Cuando por fin te decides a estudiar y se cae la plataforma 🤡", "otro", TALENTO, NEG, (OUTAGE,), "during"),
    ("Ya funciona la plataforma, por fin me pude inscribir, gracias por ampliar el plazo", "felicitacion", TALENTO, POS, (), "after"),
    ("Gracias por ampliar el plazo de Talento TI, así sí", "felicitacion", TALENTO, POS, (), "after"),
    ("Dicen que ya funciona pero a mí me sigue saliendo error en la inscripción", "reclamo", TALENTO, NEG, (OUTAGE,), "after"),
    ("Listo, ya quedé inscrito en {curso} 🙌 después de {h} horas de sufrimiento", "otro", TALENTO, POS, (), "after"),
]

SCAM_BANK: list[EpisodeEntry] = [
    ("Me llegó un WhatsApp que dice que el MinTIC regala portátiles y piden {monto} para el envío 🚩 ¡estafa!", "denuncia", CIBER, NEG, (FRAUD,), "during"),
    ("Están suplantando al MinTIC con un mensaje de 'portátiles gratis', no den sus datos", "denuncia", CIBER, NEG, (FRAUD,), "during"),
    ("Pilas, la página 'MinTIC portátiles' pide número de cuenta y clave, es phishing", "denuncia", CIBER, NEG, (FRAUD,), "during"),
    ("A mi papá casi lo estafan con lo del portátil gratis del ministerio, ya iba a consignar {monto}", "denuncia", CIBER, NEG, (FRAUD,), "during"),
    ("Un número de {depto} está mandando el mensaje del portátil gratis del MinTIC, ya lo reporté", "denuncia", CIBER, NEG, (FRAUD,), "during"),
    ("¿Es verdad que el MinTIC está regalando portátiles? Me llegó este link: https://example.invalid/portatil-gratis", "peticion", CIBER, NEU, (FRAUD,), "during"),
    ("¿Lo del computador gratis del MinTIC es real o es estafa? Respondan porfa", "peticion", CIBER, NEU, (FRAUD,), "during"),
    ("¡Compartan! El MinTIC regala portátiles a estudiantes, solo toca registrarse en el link 💻🎁", "otro", CIBER, POS, (FRAUD, MISINFO), "during"),
    ("Mi tía ya mandó lo de los portátiles gratis del MinTIC a todos los grupos de la familia 🤦", "otro", CIBER, NEG, (FRAUD,), "during"),
    ("Gracias por aclarar lo de los portátiles falsos, ya le avisé a mi familia", "felicitacion", CIBER, POS, (FRAUD,), "after"),
]


@dataclass(frozen=True)
class Episode:
    """A crisis window; its posts carry `raw.label.episode == name`."""

    name: str
    title: str  # Spanish, for the README
    start: datetime  # aware UTC
    end: datetime
    peak_per_hour: float  # extra citizen posts per hour at the peak
    ramp_hours: float  # from start to the peak
    plateau_hours: float
    half_life_hours: float  # decay after the plateau
    bank: tuple[EpisodeEntry, ...]
    recovered_at: datetime  # from here on, "after" posts (the service is back / the ministry clarified)
    platform_share: tuple[tuple[Platform, float], ...]


def episodes_for(monday: datetime) -> tuple[Episode, ...]:
    """The week's two crisis episodes, placed relative to its Monday 00:00 (Bogotá)."""
    wed, fri = monday + timedelta(days=2), monday + timedelta(days=4)
    return (
        Episode(
            name="caida_plataforma_talento_ti",
            title="Caída de la plataforma de inscripción de Talento TI (último día de inscripciones)",
            start=_utc(wed + timedelta(hours=10)),
            end=_utc(wed + timedelta(hours=15)),
            peak_per_hour=180.0,
            ramp_hours=1.5,
            plateau_hours=1.0,
            half_life_hours=0.6,
            bank=tuple(OUTAGE_BANK),
            recovered_at=_utc(wed + timedelta(hours=14, minutes=40)),
            platform_share=((Platform.X, 0.6), (Platform.FACEBOOK, 0.25), (Platform.INSTAGRAM, 0.15)),
        ),
        Episode(
            name="suplantacion_portatiles_gratis",
            title="Estafa que suplanta al MinTIC ofreciendo portátiles gratis por WhatsApp",
            start=_utc(fri + timedelta(hours=16)),
            end=_utc(fri + timedelta(hours=20)),
            peak_per_hour=50.0,
            ramp_hours=1.5,
            plateau_hours=1.0,
            half_life_hours=0.5,
            bank=tuple(SCAM_BANK),
            recovered_at=_utc(fri + timedelta(hours=18, minutes=20)),
            platform_share=((Platform.X, 0.55), (Platform.FACEBOOK, 0.3), (Platform.INSTAGRAM, 0.15)),
        ),
    )


# --- the ministry's own posts and replies -----------------------------------------------------------

OWN_POST_BANK: dict[str, list[str]] = {
    "conectividad": [
        "📶 Ya son más de {miles} mil Centros Digitales funcionando en zonas rurales. Conoce si hay uno cerca de ti 👉 {link} #CentrosDigitales",
        "Con las Zonas Wi-Fi gratis, {muni} ({depto}) tiene internet en sus parques y plazas 🙌 {link} #ZonasWiFi",
        "¿Tu hogar es estrato 1 o 2? Conoce cómo acceder al internet de Última Milla 🏠💻 {link} #UltimaMilla",
    ],
    "television_radio": [
        "📺 La Televisión Digital Terrestre es gratis. Aprende a sintonizarla en 3 pasos 👉 {link} #TDT",
        "📻 Abrimos la convocatoria para fortalecer emisoras comunitarias de {depto} 👉 {link} #RadioComunitaria",
    ],
    "servicios_postales": [
        "📦 ¿Tu envío no llegó? Conoce tus derechos como usuario de servicios postales 👉 {link} #ServiciosPostales",
    ],
    "espectro": [
        "📡 Publicamos para comentarios el proyecto de resolución sobre espectro para internet rural 👉 {link} #Espectro",
        "Así avanza la asignación de espectro para llevar 5G a más municipios 👉 {link} #5G",
    ],
    "computadores_para_educar": [
        "💻 Computadores para Educar entregó {n_cpe} equipos a sedes educativas de {depto} esta semana 🎒 {link} #ComputadoresParaEducar",
    ],
    "formacion_tic": [
        "🚀 ¡Inscríbete en #TalentoTI! Cursos gratuitos de {curso} con certificación 👉 {link}?utm_source=redes&utm_campaign=talentoti2026",
        "Más de {miles} mil colombianos ya se formaron en habilidades digitales con #MisiónTIC 💪 {link}",
        "🎓 Abrimos #BecasTIC 2026: becas para formarte en {curso} si eres joven de estrato 1, 2 o 3 👉 {link}?utm_source=redes&utm_campaign=becastic2026",
    ],
    "gobierno_digital": [
        "🗂️ Con la Carpeta Ciudadana tienes tus documentos en un solo lugar. Actívala aquí 👉 {link} #GobiernoDigital",
        "Haz tus trámites en línea, sin filas y desde tu celular 📱 {link} #TrámitesEnLínea",
    ],
    "ciberseguridad_fraude": [
        "🔐 MinTIC nunca te pedirá dinero ni claves por WhatsApp o llamada. Si recibes un mensaje sospechoso, repórtalo 👉 {link} #Ciberseguridad",
        "Tips para que tus papás no caigan en estafas digitales 👵👴 {link}?utm_source=redes&utm_campaign=nocaigas #NoCaigasEnLaTrampa",
    ],
    "operadores_usuarios": [
        "📱 ¿Tu operador no responde tu PQR? Conoce tus derechos como usuario de telefonía e internet 👉 {link} #DerechosDeLosUsuarios",
    ],
    "empleo_convocatorias": [
        "💼 Abrimos convocatoria de prácticas laborales en el Ministerio TIC. Postúlate 👉 {link} #Convocatoria",
        "¿Eres profesional en TI? Consulta las vacantes abiertas del sector 👉 {link} #EmpleoTIC",
    ],
}

# (local day offset from Monday, hour, minute, topic, episode or None, flags, text)
SPECIAL_OWN_POSTS: tuple[tuple[int, int, int, str, str | None, tuple[str, ...], str], ...] = (
    (2, 7, 30, TALENTO, "caida_plataforma_talento_ti", (),
     "📢 ¡Hoy es el último día para inscribirte en #TalentoTI! Cursos gratuitos de programación, datos e IA 👉 {link}"),
    (2, 11, 45, TALENTO, "caida_plataforma_talento_ti", (OUTAGE,),
     "⚠️ Estamos presentando intermitencia en la plataforma de inscripción de #TalentoTI. Nuestro equipo trabaja para "
     "restablecerla lo antes posible. Te mantendremos informado."),
    (2, 14, 50, TALENTO, "caida_plataforma_talento_ti", (),
     "✅ La plataforma de inscripción de #TalentoTI ya funciona. Ampliamos el plazo hasta el viernes a las 11:59 p. m. "
     "Gracias por tu paciencia 🙏 {link}"),
    (4, 18, 10, CIBER, "suplantacion_portatiles_gratis", (FRAUD,),
     "🚨 ¡Alerta! Circula un mensaje FALSO que ofrece portátiles gratis a nombre del MinTIC. No regalamos equipos por "
     "WhatsApp ni pedimos pagos. No compartas tus datos. #Ciberseguridad"),
)

OWN_REPLY_BANK: dict[str, list[str]] = {
    "peticion": [
        "Hola{to} 👋 Puedes consultar la información en {link}. Si tienes más dudas, escríbenos por mensaje directo.",
        "Hola{to}, gracias por escribirnos. Encuentras los requisitos y pasos en {link} 😉",
        "Hola{to}, te compartimos la información aquí: {link}. ¡Quedamos atentos!",
    ],
    "reclamo": [
        "Hola{to}, lamentamos lo ocurrido. Envíanos por mensaje directo tu número de documento y municipio para escalar el caso con el equipo técnico.",
        "Hola{to}, gracias por reportarlo. Ya trasladamos tu caso al área encargada; te contactaremos pronto.",
        "Hola{to}, qué pena la situación. Por favor radica tu caso en {link} para hacerle seguimiento.",
    ],
    "queja": [
        "Hola{to}, gracias por contarnos. Tu caso fue remitido al área encargada; también puedes radicar tu PQRSD en {link}.",
        "Hola{to}, lamentamos tu experiencia. Escríbenos por mensaje directo para revisar lo sucedido.",
    ],
    "denuncia": [
        "Hola{to}, gracias por reportarlo. Recuerda que MinTIC no cobra por sus programas. Puedes radicar la denuncia en {link}.",
        "Hola{to}, gracias por avisar 🙏 Trasladamos tu denuncia a las autoridades competentes.",
    ],
    "felicitacion": [
        "¡Gracias{to}! 💙 Seguimos trabajando por una Colombia conectada.",
        "¡Qué bueno leerte{to}! Gracias por tu mensaje 🙌",
    ],
    "sugerencia": [
        "Gracias por tu sugerencia{to}. La compartimos con el equipo del programa 🙌",
        "Hola{to}, gracias por la idea, la tendremos en cuenta.",
    ],
    "otro": [
        "¡Hola{to}! 👋 Gracias por seguirnos.",
    ],
    "caida_plataforma_talento_ti": [
        "Hola{to}, estamos presentando intermitencia en la plataforma de inscripción. Nuestro equipo ya trabaja para restablecerla; te mantendremos informado.",
        "Hola{to}, ya la plataforma funciona y ampliamos el plazo de inscripción hasta el viernes. ¡Gracias por tu paciencia!",
    ],
    "suplantacion_portatiles_gratis": [
        "Hola{to}, ese mensaje es FALSO 🚫 MinTIC no regala portátiles por WhatsApp ni pide pagos. No compartas tus datos.",
    ],
}

FOLLOW_UP_BANK: list[tuple[str, str, str]] = [  # (text, category, sentiment)
    ("Gracias por responder 🙏", "felicitacion", POS),
    ("Listo, ya les escribí por interno, gracias", "felicitacion", POS),
    ("Muy amables, quedo pendiente", "felicitacion", POS),
    ("Eso mismo me dijeron la semana pasada y nada", "reclamo", NEG),
    ("Ya les mandé el mensaje directo y nadie responde", "reclamo", NEG),
    ("Respuesta automática, como siempre 🙄", "queja", NEG),
    ("Sigo igual, sin solución", "reclamo", NEG),
    ("¿Y cuánto se demoran en responder el mensaje?", "peticion", NEU),
    ("El link no abre, ¿tienen otro?", "peticion", NEU),
]

# --- phrasing material ------------------------------------------------------------------------------

PLACES = (
    ("Quibdó", "Chocó"), ("Tumaco", "Nariño"), ("Pasto", "Nariño"), ("Ipiales", "Nariño"),
    ("Riohacha", "La Guajira"), ("Uribia", "La Guajira"), ("Maicao", "La Guajira"), ("Mitú", "Vaupés"),
    ("Leticia", "Amazonas"), ("Puerto Carreño", "Vichada"), ("Inírida", "Guainía"),
    ("San José del Guaviare", "Guaviare"), ("Mocoa", "Putumayo"), ("Florencia", "Caquetá"),
    ("Yopal", "Casanare"), ("Arauca", "Arauca"), ("Saravena", "Arauca"), ("Villavicencio", "Meta"),
    ("Granada", "Meta"), ("Neiva", "Huila"), ("Pitalito", "Huila"), ("Ibagué", "Tolima"),
    ("Chaparral", "Tolima"), ("Popayán", "Cauca"), ("Silvia", "Cauca"), ("Guapi", "Cauca"),
    ("Buenaventura", "Valle del Cauca"), ("Tuluá", "Valle del Cauca"), ("Cali", "Valle del Cauca"),
    ("Cartago", "Valle del Cauca"), ("Pereira", "Risaralda"), ("Manizales", "Caldas"), ("Riosucio", "Caldas"),
    ("Armenia", "Quindío"), ("Medellín", "Antioquia"), ("Turbo", "Antioquia"), ("Apartadó", "Antioquia"),
    ("Yarumal", "Antioquia"), ("Montería", "Córdoba"), ("Lorica", "Córdoba"), ("Sincelejo", "Sucre"),
    ("Corozal", "Sucre"), ("Cartagena", "Bolívar"), ("Magangué", "Bolívar"), ("Barranquilla", "Atlántico"),
    ("Soledad", "Atlántico"), ("Santa Marta", "Magdalena"), ("Ciénaga", "Magdalena"), ("Valledupar", "Cesar"),
    ("Aguachica", "Cesar"), ("Cúcuta", "Norte de Santander"), ("Ocaña", "Norte de Santander"),
    ("Tibú", "Norte de Santander"), ("Bucaramanga", "Santander"), ("Barrancabermeja", "Santander"),
    ("San Gil", "Santander"), ("Tunja", "Boyacá"), ("Sogamoso", "Boyacá"), ("Chiquinquirá", "Boyacá"),
    ("Zipaquirá", "Cundinamarca"), ("Fusagasugá", "Cundinamarca"), ("Girardot", "Cundinamarca"),
    ("Soacha", "Cundinamarca"), ("Bogotá", "Bogotá D. C."), ("San Andrés", "San Andrés y Providencia"),
)  # fmt: skip
VEREDAS = (
    "La Esperanza", "El Silencio", "San Isidro", "Las Palmas", "El Porvenir", "La Floresta", "Santa Rosa",
    "Buenavista", "El Retiro", "La Unión", "Alto Bonito", "El Diamante", "La Pradera", "Monteloro",
    "Quebrada Negra", "El Tambo", "Las Brisas", "Guayabal", "El Roble", "Villa Nueva",
)  # fmt: skip
CURSOS = (
    "programación", "análisis de datos", "ciberseguridad", "inteligencia artificial", "desarrollo web",
    "computación en la nube", "inglés para TI", "diseño de videojuegos", "blockchain",
)  # fmt: skip
MONTOS = ("$20.000", "$35.000", "$50.000", "$80.000", "$150.000", "$200.000")
DIAS = ("el lunes", "el martes", "el miércoles", "el jueves", "el viernes", "el fin de semana", "ayer", "antier",
        "la semana pasada")  # fmt: skip
DIAS_SEMANA = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
HORAS = ("las 7 de la mañana", "las 10", "el mediodía", "las 3 de la tarde", "anoche", "las 6")

OPENERS = {
    "negative": ("Uy no,", "Señores,", "Qué pena, pero", "Buenas,", "Juepucha,", "Ave María,", "Otra vez lo mismo:",
                 "No puede ser,", "Hola,", "Parce,", "Hágame el favor:", "Les cuento que", "Una vez más:",
                 "Buenas tardes,", "Qué mamera,", "¿En serio?"),
    "request": ("Hola,", "Buenos días,", "Buenas tardes,", "Buenas noches,", "Qué pena molestar,", "Una pregunta:",
                "Hola, una consulta:", "Disculpen,", "Buen día,", "Cordial saludo,", "Sumercé, una pregunta:"),
    "idea": ("Hola,", "Buenas,", "Una idea:", "Propuesta:", "Oigan,", "Buenos días,", "Con todo respeto,"),
    "positive": ("Qué chimba,", "Bacano,", "Hola,", "Solo para decir que", "Muy bien,", "Ave María,", "Uy,",
                 "De una:", "Buenas,"),
    "neutral": ("Oigan,", "Hola,", "Bueno,", "Ojo,", "Parce,", "Pues", "A ver,"),
}  # fmt: skip
OPENER_KIND = {
    "reclamo": "negative", "queja": "negative", "denuncia": "negative", "peticion": "request",
    "sugerencia": "idea", "felicitacion": "positive", "otro": "neutral",
}  # fmt: skip
EXTRAS = {
    "reclamo": ("Ya puse la queja y nada.", "Y nadie da razón.", "Es la {n}ª vez que escribo.",
                "Ya llamé y nada.", "Necesitamos una solución ya.", "Así no se puede trabajar."),
    "queja": ("Así tratan al ciudadano.", "Nadie da la cara.", "Deberían capacitar a su gente."),
    "peticion": ("Es urgente.", "Lo necesito para esta semana.", "No encuentro la información en la página."),
    "sugerencia": ("Es una idea.", "Sería un golazo.", "Ahí les dejo la idea."),
    "denuncia": ("Tengo pantallazos.", "Ya tengo las pruebas.", "Que alguien investigue."),
    "felicitacion": ("Sigan así.", "Así sí.", "Se nota el trabajo."),
    "otro": ("Es lo que hay.", "Así es Colombia.", "Normal."),
}  # fmt: skip
CLOSERS = {
    "reclamo": ("¿Hasta cuándo?", "¡Qué vergüenza!", "Un asco.", "Exigimos respuesta.", "Me tienen mamado.",
                "¿Quién responde?", "Ya no sé a quién más escribirle.", "Qué boleta.", "Pésimo servicio."),
    "queja": ("Qué falta de respeto.", "Qué vergüenza.", "Pésima atención.", "Un asco.", "Qué boleta."),
    "peticion": ("Gracias.", "Muchas gracias.", "Quedo atenta.", "Quedo atento.", "Mil gracias.",
                 "Agradezco su respuesta.", "Gracias de antemano.", "Por favor, es urgente.", "¿Me pueden ayudar?"),
    "sugerencia": ("Ojalá lo tengan en cuenta.", "Sería chévere.", "Piénsenlo.", "Saludos."),
    "denuncia": ("Pilas con eso.", "Que investiguen.", "Ojo con eso.", "No más corrupción.",
                 "Compartan para que nadie caiga."),
    "felicitacion": ("¡Gracias!", "¡Bacano!", "¡Qué chimba!", "Los felicito.", "Dios les pague.", "Mil gracias.",
                     "Berraquísimo."),
    "otro": ("jaja", "jajaja", "😂", "Ni modo.", "Así es la vida."),
}  # fmt: skip
EMOJIS = {
    NEG: ("😡", "😤", "🙄", "😩", "😠", "🤬", "👎", "💔", "😒", "😭", "🤦‍♀️", "🤦‍♂️"),
    POS: ("🙌", "👏", "❤️", "😍", "💪", "🇨🇴", "✨", "🥳", "🙏", "💙", "😊", "👍"),
    NEU: ("🙏", "🤔", "👀", "📌", "😅", "🤷‍♂️"),
}
JOKE_EMOJIS = ("😂", "🤣", "😅", "🤡")
HANDLE_PREFIXES = ("ciudadano", "ciudadana", "usuario", "usuaria", "vecino", "vecina", "profe", "estudiante",
                   "lider", "tendero", "campesina", "ingeniera", "emprendedor", "abuela", "mama", "parcero")  # fmt: skip
SEARCH_PREFIXES = ("MinTIC,", "Ministerio TIC:", "Oigan MinTIC,")
SEARCH_SUFFIXES = ("cc MinTIC", "#MinTIC", "¿el MinTIC qué dice?", "y el Ministerio TIC bien gracias")

# --- noise: how people actually type ----------------------------------------------------------------

_ABBREVIATIONS = (
    (r"\bpor favor\b", ("porfa", "x fa", "porfavor", "porfis")),
    (r"\bporque\b", ("xq", "pq", "porq")),
    (r"\bque\b", ("q", "k", "q")),
    (r"\btambién\b", ("tmb", "tambien")),
    (r"\bpara\b", ("pa", "pa'")),
    (r"\bpues\b", ("ps",)),
    (r"\busted\b", ("ud",)),
    (r"\bhace\b", ("ase",)),
    (r"\ba ver\b", ("haber",)),
    (r"\bhola\b", ("ola", "holi")),
    (r"\bverdad\b", ("vdd",)),
    (r"\bquiero\b", ("kiero",)),
    (r"\bpor\b", ("x",)),
    (r"\bgracias\b", ("grax", "graciass")),
)
_ELONGABLE = re.compile(
    r"\b(pésimo|pesimo|gracias|nada|ya|mal|horrible|porfa|increíble|bueno|chévere|bacano|feliz|urgente|"
    r"nunca|siempre|caída|caida|vergüenza|asco|lento|lentísimo|gracias|berraco|chimba|mamado)\b",
    re.IGNORECASE,
)
_PROTECTED = re.compile(r"https?://\S+|[@#][\wÁÉÍÓÚáéíóúÑñ]+")
_ACCENTS = str.maketrans("áéíóúÁÉÍÓÚ", "aeiouAEIOU")
_KEY_NEIGHBOURS = {"a": "s", "e": "r", "i": "o", "o": "p", "u": "y", "n": "m", "m": "n", "s": "a", "r": "t",
                   "t": "r", "l": "k", "c": "v", "d": "f"}  # fmt: skip


@dataclass(frozen=True)
class Author:
    """An invented citizen: a fake handle, a home town and a writing style that stays with them."""

    number: int
    handle: str
    place: tuple[str, str]
    strip_accents: float
    lowercase: float
    abbreviate: float
    typo: float
    emoji: float
    hashtag: float
    drop_opening_marks: float

    def author_id(self, platform: Platform) -> str:
        return f"synthetic-{platform.value}-{self.number:05d}"


@dataclass
class _Draft:
    """A post under construction; ids are given after sorting, so they grow with time like real ids."""

    seq: int
    platform: Platform
    kind: PostKind
    created_at: datetime
    text: str
    label: dict[str, Any]
    author: Author | None  # None: the ministry account
    parent: _Draft | None = None
    metrics: dict[str, int] = field(default_factory=dict)
    lang: str | None = None
    external_id: str = ""
    geo: GeoTag | None = None  # the platform's place tag (see `_places`)

    @property
    def is_own(self) -> bool:
        return self.author is None

    @property
    def root(self) -> _Draft:
        node = self
        while node.parent is not None:
            node = node.parent
        return node


@dataclass(frozen=True)
class Sample:
    """The generated week: posts sorted by (created_at, external_id), and what went into it."""

    seed: int
    week: str
    start: datetime  # Monday 00:00 Bogotá, as UTC
    end: datetime  # next Monday 00:00 Bogotá, as UTC
    episodes: tuple[Episode, ...]
    posts: tuple[Post, ...]
    authors: tuple[dict[str, Any], ...] = ()  # one public profile per (platform, author_id) of the posts
    audience: tuple[dict[str, Any], ...] = ()  # the watched accounts' follower counts, one a day
    places: dict[str, int] = field(default_factory=dict)  # what `_places` put where (for the README)


# --- the generator ----------------------------------------------------------------------------------


class _Generator:
    def __init__(self, seed: int, week: str) -> None:
        self.seed = seed
        self.week = week
        self.rng = random.Random(seed)
        self.monday_local = datetime.combine(parse_iso_week(week), datetime.min.time(), tzinfo=BOGOTA)
        self.start = _utc(self.monday_local)
        self.end = _utc(self.monday_local + timedelta(days=7))
        self.episodes = episodes_for(self.monday_local)
        self.drafts: list[_Draft] = []
        self.own_by_platform: dict[Platform, list[_Draft]] = {p: [] for p in Platform}
        self.comments_by_root: dict[int, list[_Draft]] = {}
        self.seen_texts: set[str] = set()
        self.authors = self._make_authors(2200)
        self.author_weights = [1.0 / (i + 1) ** 0.8 for i in range(len(self.authors))]

    # -- orchestration --

    def run(self) -> Sample:
        self._own_posts()
        self._background()
        for episode in self.episodes:
            self._episode(episode)
        self._ministry_replies()
        self._own_metrics()
        self._voices()  # last, on its own generator: the posts above stay exactly as they were
        places = self._places()  # also on its own generator, after every other draw
        sample = self._finish()
        audience = self._audience(sample.posts)
        return Sample(seed=sample.seed, week=sample.week, start=sample.start, end=sample.end,
                      episodes=sample.episodes, posts=sample.posts, authors=self._profiles(sample.posts, audience),
                      audience=audience, places=places)  # fmt: skip

    # -- where citizens write from --

    def _places(self) -> dict[str, int]:
        """Place tags, place names in the texts and their spellings (scripts/sample_places.py).

        Ordinary posts: about 4% of citizens' X and Facebook posts carry a place tag (their home town; one in
        twenty of those abroad), about 5% of texts say where the author is ("aquí en el Cauca", "desde Cucuta"),
        and a third of the texts that name a town spell it as people type it ("b/quilla", "Medallo"). The
        Wednesday outage is felt hardest in Chocó: 45% of its posts say they come from Quibdó or Chocó (in the
        text, and a quarter of those of X and Facebook with a Quibdó place tag), so its spike alert can say where
        the complaints come from. Voices (press, officials...) and English posts are left as they are.
        Nothing here changes a post's topic, category or flags: only place words are added.
        """
        rng = random.Random(f"{self.seed}:places")
        outage = self.episodes[0].name
        counts: Counter[str] = Counter()
        for d in self.drafts:
            if d.author is None or d.author.number in self.voices or d.label.get("lang") != "es":
                continue
            taggable = d.platform is not Platform.INSTAGRAM  # Instagram's API gives no location
            if d.label["episode"] == outage and d.label["category"] is not None and rng.random() < 0.45:
                phrase = rng.choice(sample_places.CHOCO_PHRASES)
                if rng.random() < 0.8 and not self._names_a_place(d.text) and self._say_where(d, phrase):
                    counts["outage_text_choco"] += 1
                if taggable and rng.random() < 0.25:
                    d.geo = sample_places.geo_tag(rng, d.platform, sample_places.CHOCO)
                    counts["outage_geo_choco"] += 1
                continue
            if taggable and rng.random() < 0.04:
                abroad = rng.random() < 0.05
                d.geo = sample_places.geo_tag(rng, d.platform, None if abroad else d.author.place)
                counts["geo_abroad" if abroad else "geo_home"] += 1
            phrase = sample_places.town_phrase(rng, d.author.place)
            if rng.random() < 0.05 and not self._names_a_place(d.text) and self._say_where(d, phrase):
                counts["text_phrase"] += 1
            varied = sample_places.vary_spellings(rng, d.text, 0.35)
            if varied != d.text and varied not in self.seen_texts:
                self.seen_texts.add(varied)
                d.text = varied
                counts["text_spelling"] += 1
        return dict(sorted(counts.items()))

    @staticmethod
    def _names_a_place(text: str) -> bool:
        """Does the text already name one of the sample's towns or departments? (Then no second place is added:
        "la emisora de Manizales..., saludos desde Chiquinquirá" would contradict itself.)"""
        words = f" {_plain_words(text)} "
        return any(f" {name} " in words for name in _PLACE_WORDS)

    def _say_where(self, d: _Draft, phrase: str) -> bool:
        """Add "desde Quibdó"-like words to a citizen's text (before a trailing @mention on X); False when the
        result would repeat another post or exceed X's 280 characters."""
        text = d.text.rstrip()
        handle = "@" + ACCOUNTS[Platform.X]
        tail = ""
        if text.endswith(handle):
            text, tail = text[: -len(handle)].rstrip(), " " + handle
        sep = ", " if text[-1:].isalnum() else " "  # after a word: a comma; after punctuation or an emoji: a space
        new = f"{text}{sep}{phrase[0].upper() + phrase[1:] if sep == ' ' else phrase}{tail}"
        if new in self.seen_texts or (d.platform is Platform.X and len(new) > 280):
            return False
        self.seen_texts.add(new)
        d.text = new
        return True

    # -- people --

    def _make_authors(self, count: int) -> list[Author]:
        rng = self.rng
        numbers = rng.sample(range(1, 10000), count)
        authors = []
        for number in numbers:
            prefix = rng.choice(HANDLE_PREFIXES)
            authors.append(
                Author(
                    number=number,
                    handle=f"{prefix}_syn{number:04d}",
                    place=rng.choice(PLACES),
                    strip_accents=rng.choice((0.05, 0.3, 0.7, 0.95)),
                    lowercase=rng.choice((0.0, 0.1, 0.4, 0.8)),
                    abbreviate=rng.choice((0.0, 0.2, 0.5, 0.8)),
                    typo=rng.choice((0.05, 0.15, 0.35)),
                    emoji=rng.choice((0.1, 0.4, 0.7, 0.9)),
                    hashtag=rng.choice((0.05, 0.2, 0.4)),
                    drop_opening_marks=rng.choice((0.2, 0.6, 0.9)),
                )
            )
        return authors

    def _pick_author(self) -> Author:
        return self.rng.choices(self.authors, weights=self.author_weights)[0]

    # -- the segments' public voices --

    def _voices(self) -> None:
        """Press, officials, institutions, operators, the ICT sector, academia and influencers write on X too:
        a few posts each over the week, some during the crises (after the spikes have opened), and the ministry
        answers some of them. Drawn from their own generator, so the citizens' posts are untouched."""
        rng = random.Random(f"{self.seed}:voices")
        self.voices: dict[int, Voice] = {}
        by_handle: dict[str, Author] = {}
        for i, voice in enumerate(ROSTER):
            author = Author(number=10_001 + i, handle=voice.handle, place=rng.choice(PLACES), strip_accents=0.0,
                            lowercase=0.0, abbreviate=0.0, typo=0.0, emoji=0.0, hashtag=0.0, drop_opening_marks=0.0)
            self.voices[author.number] = voice
            by_handle[voice.handle] = author
            fresh = [e for e in VOICE_BANK[voice.bank] if "{" in e[0] or e[0] not in self.seen_texts]
            for tpl, category, topic, sentiment in rng.sample(fresh, min(voice.count, len(fresh))):
                at = self._quiet_moment(rng)
                text = self._voice_text(rng, tpl, author)
                label = _label(category, topic, sentiment, (), None, "es")
                self._voice_post(rng, voice, author, at, text, label)
        for handle, episode_name, minutes, tpl, category, topic, sentiment, flags in CRISIS_VOICES:
            episode = next(e for e in self.episodes if e.name == episode_name)
            voice = self.voices[by_handle[handle].number]
            at = episode.start + timedelta(minutes=minutes, seconds=rng.randint(0, 59))
            label = _label(category, topic, sentiment, flags, episode_name, "es")
            self._voice_post(rng, voice, by_handle[handle], at, self._voice_text(rng, tpl, by_handle[handle]), label)

    def _quiet_moment(self, rng: random.Random) -> datetime:
        """An office-hours moment of the week at least an hour away from the crises."""
        while True:
            day = rng.choices(range(7), weights=(1, 1, 1, 1, 1, 0.4, 0.3))[0]
            at = _utc(self.monday_local + timedelta(days=day, hours=rng.uniform(7.0, 20.0)))
            if all(not e.start - timedelta(hours=1) <= at < e.end + timedelta(hours=1) for e in self.episodes):
                return at

    def _voice_text(self, rng: random.Random, tpl: str, author: Author) -> str:
        for attempt in range(20):
            muni, depto = rng.choice(PLACES) if attempt else author.place
            text = tpl.format(muni=muni, depto=depto)
            if text not in self.seen_texts:
                self.seen_texts.add(text)
                return text
        raise AssertionError(f"no unique text for {tpl!r}")  # a bug in the banks, not bad input

    def _voice_post(self, rng: random.Random, voice: Voice, author: Author, at: datetime, text: str,
                    label: dict[str, Any]) -> None:  # fmt: skip
        kind = PostKind.MENTION if "@" + ACCOUNTS[Platform.X] in text else PostKind.SEARCH_HIT
        draft = self._draft(Platform.X, kind, at.replace(microsecond=0), text, label, author)
        impressions = int(voice.followers * rng.uniform(0.02, 0.12)) + rng.randint(50, 400)
        likes = int(impressions * rng.uniform(0.004, 0.02))
        draft.metrics = {"likes": likes, "reposts": int(likes * rng.uniform(0.1, 0.5)),
                         "replies": int(likes * rng.uniform(0.05, 0.3)), "quotes": int(likes * rng.uniform(0, 0.1)),
                         "bookmarks": int(likes * rng.uniform(0, 0.1)), "impressions": impressions}  # fmt: skip
        if label["category"] not in ("peticion", "reclamo", "queja", "denuncia") or rng.random() > 0.6:
            return
        episode = label["episode"]
        reply_at = draft.created_at + timedelta(minutes=rng.lognormvariate(math.log(25 if episode else 120), 0.7))
        if reply_at >= self.end:
            return
        options = OWN_REPLY_BANK[episode or label["category"]]
        if episode == "caida_plataforma_talento_ti":
            recovered = next(e for e in self.episodes if e.name == episode).recovered_at
            options = options[:1] if reply_at < recovered else options[1:]
        body = rng.choice(options).format(to=f" @{author.handle}", link=f"{LINK}/{_slug(label['topic'] or 'pqrsd')}")
        reply_label = {"category": None, "topic": label["topic"], "sentiment": NEU, "flags": [], "episode": episode,
                       "lang": "es"}  # fmt: skip
        reply = self._draft(Platform.X, PostKind.REPLY, reply_at, body, reply_label, None, parent=draft)
        reply.metrics = {"likes": rng.randint(0, 40), "reposts": rng.randint(0, 5), "replies": rng.randint(0, 3),
                         "quotes": 0, "bookmarks": rng.randint(0, 2), "impressions": rng.randint(300, 4000)}  # fmt: skip

    # -- who the authors are, and how many follow the ministry --

    def _audience(self, posts: Sequence[Post]) -> tuple[dict[str, Any], ...]:
        rng = random.Random(f"{self.seed}:audience")
        out = []
        for platform in Platform:
            own = sorted(p.created_at for p in posts if p.is_own and p.platform is platform)
            for taken, followers, following, count in daily_audience(rng, platform.value, self.monday_local, own):
                out.append({"platform": platform.value, "account": ACCOUNTS[platform],
                            "taken_at": _utc(taken).isoformat(), "followers": followers, "following": following,
                            "post_count": count, "synthetic": True})  # fmt: skip
        return tuple(out)

    def _profiles(self, posts: Sequence[Post], audience: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
        """One public profile per author of the posts, with what each platform would tell: X the whole profile,
        Facebook the name, Instagram the username. `label.segment` is the audience the default segment rules
        give that profile (ground truth for tests)."""
        rng = random.Random(f"{self.seed}:profiles")
        influencers = rng.sample(range(40), 4)  # among the most active citizens
        persons = {}
        for i, author in enumerate(self.authors):
            big = influencers.index(i) if i in influencers else None
            persons[author.number] = person_profile(rng, author.handle, author.place, rng.choice(VEREDAS), big)
        for number, voice in self.voices.items():
            persons[number] = voice_profile(voice)
        first_count = {a["platform"]: a for a in reversed(audience)}
        profiles: dict[tuple[str, str], dict[str, Any]] = {}
        for post in posts:
            key = (post.platform.value, post.author_id)
            if key in profiles:
                continue
            if post.is_own:
                start = first_count[post.platform.value]
                person = dict(MINISTRY_PROFILE[post.platform.value], followers=start["followers"],
                              following=start["following"], post_count=start["post_count"])
            else:
                person = persons[int(post.author_id.rsplit("-", 1)[1])]
            profiles[key] = _platform_profile(post, person)
        return tuple(profiles[k] for k in sorted(profiles))

    # -- ministry posts --

    def _own_posts(self) -> None:
        rng = self.rng
        per_day = {Platform.X: (4, 6, 2, 3), Platform.FACEBOOK: (2, 3, 1, 1), Platform.INSTAGRAM: (1, 2, 1, 1)}
        all_posts = [(topic, tpl) for topic, tpls in OWN_POST_BANK.items() for tpl in tpls]
        decks: dict[Platform, list[tuple[str, str]]] = {p: [] for p in Platform}
        for day in range(7):
            weekend = day >= 5
            for platform, (lo, hi, wlo, whi) in per_day.items():
                count = rng.randint(wlo, whi) if weekend else rng.randint(lo, hi)
                for _ in range(count):
                    local = self.monday_local + timedelta(days=day, hours=rng.uniform(7.0, 19.0))
                    deck = decks[platform]
                    if not deck:  # go through every template before repeating one on this platform
                        deck.extend(rng.sample(all_posts, len(all_posts)))
                    topic, tpl = deck.pop()
                    text = tpl.format_map(self._slots(None, topic))
                    self._add_own_post(platform, _utc(local), text, topic, None, ())
        for day, hour, minute, topic, episode, flags, text in SPECIAL_OWN_POSTS:
            local = self.monday_local + timedelta(days=day, hours=hour, minutes=minute)
            for platform in Platform:
                body = text.format(link=f"{LINK}/{_slug(topic)}")
                self._add_own_post(platform, _utc(local) + timedelta(seconds=rng.randint(0, 240)), body, topic,
                                   episode, flags)  # fmt: skip
        for posts in self.own_by_platform.values():
            posts.sort(key=lambda d: (d.created_at, d.seq))

    def _add_own_post(
        self, platform: Platform, at: datetime, text: str, topic: str, episode: str | None, flags: tuple[str, ...]
    ) -> _Draft:
        label = {"category": None, "topic": topic, "sentiment": NEU if flags else POS, "flags": list(flags),
                 "episode": episode, "lang": "es"}  # fmt: skip
        draft = self._draft(platform, PostKind.OWN_POST, at, text, label, None)
        self.own_by_platform[platform].append(draft)
        return draft

    def _draft(self, platform: Platform, kind: PostKind, at: datetime, text: str, label: dict[str, Any],
               author: Author | None, parent: _Draft | None = None) -> _Draft:  # fmt: skip
        draft = _Draft(seq=len(self.drafts), platform=platform, kind=kind, created_at=at.replace(microsecond=0),
                       text=text, label=label, author=author, parent=parent,
                       lang="es" if platform is Platform.X else None)  # fmt: skip
        if platform is Platform.X and label.get("lang") == "en":
            draft.lang = "en"
        self.drafts.append(draft)
        if kind in (PostKind.COMMENT, PostKind.REPLY) and not draft.is_own:
            self.comments_by_root.setdefault(draft.root.seq, []).append(draft)
        return draft

    # -- citizens, normal days --

    def _background(self) -> None:
        rng = self.rng
        total_weight = sum(HOUR_WEIGHT)
        for day in range(7):
            daily = BASE_DAILY_CITIZEN_POSTS * DAY_FACTOR[day] * rng.uniform(0.92, 1.08)
            for hour in range(24):
                weight = HOUR_WEIGHT[hour]
                if day >= 5 and 6 <= hour <= 9:
                    weight *= WEEKEND_MORNING_FACTOR
                for _ in range(_poisson(rng, daily * weight / total_weight)):
                    local = self.monday_local + timedelta(days=day, hours=hour, seconds=rng.uniform(0, 3599))
                    self._citizen_post(_utc(local))

    def _citizen_post(self, at: datetime) -> None:
        rng = self.rng
        author = self._pick_author()
        platform = _weighted(rng, PLATFORM_SHARE)
        kind, parent = self._kind_and_parent(platform, at, episode=None)
        if parent is None and kind is not PostKind.MENTION and kind is not PostKind.SEARCH_HIT:
            platform, kind = Platform.X, PostKind.MENTION
        if rng.random() < ENGLISH_SHARE:
            text_tpl, category, topic, sentiment = rng.choice(ENGLISH_BANK)
            label = _label(category, topic, sentiment, (), None, "en")
            text = self._unique(lambda: self._english(text_tpl, author, platform, kind))
        else:
            if rng.random() < OFF_TOPIC_SHARE:
                category, topic = "otro", None
                entry = rng.choice(OFF_TOPIC_BANK)
            else:
                topic = self._topic_for(parent)
                category = _weighted(rng, CATEGORY_SHARE)
                entry = _pick_entry(rng, CITIZEN_BANK[topic][category])
            tpl, sentiment_override, flags = _unpack(entry)
            sentiment = sentiment_override or DEFAULT_SENTIMENT[category]
            label = _label(category, topic, sentiment, flags, None, "es")
            text = self._unique(lambda: self._compose(tpl, category, sentiment, topic, author, platform, kind))
        draft = self._draft(platform, kind, at, text, label, author, parent)
        draft.metrics = self._citizen_metrics(platform, viral=False)

    def _topic_for(self, parent: _Draft | None) -> str:
        root = parent.root if parent is not None else None
        if root is not None and root.is_own and self.rng.random() < 0.5:
            return root.label["topic"]
        return _weighted(self.rng, TOPIC_SHARE)

    def _kind_and_parent(self, platform: Platform, at: datetime, episode: str | None) -> tuple[PostKind, _Draft | None]:
        rng = self.rng
        if platform is Platform.X:
            roll = rng.random()
            if roll < 0.18:
                parent = self._recent_own(platform, at, episode, horizon_hours=36)
                if parent is not None:
                    return PostKind.REPLY, parent
            return (PostKind.SEARCH_HIT if roll > 0.75 else PostKind.MENTION), None
        if rng.random() < 0.12:
            own = self._recent_own(platform, at, episode, horizon_hours=72)
            if own is not None:
                thread = [c for c in self.comments_by_root.get(own.seq, ()) if c.created_at < at]
                if thread:
                    return PostKind.REPLY, rng.choice(thread[-20:])
        return PostKind.COMMENT, self._recent_own(platform, at, episode, horizon_hours=72)

    def _recent_own(self, platform: Platform, at: datetime, episode: str | None, horizon_hours: float) -> _Draft | None:
        """A ministry post published before `at`, recent ones far more likely (people comment on the newest)."""
        candidates = [d for d in self.own_by_platform[platform]
                      if d.created_at < at and at - d.created_at < timedelta(hours=horizon_hours)]  # fmt: skip
        if episode is not None:
            candidates = [d for d in candidates if d.label["episode"] == episode] or candidates
        if not candidates:
            return None
        weights = [math.exp(-(at - d.created_at).total_seconds() / 3600 / 12) for d in candidates]
        return self.rng.choices(candidates, weights=weights)[0]

    # -- citizens, crisis episodes --

    def _episode(self, episode: Episode) -> None:
        rng = self.rng
        step = timedelta(minutes=5)
        t = episode.start
        while t < episode.end:
            hours = (t - episode.start).total_seconds() / 3600
            rate = _episode_rate(episode, hours)  # posts per hour
            for _ in range(_poisson(rng, rate / 12)):
                at = t + timedelta(seconds=rng.uniform(0, 299))
                self._episode_post(episode, at)
            t += step

    def _episode_post(self, episode: Episode, at: datetime) -> None:
        rng = self.rng
        phase = "after" if at >= episode.recovered_at else "during"
        entries = [e for e in episode.bank if e[5] == phase]
        tpl, category, topic, sentiment, flags, _ = rng.choice(entries)
        author = self._pick_author()
        platform = _weighted(rng, episode.platform_share)
        kind, parent = self._kind_and_parent(platform, at, episode=episode.name)
        if parent is None and kind is not PostKind.MENTION and kind is not PostKind.SEARCH_HIT:
            platform, kind = Platform.X, PostKind.MENTION
        label = _label(category, topic, sentiment, flags, episode.name, "es")
        text = self._unique(lambda: self._compose(tpl, category, sentiment, topic, author, platform, kind, episode))
        draft = self._draft(platform, kind, at, text, label, author, parent)
        draft.metrics = self._citizen_metrics(platform, viral=True)

    # -- the ministry answers (or not) --

    def _ministry_replies(self) -> None:
        rng = self.rng
        citizens = [d for d in self.drafts if not d.is_own]
        for post in citizens:
            episode = post.label["episode"]
            rate = 0.12 if episode == "caida_plataforma_talento_ti" else REPLY_RATE[post.label["category"]]
            if episode == "suplantacion_portatiles_gratis":
                rate = 0.3
            if rng.random() >= rate:
                continue
            at = self._reply_time(post.created_at, fast=episode is not None)
            if at >= self.end:
                continue  # not answered within the week
            bank_key = episode if episode in OWN_REPLY_BANK else post.label["category"]
            options = OWN_REPLY_BANK[bank_key]
            if episode == "caida_plataforma_talento_ti":  # before the fix: "we are working"; after: "it is back"
                ep = next(e for e in self.episodes if e.name == episode)
                options = options[:1] if at < ep.recovered_at else options[1:]
            to = f" @{post.author.handle}" if post.platform is not Platform.FACEBOOK and post.author else ""
            text = rng.choice(options).format(to=to, link=f"{LINK}/{_slug(post.label['topic'] or 'pqrsd')}")
            label = {"category": None, "topic": post.label["topic"], "sentiment": NEU, "flags": [],
                     "episode": episode, "lang": "es"}  # fmt: skip
            reply = self._draft(post.platform, PostKind.REPLY, at, text, label, None, parent=post)
            reply.metrics = self._reply_metrics(post.platform)
            if rng.random() < FOLLOW_UP_RATE:
                self._follow_up(reply, post)

    def _reply_time(self, asked: datetime, fast: bool) -> datetime:
        """Minutes to days later; mostly within office hours (Mon-Fri 07:00-18:00 Bogotá)."""
        rng = self.rng
        median_minutes = 30.0 if fast else 180.0
        at = asked + timedelta(minutes=max(2.0, rng.lognormvariate(math.log(median_minutes), 1.1)))
        local = at.astimezone(BOGOTA)
        if not _office_hours(local) and rng.random() < 0.85:
            at = _utc(_next_office_opening(local)) + timedelta(minutes=rng.lognormvariate(math.log(60), 0.8))
        return at

    def _follow_up(self, reply: _Draft, question: _Draft) -> None:
        rng = self.rng
        author = question.author
        assert author is not None
        tpl, category, sentiment = rng.choice(FOLLOW_UP_BANK)
        at = reply.created_at + timedelta(minutes=rng.lognormvariate(math.log(45), 1.0))
        if at >= self.end:
            return
        episode = question.label["episode"]
        if episode is not None and not any(e.name == episode and e.start <= at < e.end for e in self.episodes):
            episode = None  # a late "thanks" is no longer part of the crisis
        label = _label(category, question.label["topic"], sentiment, (), episode, "es")
        text = self._unique(lambda: self._compose(tpl, category, sentiment, None, author, reply.platform,
                                                  PostKind.REPLY, bare=True))  # fmt: skip
        draft = self._draft(reply.platform, PostKind.REPLY, at, text, label, author, parent=reply)
        draft.metrics = self._citizen_metrics(reply.platform, viral=False)

    # -- writing --

    def _slots(self, author: Author | None, topic: str | None) -> dict[str, Any]:
        rng = self.rng
        muni, depto = author.place if author is not None and rng.random() < 0.7 else rng.choice(PLACES)
        return {
            "muni": muni, "depto": depto, "vereda": rng.choice(VEREDAS), "n": rng.randint(2, 15),
            "n_sem": rng.randint(2, 8), "dia": rng.choice(DIAS), "dia_semana": rng.choice(DIAS_SEMANA),
            "hora": rng.choice(HORAS), "monto": rng.choice(MONTOS), "curso": rng.choice(CURSOS),
            "edad": rng.randint(19, 67), "h": rng.randint(2, 4), "hora_c": rng.choice(("las 10", "las 10:30",
            "las 11", "esta mañana", "hace rato")), "miles": rng.randint(5, 14), "n_cpe": rng.randint(300, 4000),
            "link": f"{LINK}/{_slug(topic or 'inicio')}",
        }  # fmt: skip

    def _compose(
        self,
        tpl: str,
        category: str,
        sentiment: str,
        topic: str | None,
        author: Author,
        platform: Platform,
        kind: PostKind,
        episode: Episode | None = None,
        bare: bool = False,
    ) -> str:
        """One citizen text: opener, core, extra, closer, then the author's typing habits, emojis, tags."""
        rng = self.rng
        core = tpl.format_map(self._slots(author, topic))
        parts = []
        if not bare and rng.random() < 0.45:
            parts.append(rng.choice(OPENERS[OPENER_KIND[category]]))
        parts.append(_lower_first(core) if parts and parts[-1][-1] not in ".:!?" else core)
        if not core.endswith(("?", "!", ".", ")")) and rng.random() < 0.75:
            parts[-1] += "." if sentiment != NEG else rng.choice((".", "!", "!!", "!!!"))
        if not bare and rng.random() < 0.3:
            parts.append(rng.choice(EXTRAS[category]).format(n=rng.randint(2, 6)))
        if rng.random() < 0.45:
            closer = rng.choice(CLOSERS[category])
            if _bare_words(closer) not in _bare_words(" ".join(parts)):  # no "qué vergüenza ... ¡Qué vergüenza!"
                parts.append(closer)
        body = self._noise(" ".join(parts), author, sentiment)
        tail = []
        if rng.random() < author.emoji:
            pool = JOKE_EMOJIS if category == "otro" and "ja" in body else EMOJIS[sentiment]
            emoji = rng.choice(pool)
            tail.append(emoji * rng.choice((1, 1, 2, 3)) if rng.random() < 0.4 else emoji + rng.choice(pool))
        if topic is not None and rng.random() < author.hashtag:
            tail.append(rng.choice(TOPIC_HASHTAGS[topic]))
        if episode is not None and rng.random() < 0.35:
            tag = "#TalentoTI" if "talento" in episode.name else "#Estafa"
            if tag not in tail:
                tail.append(tag)
        text = " ".join([body, *tail])
        text = self._address(text, platform, kind)
        if platform is Platform.X and len(text) > 280:  # X's limit: drop the decorations, keep the message
            text = self._address(self._noise(core, author, sentiment), platform, kind)[:280]
        return text

    def _address(self, text: str, platform: Platform, kind: PostKind) -> str:
        """Mentions name the account; search hits talk about MinTIC without @-mentioning it."""
        rng = self.rng
        handle = "@" + ACCOUNTS[platform]
        if kind is PostKind.MENTION:
            return f"{handle} {text}" if rng.random() < 0.6 else f"{text} {handle}"
        if kind is PostKind.REPLY and platform is Platform.X:
            return f"{handle} {text}"
        if kind is PostKind.SEARCH_HIT and not re.search(r"mintic|ministerio", text, re.IGNORECASE):
            if rng.random() < 0.5:
                return f"{rng.choice(SEARCH_PREFIXES)} {_lower_first(text)}"
            return f"{text} {rng.choice(SEARCH_SUFFIXES)}"
        if platform is Platform.INSTAGRAM and rng.random() < 0.1:
            return f"{handle} {text}"
        return text

    def _english(self, tpl: str, author: Author, platform: Platform, kind: PostKind) -> str:
        text = tpl.format_map(self._slots(author, None))
        if self.rng.random() < 0.3:
            text = text.lower()
        return self._address(text, platform, kind)

    def _noise(self, text: str, author: Author, sentiment: str) -> str:
        rng = self.rng
        protected: list[str] = []

        def protect(match: re.Match[str]) -> str:
            protected.append(match.group(0))
            return f"\x00{len(protected) - 1}\x00"

        text = _PROTECTED.sub(protect, text)
        if rng.random() < author.abbreviate:
            for pattern, options in _ABBREVIATIONS:
                if rng.random() < 0.6:
                    text = re.sub(pattern, lambda m, o=options: _keep_case(m.group(0), rng.choice(o)), text,
                                  flags=re.IGNORECASE)  # fmt: skip
        if rng.random() < author.drop_opening_marks:
            text = text.replace("¿", "").replace("¡", "")
        if rng.random() < author.strip_accents:
            text = text.translate(_ACCENTS)
        if rng.random() < author.lowercase:
            text = text.lower()
        if sentiment != NEU and rng.random() < 0.3:
            text = _elongate(rng, text)
        if rng.random() < author.typo:
            for _ in range(rng.choice((1, 1, 2))):
                text = _typo(rng, text)
        if sentiment == NEG and rng.random() < 0.06:
            words = text.split(" ")
            i = rng.randrange(len(words))
            words[i] = words[i].upper()
            text = " ".join(words)
        return re.sub("\x00(\\d+)\x00", lambda m: protected[int(m.group(1))], text)

    def _unique(self, make: Callable[[], str]) -> str:
        """Retry until the text is new: the sample should have no identical citizen posts."""
        text = make()
        for _ in range(30):
            if text not in self.seen_texts:
                break
            text = make()
        while text in self.seen_texts:
            text += " " + self.rng.choice(EMOJIS[NEU] + EMOJIS[POS])
        self.seen_texts.add(text)
        return text

    # -- metrics --

    def _citizen_metrics(self, platform: Platform, viral: bool) -> dict[str, int]:
        rng = self.rng
        scale = 4.0 if viral else 1.0
        small = int(rng.expovariate(1.0 / (1.2 * scale)))
        if platform is Platform.X:
            return {"likes": small, "reposts": int(small * rng.uniform(0, 0.4)), "replies": int(rng.expovariate(1.5)),
                    "quotes": int(small * rng.uniform(0, 0.1)), "bookmarks": int(small * rng.uniform(0, 0.1)),
                    "impressions": int(rng.lognormvariate(math.log(120 * scale), 0.9))}  # fmt: skip
        if platform is Platform.FACEBOOK:
            return {"reactions": small}
        return {"likes": small}

    def _reply_metrics(self, platform: Platform) -> dict[str, int]:
        rng = self.rng
        likes = int(rng.expovariate(1.0 / 1.5))
        if platform is Platform.X:
            return {"likes": likes, "reposts": 0, "replies": 0, "quotes": 0, "bookmarks": 0,
                    "impressions": int(rng.lognormvariate(math.log(300), 0.7))}  # fmt: skip
        return {"reactions": likes} if platform is Platform.FACEBOOK else {"likes": likes}

    def _own_metrics(self) -> None:
        """Counters as read at the end of the week; comment/reply counts cover at least those in the file.

        X reports `impressions`; Meta's insights report `views` (every display) and `reach` (unique accounts,
        so below views). Reach is drawn from its own generator so the main stream, hence every other counter
        and post, stays exactly as it was."""
        rng = self.rng
        reach_rng = random.Random(f"{self.seed}:reach")
        direct = Counter(d.parent.seq for d in self.drafts if d.parent is not None and d.parent.is_own)
        for platform, posts in self.own_by_platform.items():
            for post in posts:
                seen = direct[post.seq]
                boost = 2.5 if post.label["episode"] else 1.0
                if platform is Platform.X:
                    impressions = int(rng.lognormvariate(math.log(12000 * boost), 0.6))
                    likes = int(impressions * rng.uniform(0.004, 0.015))
                    reposts = int(likes * rng.uniform(0.2, 0.5))
                    post.metrics = {"likes": likes, "reposts": reposts,
                                    "replies": seen + int(impressions * rng.uniform(0.0005, 0.002)),
                                    "quotes": int(reposts * rng.uniform(0.05, 0.15)),
                                    "bookmarks": int(likes * rng.uniform(0.05, 0.15)),
                                    "impressions": impressions}  # fmt: skip
                elif platform is Platform.FACEBOOK:
                    views = int(rng.lognormvariate(math.log(8000 * boost), 0.6))
                    reactions = int(views * rng.uniform(0.01, 0.02))
                    post.metrics = {"reactions": reactions, "comments": seen + rng.randint(0, 15),
                                    "shares": int(reactions * rng.uniform(0.1, 0.3)), "views": views,
                                    "reach": int(views * reach_rng.uniform(0.55, 0.85))}  # fmt: skip
                else:
                    views = int(rng.lognormvariate(math.log(15000 * boost), 0.6))
                    likes = int(views * rng.uniform(0.02, 0.04))
                    post.metrics = {"likes": likes, "comments": seen + rng.randint(0, 20),
                                    "saves": int(likes * rng.uniform(0.03, 0.1)), "views": views,
                                    "reach": int(views * reach_rng.uniform(0.6, 0.9))}  # fmt: skip

    # -- output --

    def _finish(self) -> Sample:
        drafts = sorted(self.drafts, key=lambda d: (d.created_at, d.seq))
        outside = [d for d in drafts if not self.start <= d.created_at < self.end]
        assert not outside, f"{len(outside)} posts fall outside the week"  # a bug, not bad input
        drafts.sort(key=lambda d: (d.created_at, d.seq))
        counters: Counter[Platform] = Counter()
        for d in drafts:
            counters[d.platform] += 1
            d.external_id = f"{_ID_PREFIX[d.platform]}-{counters[d.platform]:06d}"
        posts = tuple(self._post(d) for d in drafts)
        return Sample(seed=self.seed, week=self.week, start=self.start, end=self.end, episodes=self.episodes,
                      posts=posts)  # fmt: skip

    def _post(self, d: _Draft) -> Post:
        account = ACCOUNTS[d.platform]
        if d.author is None:
            author_id, handle = f"synthetic-{d.platform.value}-ministry-{account}", account
        else:
            author_id, handle = d.author.author_id(d.platform), d.author.handle
        conversation = d.root.external_id
        raw = {"synthetic": True, "generator": GENERATOR, "seed": self.seed, "label": d.label}
        return Post(
            platform=d.platform,
            external_id=d.external_id,
            kind=d.kind,
            account=account,
            author_id=author_id,
            author_handle=handle,
            text=d.text,
            created_at=d.created_at,
            url=f"https://example.invalid/{d.platform.value}/{account}/{d.external_id}",
            lang=d.lang,
            in_reply_to_id=d.parent.external_id if d.parent is not None else None,
            conversation_id=conversation,
            is_own=d.is_own,
            metrics=Metrics(**d.metrics),
            raw=raw,
            geo=d.geo,
        )


# --- small pure helpers -----------------------------------------------------------------------------


def _platform_profile(post: Post, person: dict[str, Any]) -> dict[str, Any]:
    """A profile line of authors.jsonl: what `post.platform` would give about `person`."""
    out: dict[str, Any] = {"platform": post.platform.value, "author_id": post.author_id, "handle": post.author_handle}
    if post.platform is Platform.X:
        out.update({k: person.get(k) for k in ("display_name", "description", "verified_type", "followers",
                                                "following", "post_count", "location", "website")})
        out["profile_url"] = f"https://example.invalid/x/{post.author_handle}"
        segment = person["segment"]
    elif post.platform is Platform.FACEBOOK:
        out["display_name"] = person.get("display_name")
        segment = "ciudadania"  # a name alone matches no rule
    else:
        out["profile_url"] = f"https://example.invalid/instagram/{post.author_handle}"
        segment = "ciudadania"
    out["synthetic"] = True
    out["label"] = {"segment": segment}
    return out



def _plain_words(text: str) -> str:
    """Lower case, no accents, words separated by single spaces."""
    return " ".join(re.findall(r"[a-z0-9]+", text.translate(_ACCENTS).lower()))


_PLACE_WORDS = frozenset(_plain_words(name) for place in PLACES for name in place)


def _utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)


def _slug(topic: str) -> str:
    return topic.replace("_", "-")


RARE_FLAGS = (THREAT, LEAK, MISINFO)  # real but uncommon: these templates are picked a quarter as often


def _pick_entry(rng: random.Random, entries: Sequence[Entry]) -> Entry:
    weights = [0.25 if any(f in RARE_FLAGS for f in _unpack(e)[2]) else 1.0 for e in entries]
    return rng.choices(entries, weights=weights)[0]


def _unpack(entry: Entry) -> tuple[str, str | None, tuple[str, ...]]:
    return (entry, None, ()) if isinstance(entry, str) else entry


def _label(category: str, topic: str | None, sentiment: str, flags: Sequence[str], episode: str | None,
           lang: str) -> dict[str, Any]:  # fmt: skip
    return {"category": category, "topic": topic, "sentiment": sentiment, "flags": list(flags), "episode": episode,
            "lang": lang}  # fmt: skip


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _poisson(rng: random.Random, lam: float) -> int:
    """Knuth's method for small rates, a rounded normal for large ones (random has no Poisson)."""
    if lam <= 0:
        return 0
    if lam > 60:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _episode_rate(episode: Episode, hours: float) -> float:
    """Extra posts per hour: grows linearly, holds at the peak, then decays exponentially."""
    if hours < episode.ramp_hours:
        return episode.peak_per_hour * (0.1 + 0.9 * hours / episode.ramp_hours)
    hours -= episode.ramp_hours
    if hours < episode.plateau_hours:
        return episode.peak_per_hour
    hours -= episode.plateau_hours
    return episode.peak_per_hour * 0.5 ** (hours / episode.half_life_hours)


def _office_hours(local: datetime) -> bool:
    return local.weekday() < 5 and 7 <= local.hour < 18


def _next_office_opening(local: datetime) -> datetime:
    day = local.replace(hour=7, minute=0, second=0, microsecond=0)
    if local.hour >= 7:
        day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _bare_words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower().translate(_ACCENTS)))


def _lower_first(text: str) -> str:
    """Lower the first letter after an opener ("Hola, ¿qué...") unless it starts an acronym ("TDT")."""
    i = 1 if text[:1] in "¿¡" else 0
    if len(text) > i + 1 and text[i].isupper() and not text[i + 1].isupper():
        return text[:i] + text[i].lower() + text[i + 1 :]
    return text


def _keep_case(original: str, replacement: str) -> str:
    return replacement[0].upper() + replacement[1:] if original[:1].isupper() else replacement


def _elongate(rng: random.Random, text: str) -> str:
    """ "pésimo" -> "pésimoooo": stretch the last vowel of one charged word."""
    matches = list(_ELONGABLE.finditer(text))
    if not matches:
        return text
    m = rng.choice(matches)
    word = m.group(0)
    last_vowel = max(word.rfind(v) for v in "aeiouáéíóú")
    if last_vowel < 0:
        return text
    stretched = word[: last_vowel + 1] + word[last_vowel] * rng.randint(2, 5) + word[last_vowel + 1 :]
    return text[: m.start()] + stretched + text[m.end() :]


def _typo(rng: random.Random, text: str) -> str:
    """Swap, drop, double or fat-finger one letter of a longer plain word."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    op = rng.choice(("swap", "drop", "double", "neighbour"))
    if op == "swap":
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    elif op == "drop":
        w = w[:j] + w[j + 1 :]
    elif op == "double":
        w = w[:j] + w[j] + w[j:]
    else:
        w = w[:j] + _KEY_NEIGHBOURS.get(w[j].lower(), w[j]) + w[j + 1 :]
    words[i] = w
    return " ".join(words)


def parse_iso_week(week: str) -> date:
    """ "2026-W47" -> the Monday of that ISO week."""
    m = re.fullmatch(r"(\d{4})-W(\d{2})", week)
    if not m:
        raise ValueError(f"week must look like 2026-W47, got {week!r}")
    try:
        return date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError as exc:
        raise ValueError(f"week {week!r} does not exist: {exc}") from None


# --- public entry points ----------------------------------------------------------------------------


def generate(seed: int = DEFAULT_SEED, week: str = DEFAULT_WEEK) -> Sample:
    """The whole synthetic week, in memory."""
    return _Generator(seed, week).run()


def _write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    lines = (json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8", newline="\n")


def write_sample(out: Path, seed: int = DEFAULT_SEED, week: str = DEFAULT_WEEK) -> tuple[Path, Path]:
    """Write `week.jsonl`, `authors.jsonl`, `accounts.jsonl` and `README.md` into `out`; returns the posts'
    file and the README."""
    sample = generate(seed, week)
    out.mkdir(parents=True, exist_ok=True)
    jsonl = out / "week.jsonl"
    _write_jsonl(jsonl, (post_to_dict(p) for p in sample.posts))
    _write_jsonl(out / AUTHORS_FILE, sample.authors)
    _write_jsonl(out / ACCOUNTS_FILE, sample.audience)
    readme = out / "README.md"
    readme.write_text(render_readme(sample), encoding="utf-8", newline="\n")
    return jsonl, readme


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # not %a: that follows the locale


def render_readme(sample: Sample) -> str:
    posts = sample.posts
    citizens = [p for p in posts if not p.is_own]
    own = [p for p in posts if p.is_own and p.kind is PostKind.OWN_POST]
    replies = [p for p in posts if p.is_own and p.kind is PostKind.REPLY]
    answered = {p.in_reply_to_id for p in replies}
    by_day = Counter(p.created_at.astimezone(BOGOTA).date() for p in citizens)
    labels = [p.raw["label"] for p in citizens]
    cat = Counter(label["category"] for label in labels)
    top = Counter(label["topic"] or "(ninguno)" for label in labels)
    flags = Counter(f for label in labels for f in label["flags"])
    kinds = Counter((p.platform.value, p.kind.value) for p in posts)

    def when(dt: datetime) -> str:
        local = dt.astimezone(BOGOTA)
        return f"{_WEEKDAYS[local.weekday()]} {local:%Y-%m-%d %H:%M} Bogotá ({dt:%Y-%m-%d %H:%M} UTC)"

    out = [
        "# Sample week (SYNTHETIC DATA)",
        "",
        "**Everything in this folder is invented.** No real person, post, id or URL: authors are fake",
        "(`_syn` in every handle, ids prefixed `synthetic-`), post ids are prefixed `syn-`, every URL points to",
        "`example.invalid` (but the profiles' invented `-syn.gov.co` / `-syn.edu.co` sites, see below), and each",
        "post's `raw` and each profile say `\"synthetic\": true`. It exists so that `python main.py demo`,",
        "`run` on the embedded defaults and the tests can exercise the whole pipeline without credentials.",
        "",
        f"Generated by `python {GENERATOR} --seed {sample.seed} --week {sample.week}` (deterministic: the same",
        "seed and week give byte-identical files). Do not edit by hand; change the generator and re-run it.",
        "",
        "## Contents",
        "",
        f"- `week.jsonl`: {len(posts)} posts, one `domain.Post` per line (the form of",
        "  `connectors.sample_replay.post_to_dict`), sorted by `created_at` (UTC).",
        f"- Week: ISO {sample.week}, from {when(sample.start)}",
        f"  to {when(sample.end)} (exclusive).",
        f"- Watched accounts: X `{ACCOUNTS[Platform.X]}`, Facebook `{ACCOUNTS[Platform.FACEBOOK]}`,"
        f" Instagram `{ACCOUNTS[Platform.INSTAGRAM]}`.",
        f"- {len(citizens)} citizen posts (mentions, comments, replies, search hits) in informal Colombian Spanish",
        "  with emojis, hashtags, typos and regional expressions, plus a few in English;",
        f"  {len(own)} ministry posts with interaction metrics; {len(replies)} ministry replies to",
        f"  {len(answered)} citizen posts (minutes to days later, mostly in office hours); the others are never",
        "  answered. Some citizens write back to the ministry's reply.",
        "",
        "| platform | kind | posts |",
        "|---|---|---|",
        *[f"| {pl} | {k} | {n} |" for (pl, k), n in sorted(kinds.items())],
        "",
        "Citizen posts per local day (daily rhythm: quiet nights, mid-morning and evening peaks; quieter weekend):",
        "",
        "| day (Bogotá) | citizen posts |",
        "|---|---|",
        *[f"| {_WEEKDAYS[d.weekday()]} {d:%Y-%m-%d} | {n} |" for d, n in sorted(by_day.items())],
        "",
        "## Crisis episodes",
        "",
    ]
    for ep in sample.episodes:
        n = sum(1 for label in labels if label["episode"] == ep.name)
        peak = ep.start + timedelta(hours=ep.ramp_hours + ep.plateau_hours / 2)
        out += [
            f"- `{ep.name}`: {ep.title}.",
            f"  - window: {when(ep.start)} to {when(ep.end)};",
            f"  - {n} extra citizen posts on top of the normal volume, growing to about {ep.peak_per_hour:.0f}"
            f" per hour around {peak.astimezone(BOGOTA):%H:%M} Bogotá, then decaying;",
            f"  - from {when(ep.recovered_at)} the service is back (or the ministry has clarified).",
        ]
    out += [
        "",
        *_readme_places(sample),
        *_readme_people(sample),
        "## Hidden labels (ground truth, for tests only)",
        "",
        "Each post's `raw.label` holds `category` (PQRSD code; null for the ministry's own posts and replies),",
        "`topic` (one of the default topics below, or null), `sentiment`, crisis `flags`, `episode` (an episode",
        "name or null) and `lang`. Analyzers must never read `raw`; tests use the labels to measure them.",
        "",
        "| category | citizen posts |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in sorted(cat.items())],
        "",
        "| topic | citizen posts |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in sorted(top.items())],
        "",
        "| flag | citizen posts |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in sorted(flags.items())],
        "",
    ]
    return "\n".join(out)


def _readme_places(sample: Sample) -> list[str]:
    """The README's section on where the posts come from (scripts/sample_places.py)."""
    citizens = [p for p in sample.posts if not p.is_own]
    tagged = [p for p in citizens if p.geo is not None]
    by_platform = Counter(p.platform.value for p in tagged)
    abroad = sorted({p.geo.city or "" for p in tagged if p.geo is not None and p.geo.country_code != "CO"})
    countries = Counter(p.geo.country_code for p in tagged if p.geo is not None)
    x_profiles = [a for a in sample.authors if a["platform"] == "x" and not a["handle"].startswith(tuple(
        ACCOUNTS.values()))]
    located = sum(1 for a in x_profiles if a.get("location"))
    only_country = sum(1 for a in x_profiles if a.get("location") == "Colombia")
    outage = sample.episodes[0]
    in_outage = [p for p in citizens if p.raw["label"]["episode"] == outage.name]
    counts = sample.places
    return [
        "## Places",
        "",
        "For the region placer (`analyzers/places`), with every draw on a generator of its own so nothing else",
        "moved. Coordinates of Colombian towns are DANE's DIVIPOLA points (`data/divipola`, CC BY-SA 4.0).",
        "",
        f"- Place tags (`geo` of a line, the platform's place: X `includes.places`, a Facebook post's `place`;"
        f" Instagram gives none): {len(tagged)} citizen posts ({len(tagged) / len(citizens):.1%}),"
        f" {', '.join(f'{k} {v}' for k, v in sorted(by_platform.items()))};"
        f" countries {', '.join(f'{k} {v}' for k, v in sorted(countries.items()))}. Mostly the author's home town,"
        f" a few abroad ({', '.join(abroad)}).",
        f"- Texts that say where the author is, added to ordinary posts without another place name: "
        f"{counts.get('text_phrase', 0)} (\"aquí en el Cauca\", \"desde Cucuta\", \"saludos desde Pasto, Nariño\");"
        f" town names spelled as people type them in {counts.get('text_spelling', 0)} texts (\"b/quilla\","
        " \"Medallo\", \"Cucuta\", \"Bta\", \"Sta Marta\"). Many templates name a town already (\"sin señal en"
        " el Centro Digital de ..., Quibdó (Chocó)\").",
        f"- X profile locations: {located} of {len(x_profiles)} citizen and voice profiles have one; {only_country}"
        " say only \"Colombia\"; towns in varied spellings (\"Cucuta - Colombia\", \"MEDELLÍN\", \"Ibague, Col\"),"
        " some abroad (\"Madrid, España\", \"Miami, FL\") and some that are no place (\"En mi casa\", \"🌎\").",
        f"- The Wednesday outage (`{outage.name}`) is felt hardest in Chocó: of its {len(in_outage)} citizen posts,"
        f" {counts.get('outage_text_choco', 0)} say they write from Quibdó or Chocó and"
        f" {counts.get('outage_geo_choco', 0)} carry a Quibdó place tag, so its spike alert can say where the"
        " complaints come from. Nothing else about the episode changed (same posts, times, labels).",
        "",
    ]


def _readme_people(sample: Sample) -> list[str]:
    """The README's section on the authors' profiles and the accounts' follower counts."""
    segments = Counter((a["platform"], a["label"]["segment"]) for a in sample.authors)
    voices = Counter(v.segment for v in ROSTER)
    x_posts = Counter(p.author_handle for p in sample.posts if p.platform is Platform.X and not p.is_own)
    voice_posts = sum(x_posts[v.handle] for v in ROSTER)
    out = [
        "## Authors and followers",
        "",
        f"- `{AUTHORS_FILE}`: {len(sample.authors)} public profiles, one per (platform, author_id) of the posts (the",
        "  form of `connectors.sample_replay.author_to_dict`, plus `\"synthetic\": true` and a hidden `label.segment`).",
        "  Each holds only what that platform would tell: X the whole profile (name, bio, verified type, followers,",
        "  following, posts, location, website); Facebook a commenter's name; Instagram a username. Names are visibly",
        "  fictional (Ficticia, Ejemplar, Sintética...); websites point to `example.invalid`, except the official",
        "  domains the segment rules read (`.gov.co`, `.edu.co`), whose hosts carry `-syn` and exist nowhere.",
        f"- {len(ROSTER)} invented public voices on X wrote {voice_posts} of the posts, some during the crises after",
        "  their spikes opened: " + ", ".join(f"{k} {v}" for k, v in sorted(voices.items())) + ".",
        "  A few very active citizens are influencers (tens of thousands of followers); most citizens have a",
        "  sparse profile (often no bio, link or location).",
        "- `label.segment` is the audience the default segment rules (config.yaml `segments:`) give the profile:",
        "",
        "| platform | segment | authors |",
        "|---|---|---|",
        *[f"| {pl} | {seg} | {n} |" for (pl, seg), n in sorted(segments.items())],
        "",
        f"- `{ACCOUNTS_FILE}`: the watched accounts' follower counts, one a day at 06:00 Bogotá (the form of",
        "  `connectors.sample_replay.snapshot_to_dict`). Followers grow faster after Wednesday's outage and Friday's",
        "  scam alert:",
        "",
        "| day (Bogotá) | " + " | ".join(f"{ACCOUNTS[p]} ({p.value})" for p in Platform) + " |",
        "|---|" + "---|" * len(Platform),
    ]
    by_day: dict[str, dict[str, int]] = {}
    for a in sample.audience:
        local = datetime.fromisoformat(a["taken_at"]).astimezone(BOGOTA)
        by_day.setdefault(f"{_WEEKDAYS[local.weekday()]} {local:%Y-%m-%d}", {})[a["platform"]] = a["followers"]
    out += [f"| {day} | " + " | ".join(f"{counts[p.value]:,}" for p in Platform) + " |"
            for day, counts in by_day.items()]
    return [*out, ""]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the synthetic sample week (data/sample/).")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--week", default=DEFAULT_WEEK, help=f"ISO week YYYY-Www (default {DEFAULT_WEEK})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default data/sample/)")
    args = parser.parse_args(argv)
    try:
        parse_iso_week(args.week)
    except ValueError as exc:
        parser.error(str(exc))
    jsonl, readme = write_sample(args.out, args.seed, args.week)
    count = sum(1 for _ in jsonl.open(encoding="utf-8"))
    print(f"wrote {count} posts to {jsonl} and {readme}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
