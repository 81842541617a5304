"""Audience segments: each rule kind matches what it should and nothing else; order and versions; config errors."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from analyzers.segment_defaults import DEFAULT_SEGMENTS
from analyzers.segments import (
    NO_PROFILE,
    Placement,
    RuleSpec,
    Segmenter,
    SegmentRules,
    SegmentSpec,
    url_host,
)
from bot.config import ConfigError, parse_config, segmenter
from domain import Author, Platform

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
SEGMENTS = (SegmentSpec("prensa", "Prensa", 3, ("ELTIEMPO", "instagram:solo_ig")), SegmentSpec("oficial", "Oficial", 3),
            SegmentSpec("grandes", "Grandes", 2), SegmentSpec("ciudadania", "Ciudadanía"))


def author(handle: str = "alguien", platform: Platform = Platform.X, **fields: object) -> Author:
    return Author(platform=platform, author_id=f"id-{handle}", handle=handle, seen_at=NOW, **fields)  # type: ignore[arg-type]


def seg(*rules: RuleSpec, segments: tuple[SegmentSpec, ...] = SEGMENTS) -> Segmenter:
    return Segmenter(SegmentRules(segments, rules, "ciudadania"))


DEFAULTS = segmenter(parse_config({}))


# --- handles -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("handle", ["ELTIEMPO", "eltiempo", "@ElTiempo", " eltiempo "])
def test_handles_ignore_case_and_at_sign(handle):
    assert seg().place(author(handle)) == Placement("prensa", "handle:eltiempo")


def test_handle_must_be_the_whole_handle():
    assert seg().place(author("eltiempo_fan")).segment == "ciudadania"
    assert seg().place(author("el")).segment == "ciudadania"


def test_platform_prefixed_handle_only_on_that_platform():
    assert seg().place(author("solo_ig", Platform.INSTAGRAM)) == Placement("prensa", "handle:instagram:solo_ig")
    assert seg().place(author("solo_ig", Platform.X)).segment == "ciudadania"


def test_an_authors_name_is_never_read_as_a_platform_prefix():
    s = seg(segments=(SegmentSpec("prensa", "Prensa", 3, ("x:juan",)), SegmentSpec("ciudadania", "C")))
    assert s.place(author("x: juan", Platform.FACEBOOK)).segment == "ciudadania"  # a Facebook name, not X's juan
    assert s.place(author("Juan", Platform.X)).segment == "prensa"


def test_handle_wins_over_any_rule():
    s = seg(RuleSpec("oficial", verified=("government",)))
    assert s.place(author("ELTIEMPO", verified_type="government")).segment == "prensa"


# --- bio words ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("bio", ["periodista", "Periodista de @ELTIEMPO", "PERIODISTA.", "Soy periodista 📰",
                                 "Mamá, caleña y periodista"])
def test_bio_word_case_insensitive_whole_word(bio):
    assert seg(RuleSpec("prensa", bio=("periodista",))).place(author(description=bio)) == \
        Placement("prensa", "bio:periodista")


@pytest.mark.parametrize("bio", ["periodistas unidos", "periodismo", "superperiodista", "periodista_fan"])
def test_bio_word_does_not_match_inside_other_words(bio):
    assert seg(RuleSpec("prensa", bio=("periodista",))).place(author(description=bio)).segment == "ciudadania"


@pytest.mark.parametrize("bio", ["Concejal de Bogotá", "concejal de bogota", "CONCEJAL DE BOGOTÁ"])
def test_bio_phrase_ignores_accents_both_ways(bio):
    s = seg(RuleSpec("oficial", bio=("concejal de Bogotá",)))
    assert s.place(author(description=bio)) == Placement("oficial", "bio:concejal de bogota")


def test_phrase_spans_any_whitespace_but_needs_every_word():
    s = seg(RuleSpec("oficial", bio=("representante a la cámara",)))
    assert s.place(author(description="Representante a la\nCámara por Antioquia")).segment == "oficial"
    assert s.place(author(description="Representante legal de la cámara de comercio")).segment == "ciudadania"


def test_final_star_allows_any_ending_per_word():
    s = seg(RuleSpec("oficial", bio=("senador*", "ingenier* de sistemas")))
    assert s.place(author(description="Senadora de la República")).rule == "bio:senador*"
    assert s.place(author(description="Ingeniera de Sistemas")).rule == "bio:ingenier* de sistemas"
    assert s.place(author(description="Ingeniería de sistemas UNAL")).rule == "bio:ingenier* de sistemas"
    assert s.place(author(description="exsenador")).segment == "ciudadania"  # the star is at the end only


@pytest.mark.parametrize("bio", ["No soy periodista", "no soy un periodista, solo opino", "Ni periodista ni político",
                                 "Opino sin ser periodista", "Nunca fui periodista"])
def test_negated_bio_word_does_not_count(bio):
    assert seg(RuleSpec("prensa", bio=("periodista",))).place(author(description=bio)).segment == "ciudadania"


@pytest.mark.parametrize("bio", ["Periodista. No al fracking", "No, periodista de verdad", "Ex periodista",
                                 "No me callo: periodista", "Esto no es un chiste y mucho menos un blog. Periodista"])
def test_negation_only_counts_just_before_in_the_same_clause(bio):
    assert seg(RuleSpec("prensa", bio=("periodista",))).place(author(description=bio)).segment == "prensa"


def test_a_later_plain_occurrence_still_counts():
    s = seg(RuleSpec("prensa", bio=("periodista",)))
    assert s.place(author(description="No soy periodista de profesión. Hoy: periodista ciudadano")).segment == "prensa"


def test_bio_words_also_read_the_display_name():
    s = seg(RuleSpec("oficial", bio=("concejal*",)))
    assert s.place(author(display_name="Concejala Ana Pérez")).rule == "bio:concejal*"


def test_bio_regex_runs_on_the_folded_text():
    s = seg(RuleSpec("prensa", bio_regex=(r"\bdirector(a)? de (noticias|informativos)\b",)))
    assert s.place(author(description="Directora de Noticias en Cali")).rule.startswith("bio_regex:")
    assert s.place(author(description="Director de cine")).segment == "ciudadania"


# --- domains -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("website", ["https://www.mintic.gov.co/portal/inicio/", "mintic.gov.co", "http://gov.co",
                                     "HTTPS://WWW.MINTIC.GOV.CO", "https://user@senado.gov.co:443/x",
                                     "https://mintic.gov.co./"])
def test_official_domain_on_the_website_host(website):
    assert seg(RuleSpec("oficial", domains=(".gov.co",))).place(author(website=website)) == \
        Placement("oficial", "domain:.gov.co")


@pytest.mark.parametrize("website", ["https://gov.co.example.com", "https://mygov.co", "https://example.com/.gov.co",
                                     "https://example.com/?r=www.mintic.gov.co", "https://www.gov.co@evil.example",
                                     "https://notgov.co", "", "   ", "http://[::1"])
def test_domain_look_alikes_do_not_match(website):
    assert seg(RuleSpec("oficial", domains=(".gov.co",))).place(author(website=website)).segment == "ciudadania"


def test_domain_is_also_read_from_the_profile_url():
    s = seg(RuleSpec("oficial", domains=("mintic.gov.co",)))
    assert s.place(author(profile_url="https://portal.mintic.gov.co/u/1")).rule == "domain:mintic.gov.co"


def test_url_host():
    assert url_host("WWW.Example.COM/path") == "www.example.com"
    assert url_host(None) is None and url_host("") is None


# --- verified, followers, None fields ------------------------------------------------------------------------

def test_verified_type():
    s = seg(RuleSpec("oficial", verified=("government",)))
    assert s.place(author(verified_type="government")) == Placement("oficial", "verified:government")
    assert s.place(author(verified_type="Government")).segment == "oficial"
    for other in ("business", "blue", "none", ""):
        assert s.place(author(verified_type=other)).segment == "ciudadania"


def test_follower_threshold_is_inclusive():
    s = seg(RuleSpec("grandes", min_followers=50_000))
    assert s.place(author(followers=50_000)) == Placement("grandes", "followers>=50000")
    assert s.place(author(followers=49_999)).segment == "ciudadania"
    assert s.place(author(followers=0)).segment == "ciudadania"


def test_unknown_fields_never_match():
    s = seg(RuleSpec("prensa", bio=("periodista",)), RuleSpec("oficial", domains=(".gov.co",)),
            RuleSpec("oficial", verified=("government",)), RuleSpec("grandes", min_followers=1),
            RuleSpec("prensa", bio_regex=(".*",)))
    assert s.place(author()) == Placement("ciudadania", "default")


def test_all_conditions_of_one_rule_must_hold():
    s = seg(RuleSpec("oficial", verified=("business",), bio=("internet",)))
    assert s.place(author(verified_type="business", description="Internet para tu hogar")) == \
        Placement("oficial", "verified:business+bio:internet")
    assert s.place(author(verified_type="business", description="Tu banco")).segment == "ciudadania"
    assert s.place(author(verified_type=None, description="Internet para tu hogar")).segment == "ciudadania"


# --- order, override, labels, version ----------------------------------------------------------------------

def test_first_matching_rule_wins_in_the_configured_order():
    bio = RuleSpec("prensa", bio=("periodista",))
    big = RuleSpec("grandes", min_followers=1000)
    someone = author(description="Periodista", followers=400_000)
    assert seg(bio, big).place(someone).segment == "prensa"
    assert seg(big, bio).place(someone).segment == "grandes"


def test_override_wins_unless_its_segment_is_gone():
    s = seg(RuleSpec("prensa", bio=("periodista",)))
    someone = author(description="Periodista")
    assert s.place(someone, override="oficial") == Placement("oficial", "override")
    assert s.place(someone, override="borrado") == Placement("prensa", "bio:periodista")


def test_placement_unpacks_as_segment_and_rule():
    segment, rule = seg().place(author("ELTIEMPO"))
    assert (segment, rule) == ("prensa", "handle:eltiempo")


def test_labels_priorities_and_high_priority():
    s = seg()
    assert s.segments == (("prensa", "Prensa"), ("oficial", "Oficial"), ("grandes", "Grandes"),
                          ("ciudadania", "Ciudadanía"))
    assert s.label("oficial") == "Oficial" and s.label(NO_PROFILE) == "Sin perfil" and s.label("viejo") == "viejo"
    assert s.priority("prensa") == 3 and s.priority(NO_PROFILE) == 0
    assert s.high_priority == frozenset({"prensa", "oficial"})


def test_version_is_stable_and_follows_what_places_authors():
    rules = (RuleSpec("prensa", bio=("periodista",)),)
    first = seg(*rules).version
    assert re.fullmatch(r"[0-9a-f]{16}", first)
    assert seg(*rules).version == first  # the same rules, another process: the same fingerprint
    relabelled = tuple(SegmentSpec(s.id, s.label.upper(), 0, s.handles) for s in SEGMENTS)
    assert seg(*rules, segments=relabelled).version == first  # labels and priorities place nobody
    assert seg(RuleSpec("prensa", bio=("periodistas",))).version != first
    assert seg(*rules, RuleSpec("grandes", min_followers=10)).version != first
    more_handles = (SegmentSpec("prensa", "Prensa", 3, ("ELTIEMPO", "instagram:solo_ig", "otro")), *SEGMENTS[1:])
    assert seg(*rules, segments=more_handles).version != first


def test_constructor_refuses_inconsistent_rules():
    with pytest.raises(ValueError, match="not one of the segments"):
        seg(RuleSpec("nadie", bio=("x",)))
    with pytest.raises(ValueError, match="two segments"):
        seg(segments=(SegmentSpec("a", "A", 0, ("x",)), SegmentSpec("ciudadania", "C", 0, ("@X",))))
    with pytest.raises(ValueError, match="reserved"):
        seg(segments=(SegmentSpec("sin_perfil", "S"), SegmentSpec("ciudadania", "C")))


# --- the shipped defaults on Colombian Spanish bios -----------------------------------------------------------

@pytest.mark.parametrize(("fields", "segment", "rule"), [
    ({"description": "Periodista de @ELTIEMPO"}, "medios_periodistas", "bio:periodista*"),
    ({"description": "Concejal de Bogotá por el partido X"}, "gobierno_y_politica", "bio:concejal*"),
    ({"description": "Senador de la República", "website": "https://senado.gov.co"}, "gobierno_y_politica",
     "bio:senador*"),
    ({"description": "Representante a la Cámara por el Valle"}, "gobierno_y_politica",
     "bio:representante a la camara"),
    ({"description": "Cuenta oficial", "website": "https://www.ane.gov.co"}, "entidades_gubernamentales",
     "domain:.gov.co"),
    ({"description": "Noticias del Ministerio de Educación"}, "entidades_gubernamentales", "bio:ministerio de"),
    ({"verified_type": "government"}, "entidades_gubernamentales", "verified:government"),
    ({"description": "Docente de ingeniería de sistemas"}, "academia", "bio:docente*"),
    ({"description": "Ingeniero de telecomunicaciones, egresado de la Universidad del Cauca"}, "sector_tic",
     "bio:ingenier* de telecomunicaciones"),
    ({"description": "Estudiante", "website": "https://www.unal.edu.co"}, "academia", "domain:.edu.co"),
    ({"verified_type": "business", "description": "Internet y telefonía para tu hogar"}, "operadores_y_empresas_tic",
     "verified:business+bio:internet"),
    ({"verified_type": "business", "description": "Tu banco amigo"}, "ciudadania", "default"),
    ({"description": "Periodista", "followers": 400_000}, "medios_periodistas", "bio:periodista*"),
    ({"description": "Viajes y comida", "followers": 120_000}, "influenciadores", "followers>=50000"),
    ({"description": "No soy periodista, pero opino"}, "ciudadania", "default"),
    ({"description": "Hincha del Cali. Papá."}, "ciudadania", "default"),
    ({}, "ciudadania", "default"),
])
def test_defaults_on_colombian_bios(fields, segment, rule):
    assert DEFAULTS.place(author(**fields)) == Placement(segment, rule)


def test_defaults_list_the_plans_audiences_and_the_issue_segments():
    ids = {sid for sid, _ in DEFAULTS.segments}
    assert {"sector_tic", "academia", "entidades_gubernamentales", "medios_periodistas", "gobierno_y_politica",
            "operadores_y_empresas_tic", "influenciadores", "ciudadania"} <= ids
    assert DEFAULTS.label("ciudadania") == "Ciudadanía (usuarios de redes sociales)"
    assert DEFAULTS.high_priority == frozenset({"medios_periodistas", "gobierno_y_politica",
                                                "entidades_gubernamentales"})


def test_shipped_config_spells_out_the_builtin_defaults():
    shipped = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))["segments"]
    assert shipped == DEFAULT_SEGMENTS
    assert segmenter(parse_config(yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8")))).version \
        == DEFAULTS.version


def test_builder_without_the_section_uses_the_defaults():
    class Bare:
        pass

    assert segmenter(Bare()).version == DEFAULTS.version


# --- config errors name the key and the fix --------------------------------------------------------------

def _error(segments: dict) -> str:
    with pytest.raises(ConfigError) as err:
        parse_config({"segments": segments})
    return str(err.value)


def test_config_unknown_segment_in_a_rule():
    text = _error({"rules": [{"segment": "medio", "bio": ["x"]}]})
    assert "segments.rules[0].segment: 'medio' is not an id in audiences" in text and "medios_periodistas" in text


def test_config_unknown_default():
    assert "segments.default: 'todos' is not an id in audiences" in _error({"default": "todos"})


def test_config_duplicate_ids_and_handles():
    two = [{"id": "a", "label": "A", "handles": ["ELTIEMPO"]}, {"id": "a", "label": "B"}]
    assert "segments.audiences: segment ids must be unique; repeated: a" in _error(
        {"audiences": two, "default": "a", "rules": []})
    twice = [{"id": "a", "label": "A", "handles": ["ELTIEMPO"]}, {"id": "b", "label": "B", "handles": ["@eltiempo"]}]
    assert "segments.audiences[1].handles: '@eltiempo' is already listed in 'a'" in _error(
        {"audiences": twice, "default": "a", "rules": []})


@pytest.mark.parametrize(("rule", "expected"), [
    ({"segment": "academia", "bio_regex": ["(unclosed"]}, "segments.rules[0].bio_regex = list: bio_regex '(unclosed' "
                                                          "is not a valid regular expression"),
    ({"segment": "academia", "min_followers": 0}, "segments.rules[0].min_followers = 0: min_followers must be"),
    ({"segment": "academia", "min_followers": "mucho"}, "segments.rules[0].min_followers = 'mucho'"),
    ({"segment": "academia", "verified": ["gold"]}, "verified 'gold' must be one of blue, business, government"),
    ({"segment": "academia", "domains": ["https://x.gov.co/"]}, "must be a host suffix such as '.gov.co'"),
    ({"segment": "academia", "bio": ["   "]}, "segments.rules[0].bio = list: bio word '   ' must be words"),
    ({"segment": "academia", "bio": ["a*b"]}, "bio word 'a*b' must be words"),
    ({"segment": "academia"}, "segments.rules[0] = dict: the rule for 'academia' has no condition"),
    ({"segment": "academia", "bio": ["x"], "words": ["y"]}, "segments.rules[0].words: unknown key"),
])
def test_config_bad_rules(rule, expected):
    assert expected in _error({"rules": [rule]})


@pytest.mark.parametrize(("audience", "expected"), [
    ({"id": "Medios", "label": "M"}, "segments.audiences[0].id = 'Medios': segment id 'Medios' must be snake_case"),
    ({"id": "sin_perfil", "label": "S"}, "'sin_perfil' is reserved"),
    ({"id": "a", "label": "A", "priority": 5}, "segments.audiences[0].priority = 5: priority must be 0"),
    ({"id": "a", "label": ""}, "segments.audiences[0].label"),
    ({"id": "a", "label": "A", "handles": ["@"]}, "handle '@' is empty"),
])
def test_config_bad_audiences(audience, expected):
    assert expected in _error({"audiences": [audience], "default": "a", "rules": []})
