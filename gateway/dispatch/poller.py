"""Finding due work: SDX's not-started outbound and sms interactions whose time has come.

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
from gateway.dispatch.window import in_call_window
from gateway.logging import get_logger
from gateway.numbers import InvalidNumber, to_e164
from gateway.sdx import SdxClient
from gateway.sdx.models import Interaction
from gateway.state.attempts import AttemptStore, Dial
from gateway.survey.outcomes import FINAL_STATUSES, STATUS, data_of

log = get_logger(__name__)


@dataclass(frozen=True)
class SurveyNumbers:
    survey_id: int
    outbound: str | None  # calls come from here
    sms: str | None  # texts come from here
    region: str  # the respondents' numbers are read in it


def _e164(number: str | None, region: str) -> str | None:
    if not number or not number.strip():
        return None
    try:
        return to_e164(number, region)
    except InvalidNumber:
        return None


class DuePoller:
    def __init__(
        self,
        sdx: SdxClient,
        settings: Settings,
        attempts: AttemptStore,
        region: Callable[[], Awaitable[str]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sdx = sdx
        self._settings = settings
        self._attempts = attempts
        self.region = region  # the default region's code, e.g. NumberRouter.region_code
        self._clock = clock

    async def surveys(self) -> AsyncIterator[SurveyNumbers]:
        """Surveys with a number to dial or text from (limited to GATEWAY_NUMBERS if set)."""
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
            numbers = SurveyNumbers(
                survey.id,
                _e164(survey.outbound_number, own) or fallback,
                _e164(survey.sms_number, own) or fallback,
                region,
            )
            if numbers.outbound or numbers.sms:
                yield numbers

    async def find_due(self) -> list[Job]:
        now = self._clock()
        jobs: list[Job] = []
        async for numbers in self.surveys():
            async for item in self._sdx.iter_interactions(
                numbers.survey_id, started=False, completed=False, include_data=True
            ):
                job = self.job_for(item, numbers, now)
                if job is not None:
                    jobs.append(job)
        dials = await self._attempts.dials([job.interaction_id for job in jobs])
        return [job for job in jobs if self.under_limit(job, dials[job.interaction_id], now)]

    def job_for(self, item: Interaction, numbers: SurveyNumbers, now: float) -> Job | None:
        channel: Channel
        if item.survey_type == "outbound" and numbers.outbound:
            channel, sender = "voice", numbers.outbound
        elif item.survey_type == "sms" and numbers.sms:
            channel, sender = "sms", numbers.sms
        else:
            return None
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

    def _attempts_before(self, data: dict[str, str], attempt: str, now: float) -> int:
        """Dials SDX counts before this attempt (see ``placing.sdx_before``)."""
        window = settled_window(self._settings.gateway_retry_delay)
        return sdx_before(data, attempt, datetime.fromtimestamp(now, UTC), window)

    def under_limit(self, job: Job, dials: Sequence[Dial], now: float) -> bool:
        """Does the gateway's own count (``job_for`` checked SDX's) allow a call?"""
        window = settled_window(self._settings.gateway_retry_delay)
        before = own_before(dials, job.attempt, datetime.fromtimestamp(now, UTC), window)
        return before < self._settings.gateway_max_attempts
