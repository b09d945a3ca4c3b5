"""Typed application keys for what the web layer itself reads: settings and connections."""

from __future__ import annotations

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from gateway.config import Settings
from gateway.sdx import SdxClient

SETTINGS = web.AppKey("settings", Settings)
HTTP_SESSION = web.AppKey("http_session", aiohttp.ClientSession)
SDX = web.AppKey("sdx", SdxClient)
# None when REDIS_URL is unset: the gateway then keeps state in memory.
REDIS = web.AppKey[Redis | None]("redis")
