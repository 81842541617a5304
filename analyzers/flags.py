"""Crisis flags: the signals the on-call team must see early (see PRODUCT.md "Crisis flags").

`outage` (a ministry platform or service down), `fraud` (scams using the ministry's name), `data_leak`
(leaked data, hacked accounts), `threat` (threats or violence), `misinformation` (false claims about the
ministry). Transparent Spanish rules over `Doc.norm`; each hit is reported as "flag:<flag>:<rule>".
One post rarely matters; the spike detector watches how many posts carry each flag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from analyzers.text import Doc, compile_rule

FLAGS_VERSION = "flags-1"

_PLATFORM = (
    r"(?:pagina|plataforma|portal|sistema|servidor|app|aplicacion|sitio|web|zona wifi|zonas wifi|"
    r"centro digital|centros digitales|linea|red|senal|internet|servicio|conexion|formulario|enlace|link)"
)


@dataclass(frozen=True)
class FlagRule:
    flag: str
    name: str
    pattern: re.Pattern[str]


def _f(flag: str, name: str, pattern: str) -> FlagRule:
    return FlagRule(flag, name, compile_rule(pattern))


FLAG_RULES: tuple[FlagRule, ...] = (
    _f("outage", "caido",
       rf"\b{_PLATFORM}\b(?: \w+){{0,4}} (?:esta |estan |se )?(?:caid[oa]s?|cayo|cae|colapsad[oa]|colapso|"
       r"abajo|fuera de servicio)\b|\b(?:se cayo|esta caid[oa]|estan caid[oa]s|colapso|se callo)\b"),
    _f("outage", "no_carga",
       rf"\b{_PLATFORM}\b(?: \w+){{0,4}} (?:no carga|no abre|no funciona|no responde|no deja entrar|"
       r"no permite|no sirve|no conecta|no deja)\b"),
    _f("outage", "sin_servicio",
       r"\b(?:sin|no hay|nos quedamos sin|me quede sin) (?:servicio|senal|internet|conexion|cobertura|red)\b"),
    _f("outage", "error_http", r"\berror (?:500|502|503|504|404)\b|\bservice unavailable\b"),
    _f("outage", "fuera_de_servicio", r"\b(?:fuera de servicio|caida (?:del|de la|general)|apagon)\b"),
    _f("fraud", "estafa",
       r"\b(?:estafa\w*|me estafaron|nos estafaron|fraude\w*|fraudulent\w*|phishing|timo|timadores?)\b"),
    _f("fraud", "suplantacion",
       r"\b(?:suplant\w*|se hacen? pasar|haciendose pasar|perfil(?:es)? falsos?|cuentas? falsas?|"
       r"paginas? falsas?|pagina falsa|anuncio falso|link falso|enlace falso|falsos funcionarios|"
       r"clonando|clonaron la pagina)\b"),
    _f("fraud", "cobro_a_nombre",
       r"\b(?:a nombre del? (?:ministerio|mintic)|en nombre del? (?:ministerio|mintic)|dice ser del? "
       r"(?:ministerio|mintic))\b.*\b(?:pag\w*|cobr\w*|plata|dinero|consign\w*|datos bancarios|clave\w*)\b"),
    _f("data_leak", "hackeo",
       r"\b(?:hacke\w*|jacke\w*|jaquea\w*|hackers?|me robaron la cuenta|robaron la cuenta|cuenta comprometida|"
       r"accedieron a mi cuenta|tomaron el control de)\b"),
    _f("data_leak", "filtracion",
       r"\b(?:filtraci\w*|filtraron|se filtr\w*|datos (?:personales )?(?:expuestos|filtrados|robados|publicados)|"
       r"robaron (?:mis|los|nuestros) datos|base de datos expuesta|brecha de seguridad|fuga de (?:datos|informacion)|"
       r"ransomware|ciberataque|ataque informatico|secuestro de datos)\b"),
    _f("threat", "amenaza",
       r"\b(?:los vamos a matar|los voy a matar|te voy a matar|lo voy a matar|la voy a matar|los vamos a quemar|"
       r"vamos a quemar|muerte a|amenaza\w* de muerte|amenazas? contra|los amenaz\w*|nos amenaz\w*|"
       r"me amenaz\w*|sabemos donde (?:viven|trabajan|estan)|les va a pasar algo|merecen morir|"
       r"que se mueran|darles plomo|les damos plomo|bala es lo que|ajusticiar|atentado|bomba|explosivo\w*|"
       r"secuestr\w*)\b"),
    _f("misinformation", "falso",
       r"\b(?:fake news|noticias? falsas?|desinforma\w*|bulos?|es falso que|falso que|es mentira que|"
       r"no es cierto que|informacion falsa|cadena falsa|montaje|no crean|no compartan|"
       r"esta circulando|circula (?:un|una) (?:mensaje|audio|video|imagen|cadena)|cadena de whatsapp)\b"),
)


class FlagDetector:
    version = FLAGS_VERSION

    def __init__(self, rules: tuple[FlagRule, ...] = FLAG_RULES) -> None:
        self.rules = rules

    def detect(self, doc: Doc) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Return (flags, rules), flags in `domain.CRISIS_FLAGS` order without repeats."""
        flags: list[str] = []
        rules: list[str] = []
        text = doc.norm
        for rule in self.rules:
            if rule.pattern.search(text):
                if rule.flag not in flags:
                    flags.append(rule.flag)
                rules.append(f"flag:{rule.flag}:{rule.name}")
        return tuple(flags), tuple(rules)
