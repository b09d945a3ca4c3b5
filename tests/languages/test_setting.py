"""GATEWAY_LANGUAGES as an operator writes it: read, normalised, or refused with a clear error."""

from __future__ import annotations

import pytest

from gateway.config import ConfigError, load_settings
from tests.test_config import REQUIRED


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name, value in REQUIRED.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_unset_is_no_language_but_the_default(env: pytest.MonkeyPatch) -> None:
    assert load_settings().gateway_languages == {}
    env.setenv("GATEWAY_LANGUAGES", "  ")
    assert load_settings().gateway_languages == {}


def test_codes_are_read_case_insensitively_with_underscores_as_hyphens(
    env: pytest.MonkeyPatch,
) -> None:
    env.setenv(
        "GATEWAY_LANGUAGES",
        '{"ES": {"voice": " Polly.Lupe ", "language": "es-US"}, "pt_BR": {"voice": "Polly.Camila"},'
        ' "fr": {"texts": {"apology": "Désolé."}}}',
    )
    languages = load_settings().gateway_languages
    assert sorted(languages) == ["es", "fr", "pt-br"]
    assert (languages["es"].voice, languages["es"].language) == ("Polly.Lupe", "es-US")
    assert (languages["pt-br"].voice, languages["pt-br"].language) == ("Polly.Camila", None)
    assert languages["fr"].voice is None
    assert languages["fr"].texts == {"apology": "Désolé."}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('{"es": ', "not valid JSON"),
        ('["es"]', "must be a JSON object"),
        ('{"es": {}, "ES": {}}', "language 'es' is given twice"),
        ('{"es": {}, "es_mx": {}, "ES-MX": {}}', "language 'es-mx' is given twice"),
        ('{" ": {}}', "a language code is empty"),
        ('{"es": {"voice": "  "}}', "must not be blank"),
        ('{"es": {"voyce": "Polly.Lupe"}}', "Extra inputs are not permitted (at es.voyce)"),
        ('{"es": {"texts": {"goodbye": "Adiós"}}}', "(at es.texts.goodbye)"),
        ('{"es": "Polly.Lupe"}', "valid dictionary or instance of LanguageSetting (at es)"),
    ],
)
def test_a_wrong_setting_stops_the_start_with_what_is_wrong(
    env: pytest.MonkeyPatch, value: str, expected: str
) -> None:
    env.setenv("GATEWAY_LANGUAGES", value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert "GATEWAY_LANGUAGES" in str(error.value).upper()
    assert expected in str(error.value)
