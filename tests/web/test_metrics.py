"""GET /metrics: Prometheus text with the webhook, SDX and survey series."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from gateway.sandbox.credentials import DEMO_RESPONDENT
from gateway.sandbox.sdx import SandboxState
from tests.helpers.call import Call


async def scrape(
    client: TestClient[Any, Any],
) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.content_type == "text/plain"
    samples = {}
    for family in text_string_to_metric_families(await response.text()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_metrics_count_a_call(start_gateway: Any, sandbox: SandboxState) -> None:
    client, settings = await start_gateway()
    before = await scrape(client)
    call = Call(client, settings, caller=DEMO_RESPONDENT, called="+61200000000")
    await call.start()
    await call.press("9")
    await client.post("/twilio/voice", data={"CallSid": "x"})  # unsigned: 403
    after = await scrape(client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("gateway_webhooks_total", route="/twilio/voice", outcome="200") == 1
    assert delta("gateway_webhooks_total", route="/twilio/voice/answer", outcome="200") == 1
    assert delta("gateway_webhooks_total", route="/twilio/voice", outcome="403") == 1
    assert delta("gateway_turn_seconds_count", route="/twilio/voice/answer") == 1
    assert delta("gateway_surveys_total", channel="voice", event="started") == 1
    assert delta("gateway_active_sessions", channel="voice") == 1
    assert (
        delta(
            "gateway_sdx_request_seconds_count",
            method="POST",
            endpoint="/interactions/{id}/submit_response",
        )
        == 1
    )
    assert all("61409999999" not in str(key) for key in after)
