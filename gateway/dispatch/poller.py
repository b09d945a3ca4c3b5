"""Finding due work: SDX's not-started outbound and sms interactions whose time has come.

Each poll first looks for interactions created since the last one (one SDX
request per survey, see ``gateway.survey.feed``), then takes what is due
from the agenda (``gateway.state.agenda``): the cost of a poll grows with
new and due work, not with the backlog. What is taken is not taken again
for ``LOOK_AGAIN`` seconds; the dialler reads each interaction before
dialling it, and the agenda follows what it reads.

What an interaction needs to be due: its survey has a number to call or
text from, it is scheduled at or before now, it is inside the call window in
the respondent's local time, and the gateway has not given up on it
(``gateway_status`` in its interaction data, kept in SDX so it survives
Redis) nor called it ``GATEWAY_MAX_ATTEMPTS`` times, by SDX's count or by
its own (``gateway.state.attempts``), whichever is larger.

The respondent's number may be written without a country code; it is read
in the default region (``GATEWAY_DEFAULT_REGION``, see gateway.survey.routing).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway.config import Settings
from gateway.dispatch.jobs import Channel, Job
from gateway.dispatch.placing import own_before, sdx_before, settled_window
from gateway.dispatch.window import in_call_window, next_opening
from gateway.logging import get_logger
from gateway.numbers import InvalidNumber, to_e164
from gateway.sdx import SdxClient
from gateway.sdx.errors import SdxError
from gateway.sdx.models import Interaction
from gateway.state.agenda import Plan
from gateway.state.attempts import AttemptStore, Dial
from gateway.survey.feed import InteractionFeed
from gateway.survey.outcomes import FINAL_STATUSES, STATUS, data_of

log = get_logger(__name__)

# A taken entry comes back after this if nothing about it was learnt
# meanwhile (its job lost, its dial never settled): the dialler then reads
# the interaction again.
LOOK_AGAIN = 300.0


@dataclass(frozen=True)
class SurveyNumbers:
    survey_id: int
    outbound: str | None  # calls come from here
    sms: str | None  # texts come from here: a number, or a Messaging Service SID
    region: str  # the respondents' numbers are read in it


def _e164(number: str | None, region: str) -> str | None:
    if not number or not number.strip():
        return None
    try:
        return to_e164(number, region)
    except InvalidNumber:
        return None


def _sender(survey_type: str | None, numbers: SurveyNumbers | None) -> tuple[Channel, str] | None:
    """How an interaction of this type is reached, and from which of our numbers."""
    if numbers is not None and survey_type == "outbound" and numbers.outbound:
        return "voice", numbers.outbound
    if numbers is not None and survey_type == "sms" and numbers.sms:
        return "sms", numbers.sms
    return None


class DuePoller:
    def __init__(
        self,
        sdx: SdxClient,
        settings: Settings,
        attempts: AttemptStore,
        region: Callable[[], Awaitable[str]],
        feed: InteractionFeed,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sdx = sdx
        self._settings = settings
        self._attempts = attempts
        self.feed = feed
        self.agenda = feed.agenda  # the one the feed fills
        # The last poll found a survey's first full pass running elsewhere:
        # the agenda is still filling, so the next poll should come soon.
        self.filling = False
        self.region = region  # the default region's code, e.g. NumberRouter.region_code
        self._clock = clock

    async def surveys(self) -> AsyncIterator[SurveyNumbers]:
        """Surveys with a number to dial or text from (limited to GATEWAY_NUMBERS if set).

        A survey with an SMS number whose texts go through a Messaging Service
        (``Settings.messaging_service``) texts through it instead, no From.
        """
        static: dict[int, str] = {}
        for number, survey_ids in self._settings.gateway_numbers.items():
            for survey_id in survey_ids:
                static.setdefault(survey_id, number)
        region = await self.region()
        own = self._settings.routing_region  # as routing reads the survey numbers
        async for survey in self._sdx.iter_surveys():
            if static and survey.id not in static:
                continue
            fallback = static.get(survey.id)
            sms = _e164(survey.sms_number, own) or fallback
            numbers = SurveyNumbers(
                survey.id,
                _e164(survey.outbound_number, own) or fallback,
                sms and (self._settings.messaging_service(survey.id) or sms),
                region,
            )
            if numbers.outbound or numbers.sms:
                yield numbers

    async def find_due(self, limit: int = 1000) -> list[Job]:
        """Up to ``limit`` jobs due now, earliest first (the rest wait in the agenda)."""
        now = self._clock()
        senders = {numbers.survey_id: numbers async for numbers in self.surveys()}
        self.filling = False
        for survey_id in senders:
            try:
                if await self.feed.look(survey_id) is None:
                    self.filling = True  # another replica's first pass fills the agenda
            except SdxError as exc:  # the agenda still holds what was seen before
                log.warning("dispatch_look_failed", survey_id=survey_id, error=type(exc).__name__)
        await self.feed.keep(senders)
        jobs: list[Job] = []
        unsendable: list[int] = []
        for plan in await self.agenda.take(now, limit, now + LOOK_AGAIN):
            job = self._job_of(plan, senders.get(plan.survey_id))
            if job is None:
                unsendable.append(plan.id)  # a full pass offers it again if that changes
                continue
            moment = datetime.fromtimestamp(now, UTC)
            window, zone = self._settings.gateway_call_window, self._settings.timezone
            if not in_call_window(job.to, moment, window, zone):
                opening = next_opening(job.to, moment, window, zone)
                await self.agenda.defer(plan.id, opening.timestamp())
                continue
            jobs.append(job)
        await self.agenda.drop(unsendable)
        dials = await self._attempts.dials([job.interaction_id for job in jobs])
        return [job for job in jobs if self.under_limit(job, dials[job.interaction_id], now)]

    @staticmethod
    def _job_of(plan: Plan, numbers: SurveyNumbers | None) -> Job | None:
        sending = _sender(plan.survey_type, numbers)
        if sending is None:
            return None
        channel, sender = sending
        attempt = str(int(plan.scheduled_at))
        return Job(plan.id, plan.survey_id, channel, plan.phone, sender, attempt)

    def job_for(self, item: Interaction, numbers: SurveyNumbers, now: float) -> Job | None:
        sending = _sender(item.survey_type, numbers)
        if sending is None:
            return None
        channel, sender = sending
        to = _e164(item.phone_number, numbers.region)
        if to is None:
            return None
        scheduled = item.scheduled_at.timestamp() if item.scheduled_at else 0.0
        if scheduled > now:
            return None
        data = data_of(item)
        if data.get(STATUS) in FINAL_STATUSES:
            return None
        attempt = str(int(scheduled))
        if self._attempts_before(data, attempt, now) >= self._settings.gateway_max_attempts:
            return None
        moment = datetime.fromtimestamp(now, UTC)
        window = self._settings.gateway_call_window
        if not in_call_window(to, moment, window, self._settings.timezone):
            return None  # waits for the window
        return Job(item.id, numbers.survey_id, channel, to, sender, attempt)

    async def follow(self, item: Interaction, now: float) -> None:
        """The agenda after a read that found the interaction not due now."""
        if self.given_up(item, now):
            await self.agenda.drop([item.id])
        else:
            await self.feed.saw(item)  # rescheduled, completed or gone

    def given_up(self, item: Interaction, now: float) -> bool:
        """Has the gateway given up on it (by SDX's word: its status or its count)?"""
        data = data_of(item)
        if data.get(STATUS) in FINAL_STATUSES:
            return True
        scheduled = item.scheduled_at.timestamp() if item.scheduled_at else 0.0
        attempt = str(int(scheduled))
        return self._attempts_before(data, attempt, now) >= self._settings.gateway_max_attempts

    def _attempts_before(self, data: dict[str, str], attempt: str, now: float) -> int:
        """Dials SDX counts before this attempt (see ``placing.sdx_before``)."""
        window = settled_window(self._settings.gateway_retry_delay)
        return sdx_before(data, attempt, datetime.fromtimestamp(now, UTC), window)

    def under_limit(self, job: Job, dials: Sequence[Dial], now: float) -> bool:
        """Does the gateway's own count (``job_for`` checked SDX's) allow a call?"""
        window = settled_window(self._settings.gateway_retry_delay)
        before = own_before(dials, job.attempt, datetime.fromtimestamp(now, UTC), window)
        return before < self._settings.gateway_max_attempts
