"""Several Redis writes applied as one atomic command.

A MULTI/EXEC transaction through redis-py packs and parses every command
twice over (each is queued, then answered in EXEC's reply) and costs an SMS
turn's last write about 250 µs of CPU for its seven commands; the same
writes sent as one EVALSHA of a script that runs them in turn cost about
125 µs (both measured in one process against a local Redis; an SMS turn
counts 17% fewer instructions with it, bench/instructions.py). A script is
atomic as a transaction is: nothing else runs in Redis between its commands.

Only writes whose replies nobody reads go in a batch, each naming its one
key first (declared in KEYS, as Redis asks of scripts).
"""

from __future__ import annotations

from redis.asyncio import Redis

# KEYS: one key per command. ARGV, per command: how many arguments follow
# the key, the command's name, then those arguments.
_RUN = """
local at = 1
for k = 1, #KEYS do
    local count = tonumber(ARGV[at])
    redis.call(ARGV[at + 1], KEYS[k], unpack(ARGV, at + 2, at + 1 + count))
    at = at + 2 + count
end
return #KEYS
"""

Value = str | bytes | int | float


class Batch:
    """Writes collected in order, for ``BatchRunner.run``."""

    def __init__(self) -> None:
        self.keys: list[str] = []
        self.args: list[Value] = []

    def _add(self, command: str, key: str, *args: Value) -> None:
        self.keys.append(key)
        self.args.extend((len(args), command, *args))

    def set(self, key: str, value: Value, *, ex: int | None = None) -> None:
        if ex is None:
            self._add("SET", key, value)
        else:
            self._add("SET", key, value, "EX", ex)

    def delete(self, key: str) -> None:
        self._add("DEL", key)

    def expire(self, key: str, seconds: int) -> None:
        self._add("EXPIRE", key, seconds)

    def zadd(self, key: str, member: str, score: float) -> None:
        # repr: the shortest text that reads back as the same float
        self._add("ZADD", key, repr(float(score)), member)

    def zrem(self, key: str, *members: Value) -> None:
        self._add("ZREM", key, *members)

    def hdel(self, key: str, *fields: Value) -> None:
        self._add("HDEL", key, *fields)

    def lrem(self, key: str, count: int, value: Value) -> None:
        self._add("LREM", key, count, value)


class BatchRunner:
    def __init__(self, redis: Redis) -> None:
        self._script = redis.register_script(_RUN)

    async def run(self, batch: Batch) -> None:
        """Apply the batch's writes in one round trip, atomically."""
        if batch.keys:
            await self._script(keys=batch.keys, args=batch.args)
