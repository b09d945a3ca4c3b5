"""Every part of the gateway built from Settings and the open connections, in one place.

``gateway serve``, ``gateway dispatch`` and ``gateway demo`` assemble the
same parts here; nothing else constructs a store, a survey or a dispatcher.
With no Redis (``REDIS_URL`` unset) the stores are the in-memory ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from gateway.config import Settings
from gateway.dispatch.dialer import Dialer
from gateway.dispatch.poller import DuePoller
from gateway.dispatch.store import DispatchStore, Pacer, RedisDispatchStore
from gateway.dispatch.store_memory import MemoryDispatchStore
from gateway.dispatch.worker import Dispatcher, DispatchTuning
from gateway.languages import Languages
from gateway.sdx import SdxClient
from gateway.sms.delivery import SmsDelivery
from gateway.sms.expiry import SmsExpiry
from gateway.sms.survey import SmsSurvey
from gateway.state.agenda import Agenda, MemoryAgenda, RedisAgenda
from gateway.state.attempts import (
    AttemptStore,
    MemoryAttemptStore,
    RedisAttemptStore,
    keep_for,
)
from gateway.state.conversations import ConversationStore
from gateway.state.conversations_memory import MemoryConversationStore
from gateway.state.conversations_redis import RedisConversationStore
from gateway.state.feed_marks import FeedMarks, MemoryFeedMarks, RedisFeedMarks
from gateway.state.index import IndexStore, MemoryIndexStore, RedisIndexStore
from gateway.state.sessions import MemorySessionStore, RedisSessionStore, SessionStore
from gateway.survey.feed import InteractionFeed, RegionSource
from gateway.survey.index import InteractionIndex
from gateway.survey.outcomes import CallOutcomes
from gateway.survey.pending import PendingInteractions
from gateway.survey.routing import NumberRouter
from gateway.twilio.rest import TwilioRest
from gateway.twilio.urls import WebhookUrls
from gateway.voice.machine import LiveCalls
from gateway.voice.speaking import CallSpeech
from gateway.voice.survey import VoiceSurvey


@dataclass(frozen=True)
class Stores:
    sessions: SessionStore
    index: IndexStore
    conversations: ConversationStore
    # Counted by the dialler, read by a call's outcome (the web process): in
    # memory, the one instance both share.
    attempts: AttemptStore
    # Filled by whichever process lists SDX, read by the dispatcher.
    agenda: Agenda
    marks: FeedMarks


def build_stores(settings: Settings, redis: Redis | None) -> Stores:
    keep = keep_for(settings.gateway_max_attempts, settings.gateway_retry_delay)
    # A survey's index and marks outlive a few missed full passes, then go
    # (its numbers no longer route to it).
    listed_keep = int(3 * settings.gateway_reconcile_interval)
    if redis is None:
        index = MemoryIndexStore(keep=listed_keep)
        return Stores(
            MemorySessionStore(ttl=settings.gateway_voice_session_ttl),
            index,
            MemoryConversationStore(index),
            MemoryAttemptStore(ttl=keep),
            MemoryAgenda(),
            MemoryFeedMarks(),
        )
    prefix = settings.gateway_redis_prefix
    redis_index = RedisIndexStore(redis, prefix=prefix, keep=listed_keep)
    return Stores(
        RedisSessionStore(redis, prefix=prefix, ttl=settings.gateway_voice_session_ttl),
        redis_index,
        # A conversation that ends leaves the lookup index in the same transaction.
        RedisConversationStore(redis, prefix=prefix, index=redis_index),
        RedisAttemptStore(redis, prefix=prefix, ttl=keep),
        RedisAgenda(redis, prefix=prefix),
        RedisFeedMarks(redis, prefix=prefix, keep=listed_keep),
    )


def build_feed(
    settings: Settings, sdx: SdxClient, stores: Stores, region: RegionSource
) -> InteractionFeed:
    return InteractionFeed(
        sdx,
        stores.index,
        stores.agenda,
        stores.marks,
        region=region,
        reconcile_interval=settings.gateway_reconcile_interval,
    )


@dataclass(frozen=True)
class Components:
    """The webhook server's parts."""

    stores: Stores
    feed: InteractionFeed
    index: InteractionIndex
    router: NumberRouter
    voice: VoiceSurvey
    sms: SmsSurvey
    sms_expiry: SmsExpiry
    sms_delivery: SmsDelivery


def build_router(settings: Settings, sdx: SdxClient) -> NumberRouter:
    """Number -> survey routing, and with it the default region for SDX's numbers."""
    return NumberRouter(
        sdx,
        settings.gateway_numbers,
        settings.gateway_routing_refresh,
        region=settings.gateway_default_region,
    )


def build_components(
    settings: Settings, sdx: SdxClient, redis: Redis | None, twilio: LiveCalls | None = None
) -> Components:
    """The web process's parts; ``twilio`` redirects calls a machine answered
    (None, as in tests of the parts alone: the next webhook ends them)."""
    stores = build_stores(settings, redis)
    router = build_router(settings, sdx)
    feed = build_feed(settings, sdx, stores, router.region_code)
    index = InteractionIndex(
        stores.index, feed, min_age=settings.gateway_index_min_age, region=router.region_code
    )
    pending = PendingInteractions(
        sdx=sdx, index=index, router=router, create=settings.gateway_inbound_create
    )
    outcomes = CallOutcomes(
        sdx,
        stores.sessions,
        stores.attempts,
        max_attempts=settings.gateway_max_attempts,
        retry_delay=settings.gateway_retry_delay,
        rescheduled=feed.saw,
    )
    urls = WebhookUrls(settings.gateway_public_url)
    languages = Languages.from_settings(settings)
    voice = VoiceSurvey(
        sdx=sdx,
        sessions=stores.sessions,
        index=index,
        pending=pending,
        outcomes=outcomes,
        speech=CallSpeech(languages, settings.gateway_gather_timeout),
        urls=urls,
        max_reprompts=settings.gateway_max_reprompts,
        deadline=settings.gateway_webhook_deadline,
        calls=twilio,
    )
    sms = SmsSurvey(
        sdx=sdx,
        store=stores.conversations,
        pending=pending,
        languages=languages,
        idle_ttl=settings.gateway_sms_session_ttl,
        region=settings.routing_region,
        max_segments=settings.gateway_sms_max_segments,
        urls=urls,
        deadline=settings.gateway_webhook_deadline,
        services=settings.messaging_services,
    )
    expiry = SmsExpiry(
        sdx=sdx, store=stores.conversations, idle_ttl=settings.gateway_sms_session_ttl
    )
    delivery = SmsDelivery(
        sdx=sdx,
        store=stores.conversations,
        sessions=stores.sessions,
        attempts=stores.attempts,
        outcomes=outcomes,
        max_attempts=settings.gateway_max_attempts,
        idle_ttl=settings.gateway_sms_session_ttl,
        region=settings.routing_region,
        deadline=settings.gateway_webhook_deadline,
        services=settings.messaging_services,
    )
    return Components(stores, feed, index, router, voice, sms, expiry, delivery)


def build_dispatcher(
    settings: Settings,
    sdx: SdxClient,
    redis: Redis | None,
    twilio: TwilioRest,
    conversations: ConversationStore,
    *,
    attempts: AttemptStore,
    tuning: DispatchTuning | None = None,
    name: str | None = None,
    router: NumberRouter | None = None,
    feed: InteractionFeed | None = None,
) -> Dispatcher:
    """The outbound worker. ``router`` gives it the default region (one of its
    own, read from SDX once, unless a caller passes one it keeps refreshing);
    ``feed`` the listing it shares with the web process (in memory, the same
    instance; with Redis, one of its own over the same keys)."""
    store: DispatchStore = (
        MemoryDispatchStore()
        if redis is None
        else RedisDispatchStore(redis, prefix=settings.gateway_redis_prefix)
    )
    tuning = tuning or DispatchTuning(
        interval=settings.gateway_dispatch_interval,
        concurrency=settings.gateway_dispatch_concurrency,
        rate=settings.gateway_calls_per_second,
        idle=settings.gateway_dispatch_takeover,
        dialing_ttl=settings.gateway_dispatch_takeover / 2,
    )
    pace = Pacer(store, tuning.rate).wait
    router = router or build_router(settings, sdx)
    feed = feed or build_feed(settings, sdx, build_stores(settings, redis), router.region_code)
    poller = DuePoller(sdx, settings, attempts, router.region_code, feed)
    dialer = Dialer(
        settings=settings,
        sdx=sdx,
        twilio=twilio,
        conversations=conversations,
        store=store,
        attempts=attempts,
        pace=pace,
        poller=poller,
        languages=Languages.from_settings(settings),
        claim_ttl=tuning.dialing_ttl,
    )
    return Dispatcher(
        store=store, poller=poller, dialer=dialer, tuning=tuning, pace=pace, name=name
    )
