"""Which interaction a call or a message takes, and starting it: the same for both channels.

The number the respondent called or texted routes to its survey(s); the
lookup index finds the respondent's pending interaction of the channel's
types. With ``GATEWAY_INBOUND_CREATE`` a respondent with none gets one
created; a 409 then means one exists that the index did not show (created
since, or due later), so the survey is listed again, past the index.

``start_survey`` begins the survey or resumes it. When SDX answers that the
survey is already over (a closing turn, or a 409 / 410 / 404 as a PHP SDX
may answer for an interaction completed or deleted elsewhere), the index was
stale: the number leaves the index and the search is made once more.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.logging import bind_context, clip, get_logger
from gateway.numbers import InvalidNumber, to_e164
from gateway.sdx import SdxClient, ambiguous
from gateway.sdx.errors import SdxConflict, SdxError, SdxGone, SdxNotFound
from gateway.sdx.models import SurveyTurn
from gateway.state.index import Candidate
from gateway.survey.index import InteractionIndex
from gateway.survey.routing import Channel, NumberRouter

log = get_logger(__name__)

# The interaction types each channel takes, in order of preference: a caller
# may be calling back about the outbound call they missed.
TYPES: dict[Channel, tuple[str, ...]] = {"voice": ("inbound", "outbound"), "sms": ("sms",)}
# The type of an interaction the gateway creates for a respondent with none.
CREATED_TYPE: dict[Channel, str] = {"voice": "inbound", "sms": "sms"}


class StartFailed(Exception):
    """``start_survey`` failed for the interaction found: SDX may or may not have started it."""

    def __init__(self, interaction: Candidate, error: SdxError) -> None:
        super().__init__(f"start_survey failed: {type(error).__name__}")
        self.interaction = interaction
        self.error = error


@dataclass(frozen=True)
class Started:
    interaction: Candidate
    turn: SurveyTurn  # the first turn (or where a resumed survey stands); never completed


class PendingInteractions:
    def __init__(
        self, *, sdx: SdxClient, index: InteractionIndex, router: NumberRouter, create: bool
    ) -> None:
        self._sdx = sdx
        self._index = index
        self._router = router
        self._create = create

    async def start(
        self, number: str, respondent: str, channel: Channel, *, ref: str
    ) -> Started | None:
        """Find the respondent's pending interaction and start it.

        ``number`` is ours, ``respondent`` theirs; ``ref`` (the CallSid or
        MessageSid) becomes a created interaction's ``external_ref``. None:
        nothing to start. Raises SdxError when finding fails, StartFailed
        when starting does.
        """
        for _ in range(2):
            found = await self.find(number, respondent, channel, ref=ref)
            if found is None:
                return None
            bind_context(interaction_id=found.id)
            try:
                turn = await self._sdx.start_survey(found.id)
            except (SdxConflict, SdxGone, SdxNotFound) as exc:
                log.info("pending_interaction_is_over", status=exc.status)
                await self._index.forget(found.survey_id, respondent)
                continue
            except SdxError as exc:
                raise StartFailed(found, exc) from exc
            if not turn.completed:
                # Never dialled or texted first now.
                await self._index.feed.begun(found.id, found.survey_type)
                return Started(found, turn)
            log.info("pending_interaction_was_completed")
            await self._index.forget(found.survey_id, respondent)
        return None

    async def find(
        self, number: str, respondent: str, channel: Channel, *, ref: str
    ) -> Candidate | None:
        """The pending interaction (created if the operator allows), or None."""
        survey_ids = await self._router.surveys_for(number, channel)
        if not survey_ids:
            log.info("number_not_routed", to=clip(number))
            return None
        try:
            # The routing table is loaded by now: the region costs nothing.
            respondent = to_e164(respondent, await self._router.region_code())
        except InvalidNumber:
            log.info("caller_number_unreadable")  # withheld or anonymous
            return None
        types = TYPES[channel]
        found = await self._index.find(survey_ids, respondent, types)
        if found is not None:
            return found
        if not self._create:
            log.info("no_pending_interaction", surveys=list(survey_ids))
            return None
        survey_id = survey_ids[0]
        try:
            created = await ambiguous.create_interaction(
                self._sdx,
                survey_id,
                survey_type=CREATED_TYPE[channel],
                phone_number=respondent,
                external_ref=ref,
            )
        except SdxConflict:
            # One is pending that the index did not show: maybe the reply to
            # an earlier create was lost, or it is not due yet. Look again.
            await self._index.feed.look(survey_id, fresh=True)
            return await self._index.find([survey_id], respondent, types)
        log.info("interaction_created", survey_id=survey_id, interaction_id=created.id)
        candidate = Candidate(
            created.id, survey_id, CREATED_TYPE[channel], None, created.language()
        )
        # Into the index now: once started, no look for new interactions
        # (they list the not-started) would show it to a call back.
        await self._index.remember(respondent, candidate)
        return candidate
