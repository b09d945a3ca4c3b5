"""``gateway twilio configure``: point every routed Twilio number at this gateway.

For each number the gateway routes (GATEWAY_NUMBERS, or the SDX surveys'
inbound / outbound / sms numbers) the IncomingPhoneNumber in the Twilio
account gets, under GATEWAY_PUBLIC_URL:

* voice numbers: Voice URL ``/twilio/voice`` (POST) and status callback
  ``/twilio/voice/status`` (POST);
* sms numbers: Messaging URL ``/twilio/sms`` (POST).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from gateway.config import Settings
from gateway.routing import Table
from gateway.twilio_rest import NumberConfig, TwilioRest


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


def wanted_settings(settings: Settings, voice: bool, sms: bool) -> dict[str, str]:
    base = settings.gateway_public_url
    wanted: dict[str, str] = {}
    if voice:
        wanted |= {
            "voice_url": f"{base}/twilio/voice",
            "voice_method": "POST",
            "status_callback": f"{base}/twilio/voice/status",
        }
    if sms:
        wanted |= {"sms_url": f"{base}/twilio/sms", "sms_method": "POST"}
    return wanted


async def plan(settings: Settings, table: Table, twilio: TwilioRest) -> list[NumberPlan]:
    """What each routed number has and should have (numbers missing: ``found`` None)."""
    plans = []
    for number in sorted(set(table["voice"]) | set(table["sms"])):
        wanted = wanted_settings(settings, number in table["voice"], number in table["sms"])
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
