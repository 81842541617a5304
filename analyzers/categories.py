"""PQRSD category of a citizen post: transparent Spanish rules that say which rule fired.

Each rule is a named regular expression over `Doc.norm` (lowercase, accents folded, "ñ" -> "n", hashtags
split, URLs and mentions removed, punctuation as separate tokens) with a category and a weight. The
weights of the rules that fire are added per category, the post's sentiment nudges complaints and praise,
and the best category wins if its evidence reaches `MIN_EVIDENCE`; otherwise the post is `otro`.
Ties go to the category that matters most to answer on time (denuncia, reclamo, queja, peticion, ...).

The learnt alternative (`category_backend: model`, trained from corrections with
`python main.py train --task category`) uses these rules' outputs as features.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from analyzers.text import EMOJI, LAUGH, Doc, compile_rule

RULES_VERSION = "rules-1"
MIN_EVIDENCE = 1.0
PRIORITY = ("denuncia", "reclamo", "queja", "peticion", "sugerencia", "felicitacion", "otro")

_NUM = r"(?:\d+|un|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|quince|veinte|varios|varias|muchos|muchas)"
_SERVICE = (
    r"(?:servicio|senal|internet|conexion|luz|energia|wifi|wi fi|cobertura|red|datos|television|tv|linea|"
    r"zona wifi|plataforma|pagina|sistema|telefono|celular)"
)


@dataclass(frozen=True)
class Rule:
    name: str
    category: str
    weight: float
    pattern: re.Pattern[str]
    needs: str = ""  # "" | "not_negative" | "negative": condition on the post's sentiment


def _r(name: str, category: str, weight: float, pattern: str, needs: str = "") -> Rule:
    return Rule(name, category, weight, compile_rule(pattern), needs)


RULES: tuple[Rule, ...] = (
    # --- denuncia: irregular or illegal conduct, scams using the ministry's name ---
    _r("denuncio", "denuncia", 2.5,
       r"\b(?:denuncio|denunciamos|quiero denunciar|queremos denunciar|denuncia ciudadana|reporto|reportamos|"
       r"quiero reportar|reportenlo|reportenla|exijo que investiguen|exigimos (?:una )?investigacion|"
       r"que investiguen)\b"),
    _r("estafa", "denuncia", 3.0,
       r"\b(?:estafa\w*|me estafaron|nos estafaron|fraude\w*|fraudulent\w*|phishing|timo|timadores?|"
       r"suplant\w*|clonando|clonaron)\b"),
    _r("falso", "denuncia", 2.0,
       r"\b(?:perfil(?:es)? falsos?|cuentas? falsas?|paginas? falsas?|pagina falsa|anuncio falso|link falso|"
       r"enlace falso|falsos funcionarios|mensaje fraudulento|se hacen? pasar|haciendose pasar|"
       r"a nombre del (?:ministerio|mintic)|a nombre de(?:l)? mintic|usando el (?:nombre|logo))\b"),
    _r("cobro_ilegal", "denuncia", 2.0,
       r"\b(?:piden?|pidiendo|pidio|pidieron|cobran?|cobrando|cobra) (?:\w+ ){0,3}?(?:plata|dinero|pago|"
       r"consignar|cuotas?|comision|claves?|datos bancarios|numero de la tarjeta)\b|"
       r"\b(?:me hicieron pagar|asegurar el cupo|para agilizar)\b|\bque (?:es|son) (?:gratis|gratuit[oa]s?)\b.*\bcobr|"
       r"\bcobr\w* .*\b(?:que es|que son|siendo) gratis\b"),
    _r("corrupcion", "denuncia", 3.0,
       r"\b(?:corrupcion|corrupt[oa]s?|se robaron|robandose|robando|soborno\w*|coima|mordida|serrucho|"
       r"peculado|amanad[oa]s?|irregularidad\w*|desfalco|malversacion|centros poblados|clientelismo|"
       r"detrimento|sobrecostos?|chanchullo|trafico de influencias|se quedo con|vendiendo los|venden los|"
       r"estan vendiendo|vendio los|se llevo el)\b"),
    _r("robo", "denuncia", 1.5, r"\b(?:robo|robaron|ladron\w*|rateros?)\b"),
    _r("amenaza_denuncia", "denuncia", 1.5, r"\b(?:amenazas?|extorsion\w*|acoso)\b"),
    _r("alerta_ciudadana", "denuncia", 1.0,
       r"\b(?:alerta|cuidado|ojo|pilas|no caigan|no caiga)\b(?=.*\b(?:falso|falsa|estafa\w*|fraude\w*|link|"
       r"enlace|mensaje|llamadas?|correo|whatsapp|pagina)\b)"),
    # --- reclamo: a service failing, suspended or deficient, a right not met ---
    _r("sin_servicio", "reclamo", 2.5,
       rf"\b(?:sin|no hay|no tengo|no tenemos|no tiene|se fue la|se fue el|nos quedamos sin|me quede sin|"
       rf"ni) {_SERVICE}\b"),
    _r("tiempo_sin_servicio", "reclamo", 1.5,
       rf"\b(?:llevo|llevamos|lleva|llevan|completamos|van|ya son|ya van|hace|desde hace|despues de) {_NUM} "
       r"(?:dias?|semanas?|meses|mes|horas?|anos?)\b"),
    _r("no_funciona", "reclamo", 2.0,
       r"\b(?:no funciona\w*|dejo de funcionar|no sirven?|no carga|no cargan|no abre|no prenden?|"
       r"no me deja|no nos deja|no deja|no permite|no conecta|no me reconoce|se cae|se cayo|esta caid[oa]|"
       r"caid[oa]s?|intermitente|falla\w*|error(?: \d+)?|lentisim[oa]|muy lent[oa]|dañad[oa]s?|danad[oa]s?|"
       r"se dano|se daño|apagad[oa]s?|no lo han cambiado|nunca lo activaron|nunca se activo|mal instalad[oa])\b"),
    _r("no_entregado", "reclamo", 2.0,
       r"\b(?:no (?:me |nos )?ha llegado|no (?:me |nos )?han llegado|no (?:me |nos )?llego|nunca llego|"
       r"no (?:me |nos )?han (?:pagado|entregado|enviado|devuelto|instalado|solucionado|arreglado|cambiado|"
       r"activado)|todavia no (?:me |nos )?han|aun no (?:me |nos )?han|seguimos sin|sigue sin|siguen sin|"
       r"seguimos esperando|sigue apagad[oa]|sin la entrega|nos prometieron|prometieron)\b"),
    _r("cobro_indebido", "reclamo", 2.0,
       r"\b(?:cobro indebido|cobros indebidos|me cobraron|me siguen cobrando|me sigue cobrando|"
       r"me estan cobrando|cobran de mas|doble cobro|dos veces|reembolso|devolucion del? dinero|"
       r"devuelve la plata|me descontaron|no me devuelven?|me suspendieron)\b"),
    _r("exige_arreglo", "reclamo", 1.5,
       r"\b(?:solucionen|arreglen|reparen|restablezcan|lo restablezcan|vengan a (?:arreglar|revisar)|"
       r"cuando van a (?:arreglar|solucionar|instalar|pagar|entregar|restablecer|activar)|"
       # "¿hasta cuándo?" is a complaint, unless it asks for a deadline ("¿hasta cuándo está abierta …?")
       r"hasta cuando(?! (?:esta|estan|estara|estaran) (?:abiert|disponible|vigente)|"
       r" (?:va|van|hay|tengo|tenemos|es|son) (?:la|las|el|los|plazo)\b|"
       r" (?:puedo|podemos|se puede|cierra|cierran|reciben|dura|duran|hay plazo)\b)|"
       r"exijo una solucion|necesito que lo corrijan|que lo corrijan|tengo derecho|tenemos derecho|"
       r"reclamo formal|incumpli\w*|no la hacen|nadie viene)\b"),
    _r("pide_arreglo", "reclamo", 2.5,
       r"\b(?:(?:necesito|necesitamos|pido|pedimos|quiero|queremos|exijo|exigimos|solicito|solicitamos)(?: \w+)? "
       r"y|necesito|necesitamos|pido|pedimos|quiero|queremos|exijo|exigimos|solicito|solicitamos) que "
       r"(?:(?:me|nos|la|lo|las|los|le|les|se) ){0,2}(?:reconect\w*|revis\w*|arregl\w*|entreg\w*|devuelv\w*|"
       r"reembols\w*|actualic\w*|reprogram\w*|instal\w*|solucion\w*|restablez\w*|repar\w*|cumpl\w*|"
       r"corrij\w*|cambi\w*|activ\w*|habilit\w*|pagu\w*)|"
       r"\b(?:pido|pedimos|solicito|solicitamos|exijo|exigimos) (?:la |el |una |un )?(?:reposicion|reembolso|"
       r"devolucion|reconexion|reparacion|cambio del?)\b"),
    _r("exige_explicacion", "reclamo", 1.5,
       r"\b(?:exij[oa]|exigimos|exigo|pedimos|merecemos|queremos) (?:una )?(?:explicacion|respuesta|"
       r"que (?:respondan|expliquen|informen|den la cara))|expliquen (?:que|como|por que)|den la cara|"
       r"quien responde por (?:esto|mis datos|nuestros datos|la filtracion)\b"),
    # --- queja: how a servant acted or how the service was delivered ---
    _r("mala_atencion", "queja", 2.5,
       r"\b(?:(?:mala|pesima|horrible|terrible|deficiente|nefasta) (?:atencion|experiencia|organizacion|"
       r"actitud)|atencion (?:\w+ ){0,3}?(?:pesima|mala|horrible|nefasta|lentisima|deja mucho que desear)|"
       r"(?:pesimo|mal|muy mal) servicio|mal(?:a)? manera|lo mal que atienden|no saben atender|"
       r"deja mucho que desear|pesimo el manejo)\b"),
    _r("sin_respuesta", "queja", 2.0,
       r"\b(?:nadie (?:me |nos |le )?(?:contesta|responde|atiende|dice nada|sabe nada|da razon)|"
       r"no (?:me |nos )?(?:contestan|responden|atienden|han dado respuesta|han respondido|dan razon)|"
       r"sin responder|ni un acuse|ninguna respuesta|sin respuesta|nos ignora\w*|me ignora\w*|"
       r"me colgaron|colgaron)\b"),
    _r("trato", "queja", 2.5,
       r"\b(?:groser[oa]s?|groseria|irrespetuos[oa]s?|displicente\w*|prepotente\w*|despota|me trataron|"
       r"nos trataron|me tratan mal|el trato|con desprecio|mala actitud|maltrato|maltrataron|"
       r"falta de respeto|falta de seriedad|no le importa)\b"),
    _r("funcionario", "queja", 1.0,
       r"\b(?:funcionari[oa]s?|asesor[ao]?|asesores|servidor(?:es)? public[oa]s?|contratista|personal|"
       r"tutor[ae]?s?|tutora|mentores|instructor[ae]?s?|profe(?:sora?)?|coordinador[ae]?|guardia|soporte|"
       r"call center|chat|linea (?:de atencion|018000)|mesa de ayuda|persona que contesta)\b", "negative"),
    _r("espera", "queja", 1.5,
       r"\b(?:en espera|esperando en|me tienen esperando|hacer fila|horas? esperando|minutos? en espera|"
       r"tramitologia|desorganiza\w*|caos|de dependencia en dependencia|tres veces|me tienen de|"
       r"me mandaron a otra|me rechazaron|excusas|plantilla|fuera del plazo|para nada)\b"),
    _r("queja_explicita", "queja", 2.0,
       r"\b(?:me quejo|queja formal|quejarme|inaceptable|es una burla|que verguenza|una verguenza|"
       r"ineficientes?|incompetentes?|negligen\w*|ilegal que|no es justo|no puede ser que|asi no se puede)\b"),
    # --- peticion: asks for information, a procedure, help or documents ---
    _r("pregunta_como", "peticion", 2.0,
       r"\b(?:como|donde|cuando|cual|cuales|cuanto|cuanta|que) (?:me |se |le |puedo |podemos |debo |hago |"
       r"hacemos |hay |es |son |piden |sale |salen |abren |empiezan |queda |dura |tiene |verifico |"
       r"recupero |accedo |aplico |tramito |actualizo |solicito |inscribo |comunico |descargo |envio )"
       r"(?=.*\?)"),  # an interrogative word is a question only when the post asks one
    _r("pregunta", "peticion", 1.0, r"\?"),
    _r("solicito", "peticion", 2.0,
       r"\b(?:solicito|solicitamos|requiero|requerimos|quisiera|quisieramos|quiero saber|quisiera saber|"
       r"me gustaria saber|necesito saber|necesitamos saber|necesito|necesitamos|agradeceria\w*|"
       r"me pueden|me podrian|nos pueden|nos podrian|me ayudan|ayudenme|me colaboran|me informan|"
       r"me indican|me dice|me dicen|alguien sabe|alguien me|una duda|consulta|derecho de peticion|"
       r"por favor (?:me|nos) (?:informan|indican|ayudan|dicen|envian|colaboran)|"
       r"(?:favor|por favor) (?:confirmar|informar|indicar|enviar)|(?:me|nos) confirman|confirmen si)\b"),
    _r("imperativo", "peticion", 1.5,
       r"\b(?:envienme|enviennos|indiquenme|expliquenme|informenme|orientenme|diganme|digame|"
       r"colaborenme|ayudenme|regalenme|pasenme|mandenme)\b"),
    _r("tramite_info", "peticion", 0.8,
       r"\b(?:informacion|requisitos|inscribirme|inscribirse|inscripcion|formulario|certificado|"
       r"certificacion|constancia|diploma|link|enlace|fecha|plazo|horario|postularme|aplicar|radicado|"
       r"usuario|contrasena|clave|documentos|terminos de referencia|calendario)\b"),
    # --- sugerencia: a proposal to improve a service or the ministry's management ---
    _r("sugiero", "sugerencia", 3.0,
       r"\b(?:sugiero|sugerimos|les sugiero|sugerencia|propongo|proponemos|propuesta|mi recomendacion|"
       r"recomiendo que|recomendaria|recomiendo usar|una idea|ideas para|valdria la pena|convendria)\b"),
    _r("seria_bueno", "sugerencia", 2.5,
       r"\b(?:seria|estaria) (?:muy )?(?:bueno|bien|chevere|genial|ideal|excelente|importante|util|"
       r"interesante|bacano)\b|\bque tal si\b"),
    _r("deberian", "sugerencia", 1.5,
       r"\b(?:deberian|deberia|podrian (?:implementar|crear|hacer|agregar|ampliar|incluir|mejorar|"
       r"habilitar|considerar|poner|abrir|enviar|publicar|tener|usar)|por que no (?:hacen|crean|ponen|"
       r"implementan|abren|hacen)|ojala (?:amplien|implementen|lleven|pongan|hagan|abran|incluyan)|"
       r"para mejorar)\b"),
    # --- felicitacion: praise or thanks ---
    _r("gracias", "felicitacion", 2.0,
       r"\b(?:gracias|agradezco|agradecemos|agradecid[oa]s?|agradecimiento|agradecida|muy agradecidos|"
       r"dios (?:les|le|los) (?:pague|bendiga)|mil bendiciones)\b", "not_negative"),
    _r("felicito", "felicitacion", 2.5,
       r"\b(?:felicitaciones|felicito|felicitamos|felicidades|bravo|enhorabuena|un aplauso|reconocimiento|"
       r"(?:excelente|buen|gran|muy buen[oa]) (?:trabajo|labor|gestion|iniciativa|programa|servicio|"
       r"atencion|curso|taller|evento)|bien hecho|sigan asi|que orgullo|orgullos[oa]|valoro)\b",
       "not_negative"),
    _r("elogio", "felicitacion", 1.2,
       r"\b(?:excelente|chevere|bacano|que maravilla|que buena|que bueno|muy buena|muy bueno|"
       r"me encanto|que felicidad|por fin|berracos|unos duros|perfecto|amables?|paciente)\b",
       "not_negative"),
)

GRATITUDE_ONLY = frozenset({"gracias"})
QUESTION_RULES = frozenset({"pregunta", "pregunta_como"})
# A question that mocks, muses or complains asks for nothing: it is not a petition by itself.
RHETORICAL = compile_rule(
    r"\b(?:sera que|en serio|no les da (?:pena|verguenza)|alguien mas|ustedes creen|o no \?|por que sera|"
    r"quien (?:se invento|les dijo|dijo que)|hay algo mas|en que momento|de que \?|a poco|acaso|"
    r"para que (?:ponen|sirve|sirven|hacen)|pa que|nadie les dijo|como asi que|que tal que|"
    r"a ver cuanto|a ver si|que oso|que verguenza|que pena con)\b"
)
MOCKING_EMOJI = frozenset("😂🤣🤡🙄🤔🍿😬🥱🤦💀😒")


@dataclass(frozen=True, slots=True)
class CategoryResult:
    category: str
    rules: tuple[str, ...]  # e.g. ("category:rule:sin_servicio", "category:rule:tiempo_sin_servicio")
    scores: tuple[tuple[str, float], ...] = ()


def _rhetorical(doc: Doc) -> str:
    """"phrase" for a rhetorical question ("¿será que…?", "¿en serio…?"), "mood" for a post that laughs or
    mocks (😂, jajaja), "" otherwise."""
    if RHETORICAL.search(doc.norm):
        return "phrase"
    mocking = any(t.kind == LAUGH or (t.kind == EMOJI and any(ch in MOCKING_EMOJI for ch in t.text))
                  for t in doc.tokens)
    return "mood" if mocking else ""


class RuleCategorizer:
    """The default PQRSD classifier: no training data, every decision explained by rule names."""

    version = RULES_VERSION

    def __init__(self, rules: Sequence[Rule] = RULES, min_evidence: float = MIN_EVIDENCE) -> None:
        self.rules = tuple(rules)
        self.min_evidence = min_evidence

    def fired(self, doc: Doc, sentiment: str = "neutral") -> list[Rule]:
        text = doc.norm
        out = []
        for rule in self.rules:
            if rule.needs == "negative" and sentiment != "negative":
                continue
            if rule.needs == "not_negative" and sentiment == "negative":
                continue
            if rule.pattern.search(text):
                out.append(rule)
        return out

    def classify(self, doc: Doc, sentiment: str = "neutral") -> CategoryResult:
        fired = self.fired(doc, sentiment)
        # A question mark alone asks nothing in a post that laughs or mocks; an explicit "¿cómo me inscribo?"
        # still does, unless the question itself is a rhetorical one ("¿será que…?", "¿en serio…?").
        mood = _rhetorical(doc)
        if mood:
            dropped = QUESTION_RULES if mood == "phrase" else frozenset({"pregunta"})
            fired = [r for r in fired if r.name not in dropped]
        totals: dict[str, float] = {}
        for rule in fired:
            totals[rule.category] = totals.get(rule.category, 0.0) + rule.weight
        if sentiment == "negative":
            for category in ("queja", "reclamo"):
                if category in totals:
                    totals[category] += 0.5
            totals.pop("felicitacion", None)
        elif sentiment == "positive" and "felicitacion" in totals:
            totals["felicitacion"] += 0.5
        # "Gracias" that closes a request is politeness, not praise.
        only_thanks = {r.name for r in fired if r.category == "felicitacion"} <= GRATITUDE_ONLY
        if "felicitacion" in totals and only_thanks and any(
            c in totals for c in ("peticion", "reclamo", "queja", "denuncia", "sugerencia")
        ):
            totals.pop("felicitacion")
        if not totals:
            return CategoryResult("otro", ("category:rule:default_otro",))
        best = max(totals.items(), key=lambda kv: (kv[1], -PRIORITY.index(kv[0])))
        if best[1] < self.min_evidence:
            return CategoryResult("otro", ("category:rule:default_otro",), tuple(sorted(totals.items())))
        names = tuple(f"category:rule:{r.name}" for r in fired if r.category == best[0])
        return CategoryResult(best[0], names, tuple(sorted(totals.items())))

    def feature_names(self) -> list[str]:
        return [r.name for r in self.rules] + [f"rules_say:{c}" for c in PRIORITY]

    def fired_features(self, doc: Doc) -> list[str]:
        """Rule names that fire (sentiment-independent view) plus the rules' own answer, for the model."""
        names = [r.name for r in self.fired(doc, "neutral")]
        names.append(f"rules_say:{self.classify(doc).category}")
        return names
