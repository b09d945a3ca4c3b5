"""Call sessions: what the gateway remembers between two webhooks of one call.

A session is a cache. SDX knows every answer; losing a session costs at most
a re-asked question (see ``gateway.voice.survey``'s recovery path), never an answer.

Two stores behave the same (one shared test suite): ``RedisSessionStore``
for production, ``MemorySessionStore`` for the single-process demo.

Idempotent turns: every Gather action carries its turn number. The first
request for (CallSid, turn) *claims* the turn (``SET NX``); a duplicate that
arrives while the first is in flight loses the claim and waits for the
stored reply; one that arrives later finds the session already past that
turn and gets the stored reply. Either way ``submit_response`` runs once.

A call's first webhook is not claimed: its session is created ``first`` and
saved only if the call has none by then (``SessionTaken`` otherwise, holding
the stored one, whose reply a retried first webhook gets). That costs a
retry one more ``start_survey`` (which only says where the survey stands)
and saves every first turn a read before it starts.
"""

from __future__ import annotations

import asyncio
import time
from typing import Literal, Protocol

from pydantic import BaseModel, Field
from redis.asyncio import Redis

from gateway.sdx.models import Question
from gateway.state.ttl_cache import Clock, TtlCache

# "machine": asynchronous detection found an answering machine mid-call.
SessionStatus = Literal["active", "completed", "abandoned", "faulted", "machine"]

# A turn claim only needs to outlive one webhook (Twilio gives up after 15 s).
TURN_CLAIM_TTL = 60


class CallSession(BaseModel):
    call_sid: str
    interaction_id: int
    survey_id: int | None = None
    # E.164; kept (in Redis, never in logs) to update the lookup index when
    # the survey ends.
    respondent: str = ""
    # The current question, so a turn needs no extra SDX request to know how
    # to read the caller's keys or words.
    question: Question | None = None
    # The prompt that asked it (in the respondent's language): a reprompt
    # says it again.
    asked_text: str = ""
    asked_sound: str | None = None
    # The respondent's language, by its GATEWAY_LANGUAGES key ("": the default).
    language: str = ""
    # Number of the last turn rendered (0: none yet).
    turn: int = 0
    reprompts: int = 0
    # The TwiML last sent for this call: what a replayed request gets.
    reply: str = ""
    status: SessionStatus = "active"
    # Made by this webhook for a call with no session yet: saved only if
    # there is still none (never stored itself).
    first: bool = Field(default=False, exclude=True)


class SessionTaken(Exception):
    """A ``first`` session was not saved: the call has one (a retried first webhook)."""

    def __init__(self, stored: CallSession) -> None:
        super().__init__("the call already has a session")
        self.stored = stored


class SessionStore(Protocol):
    async def load(self, call_sid: str) -> CallSession | None: ...

    async def load_for_turn(self, call_sid: str, turn: int) -> tuple[CallSession | None, bool]:
        """The session, and whether this request claimed ``turn`` (one round trip)."""
        ...

    async def save(self, session: CallSession) -> None:
        """Store the session; a ``first`` one only if the call has none (else
        raises ``SessionTaken``), and from then on it is an ordinary one."""
        ...

    async def delete(self, call_sid: str) -> None: ...

    async def once(self, name: str, ttl: int) -> bool:
        """True the first time ``name`` is claimed within ``ttl`` seconds."""
        ...


# Claim the turn and read the session: one command (a two-command pipeline
# costs redis-py more to build and parse). KEYS: the session, the claim.
# ARGV: the claim's TTL. Returns {claimed (0 or 1), session} (the session
# left out when there is none).
_LOAD_FOR_TURN = """
local claimed = redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[1])
return {claimed and 1 or 0, redis.call('GET', KEYS[1])}
"""

# Save a first session unless the call has one. KEYS: the session. ARGV: the
# session, its TTL. Returns the stored session, or nil when this one was saved.
_SAVE_FIRST = """
local stored = redis.call('GET', KEYS[1])
if stored then return stored end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return false
"""


class RedisSessionStore:
    def __init__(self, redis: Redis, *, prefix: str, ttl: int) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl
        self._load_for_turn = redis.register_script(_LOAD_FOR_TURN)
        self._save_first = redis.register_script(_SAVE_FIRST)

    def _key(self, call_sid: str) -> str:
        return f"{self._prefix}call:{call_sid}"

    async def load(self, call_sid: str) -> CallSession | None:
        raw = await self._redis.get(self._key(call_sid))
        return CallSession.model_validate_json(raw) if raw else None

    async def load_for_turn(self, call_sid: str, turn: int) -> tuple[CallSession | None, bool]:
        claim = f"{self._prefix}turn:{call_sid}:{turn}"
        reply = await self._load_for_turn(keys=[self._key(call_sid), claim], args=[TURN_CLAIM_TTL])
        raw = reply[1] if len(reply) > 1 else None
        session = CallSession.model_validate_json(raw) if raw else None
        return session, bool(reply[0])

    async def save(self, session: CallSession) -> None:
        key, value = self._key(session.call_sid), session.model_dump_json()
        if not session.first:
            await self._redis.set(key, value, ex=self._ttl)
            return
        stored = await self._save_first(keys=[key], args=[value, self._ttl])
        if stored:
            raise SessionTaken(CallSession.model_validate_json(stored))
        session.first = False

    async def delete(self, call_sid: str) -> None:
        await self._redis.delete(self._key(call_sid))

    async def once(self, name: str, ttl: int) -> bool:
        return bool(await self._redis.set(f"{self._prefix}once:{name}", b"1", nx=True, ex=ttl))


# Bounds of the in-memory store, each far beyond a demo (a call session with
# its question and TwiML is ~1.3 KB, a claim or marker ~0.2 KB: about 13, 2
# and 10 MB). A session lives GATEWAY_VOICE_SESSION_TTL (4 hours by
# default): 10,000 is 40 calls a minute. A turn claim must outlive one
# webhook (60 s): 10,000 is 160 turns a second before a live one could be
# pushed out. Once-markers (a call's abandon and its outcome) last a day or
# two: 50,000 is 25,000 calls. What a bound pushes out is the least recently
# written (see ``gateway.state.ttl_cache``).
MAX_SESSIONS = 10_000
MAX_TURN_CLAIMS = 10_000
MAX_ONCE = 50_000


class MemorySessionStore:
    """The same behaviour in one process's memory (demo; single process only).

    One cache per kind of key, so each holds a single TTL (two for once-markers)
    and expired entries are swept exactly (see ``TtlCache``).
    """

    def __init__(self, *, ttl: int, clock: Clock = time.monotonic) -> None:
        self._ttl = ttl
        self._sessions: TtlCache[str, str] = TtlCache(MAX_SESSIONS, clock=clock)
        self._turns: TtlCache[tuple[str, int], bool] = TtlCache(MAX_TURN_CLAIMS, clock=clock)
        self._once: TtlCache[str, bool] = TtlCache(MAX_ONCE, clock=clock)
        self._lock = asyncio.Lock()

    async def load(self, call_sid: str) -> CallSession | None:
        raw = self._sessions.get(call_sid)
        return CallSession.model_validate_json(raw) if raw else None

    async def load_for_turn(self, call_sid: str, turn: int) -> tuple[CallSession | None, bool]:
        async with self._lock:
            claimed = self._turns.add((call_sid, turn), True, TURN_CLAIM_TTL)
            return await self.load(call_sid), claimed

    async def save(self, session: CallSession) -> None:
        if session.first:
            stored = await self.load(session.call_sid)
            if stored is not None:
                raise SessionTaken(stored)
            session.first = False
        self._sessions.set(session.call_sid, session.model_dump_json(), self._ttl)

    async def delete(self, call_sid: str) -> None:
        self._sessions.pop(call_sid)

    async def once(self, name: str, ttl: int) -> bool:
        async with self._lock:
            return self._once.add(name, True, ttl)
