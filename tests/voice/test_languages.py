"""Calls in the respondent's language, as Twilio sees them: exact TwiML from the
first webhook to the closing, inbound and dispatcher-placed.

GATEWAY_LANGUAGES has Spanish only. A respondent SDX calls "es" or "es-MX"
(no entry of its own: it falls back to "es") hears Polly.Lupe in es-US and is
listened to in es-US; "fr" (no entry) and no language at all get the default
(Polly.Joanna, en-US). The sandbox's surveys carry Spanish texts, as SDX does.
"""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient
from prometheus_client import REGISTRY

from gateway.config import Settings
from gateway.run.serve import COMPONENTS
from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import Fault, SandboxState
from tests.helpers.call import Call
from tests.helpers.ledger import answers
from tests.helpers.settings import GatewayFactory
from tests.voice.conftest import INBOUND, OUTBOUND

SPANISH = '{"es": {"voice": "Polly.Lupe", "language": "es-US"}}'
INBOUND_ID, OUTBOUND_ID = 1001, 1002
BASE = "https://gw.example.com/twilio/voice"
HEAD = '<?xml version="1.0" encoding="UTF-8"?><Response>'
ES = '<Say language="es-US" voice="Polly.Lupe">'
EN = '<Say language="en-US" voice="Polly.Joanna">'
GREETING_AUDIO = "<Play>https://example.com/sdx-sandbox/greeting-52.mp3</Play>"
NPS_ES = "cero, uno, dos, tres, cuatro, cinco, seis, siete, ocho, nueve, diez"
NPS_EN = "zero, one, two, three, four, five, six, seven, eight, nine, ten"

INBOUND_SPANISH = (
    f"{HEAD}"
    f'<Gather action="{BASE}/answer?turn=1&amp;i=1001&amp;q=501&amp;s=52&amp;l=es" '
    f'finishOnKey="#" hints="{NPS_ES}" input="dtmf speech" language="es-US" method="POST" '
    'speechTimeout="auto" timeout="5">'
    f"{GREETING_AUDIO}"
    f"{ES}Responda a cada pregunta con el teclado o diciendo su respuesta. "
    "Después de un número, pulse la tecla almohadilla.</Say>"
    f"{ES}¿Qué probabilidad hay de que nos recomiende a un amigo, del 0 al 10?</Say>"
    "</Gather>"
    f'<Redirect method="POST">{BASE}/silence?turn=1&amp;i=1001&amp;q=501&amp;s=52&amp;l=es'
    "</Redirect></Response>"
)
INBOUND_DEFAULT = (
    f"{HEAD}"
    f'<Gather action="{BASE}/answer?turn=1&amp;i=1001&amp;q=501&amp;s=52" '
    f'finishOnKey="#" hints="{NPS_EN}" input="dtmf speech" language="en-US" method="POST" '
    'speechTimeout="auto" timeout="5">'
    f"{GREETING_AUDIO}"
    f"{EN}Answer each question with your keypad or by saying your answer. "
    "After a number, press the hash key.</Say>"
    f"{EN}How likely are you to recommend us to a friend, from 0 to 10?</Say>"
    "</Gather>"
    f'<Redirect method="POST">{BASE}/silence?turn=1&amp;i=1001&amp;q=501&amp;s=52</Redirect>'
    "</Response>"
)
OUTBOUND_SPANISH = (
    f"{HEAD}"
    f'<Gather action="{BASE}/answer?turn=1&amp;i=1002&amp;q=505&amp;s=53&amp;l=es" '
    f'finishOnKey="#" hints="{NPS_ES}" input="dtmf speech" language="es-US" method="POST" '
    'speechTimeout="auto" timeout="5">'
    f"{ES}Hola, le llamamos de Example Co con una breve encuesta sobre su reciente caso de "
    "soporte.</Say>"
    f"{ES}Responda a cada pregunta con el teclado o diciendo su respuesta. "
    "Después de un número, pulse la tecla almohadilla.</Say>"
    f"{ES}¿Qué probabilidad hay de que nos recomiende a un amigo, del 0 al 10?</Say>"
    "</Gather>"
    f'<Redirect method="POST">{BASE}/silence?turn=1&amp;i=1002&amp;q=505&amp;s=53&amp;l=es'
    "</Redirect></Response>"
)
OUTBOUND_DEFAULT = (
    f"{HEAD}"
    f'<Gather action="{BASE}/answer?turn=1&amp;i=1002&amp;q=505&amp;s=53" '
    f'finishOnKey="#" hints="{NPS_EN}" input="dtmf speech" language="en-US" method="POST" '
    'speechTimeout="auto" timeout="5">'
    f"{EN}Hello, this is Example Co calling with a short survey about your recent support "
    "case.</Say>"
    f"{EN}Answer each question with your keypad or by saying your answer. "
    "After a number, press the hash key.</Say>"
    f"{EN}How likely are you to recommend us to a friend, from 0 to 10?</Say>"
    "</Gather>"
    f'<Redirect method="POST">{BASE}/silence?turn=1&amp;i=1002&amp;q=505&amp;s=53</Redirect>'
    "</Response>"
)

# SDX's respondent_language -> spoken in Spanish? ("fr": no entry, the default)
CASES = [("es", True), ("es-MX", True), ("fr", False), (None, False)]
IDS = ["configured", "regional-fallback", "unknown", "none"]


@pytest.fixture
async def gateway(start_gateway: GatewayFactory) -> tuple[TestClient[object, object], Settings]:
    return await start_gateway(gateway_languages=SPANISH)


def _unknown() -> float:
    labels = {"channel": "voice", "language": "unknown"}
    return REGISTRY.get_sample_value("gateway_languages_total", labels) or 0.0


@pytest.mark.parametrize(("language", "spanish"), CASES, ids=IDS)
async def test_an_inbound_call_in_the_respondent_s_language(
    gateway: tuple[TestClient[object, object], Settings],
    sandbox: SandboxState,
    language: str | None,
    spanish: bool,
) -> None:
    sandbox.store.interaction(INBOUND_ID).respondent_language = language
    client, settings = gateway
    unknown = _unknown()
    call = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await call.start()
    assert call.xml == (INBOUND_SPANISH if spanish else INBOUND_DEFAULT)
    assert _unknown() - unknown == (1 if language == "fr" else 0)


@pytest.mark.parametrize(("language", "spanish"), CASES, ids=IDS)
async def test_a_dialled_call_in_the_respondent_s_language(
    gateway: tuple[TestClient[object, object], Settings],
    sandbox: SandboxState,
    sdx_flavour: str,
    language: str | None,
    spanish: bool,
) -> None:
    """The first webhook as the dispatcher's call makes Twilio post it (its URL
    carries the language key the dialler chose: tests/dispatch/test_languages.py)."""
    sandbox.store.interaction(OUTBOUND_ID).respondent_language = language
    client, settings = gateway
    call = Call(client, settings, caller=OUTBOUND, called=DEMO_RESPONDENT)
    await call.start(f"/twilio/voice?interaction={OUTBOUND_ID}" + ("&lang=es" if spanish else ""))
    expected = OUTBOUND_SPANISH if spanish else OUTBOUND_DEFAULT
    if sdx_flavour == "php":  # its question carries no survey_id: the URL says 0
        expected = expected.replace("&amp;s=53", "&amp;s=0")
    assert call.xml == expected


async def test_every_turn_to_the_closing_speaks_and_listens_in_spanish(
    gateway: tuple[TestClient[object, object], Settings], sandbox: SandboxState
) -> None:
    sandbox.store.interaction(INBOUND_ID).respondent_language = "es-MX"
    client, settings = gateway
    call = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await call.start()
    await call.say("le doy un nueve")
    satisfied = "En una escala del 1 al 5, ¿qué tan satisfecho quedó con la ayuda que recibió hoy?"
    turn2 = "turn=2&amp;i=1001&amp;q=502&amp;s=52&amp;l=es"
    assert call.xml == (
        f"{HEAD}"
        f'<Gather action="{BASE}/answer?{turn2}" finishOnKey="#" input="dtmf speech" '
        'language="es-US" method="POST" numDigits="1" speechTimeout="auto" timeout="5">'
        f"{ES}{satisfied}</Say></Gather>"
        f'<Redirect method="POST">{BASE}/silence?{turn2}</Redirect></Response>'
    )
    # Silence: the gateway's own sentence in Spanish, then the question as it was asked.
    await call.silence()
    assert call.spoken() == ["Perdone, no le he entendido.", satisfied]
    # Keys that hold no answer are not sent to SDX.
    await call.press("*")
    assert call.spoken() == ["Lo sentimos, esa no es una respuesta válida.", satisfied]
    await call.press("4")
    resolved = "¿Se resolvió su problema? Pulse 1 o diga sí para sí, pulse 2 o diga no para no."
    turn5 = "turn=5&amp;i=1001&amp;q=503&amp;s=52&amp;l=es"
    assert call.xml == (
        f"{HEAD}"
        f'<Gather action="{BASE}/answer?{turn5}" hints="sí, no" input="dtmf speech" '
        'language="es-US" method="POST" numDigits="1" speechTimeout="auto" timeout="5">'
        f"{ES}{resolved}</Say></Gather>"
        f'<Redirect method="POST">{BASE}/silence?{turn5}</Redirect></Response>'
    )
    await call.say("Sí, claro.")
    await call.say("Todo muy bien.")
    assert call.xml == f"{HEAD}{ES}Gracias por su opinión. Adiós.</Say><Hangup /></Response>"
    assert answers(sandbox, INBOUND_ID) == ["9", "4", "Yes", "Todo muy bien."]


async def test_a_call_that_lost_its_session_keeps_its_language(
    gateway: tuple[TestClient[object, object], Settings], sandbox: SandboxState
) -> None:
    """The Gather's URL carries the language: Redis forgetting the call changes nothing."""
    sandbox.store.interaction(INBOUND_ID).respondent_language = "es"
    client, settings = gateway
    call = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await call.start()
    await client.app[COMPONENTS].stores.sessions.delete(call.call_sid)  # Redis flushed
    await call.say("ocho")
    assert call.gather.attrib["language"] == "es-US"
    assert call.spoken()[0].startswith("En una escala del 1 al 5")
    assert answers(sandbox, INBOUND_ID) == ["8"]


async def test_the_apology_is_in_the_respondent_s_language(
    start_gateway: GatewayFactory, sandbox: SandboxState
) -> None:
    client, settings = await start_gateway(gateway_languages=SPANISH, gateway_sdx_retries=0)
    sandbox.store.interaction(INBOUND_ID).respondent_language = "es"
    call = Call(client, settings, caller=DEMO_RESPONDENT, called=INBOUND)
    await call.start()
    sandbox.faults.add(Fault(method="POST", path=r"/interactions/\d+/submit_response", status=500))
    await call.press("7#")
    assert call.xml == (
        f"{HEAD}{ES}Lo sentimos, ahora no podemos registrar sus respuestas. "
        "Por favor, vuelva a llamar más tarde. Adiós.</Say><Hangup /></Response>"
    )
