"""Builds the survey logic from settings and the shared resources.

Kept apart from ``app.py`` so the dispatcher and the demo can assemble the
same pieces without a web server.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from gateway.config import Settings
from gateway.dispatch.dialer import Dialer
from gateway.dispatch.poller import DuePoller
from gateway.dispatch.store import (
    DispatchStore,
    MemoryDispatchStore,
    Pacer,
    RedisDispatchStore,
)
from gateway.dispatch.worker import Dispatcher, DispatchTuning
from gateway.sdx import SdxClient
from gateway.sms import SmsSurvey, SmsTexts
from gateway.sms_expiry import SmsExpiry
from gateway.state.conversations import ConversationStore
from gateway.state.conversations_memory import MemoryConversationStore
from gateway.state.conversations_redis import RedisConversationStore
from gateway.state.index import IndexStore, MemoryIndexStore, RedisIndexStore
from gateway.state.sessions import MemorySessionStore, RedisSessionStore, SessionStore
from gateway.survey.index import InteractionIndex
from gateway.survey.outcomes import CallOutcomes
from gateway.survey.routing import NumberRouter
from gateway.twilio.rest import TwilioRest
from gateway.twiml import VoiceStyle
from gateway.voice import CallTexts, VoiceSurvey, VoiceUrls


@dataclass
class Components:
    sessions: SessionStore
    index_store: IndexStore
    index: InteractionIndex
    router: NumberRouter
    voice: VoiceSurvey
    conversations: ConversationStore
    sms: SmsSurvey
    sms_expiry: SmsExpiry
    outcomes: CallOutcomes


def build_components(settings: Settings, sdx: SdxClient, redis: Redis | None) -> Components:
    sessions: SessionStore
    index_store: IndexStore
    conversations: ConversationStore
    if redis is None:
        sessions = MemorySessionStore(ttl=settings.gateway_voice_session_ttl)
        memory_index = MemoryIndexStore(ttl=settings.gateway_index_ttl)
        index_store, conversations = memory_index, MemoryConversationStore(memory_index)
    else:
        prefix = settings.gateway_redis_prefix
        sessions = RedisSessionStore(redis, prefix=prefix, ttl=settings.gateway_voice_session_ttl)
        redis_index = RedisIndexStore(redis, prefix=prefix, ttl=settings.gateway_index_ttl)
        index_store = redis_index
        conversations = RedisConversationStore(redis, prefix=prefix, index=redis_index)
    index = InteractionIndex(sdx, index_store, min_age=settings.gateway_index_min_age)
    router = NumberRouter(sdx, settings.gateway_numbers, settings.gateway_routing_refresh)
    voice = VoiceSurvey(
        sdx=sdx,
        sessions=sessions,
        index=index,
        router=router,
        style=VoiceStyle(
            voice=settings.gateway_say_voice,
            language=settings.gateway_say_language,
            gather_timeout=settings.gateway_gather_timeout,
        ),
        texts=CallTexts(
            no_survey=settings.gateway_no_survey_message,
            apology=settings.gateway_apology_message,
            no_input=settings.gateway_no_input_message,
        ),
        urls=VoiceUrls(settings.gateway_public_url),
        max_reprompts=settings.gateway_max_reprompts,
        inbound_create=settings.gateway_inbound_create,
    )
    sms = SmsSurvey(
        sdx=sdx,
        store=conversations,
        index=index,
        router=router,
        texts=SmsTexts(
            no_survey=settings.gateway_sms_no_survey_message,
            try_later=settings.gateway_sms_try_later_message,
            help=settings.gateway_sms_help_message,
            text_only=settings.gateway_sms_text_only_message,
        ),
        idle_ttl=settings.gateway_sms_session_ttl,
        inbound_create=settings.gateway_inbound_create,
        deadline=settings.gateway_webhook_deadline,
    )
    expiry = SmsExpiry(sdx=sdx, store=conversations, idle_ttl=settings.gateway_sms_session_ttl)
    outcomes = CallOutcomes(
        sdx,
        sessions,
        max_attempts=settings.gateway_max_attempts,
        retry_delay=settings.gateway_retry_delay,
    )
    return Components(
        sessions, index_store, index, router, voice, conversations, sms, expiry, outcomes
    )


def build_dispatcher(
    settings: Settings,
    sdx: SdxClient,
    redis: Redis | None,
    twilio: TwilioRest,
    conversations: ConversationStore,
    *,
    tuning: DispatchTuning | None = None,
    name: str | None = None,
) -> Dispatcher:
    store: DispatchStore = (
        MemoryDispatchStore()
        if redis is None
        else RedisDispatchStore(redis, prefix=settings.gateway_redis_prefix)
    )
    tuning = tuning or DispatchTuning(
        interval=settings.gateway_dispatch_interval,
        concurrency=settings.gateway_dispatch_concurrency,
        rate=settings.gateway_calls_per_second,
    )
    pace = Pacer(store, tuning.rate).wait
    poller = DuePoller(sdx, settings)
    dialer = Dialer(
        settings=settings,
        sdx=sdx,
        twilio=twilio,
        conversations=conversations,
        store=store,
        pace=pace,
        poller=poller,
    )
    return Dispatcher(
        store=store, poller=poller, dialer=dialer, tuning=tuning, pace=pace, name=name
    )
