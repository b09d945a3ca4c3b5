"""What Twilio is asked when a job is a call: its webhooks and answering machine detection.

Detection waits for the beep when a message is to be left
(``GATEWAY_MACHINE_MESSAGE``), and otherwise decides as early as it can.
Asynchronous detection (the default) lets the survey's greeting start the
moment the call is answered and reports a machine on a callback of its own
(``gateway.voice.machine``); synchronous detection keeps the line silent
until it has decided, and says who answered in the call's first webhook.
"""

from __future__ import annotations

from gateway.config import Settings
from gateway.dispatch.jobs import Job
from gateway.twilio.rest import PlacedCall, TwilioRest
from gateway.twilio.urls import WebhookUrls

# The call's progress the status callback is told of (its end always).
STATUS_EVENTS = ("initiated", "ringing", "answered", "completed")


async def place_call(
    twilio: TwilioRest, settings: Settings, job: Job, language: str = ""
) -> PlacedCall:
    """Ask Twilio for the call ``job`` stands for (TwilioApiError if refused); its
    webhooks name the respondent's ``language`` key, so the call speaks it."""
    urls = WebhookUrls(settings.gateway_public_url)
    detection = None
    if settings.gateway_machine_detection:
        detection = "DetectMessageEnd" if settings.gateway_machine_message else "Enable"
    asynchronous = detection is not None and settings.gateway_machine_detection_mode == "async"
    return await twilio.create_call(
        to=job.to,
        from_=job.from_,
        url=urls.voice(job.interaction_id, language),
        status_callback=urls.voice_status(job.interaction_id),
        events=STATUS_EVENTS,
        machine_detection=detection,
        machine_callback=urls.voice_machine(job.interaction_id, language) if asynchronous else None,
    )
