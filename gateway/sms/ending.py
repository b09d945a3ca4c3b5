"""Giving up on a texted respondent: the interaction ended in SDX, the reason noted, once.

Shared by the dispatcher (Twilio refused the first text outright) and the
delivery status callbacks (a text Twilio took was never delivered): either
way the interaction is abandoned in SDX, so it shows as ended there, and
``gateway_status`` says why (``gateway.survey.outcomes.FINAL_STATUSES``), so
it is never texted again. What SDX could not take now the expiry sweeper
finishes (``abandon_pending``, ``opt_out_note_pending``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from gateway.logging import get_logger
from gateway.metrics import survey_event
from gateway.sdx import SdxClient, ambiguous
from gateway.sdx.errors import SdxConflict, SdxError, SdxGone, SdxNotFound
from gateway.state.conversations import Conversation, ConversationStore
from gateway.survey.outcomes import note_status

log = get_logger(__name__)

OPTED_OUT = "opted_out"


@dataclass(frozen=True)
class GivenUp:
    noted: bool  # gateway_status is in SDX
    abandoned: bool  # the survey is ended in SDX (or the interaction is gone)


async def give_up(sdx: SdxClient, interaction_id: int, status: str) -> GivenUp:
    """Note ``status`` in SDX first (it is what keeps the interaction from being
    texted again), then abandon the survey. SDX failures are logged, not raised."""
    noted = await note_status(sdx, interaction_id, status)
    try:
        await ambiguous.abandon(sdx, interaction_id)
    except (SdxConflict, SdxNotFound, SdxGone):
        pass  # already ended, or deleted
    except SdxError as exc:
        log.warning("abandon_failed", error=type(exc).__name__)
        return GivenUp(noted, abandoned=False)
    return GivenUp(noted, abandoned=True)


async def end_conversation(
    sdx: SdxClient,
    store: ConversationStore,
    conversation: Conversation,
    status: str,
    idle_ttl: int,
) -> None:
    """End a started SMS survey for good: ``status`` noted in SDX, the survey
    abandoned there, the conversation ended (and out of the lookup index).
    ``opted_out`` also remembers the opt-out."""
    if status == OPTED_OUT:
        await store.set_opt_out(conversation.respondent, True)
    was_active = conversation.status == "active"
    conversation.status = "opted_out" if status == OPTED_OUT else "abandoned"
    conversation.question = None
    conversation.resend = False
    conversation.first_text = None
    conversation.updated_at = time.time()
    done = await give_up(sdx, conversation.interaction_id, status)
    # Left to the expiry sweeper, which takes a pending conversation at once.
    conversation.abandon_pending = not done.abandoned
    if status == OPTED_OUT and not done.noted:
        conversation.opt_out_note_pending = True
    await store.finish(None, "", conversation, idle_ttl)
    if was_active:
        survey_event("sms", "abandoned")
