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

# A claim's expiry pushed back, only while ARGV[1] ("dialing:{owner}") still
# holds it: a claim that expired and was won by another consumer, or was
# settled, is never extended.
RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return 1
end
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

# Due retries move from the zset into the stream in one step: taking them out
# and queueing them separately would lose them to a crash in between.
# KEYS: retry zset, stream, dead-letter stream. ARGV: now, limit, queued-key
# prefix, queued TTL (s), stream MAXLEN, dead-letter MAXLEN, then the job's
# field names in the order of a member's ``|``-joined values. Each member is
# queued as ``enqueue`` does it (``queued:`` key NX with its TTL, then XADD of
# the same fields); one already queued for that attempt is only dropped; one
# that does not split into as many values is dead-lettered. Returns
# {queued, dead-lettered}.
MOVE_RETRIES = """
local names = {}
for i = 7, #ARGV do names[#names + 1] = ARGV[i] end
local id_at, attempt_at
for i, name in ipairs(names) do
    if name == 'interaction_id' then id_at = i end
    if name == 'attempt' then attempt_at = i end
end
local queued, dead = 0, 0
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, member in ipairs(due) do
    redis.call('ZREM', KEYS[1], member)
    local values, start = {}, 1
    while true do
        local bar = string.find(member, '|', start, true)
        if not bar then
            values[#values + 1] = string.sub(member, start)
            break
        end
        values[#values + 1] = string.sub(member, start, bar - 1)
        start = bar + 1
    end
    if #values ~= #names then
        redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*',
            'dead_member', member, 'dead_reason', 'malformed retry')
        dead = dead + 1
    else
        local key = ARGV[3] .. values[id_at] .. ':' .. values[attempt_at]
        if redis.call('SET', key, '1', 'NX', 'EX', ARGV[4]) then
            local entry = {}
            for i, name in ipairs(names) do
                entry[#entry + 1] = name
                entry[#entry + 1] = values[i]
            end
            redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', unpack(entry))
            queued = queued + 1
        end
    end
end
return {queued, dead}
"""

# Consumers with nothing pending, idle at least ARGV[2] ms, are deleted from
# group ARGV[1] (only those named from ARGV[4] on, if ARGV[3] is 'only').
# Checked and deleted in one step: XGROUP DELCONSUMER drops the consumer's
# pending entries with it, so a consumer that read an entry between a check
# and a separate delete would lose that entry for good. "idle" counts from
# the consumer's last read that got entries on Redis 7.0 (its last attempt
# from 7.2), so a live consumer on a quiet stream can look idle too: deleting
# it loses nothing, since it holds nothing, and its next read makes it again
# (a read blocked at that moment is still served).
PRUNE_CONSUMERS = """
local only = ARGV[3] == 'only'
local wanted = {}
for i = 4, #ARGV do wanted[ARGV[i]] = true end
local deleted = {}
for _, consumer in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
    local info = {}
    for i = 1, #consumer, 2 do info[consumer[i]] = consumer[i + 1] end
    if info['pending'] == 0 and info['idle'] >= tonumber(ARGV[2])
        and (not only or wanted[info['name']]) then
        redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], info['name'])
        deleted[#deleted + 1] = info['name']
    end
end
return deleted
"""
