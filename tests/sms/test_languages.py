"""SMS in the respondent's language through the real app (signed webhooks, the
SDX sandbox, real Redis): the gateway's own texts, HELP and STOP words."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from gateway.config import Settings
from gateway.sandbox.sdx import Fault, SandboxState
from tests.helpers.ledger import SUBMIT, answers, count
from tests.helpers.phone import Phone
from tests.helpers.settings import GatewayFactory
from tests.sms.conftest import SMS_NUMBER

SMS_ID = 1003
LANGUAGES = '{"es": {}, "fr": {"texts": {"sms_help": "Aide : répondez aux questions."}}}'
HELP_ES = (
    "Responda a cada pregunta para contestar nuestra encuesta. "
    "Responda ALTO o STOP para darse de baja."
)
FIRST_ES = (
    "Hola, somos Example Co. Nos encantaría conocer su opinión sobre su pedido reciente.\n"
    "Responda a cada pregunta con un mensaje de texto. Responda ALTO para no recibir más "
    "mensajes.\n"
    "¿Qué probabilidad hay de que nos recomiende a un amigo, del 0 al 10?"
)
SATISFIED_ES = "En una escala del 1 al 5, ¿qué tan satisfecho quedó con su entrega?"


@pytest.fixture
async def gateway(start_gateway: GatewayFactory) -> tuple[TestClient[Any, Any], Settings]:
    return await start_gateway(gateway_languages=LANGUAGES)


@pytest.fixture
def spanish(sandbox: SandboxState) -> None:
    sandbox.store.interaction(SMS_ID).respondent_language = "es-MX"


@pytest.mark.usefixtures("spanish")
async def test_a_spanish_survey_with_spanish_gateway_texts(
    phone: Phone, sandbox: SandboxState
) -> None:
    assert await phone.send("Hola") == [FIRST_ES]
    assert await phone.send("ayuda") == [HELP_ES]  # never submitted
    assert await phone.send("HELP") == [HELP_ES]  # English words work, answered in Spanish
    assert await phone.send("ocho") == [SATISFIED_ES]
    assert await phone.send("") == ["Por favor, responda con un mensaje de texto."]
    sandbox.faults.add(Fault(method="POST", path=r"/interactions/\d+/submit_response", status=503))
    assert await phone.send("4") == [
        "Lo sentimos, ahora no podemos registrar su respuesta. Por favor, inténtelo más tarde."
    ]
    sandbox.faults.clear()
    assert await phone.send("4") == ["¿Se resolvió su problema? Responda SÍ o NO."]
    assert await phone.send("no") == ["Díganos cómo podríamos mejorar."]
    assert answers(sandbox, SMS_ID) == ["8", "4", "No"]


@pytest.mark.usefixtures("spanish")
@pytest.mark.parametrize("stop", ["ALTO", "alto", "Baja", "STOP"])
async def test_a_spanish_stop_opts_out_and_abandons(
    phone: Phone, gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState, stop: str
) -> None:
    await phone.send("Hola")
    assert await phone.send(stop) == []
    assert sandbox.store.interaction(SMS_ID).completed
    assert not sandbox.store.interaction(SMS_ID).survey_ended
    assert await phone.send("9") == []
    assert count(sandbox, SUBMIT) == 0


async def test_an_english_respondent_may_answer_with_a_spanish_word(
    phone: Phone, sandbox: SandboxState
) -> None:
    """Spanish commands are the Spanish respondents': for an English survey "Alto"
    is an answer, and goes to SDX (here the comment question takes it)."""
    await phone.send("Hello")
    for answer in ("9", "4", "yes"):
        await phone.send(answer)
    assert await phone.send("Alto") == ["Thanks for your feedback!"]
    assert answers(sandbox, SMS_ID) == ["9", "4", "Yes", "Alto"]


@pytest.mark.parametrize(
    ("word", "reply"),
    [
        ("AYUDA", HELP_ES),  # no conversation: the language of the word asking
        ("aide", "Aide : répondez aux questions."),  # the operator's French text
        ("HELP", "Reply to each question to answer our survey. Reply STOP to opt out."),
    ],
)
async def test_help_before_any_conversation_in_the_word_s_language(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState, word: str, reply: str
) -> None:
    client, settings = gateway
    stranger = Phone(client, settings, respondent="+61400000777", number=SMS_NUMBER)
    assert await stranger.send(word) == [reply]
    assert count(sandbox, r"/interactions", "POST") == 0


async def test_stop_before_any_conversation_in_any_configured_language(
    gateway: tuple[TestClient[Any, Any], Settings], sandbox: SandboxState
) -> None:
    client, settings = gateway
    stranger = Phone(client, settings, respondent="+61400000778", number=SMS_NUMBER)
    assert await stranger.send("arrêt") == []
    assert await stranger.send("hello") == []  # opted out: no "no survey" reply
