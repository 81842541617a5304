"""Campaign matching: hashtags, keywords, links and utm_campaign values, the Bogotá date range, accents and
whole-word rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from analyzers.campaigns import CampaignMatcher, bogota_date, normalize_link
from domain import Campaign

TALENTO = Campaign(id="talento-ti", name="#TalentoTI", starts_on=date(2026, 11, 16), ends_on=date(2026, 11, 22),
                   hashtags=("#TalentoTI",), keywords=("talento ti", "becas de programación"),
                   links=("https://www.mintic.gov.co/talentoti", "talentoti2026"))
CIBER = Campaign(id="ciberseguridad", name="No caigas en la trampa", starts_on=date(2026, 11, 1),
                 hashtags=("NoCaigasEnLaTrampa", "Ciberseguridad"), links=("utm_campaign=NoCaigas",))
MISION = Campaign(id="mision-tic", name="Misión TIC", starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31),
                  hashtags=("MisiónTIC",), keywords=("mision tic",))

MATCHER = CampaignMatcher([TALENTO, CIBER, MISION])
MONDAY = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)


def ids(text: str, **kw) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    return MATCHER.match(text, **kw)


@pytest.mark.parametrize("text", ["Inscríbete en #TalentoTI", "#talentoti ya!", "Vamos #TalentoTí 🚀",
                                  "#TALENTOTI.", "(#TalentoTI)", "inscripciones,#TalentoTI,hoy"])
def test_hashtag_whole_case_and_accent_insensitive(text: str) -> None:
    assert ids(text) == ("talento-ti",)


@pytest.mark.parametrize("text", ["#TalentoTIC", "#TalentoTI2026", "#MiTalentoTI", "TalentoTI sin numeral",
                                  "#Talento_TI", "correo talentoti@mintic.gov.co", "@TalentoTI"])
def test_hashtag_is_not_partial(text: str) -> None:
    only_hashtag = CampaignMatcher([Campaign(id="talento-ti", name="x", starts_on=date(2026, 1, 1),
                                             hashtags=("TalentoTI",))])
    assert only_hashtag.match(text) == ()


def test_a_keyword_also_matches_the_words_of_a_hashtag() -> None:
    # hashtags are split into words like everywhere else (analyzers.text): "#MiTalentoTI" says "talento ti"
    assert ids("#MiTalentoTI") == ("talento-ti",)
    assert ids("#TalentoTIC") == ()


def test_hashtag_with_accent_in_the_definition_matches_without() -> None:
    assert ids("Gracias #MisionTIC") == ("mision-tic",)
    assert ids("Gracias #MisiónTIC") == ("mision-tic",)
    assert ids("Gracias #MISIÓNTIC") == ("mision-tic",)


@pytest.mark.parametrize(("text", "expected"), [
    ("Abrimos la convocatoria de Talento TI", ("talento-ti",)),
    ("ABRIMOS TALENTO-TI", ("talento-ti",)),  # punctuation between words is a word break
    ("becas de PROGRAMACION para jovenes", ("talento-ti",)),  # folded: no accent needed
    ("talento tic en el colegio", ()),  # whole words only
    ("talentos ti", ()),
    ("el talento, ti dirás", ()),  # words of a phrase must be adjacent (punctuation breaks a phrase)
    ("Misión TIC 2022 y Talento TI", ("talento-ti", "mision-tic")),  # stable order: by id
])
def test_keywords_are_whole_words_folded(text: str, expected: tuple[str, ...]) -> None:
    assert ids(text) == tuple(sorted(expected))


def test_keywords_do_not_match_inside_urls_or_mentions() -> None:
    assert ids("mira https://example.invalid/talento/ti y @mision_tic") == ()


@pytest.mark.parametrize("url", [
    "https://www.mintic.gov.co/talentoti",
    "http://mintic.gov.co/talentoti/convocatoria?x=1",
    "https://MINTIC.gov.co/TalentoTI/",
    "mintic.gov.co/talentoti#inscripcion",
    "https://www.mintic.gov.co/talentoti?utm_source=x",
])
def test_link_prefix_scheme_and_www_insensitive(url: str) -> None:
    assert ids("Inscríbete", urls=[url]) == ("talento-ti",)


@pytest.mark.parametrize("url", ["https://www.mintic.gov.co/talentotic", "https://mintic.gov.co/",
                                 "https://evil.example/mintic.gov.co/talentoti", "https://t.co/AbC123"])
def test_link_prefix_ends_at_a_path_boundary(url: str) -> None:
    assert ids("Inscríbete", urls=[url]) == ()


def test_links_in_the_text_count_with_their_trailing_punctuation_removed() -> None:
    assert ids("Inscríbete en https://www.mintic.gov.co/talentoti.") == ("talento-ti",)
    assert ids("(ver www.mintic.gov.co/talentoti/becas)") == ("talento-ti",)


def test_utm_campaign_values() -> None:
    assert ids("", urls=["https://example.invalid/x?utm_source=tw&utm_campaign=talentoti2026"]) == ("talento-ti",)
    assert ids("https://example.invalid/x?utm_campaign=TalentoTI2026&a=1") == ("talento-ti",)
    assert ids("", urls=["https://example.invalid/x?utm_campaign=nocaigas"]) == ("ciberseguridad",)
    assert ids("", urls=["https://example.invalid/x?utm_campaign=nocaigas2"]) == ()
    assert ids("", urls=["https://example.invalid/nocaigas"]) == ()  # a utm value is not a path


def test_date_range_in_bogota_days_both_ends_included() -> None:
    # 2026-11-16 00:30 in Bogotá is 05:30 UTC; 2026-11-16 04:59 UTC is still the 15th in Bogotá
    assert ids("#TalentoTI", created_at=datetime(2026, 11, 16, 5, 30, tzinfo=UTC)) == ("talento-ti",)
    assert ids("#TalentoTI", created_at=datetime(2026, 11, 16, 4, 59, tzinfo=UTC)) == ()
    # the last day, 23:59 in Bogotá = 04:59 UTC of the next day
    assert ids("#TalentoTI", created_at=datetime(2026, 11, 23, 4, 59, tzinfo=UTC)) == ("talento-ti",)
    assert ids("#TalentoTI", created_at=datetime(2026, 11, 23, 5, 0, tzinfo=UTC)) == ()
    # no end: still running years later; a non-UTC aware datetime is converted
    later = datetime(2030, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert ids("#Ciberseguridad", created_at=later) == ("ciberseguridad",)
    assert ids("#Ciberseguridad", created_at=datetime(2026, 10, 31, 12, tzinfo=UTC)) == ()
    # no date (classify of plain text): content only
    assert ids("#TalentoTI") == ("talento-ti",)


def test_several_campaigns_and_stable_order() -> None:
    text = "#NoCaigasEnLaTrampa en #TalentoTI y #MisiónTIC #TalentoTI"
    assert ids(text, created_at=MONDAY) == ("ciberseguridad", "mision-tic", "talento-ti")
    assert CampaignMatcher([MISION, TALENTO, CIBER]).match(text) == ("ciberseguridad", "mision-tic", "talento-ti")


def test_version_changes_with_definitions_not_order() -> None:
    assert CampaignMatcher([CIBER, TALENTO]).version == CampaignMatcher([TALENTO, CIBER]).version
    edited = Campaign(**{**TALENTO.__dict__, "hashtags": ("TalentoTI", "TalentoTI2026")})
    assert CampaignMatcher([CIBER, edited]).version != CampaignMatcher([CIBER, TALENTO]).version
    moved = Campaign(**{**TALENTO.__dict__, "ends_on": date(2026, 11, 30)})
    assert CampaignMatcher([moved]).version != CampaignMatcher([TALENTO]).version
    assert CampaignMatcher([]).match("#TalentoTI") == ()


def test_bad_input_never_raises() -> None:
    for text in ["", "\ud800 roto #TalentoTI", "#", "# ", "http://", "https://[::1", "x" * 10_000]:
        MATCHER.match(text, urls=["", "::", "http://", "https://[::1"])
    assert ids("\ud800 roto #TalentoTI") == ("talento-ti",)


def test_helpers() -> None:
    assert normalize_link("HTTPS://www.MinTIC.gov.co/TalentoTI/") == "mintic.gov.co/talentoti"
    assert bogota_date(datetime(2026, 11, 16, 3, 0, tzinfo=UTC)) == date(2026, 11, 15)
    assert bogota_date(datetime(2026, 11, 16, 3, 0)) == date(2026, 11, 15)  # naive = UTC
