"""Which language a respondent is spoken to in: exact, regional fallback, default, unknown."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from gateway.config import Settings
from gateway.languages import DEFAULT, Languages
from gateway.languages.keywords import ENGLISH as ENGLISH_KEYWORDS
from gateway.languages.words import ENGLISH, FRENCH, GERMAN, SPANISH
from tests.test_config import REQUIRED


def _languages(**settings: object) -> Languages:
    values = {name.lower(): value for name, value in REQUIRED.items()}
    return Languages.from_settings(Settings(**{**values, **settings}))


SPANISH_AND_GERMAN = (
    '{"es": {"voice": "Polly.Lupe", "language": "es-US"},'
    ' "de": {"voice": "Polly.Vicki", "language": "de-DE", "texts": {"no_input": "Wie bitte?"}},'
    ' "ko": {"voice": "Polly.Seoyeon", "language": "ko-KR"}}'
)


def _chosen(channel: str, language: str) -> float:
    labels = {"channel": channel, "language": language}
    return REGISTRY.get_sample_value("gateway_languages_total", labels) or 0.0


@pytest.mark.parametrize(
    ("requested", "key"),
    [
        ("es", "es"),
        ("ES", "es"),
        ("es-MX", "es"),  # regional variant, no entry of its own
        ("es_mx", "es"),
        (" de-AT ", "de"),
        ("", DEFAULT),
        ("en", DEFAULT),  # the default's own language (GATEWAY_SAY_LANGUAGE en-US)
        ("en-GB", DEFAULT),
        ("fr", DEFAULT),  # not configured
    ],
)
def test_choice(requested: str, key: str) -> None:
    languages = _languages(gateway_languages=SPANISH_AND_GERMAN)
    assert languages.choose(requested, "voice").key == key


def test_an_exact_entry_wins_over_its_primary_language() -> None:
    languages = _languages(
        gateway_languages='{"pt": {"voice": "Polly.Ines"}, "pt-BR": {"voice": "Polly.Camila"}}'
    )
    assert languages.choose("pt_br", "sms").voice == "Polly.Camila"
    assert languages.choose("pt-PT", "sms").voice == "Polly.Ines"


def test_each_choice_is_counted_an_unknown_one_as_unknown() -> None:
    languages = _languages(gateway_languages=SPANISH_AND_GERMAN)
    before = {name: _chosen("voice", name) for name in ("es", "default", "unknown")}
    languages.choose("es-MX", "voice")
    languages.choose("", "voice")
    languages.choose("fr", "voice")
    languages.choose("fr-CA", "voice")
    after = {name: _chosen("voice", name) for name in ("es", "default", "unknown")}
    assert {name: after[name] - before[name] for name in after} == {
        "es": 1,
        "default": 1,
        "unknown": 2,
    }


def test_matching_neither_counts_nor_differs() -> None:
    languages = _languages(gateway_languages=SPANISH_AND_GERMAN)
    before = _chosen("sms", "es")
    assert languages.matching("es-MX").key == "es"
    assert languages.matching("fr").key == DEFAULT
    assert _chosen("sms", "es") == before


def test_a_language_brings_its_voice_texts_words_and_keywords() -> None:
    languages = _languages(
        gateway_languages=SPANISH_AND_GERMAN,
        gateway_say_voice="Polly.Matthew",
        gateway_apology_message="We are sorry.",
        gateway_machine_message="Please call us back.",
    )
    spanish, german, korean = (languages.get(key) for key in ("es", "de", "ko"))
    assert (spanish.voice, spanish.tag, spanish.words) == ("Polly.Lupe", "es-US", SPANISH)
    assert spanish.texts["no_input"] == "Perdone, no le he entendido."  # built in
    assert german.texts["no_input"] == "Wie bitte?"  # the operator's
    assert german.words is GERMAN
    # No translation: the default's text, and it is not the language's own
    # (it is said in the default's voice).
    assert spanish.texts["machine"] == "Please call us back."
    assert "machine" not in spanish.own
    assert "apology" in spanish.own
    assert korean.texts["apology"] == "We are sorry."
    assert korean.own == frozenset()
    assert korean.words is ENGLISH  # no built-in words: the default's
    assert spanish.keywords[0] is ENGLISH_KEYWORDS
    assert "alto" in spanish.keywords[1].stop
    assert korean.keywords == (ENGLISH_KEYWORDS,)


def test_an_entry_without_voice_or_tag_takes_the_default() -> None:
    languages = _languages(
        gateway_languages='{"fr": {}}', gateway_say_voice="Google.fr-FR-Standard-A"
    )
    french = languages.get("fr")
    assert (french.voice, french.tag, french.words) == ("Google.fr-FR-Standard-A", "en-US", FRENCH)


def test_a_default_in_another_language_reads_that_language() -> None:
    languages = _languages(gateway_say_voice="Polly.Lupe", gateway_say_language="es-US")
    assert languages.default.words is SPANISH
    assert languages.choose("es-MX", "voice").key == DEFAULT  # not unknown
    # The default's own texts are the GATEWAY_*_MESSAGE settings, as written.
    assert languages.default.texts["no_input"] == "Sorry, I didn't catch that."


def test_a_key_no_longer_configured_is_the_default() -> None:
    languages = _languages(gateway_languages=SPANISH_AND_GERMAN)
    assert languages.get("it") is languages.default
    assert languages.get("") is languages.default


def test_keywords_outside_a_conversation_are_every_language_s() -> None:
    languages = _languages(gateway_languages=SPANISH_AND_GERMAN)
    assert languages.keywords[0] is ENGLISH_KEYWORDS
    assert len(languages.keywords) == 3  # English, Spanish, German (Korean has none)
    assert languages.of_keyword("ayuda").key == "es"
    assert languages.of_keyword("hilfe").key == "de"
    assert languages.of_keyword("help").key == DEFAULT
    assert languages.of_keyword("aide").key == DEFAULT  # French is not configured


def test_a_sentence_turned_off_stays_off_in_every_language() -> None:
    """GATEWAY_SMS_HELP_MESSAGE="" leaves HELP to Twilio: not answered in Spanish
    either; an entry's own text still turns it on for that language."""
    languages = _languages(
        gateway_languages='{"es": {}, "fr": {"texts": {"sms_help": "Aide."}}}',
        gateway_sms_help_message="",
        gateway_sms_no_survey_message="",
    )
    assert languages.get("es").texts["sms_help"] == ""
    assert languages.get("es").texts["sms_no_survey"] == ""
    assert languages.get("fr").texts["sms_help"] == "Aide."
    assert languages.get("es").texts["apology"].startswith("Lo sentimos")
