"""Config validation: every kind of mistake names the key, the value and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import (
    DEFAULT_DATABASE_URL,
    ConfigError,
    Secrets,
    database_url,
    load_config,
    parse_config,
    resolve_config_path,
)

REPO = Path(__file__).resolve().parents[2]


def test_shipped_config_is_valid_and_runs_on_the_sample():
    config = load_config(REPO / "config.yaml")
    assert config.timezone == "America/Bogota"
    assert config.connectors.sample.enabled
    assert not config.connectors.x.enabled
    assert "Ministerio_TIC" in config.accounts.x
    assert len(config.topics) >= 10
    assert config.report.weekday == "mon" and config.report.time == "08:00"


def test_empty_file_gives_defaults():
    config = parse_config(None)
    assert config.timezone == "America/Bogota"
    assert config.topics, "a default MinTIC topic list is built in"


def test_unknown_top_level_key_is_named_with_allowed_keys():
    with pytest.raises(ConfigError) as err:
        parse_config({"timezon": "America/Bogota"})
    message = str(err.value)
    assert "timezon: unknown key" in message
    assert "timezone" in message and "accounts" in message


def test_unknown_nested_key_is_named_with_its_path():
    with pytest.raises(ConfigError) as err:
        parse_config({"connectors": {"x": {"enabled": False, "poll_intervall_seconds": 60}}})
    message = str(err.value)
    assert "connectors.x.poll_intervall_seconds: unknown key" in message
    assert "poll_interval_seconds" in message


def test_wrong_type_names_key_and_value():
    with pytest.raises(ConfigError) as err:
        parse_config({"connectors": {"sample": {"poll_interval_seconds": "often"}}})
    message = str(err.value)
    assert "connectors.sample.poll_interval_seconds = 'often'" in message
    assert "integer" in message


def test_out_of_range_value_says_what_is_allowed():
    with pytest.raises(ConfigError) as err:
        parse_config({"connectors": {"x": {"poll_interval_seconds": 1}}})
    assert "connectors.x.poll_interval_seconds = 1" in str(err.value)
    assert "greater than or equal to 10" in str(err.value)


def test_bad_choice_lists_the_choices():
    with pytest.raises(ConfigError) as err:
        parse_config({"report": {"weekday": "monday"}})
    message = str(err.value)
    assert "report.weekday = 'monday'" in message and "'mon'" in message


def test_bad_time_zone_and_time():
    with pytest.raises(ConfigError) as err:
        parse_config({"timezone": "Bogota", "report": {"time": "8am"}})
    message = str(err.value)
    assert "timezone = 'Bogota'" in message and "America/Bogota" in message
    assert "report.time = '8am'" in message and "HH:MM" in message


def test_bad_account_handle():
    with pytest.raises(ConfigError, match=r"accounts\.x = .*without spaces"):
        parse_config({"accounts": {"x": ["Ministerio TIC"]}})


def test_handles_lose_their_at_sign():
    assert parse_config({"accounts": {"x": ["@Ministerio_TIC"]}}).accounts.x == ["Ministerio_TIC"]


def test_secrets_in_the_file_are_refused_without_echoing_them():
    with pytest.raises(ConfigError) as err:
        parse_config({"connectors": {"x": {"bearer_token": "AAAA-super-secret"}}})
    message = str(err.value)
    assert "connectors.x.bearer_token" in message and "X_BEARER_TOKEN" in message
    assert "AAAA-super-secret" not in message


@pytest.mark.parametrize(("path", "value", "what"), [
    (("alerts", "channel"), "xoxb-2048-4096-AbCdEfGhIjKlMnOp", "a Slack token"),
    (("alerts", "ops_channel"), "xoxp-1111111111-2222222222-abcdef", "a Slack token"),
    (("alerts", "slack_api_base_url"), "https://hooks.slack.com/services/T000/B000/XXXXXXXX", "a Slack webhook URL"),
    (("report", "slack_channel"), "AAAAAAAAAAAAAAAAAAAAAMLheAAAAAAA0%2BuSeid%2BULvsea4JtiGRiSDSJSI%3DEUifiRBkKG5E2",
     "an X bearer token"),
    (("alerts", "inbox_url"), "https://vigia:hunter2@example.org/inbox", "a password inside a URL"),
])
def test_values_that_look_like_secrets_are_refused_wherever_they_are(path, value, what):
    data = {path[0]: {path[1]: value}}
    with pytest.raises(ConfigError) as err:
        parse_config(data)
    message = str(err.value)
    assert f"{path[0]}.{path[1]} looks like {what}" in message
    assert value not in message and "environment" in message


def test_ordinary_values_are_not_taken_for_secrets():
    parse_config({"alerts": {"channel": "#vigia-alertas", "inbox_url": "http://127.0.0.1:8000/inbox",
                             "slack_api_base_url": "http://127.0.0.1:9999/api/"}})


def test_sample_cannot_be_mixed_with_real_connectors():
    with pytest.raises(ConfigError, match=r"connectors\.sample\.enabled"):
        parse_config({"connectors": {"x": {"enabled": True}}})


def test_duplicate_topics_are_refused():
    topic = {"name": "espectro", "keywords": ["espectro"]}
    with pytest.raises(ConfigError, match="repeated: espectro"):
        parse_config({"topics": [topic, topic]})


def test_top_level_must_be_a_mapping():
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        parse_config(["a", "b"])


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("accounts: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_config_path_and_database_url_from_environment(tmp_path):
    assert resolve_config_path(None, {"VIGIA_CONFIG": "/etc/vigia.yaml"}) == Path("/etc/vigia.yaml")
    assert resolve_config_path("x.yaml", {"VIGIA_CONFIG": "/etc/vigia.yaml"}) == Path("x.yaml")
    assert database_url({}) == DEFAULT_DATABASE_URL
    assert database_url({"VIGIA_DATABASE_URL": "postgresql://u@h/db"}) == "postgresql://u@h/db"


def test_secrets_come_from_the_environment_and_hide_in_reprs():
    secrets = Secrets.from_env({"X_BEARER_TOKEN": "tok-123456", "SLACK_WEBHOOK_URL": " "})
    assert secrets.x_bearer_token is not None
    assert secrets.x_bearer_token.get_secret_value() == "tok-123456"
    assert secrets.slack_webhook_url is None
    assert "tok-123456" not in repr(secrets) and "tok-123456" not in str(secrets.model_dump())


def test_spike_seasonality_follows_the_bot_time_zone():
    assert parse_config({"timezone": "America/Lima"}).spikes.timezone == "America/Lima"
    both = parse_config({"timezone": "America/Lima", "spikes": {"timezone": "UTC"}})
    assert both.spikes.timezone == "UTC"
