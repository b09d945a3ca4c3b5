"""The Lua scripts of ``RedisDispatchStore``: each a check and its change in one step.

A script runs atomically on the Redis server, so no other replica (or a
crash of this one) can come between what a script reads and what it writes.
"""

from __future__ import annotations

# The lease: renewed by its holder, else taken if free.
LEAD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return 1
end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
return 0
"""

RESIGN = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
"""

PACE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = tonumber(redis.call('GET', KEYS[1]) or '-1000000000')
local wait = last + tonumber(ARGV[1]) - now
if wait <= 0 then
    redis.call('SET', KEYS[1], now, 'PX', ARGV[1] * 2 + 1000)
    return 0
end
return wait
"""

TAKE_RETRIES = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, member in ipairs(due) do redis.call('ZREM', KEYS[1], member) end
return due
"""
