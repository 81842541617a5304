"""`campaigns:` in config.yaml: the shipped list is valid and matches the sample week; every mistake names the
key and the fix."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.config import ConfigError, load_config, parse_config
from domain import Campaign

REPO = Path(__file__).resolve().parents[2]
GOOD = {"id": "talento-ti", "name": "#TalentoTI", "hashtags": ["#TalentoTI"], "starts_on": "2026-11-01"}


def error(campaign: dict, *more: dict) -> str:  # type: ignore[type-arg]
    with pytest.raises(ConfigError) as err:
        parse_config({"campaigns": [campaign, *more]})
    return str(err.value)


def test_shipped_campaigns_are_valid() -> None:
    config = load_config(REPO / "config.yaml")
    campaigns = config.campaign_list()
    assert 3 <= len(campaigns) <= 6
    assert {"talento-ti", "becas-tic", "no-caigas-en-la-trampa"} <= {c.id for c in campaigns}
    assert all(isinstance(c, Campaign) and c.starts_on <= date(2026, 11, 16) for c in campaigns)


def test_a_campaign_becomes_a_domain_value() -> None:
    config = parse_config({"campaigns": [{**GOOD, "keywords": [" talento ti "], "links": ["mintic.gov.co/x"],
                                          "ends_on": "2026-11-30", "description": "Becas"}]})
    assert config.campaign_list() == [Campaign(id="talento-ti", name="#TalentoTI", starts_on=date(2026, 11, 1),
                                               ends_on=date(2026, 11, 30), hashtags=("TalentoTI",),
                                               keywords=("talento ti",), links=("mintic.gov.co/x",),
                                               description="Becas")]
    assert parse_config(None).campaign_list() == []  # no campaigns: nothing is matched


@pytest.mark.parametrize(("campaign", "expected"), [
    ({**GOOD, "id": "Talento TI"}, "campaigns[0].id = 'Talento TI': campaign id 'Talento TI' must be a slug"),
    ({**GOOD, "id": "talento--ti"}, "must be a slug"),
    ({**GOOD, "id": "a" * 65}, "at most 64 characters"),
    ({**GOOD, "hashtags": ["Talento TI"]}, "campaigns[0].hashtags = list: hashtag 'Talento TI' must be one hashtag"),
    ({**GOOD, "keywords": ["!!"]}, "keyword '!!' has no letter or digit"),
    ({**GOOD, "links": ["mintic.gov.co/a b"]}, "link 'mintic.gov.co/a b' must be a URL prefix"),
    ({**GOOD, "starts_on": "2026-13-01"}, "campaigns[0].starts_on = '2026-13-01': Input should be a valid date"),
    ({**GOOD, "ends_on": "2026-10-31"}, "campaigns[0].ends_on: 2026-10-31 is before starts_on (2026-11-01); fix"),
    ({**GOOD, "hashtags": []}, "campaigns[0].hashtags: campaign has no hashtag, keyword or link"),
    ({**GOOD, "hashtag": ["x"]}, "campaigns[0].hashtag: unknown key (check the spelling); allowed keys here: "
                                 "description, ends_on, hashtags, id, keywords, links, name, starts_on"),
    ({k: v for k, v in GOOD.items() if k != "starts_on"}, "campaigns[0].starts_on"),
])
def test_mistakes_name_the_key_and_the_fix(campaign: dict, expected: str) -> None:  # type: ignore[type-arg]
    assert expected in error(campaign)


def test_duplicate_ids_are_refused() -> None:
    message = error(GOOD, {**GOOD, "name": "otra"})
    assert "campaign ids must be unique; repeated: talento-ti" in message
