"""Dialled calls and first texts in the respondent's language, end to end: the
dispatcher reads SDX's respondent_language, Twilio's emulator plays the call,
the sandbox records the answers, replies come back through /twilio/sms."""

from __future__ import annotations

import pytest

from gateway.sandbox.credentials import DEMO_RESPONDENT
from tests.dispatch.conftest import World
from tests.helpers.ledger import answers, data

OUTBOUND_ID, SMS_ID = 1002, 1003
OTHER = "+61400000002"  # interaction 1005's respondent, kept busy
SPANISH = {"gateway_languages": '{"es": {"voice": "Polly.Lupe", "language": "es-US"}}'}
SMS_NUMBER = "+61200000002"


@pytest.mark.parametrize(
    ("world", "language", "lang", "speaking"),
    [
        (SPANISH, "es", "&lang=es", "es-US (Polly.Lupe)"),
        (SPANISH, "es_MX", "&lang=es", "es-US (Polly.Lupe)"),
        (SPANISH, "fr", "", "en-US (Polly.Joanna)"),
        (SPANISH, None, "", "en-US (Polly.Joanna)"),
    ],
    indirect=["world"],
    ids=["configured", "regional-fallback", "unknown", "none"],
)
async def test_a_dialled_call_speaks_the_respondent_s_language(
    world: World, language: str | None, lang: str, speaking: str
) -> None:
    world.sdx.store.interaction(OUTBOUND_ID).respondent_language = language
    spanish = bool(lang)
    world.twilio.script(DEMO_RESPONDENT, ["9", "4", "speech:sí", "speech:Muy bien"])
    world.twilio.outcomes[OTHER] = "busy"
    await world.dispatch_all()
    (call,) = [c for c in world.twilio.calls.values() if c.to == DEMO_RESPONDENT]
    base = world.settings.gateway_public_url
    assert call.url == f"{base}/twilio/voice?interaction={OUTBOUND_ID}{lang}"
    assert call.async_amd_callback == (
        f"{base}/twilio/voice/machine?interaction={OUTBOUND_ID}{lang}"
    )
    # One language from the first word to the last: the softphone shows it once.
    assert [value for kind, value in call.transcript if kind == "language"] == [speaking]
    greeting = (
        "Hola, le llamamos de Example Co con una breve encuesta sobre su reciente caso de soporte."
        if spanish  # fr: the sandbox has no French texts, SDX's own are read in the default
        else "Hello, this is Example Co calling with a short survey about your recent support case."
    )
    assert call.heard[0] == ("say", greeting)
    # "sí" is yes only to an ear listening in Spanish: in English it goes to SDX
    # as heard, which re-asks (and takes no "Muy bien" for a yes or a no).
    heard = ["9", "4", "Yes", "Muy bien"] if spanish else ["9", "4"]
    assert answers(world.sdx, OUTBOUND_ID) == heard


@pytest.mark.parametrize("world", [SPANISH], indirect=True)
async def test_a_spanish_sms_survey_help_and_stop(world: World) -> None:
    world.sdx.store.interaction(SMS_ID).respondent_language = "es-MX"
    world.twilio.outcomes[DEMO_RESPONDENT] = "busy"
    world.twilio.outcomes[OTHER] = "busy"
    await world.dispatch_all()
    (first,) = [m for m in world.twilio.messages if m.to == DEMO_RESPONDENT]
    assert first.body == (
        "Hola, somos Example Co. Nos encantaría conocer su opinión sobre su pedido reciente.\n"
        "Responda a cada pregunta con un mensaje de texto. Responda ALTO para no recibir más "
        "mensajes.\n"
        "¿Qué probabilidad hay de que nos recomiende a un amigo, del 0 al 10?"
    )
    number = world.twilio.number(SMS_NUMBER)
    assert number is not None
    number.sms_url = f"{world.settings.gateway_public_url}/twilio/sms"

    async def text(body: str) -> list[str]:
        return await world.twilio.inbound_sms(DEMO_RESPONDENT, SMS_NUMBER, body)

    assert await text("AYUDA") == [
        "Responda a cada pregunta para contestar nuestra encuesta. "
        "Responda ALTO o STOP para darse de baja."
    ]
    assert await text("un nueve") == [
        "En una escala del 1 al 5, ¿qué tan satisfecho quedó con su entrega?"
    ]
    assert await text("cinco") == ["¿Se resolvió su problema? Responda SÍ o NO."]
    assert await text("Sí") == ["Díganos cómo podríamos mejorar."]
    assert answers(world.sdx, SMS_ID) == ["9", "5", "Yes"]
    # ALTO, Spanish for STOP: opted out, the survey abandoned, nothing more sent.
    assert await text("Alto") == []
    assert await world.conversations.is_opted_out(DEMO_RESPONDENT)
    assert world.sdx.store.interaction(SMS_ID).completed
    assert data(world.sdx, SMS_ID)["gateway_status"] == "opted_out"
    assert await text("Más cosas") == []
    assert answers(world.sdx, SMS_ID) == ["9", "5", "Yes"]
