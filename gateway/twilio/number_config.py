"""Pointing Twilio numbers at this gateway (``gateway twilio configure``, ``gateway doctor``).

For each number the gateway routes (GATEWAY_NUMBERS, or the SDX surveys'
inbound / outbound / sms numbers) the IncomingPhoneNumber in the Twilio
account gets, under GATEWAY_PUBLIC_URL:

* voice numbers: Voice URL ``/twilio/voice`` (POST) and status callback
  ``/twilio/voice/status`` (POST);
* sms numbers: Messaging URL ``/twilio/sms`` (POST).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

from gateway.twilio.rest import NumberConfig, TwilioRest
from gateway.twilio.urls import WebhookUrls


@dataclass
class NumberPlan:
    number: str
    found: NumberConfig | None
    wanted: dict[str, str] = field(default_factory=dict)

    @property
    def changes(self) -> dict[str, str]:
        if self.found is None:
            return {}
        current = vars(self.found)
        return {key: value for key, value in self.wanted.items() if current.get(key) != value}


def wanted_settings(urls: WebhookUrls, voice: bool, sms: bool) -> dict[str, str]:
    wanted: dict[str, str] = {}
    if voice:
        wanted |= {
            "voice_url": urls.voice(),
            "voice_method": "POST",
            "status_callback": urls.voice_status(),
        }
    if sms:
        wanted |= {"sms_url": urls.sms(), "sms_method": "POST"}
    return wanted


async def plan(
    urls: WebhookUrls, voice: Collection[str], sms: Collection[str], twilio: TwilioRest
) -> list[NumberPlan]:
    """What each number (E.164) has and should have (numbers missing: ``found`` None)."""
    plans = []
    for number in sorted(set(voice) | set(sms)):
        wanted = wanted_settings(urls, number in voice, number in sms)
        plans.append(NumberPlan(number, await twilio.find_number(number), wanted))
    return plans


async def apply(plans: Sequence[NumberPlan], twilio: TwilioRest) -> None:
    """Write the wanted settings of every number that differs (report() first)."""
    for item in plans:
        if item.found is not None and item.changes:
            await twilio.update_number(item.found.sid, **item.wanted)


def report(plans: Sequence[NumberPlan], dry_run: bool, say: Callable[[str], None]) -> int:
    """Print the plan; returns how many numbers are missing from the account."""
    missing = 0
    for item in plans:
        if item.found is None:
            missing += 1
            say(f"{item.number}: not in this Twilio account (buy or port it, or fix the routing)")
            continue
        if not item.changes:
            say(f"{item.number}: already points at this gateway")
            continue
        verb = "would change" if dry_run else "changed"
        say(f"{item.number}: {verb}")
        current = vars(item.found)
        for key, value in item.changes.items():
            say(f"    {key}: {current.get(key) or '(empty)'} -> {value}")
    return missing
