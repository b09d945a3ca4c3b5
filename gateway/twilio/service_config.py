"""Pointing Messaging Services at this gateway (``gateway twilio configure``, ``gateway doctor``).

A text sent through a Messaging Service comes from any number of its pool,
and the respondent's reply reaches that number; where it is posted is the
service's choice: its inbound request URL, or with "defer to sender's
webhook" (``use_inbound_webhook_on_number``) each number's own. The gateway
sets the first, to ``/twilio/sms`` (POST), and turns the second off, so a
reply reaches it whichever number of the pool took it, even one that routes
no survey.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from gateway.twilio.rest import ServiceConfig, TwilioRest
from gateway.twilio.urls import WebhookUrls


@dataclass(frozen=True)
class ServicePlan:
    sid: str
    found: ServiceConfig | None
    url: str  # where its inbound messages should go

    @property
    def changes(self) -> dict[str, tuple[str, str]]:
        """Setting -> (what it is, what it should be), for those that differ."""
        if self.found is None:
            return {}
        found = self.found
        current = {
            "inbound_request_url": found.inbound_request_url,
            "inbound_method": found.inbound_method,
            "use_inbound_webhook_on_number": str(found.use_inbound_webhook_on_number).lower(),
        }
        wanted = {
            "inbound_request_url": self.url,
            "inbound_method": "POST",
            "use_inbound_webhook_on_number": "false",
        }
        return {
            key: (current[key], value) for key, value in wanted.items() if current[key] != value
        }

    @property
    def inbound(self) -> str:
        """Where the service's inbound messages go now, in words."""
        if self.found is None:
            return "nowhere"
        if self.found.use_inbound_webhook_on_number:
            return "each number's own Messaging webhook"
        return self.found.inbound_request_url or "nowhere (Twilio drops them)"


async def plan_services(
    urls: WebhookUrls, sids: Collection[str], twilio: TwilioRest
) -> list[ServicePlan]:
    """What each Messaging Service has and should have (not in the account: ``found`` None)."""
    return [ServicePlan(sid, await twilio.find_service(sid), urls.sms()) for sid in sorted(sids)]


async def apply_services(plans: Sequence[ServicePlan], twilio: TwilioRest) -> None:
    for item in plans:
        if item.found is not None and item.changes:
            await twilio.update_service(item.sid, inbound_request_url=item.url)


def report_services(plans: Sequence[ServicePlan], dry_run: bool, say: Callable[[str], None]) -> int:
    """Print the plan; returns how many services cannot work (missing, or no numbers)."""
    broken = 0
    for item in plans:
        name = f"messaging service {item.sid}"
        if item.found is None:
            broken += 1
            say(
                f"{name}: not in this Twilio account (check TWILIO_MESSAGING_SERVICE_SID and "
                "GATEWAY_NUMBERS)"
            )
            continue
        if not item.found.numbers:
            broken += 1
            say(f"{name}: has no phone numbers, so Twilio refuses to send through it")
        if not item.changes:
            say(f"{name}: already sends replies to this gateway")
            continue
        say(f"{name}: {'would change' if dry_run else 'changed'}")
        for key, (current, wanted) in item.changes.items():
            say(f"    {key}: {current or '(empty)'} -> {wanted}")
    return broken
