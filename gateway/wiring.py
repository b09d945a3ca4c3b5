"""Builds the survey logic from settings and the shared resources.

Kept apart from ``app.py`` so the dispatcher and the demo can assemble the
same pieces without a web server.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from gateway.config import Settings
from gateway.lookup import IndexStore, InteractionFinder, MemoryIndexStore, RedisIndexStore
from gateway.routing import NumberRouter
from gateway.sdx import SdxClient
from gateway.sessions import MemorySessionStore, RedisSessionStore, SessionStore
from gateway.twiml import VoiceStyle
from gateway.voice import CallTexts, VoiceSurvey, VoiceUrls


@dataclass
class Components:
    sessions: SessionStore
    index: IndexStore
    finder: InteractionFinder
    router: NumberRouter
    voice: VoiceSurvey


def build_components(settings: Settings, sdx: SdxClient, redis: Redis | None) -> Components:
    sessions: SessionStore
    index: IndexStore
    if redis is None:
        sessions = MemorySessionStore(ttl=settings.gateway_voice_session_ttl)
        index = MemoryIndexStore(ttl=settings.gateway_index_ttl)
    else:
        prefix = settings.gateway_redis_prefix
        sessions = RedisSessionStore(redis, prefix=prefix, ttl=settings.gateway_voice_session_ttl)
        index = RedisIndexStore(redis, prefix=prefix, ttl=settings.gateway_index_ttl)
    finder = InteractionFinder(sdx, index, min_age=settings.gateway_index_min_age)
    router = NumberRouter(sdx, settings.gateway_numbers, settings.gateway_routing_refresh)
    voice = VoiceSurvey(
        sdx=sdx,
        sessions=sessions,
        finder=finder,
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
    return Components(sessions, index, finder, router, voice)
