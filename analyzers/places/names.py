"""Hand-made word lists for the region placer: spellings people write, and how much context each name needs.

Why hand-made: DANE's list says which names exist, not which of them are also ordinary Spanish words
("Pasto", "Socorro", "Remedios"), people ("Victoria", "Uribe"), foreign places ("Madrid", "Florida") or
streets and football clubs ("Avenida Boyacá", "Once Caldas"). These lists encode that knowledge once; the
placer applies them to every name by rule (see docs/places.md). All entries are folded (lower case, no
accents, ñ -> n), as `analyzers.text.fold` makes them.

How much context a name needs (its "level"):
- SAFE: placed wherever it appears (capitals, big cities, most department names).
- CUE: needs a preposition before it ("en", "de", "desde", "para"...) or a department right after it. The
  default for names not listed here, except a one-word name of 7+ letters that no other municipality shares
  ("Chiquinquirá"), which is SAFE.
- WORD: a common word, a first name or a surname: needs a strong cue ("aquí en", "vivo en", "municipio de",
  "desde", its department right after it) or "en" + a capital letter. A hashtag is only a weak cue
  ("#totoro" is the film, "#Pasto" may be grass).
- ARTICLE: a department usually written with its article, whose bare name is also a word
  ("el Meta" vs "la meta", "el Valle", "el Cesar" vs "César"): needs "el"/"del"/"al" right before it.
- DISAMB: also a foreign place or a country ("Madrid", "Florida", "Colombia"): only when its own department
  is named in the same text ("Madrid, Cundinamarca").
"""

from __future__ import annotations

SAFE, CUE, WORD, ARTICLE, DISAMB = 0, 1, 2, 3, 4


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Department readings: folded spelling -> (dpto_code, level). The DANE names themselves are added by the
# placer at the level in DEPARTMENT_LEVELS; these are the other ways people write them.
DEPARTMENT_ALIASES: dict[str, str] = {
    "guajira": "44",
    "la guajira": "44",
    "valle del cauca": "76",
    "valle": "76",
    "norte de santander": "54",
    "nortesantander": "54",
    "norte santander": "54",
    "san andres y providencia": "88",
    "san andres providencia y santa catalina": "88",
    "archipielago de san andres": "88",
    "bogota dc": "11",
    "bogota d c": "11",
    "bogota d . c": "11",
    "bogota d . c .": "11",
    "bogota , d . c .": "11",
    "bogota , d . c": "11",
    "santafe de bogota": "11",
    "bajo cauca": "05",  # Antioquia's sub-region, not the Cauca department
    "uraba antioqueno": "05",
    "valle de aburra": "05",
    "oriente antioqueno": "05",
    "magdalena medio": "",  # a region across several departments: matched so that "magdalena" alone is not
    "eje cafetero": "",
    "valle de tenza": "",  # several departments: matched so that it places nothing
    "los santanderes": "",
    "santanderes": "",
    "costa caribe": "",
    "la costa": "",
    "los llanos": "",
}

# How much context each department's own name needs (code -> level); the default is SAFE.
DEPARTMENT_LEVELS: dict[str, int] = {
    "17": CUE,  # Caldas: Francisco José de Caldas, Once Caldas, a surname
    "23": CUE,  # Córdoba: Argentina/Spain, Piedad Córdoba
    "13": CUE,  # Bolívar: Simón Bolívar, the Venezuelan currency, Plaza de Bolívar
    "70": CUE,  # Sucre: Antonio José de Sucre, Bolivia's capital
    "68": CUE,  # Santander: Francisco de Paula Santander, Banco Santander
    "52": CUE,  # Nariño: Antonio Nariño, Casa de Nariño (the presidential palace)
    "91": WORD,  # Amazonas: the river and the rainforest ("la selva del Amazonas")
    "50": ARTICLE,  # Meta: "la meta" (goal), Meta the company
    "47": ARTICLE,  # Magdalena: the river, a first name
    "20": ARTICLE,  # Cesar: César, a first name
    "08": CUE,  # Atlántico: the ocean
}
# "valle" alone (an ordinary word: "el valle de Tenza") is ARTICLE too; the full "valle del cauca" is SAFE.
ALIAS_LEVELS: dict[str, int] = {"valle": ARTICLE, "guajira": CUE}
# Chocó: "chocó" is also "crashed" ("el bus chocó"), so without a cue it needs its capital letter.
CAPITALISED_OR_CUE: frozenset[str] = frozenset({"choco"})
# ARTICLE-level names that are also common nouns after an article ("el valle donde vivo"): need a capital too.
ARTICLE_NEEDS_CAPS: frozenset[str] = frozenset({"valle", "magdalena"})

# Municipality spellings people write -> mpio_code (folded, tokens separated by spaces; "/" and "." are
# their own tokens, so "B/quilla" is "b / quilla").
MUNICIPALITY_ALIASES: dict[str, str] = {
    "bogota": "11001", "bta": "11001", "bogot": "11001", "bogota dc": "11001",
    "cali": "76001", "santiago de cali": "76001",
    "cucuta": "54001",
    "cartagena": "13001", "ctg": "13001",
    "barranquilla": "08001", "b / quilla": "08001", "bquilla": "08001", "barranquiya": "08001",
    "baq": "08001", "curramba": "08001", "quilla": "08001",
    "medellin": "05001", "medallo": "05001", "medellin antioquia": "05001",
    "villavo": "50001",
    "bucara": "68001", "bmanga": "68001",
    "b / manga": "68001",
    "tumaco": "52835",
    "buga": "76111",
    "mompox": "13468", "mompos": "13468",
    "lorica": "23417",
    "tolu": "70820",
    "ubate": "25843",
    "mariquita": "73443",
    "villa de leyva": "15407", "villa de leiva": "15407", "villadeleyva": "15407",
    "santa fe de antioquia": "05042",
    "carmen de bolivar": "13244",
    "carmen de viboral": "05148",
    "san vicente del caguan": "18753",
    "fusa": "25290",
    "barranca": "68081",
    "valle dupar": "20001", "vpar": "20001",
    "sanandres": "88001",
    "providencia isla": "88564", "isla de providencia": "88564",
    "puerto asis": "86568",
    # nicknames
    "la arenosa": "08001",
    "sucursal del cielo": "76001",
    "corralito de piedra": "13001",
    "ciudad de la eterna primavera": "05001",
    "piendamo": "19548",
    "tunia": "19548",
}

# Municipality names (folded DANE names or aliases) placed wherever they appear.
SAFE_MUNICIPALITIES: frozenset[str] = _words("""
medellin barranquilla bogota cartagena tunja manizales popayan valledupar monteria quibdo neiva riohacha
villavicencio cucuta bucaramanga sincelejo ibague cali yopal mocoa inirida mitu soacha itagui envigado tulua
barrancabermeja floridablanca piedecuesta dosquebradas sogamoso duitama zipaquira facatativa fusagasuga
tumaco ipiales maicao uribia aguachica magangue caucasia jamundi yumbo buenaventura chiquinquira sabaneta
turbaco malambo lorica cerete pitalito chinchina calarca  montelibano tierralta  medallo
bquilla barranquiya villavo bucara bta ctg mompox mompos ubate  cajica funza tocancipa sibate guaduas villeta
girardota marinilla guarne chigorodo carepa necocli  baranoa galapa sampues barichara zapatoca
saravena arauquita tauramena aguazul sibundoy timbiqui istmina condoto nuqui acandi unguia bojaya yarumal urrao
""")
SAFE_MUNICIPALITY_PHRASES: frozenset[str] = frozenset({
    "sucursal del cielo", "corralito de piedra", "ciudad de la eterna primavera",
    "santa marta", "puerto carreno", "san jose del guaviare", "santiago de cali", "san jose de cucuta",
    "cartagena de indias", "b / quilla", "villa del rosario", "villa de leyva", "villa de leiva",
    "santa fe de antioquia", "carmen de bolivar", "carmen de viboral", "san vicente del caguan",
    "santander de quilichao", "puerto tejada", "bahia solano", "puerto asis", "puerto gaitan", "san andres",
    "puerto boyaca", "puerto berrio", "san gil", "santa rosa de cabal", "santa rosa de osos",
    "el carmen de viboral", "el carmen de bolivar", "la tebaida",
    "san andres de tumaco", "guadalajara de buga", "santa cruz de mompox", "santa cruz de lorica",
    "san sebastian de mariquita", "villa de san diego de ubate", "puerto colombia", "puerto santander",
})

# Ordinary Spanish words, first names and surnames among municipality names (need a strong cue).
WORD_MUNICIPALITIES: frozenset[str] = _words("""
agrado aguada aguadas algarrobo altamira andes angostura arenal arboleda arboledas barrancas betania
caimito campamento candelaria carolina cartago castilla cerrito cienaga cienega clemencia colon concepcion
concordia confines contadero contratacion convencion corinto corozal corrales cotorra distraccion dolores
elias encino espinal florian floresta fundacion gama galeras gigante guaca hato hobo honda jardin jesus
lejanias lourdes manta margarita matanza mercaderes montebello palmar palmito paramo pasto bello pesca
piedras piojo plato pradera prado providencia purificacion regidor remedios remolino retiro rosas silos
socorro toro trinidad victoria soledad florencia guadalupe leticia santiago silvia tamara galan pereira
acevedo alcala aldana alvarado arbelaez balboa barbosa becerril beltran briceno cabrera caicedo cisneros
enciso fonseca funes gamarra garzon giraldo girardot giron gonzalez gutierrez herran leiva linares maceo
medina melgar miranda morales murillo neira obando olaya ortega ospina padilla pedraza pinillos restrepo
ricaurte rivera rovira salazar saldana salgar santana solano suarez tello trujillo ulloa valdivia velez
vergara villanueva mosquera palmira armenia ocana pamplona sahagun apartado turbo santuario salento
granada remedios segovia zaragoza chita nobsa puli une tona toca iza cota sora susa tota tuta pore mani
chia nilo paya yali suan sipi tado aipe apia anza achi tibu iles inza tena pital guamo tarso tasco toca
frontino fortul cantagallo marquetalia puebloviejo policarpa buenavista florida rionegro
caldas narino sucre bolivar cordoba pajarito planadas mesetas santacruz silvania vistahermosa villarrica
riofrio entrerrios lebrija chaparral casabianca almeida alpujarra barbacoas cimitarra heliconia repelon mogotes
monitos morichal filandia venadillo zambrano toribio manzanares cajamarca alejandria caracoli copacabana
fredonia barranca quilla arjona acacias mariquita quimbaya atrato astrea calamar calima coello coloso jurado lloro
manati ovejas pacho peque penol
rondon saboya solita totoro vetas zarzal chalan abrego alban ataco fosca cacahual guacamayas tarapaca
""") | frozenset({"villa rica", "zona bananera"}) | frozenset({
    "nueva granada", "pueblo nuevo", "pueblo bello", "pueblo rico", "castilla la nueva", "jesus maria",
    "olaya herrera", "roberto payan", "agustin codazzi", "juan de acosta", "medio atrato", "medio baudo",
    "medio san juan", "union panamericana", "paz de rio", "paz de ariporo", "agua de dios", "buenos aires",
    "santa ana", "santa lucia", "santa sofia", "santa isabel", "santa catalina", "santo tomas", "santa maria",
    "santa barbara", "santa rosa", "san pedro", "san luis", "san jose", "san antonio", "san francisco",
    "san martin", "san miguel", "san pablo", "san carlos", "san bernardo", "san cayetano", "san rafael",
    "san roque", "san diego", "san juanito", "san lorenzo", "san marcos", "san mateo", "san sebastian",
    "san cristobal", "san benito", "san agustin", "san alberto", "san eduardo", "san felipe", "san fernando",
    "san joaquin", "san jacinto", "san jeronimo", "san zenon", "el carmen",
})

# Also foreign places, countries or famous people: only with their own department named in the text.
DISAMB_MUNICIPALITIES: frozenset[str] = _words("""
albania argelia andalucia california colombia filadelfia genova ginebra jerusalen jordan libano malaga
marsella milan monterrey morelia palermo palestina pensilvania piamonte potosi segovia sevilla tenerife teruel
toledo valencia versalles madrid montenegro uribe samana viterbo junin tesalia salamina hispania venecia belen
jerico amalfi caceres valparaiso miraflores montecristo trinidad lerida florida aquitania roncesvalles flandes
tamesis algeciras zaragoza utica
""") | frozenset({
    "puerto rico", "santo domingo", "buenos aires", "los andes", "la argentina", "francisco pizarro",
    "santa lucia", "puerto escondido", "villahermosa", "ciudad bolivar", "la florida", "la union", "retiro",
    # saints: also neighbourhoods, parishes, schools, hospitals, Bogotá's San Cristóbal, foreign cities
    "san jose", "san antonio", "san cristobal", "san diego", "san sebastian", "san fernando", "san felipe",
    "san lorenzo", "san marcos", "san mateo", "san rafael", "san roque", "san benito", "san francisco", "san luis",
    "san martin", "san carlos", "san miguel", "san pablo", "san pedro", "san bernardo", "san cayetano",
    "san alberto", "san eduardo", "san joaquin", "san jeronimo", "san juanito", "santa ana", "santa sofia",
    "santa isabel", "santa catalina", "santa maria", "santa barbara", "santa rosa", "santo tomas",
    # an article and a common word, or a famous place elsewhere (El Dorado is Bogotá's airport)
    "el paso", "el cairo", "el dorado", "el banco", "el colegio", "el calvario", "el encanto", "el aguila",
    "los santos", "la palma", "la sierra", "la gloria", "la virginia", "la plata", "la paz", "la victoria",
})

# Tokens that, right before a name, mean a person, a street, an institution or a team, not a place.
PERSON_BEFORE: frozenset[str] = _words("""
simon antonio francisco jose maria juan pedro luis carlos jorge ana piedad gustavo alvaro ivan sergio claudia
gloria martha marta paula camilo daniel david diego miguel rafael ricardo alejandro manuel fernando julio
jaime hector oscar eduardo enrique alberto victor pablo mario ruben angel lucia rosa laura sandra patricia
monica diana natalia andrea valentina isabel elena sofia tomas nicolas felipe gabriel mauricio german hernan
humberto alfonso ingrid viviana adriana juliana marcela lina johana yolanda ernesto gonzalo hugo raul rodrigo
juanita camila daniela paola carmen tatiana esteban sebastian andres
don dona senor senora sr sra dr dra doctor doctora ministra ministro senador senadora representante concejal
concejala general coronel padre profe profesor profesora presidente expresidente expresidenta presidenta
""")
PLACE_BLOCKERS_BEFORE: frozenset[str] = _words("""
avenida av avda autopista calle cl carrera cra kr cr transversal diagonal troncal carretera via plaza parque
puente barrio batalla casa banco deportes deportivo atletico once independiente real jaguares patriotas
union junior club rio oceano selva estadio hospital clinica colegio escuela teatro edificio centro
hotel conjunto urbanizacion vereda san santa santo
""")
PLACE_BLOCKERS_AFTER: frozenset[str] = _words("""
deportivo chico fc f espana spain argentina venezuela mexico peru ecuador chile panama usa eeuu eu us italia
italy francia france bolivia brasil brazil cuba europa costa honduras guatemala paraguay uruguay uk
canada alemania inglaterra portugal filipinas australia dominicana texas california
""")
# Countries and foreign cities Colombians most often write in a profile location: a profile naming one
# ("Bogotá - New York", "Paris - Bogotá - Madrid") does not say where the author is now, so it places nothing.
FOREIGN_PLACES: frozenset[str] = PLACE_BLOCKERS_AFTER - {"deportivo", "chico", "fc", "f", "costa"} | _words("""
barcelona paris londres london miami orlando york nyc toronto berlin roma rome lima quito caracas milan amsterdam
munich dubai tokio tokyo sydney guayaquil maracaibo
""")  # not "Madrid", "Sevilla", "Valencia", "Santiago": Colombian municipalities too (DISAMB handles them)
# Within a few words of "Bogotá", these make it the seat of government rather than where the post is from.
NATIONAL_WORDS: frozenset[str] = _words("""
ministerio mintic gobierno ministra ministro presidente presidencia congreso nacional nacion senado
""")

# Cues before a name. Strong cues say the writer is there or names the unit; weak cues are prepositions.
STRONG_BEFORE: tuple[tuple[str, ...], ...] = tuple(tuple(p.split()) for p in """
aqui en
aca en
alla en
vivo en
vivimos en
estoy en
estamos en
viven en
soy de
somos de
desde
municipio de
municipio del
ciudad de
pueblo de
departamento de
departamento del
depto de
depto del
dpto de
dpto del
depto
dpto
gobernacion de
gobernacion del
alcaldia de
habitantes de
corregimiento de
""".strip().splitlines())
WEAK_BEFORE: frozenset[str] = _words("en de del desde a al para pa por hacia hasta")
WORD_WEAK_BEFORE: frozenset[str] = frozenset({"en"})  # with a capital letter, enough for a WORD-level name
HERE_BEFORE: tuple[tuple[str, ...], ...] = tuple(tuple(p.split()) for p in """
aqui en
aca en
vivo en
vivimos en
estoy en
estamos en
""".strip().splitlines())
ARTICLES: frozenset[str] = frozenset({"el", "la", "los", "las"})
DEPT_ARTICLE_CUES: frozenset[str] = frozenset({"el", "del", "al"})
SEPARATORS: frozenset[str] = frozenset({",", "-", "(", "/"})
# Between two names in a list ("Medellín y Rionegro", "de Cali a Palmira"): the list is context for both.
CONJUNCTIONS: frozenset[str] = frozenset({"y", "e", ",", "a", "o"})
