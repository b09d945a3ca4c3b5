"""Typed application keys for the resources shared across requests."""

from __future__ import annotations

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from gateway.config import Settings
from gateway.sdx import SdxClient
from gateway.sms import SmsSurvey
from gateway.sms_expiry import SmsExpiry
from gateway.state.conversations import ConversationStore
from gateway.state.sessions import SessionStore
from gateway.survey.index import InteractionIndex
from gateway.survey.outcomes import CallOutcomes
from gateway.survey.routing import NumberRouter
from gateway.voice import VoiceSurvey

SETTINGS = web.AppKey("settings", Settings)
HTTP_SESSION = web.AppKey("http_session", aiohttp.ClientSession)
SDX = web.AppKey("sdx", SdxClient)
# None when REDIS_URL is unset: the gateway then keeps state in memory.
REDIS = web.AppKey[Redis | None]("redis")
SESSIONS = web.AppKey[SessionStore]("sessions")
ROUTER = web.AppKey("router", NumberRouter)
INDEX = web.AppKey("index", InteractionIndex)
VOICE = web.AppKey("voice", VoiceSurvey)
SMS = web.AppKey("sms", SmsSurvey)
SMS_EXPIRY = web.AppKey("sms_expiry", SmsExpiry)
OUTCOMES = web.AppKey("outcomes", CallOutcomes)
CONVERSATIONS = web.AppKey[ConversationStore]("conversations")
