"""``gateway doctor`` on GATEWAY_LANGUAGES: voice names Twilio accepts, well-formed tags."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.config import Settings
from gateway.run.doctor_languages import check_languages
from tests.test_config import REQUIRED


def _checks(**settings: Any) -> list[tuple[str, str, str]]:
    values = {name.lower(): value for name, value in REQUIRED.items()}
    checks = check_languages(Settings(**{**values, **settings}))
    return [(check.name, check.level, check.detail) for check in checks]


def test_a_good_setting_passes() -> None:
    assert _checks(
        gateway_languages='{"es": {"voice": "Polly.Lupe", "language": "es-US"},'
        ' "fr-CA": {"voice": "Google.fr-CA-Neural2-A", "language": "fr-CA"},'
        ' "de": {"voice": "Polly.Vicki-Neural", "language": "de-DE"}}'
    ) == [
        ("default voice", "ok", "Polly.Joanna in en-US"),
        ("language es", "ok", "Polly.Lupe in es-US"),
        ("language fr-ca", "ok", "Google.fr-CA-Neural2-A in fr-CA"),
        ("language de", "ok", "Polly.Vicki-Neural in de-DE"),
    ]


@pytest.mark.parametrize(
    ("entry", "level", "detail"),
    [
        ('{"voice": "Lupe", "language": "es-US"}', "FAIL", "voice 'Lupe' is not a name"),
        ('{"voice": "polly.lupe", "language": "es-US"}', "FAIL", "voice 'polly.lupe'"),
        ('{"voice": "Polly.Lupe", "language": "es_us"}', "FAIL", "language 'es_us' is not"),
        ('{"voice": "Polly.Lupe", "language": "Spanish"}', "FAIL", "language 'Spanish'"),
        (
            '{"voice": "Google.en-US-Standard-C", "language": "es-US"}',
            "warn",
            "Google.en-US-Standard-C speaks en-US, but the language is es-US",
        ),
        ('{"voice": "woman", "language": "es-US"}', "warn", "woman is a basic voice"),
        (
            '{"voice": "Polly.Lupe"}',
            "warn",
            "no language: Polly.Lupe in en-US (the default's) reads it",
        ),
        ("{}", "warn", "no voice and language: Polly.Joanna in en-US (the default's) reads it"),
    ],
)
def test_a_wrong_entry_is_named_with_what_is_wrong(entry: str, level: str, detail: str) -> None:
    name, found_level, found_detail = _checks(gateway_languages=f'{{"es": {entry}}}')[1]
    assert (name, found_level) == ("language es", level)
    assert found_detail.startswith(detail)


def test_a_malformed_code_fails() -> None:
    checks = _checks(gateway_languages='{"spanish!": {"voice": "Polly.Lupe", "language": "es-US"}}')
    assert checks[1][:2] == ("language spanish!", "FAIL")


def test_a_language_with_nothing_built_in_warns_what_it_lacks() -> None:
    checks = _checks(gateway_languages='{"ko": {"voice": "Polly.Seoyeon", "language": "ko-KR"}}')
    assert checks[1] == (
        "language ko",
        "warn",
        "Polly.Seoyeon in ko-KR; spoken answers are read with the default's words; "
        "the gateway's own sentences are the default's",
    )


def test_the_default_voice_is_checked_too() -> None:
    assert _checks(gateway_say_voice="Joanna")[0][:2] == ("default voice", "FAIL")
