"""The Lua scripts of the Redis backend, one per round trip that needs more than one command.

redis-py spends about 150 µs of Python per command (and a MULTI/EXEC pipeline pays for
MULTI, every QUEUED and EXEC too), which made the Redis backend several times slower than
the embedded one. A script is one EVALSHA: one command to pack and parse, atomic like a
MULTI, and able to branch on what it reads (claim first, read only when claimed).

Keys are passed in ``KEYS`` except where a script derives one from what it read (the
station of a session, in ``ADMIT``); the gateway does not run on Redis Cluster (a node's
stream and the shared hashes are touched together), so that is safe.
"""

from __future__ import annotations

# Station presence: its JSON only while the node that holds it still heartbeats.
# KEYS: station, nodes. ARGV: alive_since (epoch seconds).
LOOKUP = """
local value = redis.call('GET', KEYS[1])
if not value then return nil end
local node = cjson.decode(value)['node']
local seen = redis.call('ZSCORE', KEYS[2], node)
if not seen or tonumber(seen) < tonumber(ARGV[1]) then return nil end
return value
"""

# Deletes the station's presence only if it still points at the node that lost it.
# KEYS: station. ARGV: node.
DOWN = """
local value = redis.call('GET', KEYS[1])
if value and cjson.decode(value)['node'] == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""

# The synchronous admission of a ChargingProfiles request (``Admission.admit``).
# KEYS: idempotency guard, nodes, pending hash, session, rate buckets...
# ARGV: guard ttl, alive_since, station key prefix, bucket ttl, rate limits... (one per bucket)
# Returns {'dup', previous} | {'rate', bucket index (1-based)} | {'ok', session, station, pending}
# (missing values are nil).
ADMIT = """
if not redis.call('SET', KEYS[1], '', 'NX', 'EX', ARGV[1]) then
  return {'dup', redis.call('GET', KEYS[1]) or ''}
end
for i = 5, #KEYS do
  local count = redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[4])
  if count > tonumber(ARGV[i]) then return {'rate', i - 4} end
end
local session = redis.call('GET', KEYS[4])
if not session then return {'ok', false, false, false} end
local station_id = cjson.decode(session)['station_id']
local station = redis.call('GET', ARGV[3] .. station_id)
if station then
  local seen = redis.call('ZSCORE', KEYS[2], cjson.decode(station)['node'])
  if not seen or tonumber(seen) < tonumber(ARGV[2]) then station = false end
end
return {'ok', session, station, redis.call('HGET', KEYS[3], station_id)}
"""

# Store a job (``JobQueue.put``), and with a third key the request's answer with it.
# KEYS: stream, pending hash[, idempotency guard]. ARGV: job JSON, station id[, answer, ttl].
ENQUEUE = """
redis.call('XADD', KEYS[1], '*', 'job', ARGV[1])
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
if KEYS[3] then redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[4]) end
return 1
"""

# The job reached its end (``JobQueue.ack``). KEYS: stream, pending hash, saved result.
# ARGV: group, entry id ('' when the job never came from a stream), station id.
ACK = """
if ARGV[2] ~= '' then
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
  redis.call('XDEL', KEYS[1], ARGV[2])
end
redis.call('HINCRBY', KEYS[2], ARGV[3], -1)
redis.call('DEL', KEYS[3])
return 1
"""

# Store a session with its indexes (``SessionStore.put``); with ARGV[4] = '1' only if the
# stored JSON is still ARGV[5] (``SessionStore.swap``). Returns 1 when written, else 0.
# KEYS: session, transaction, all sessions, the station's sessions.
# ARGV: session JSON, session id, ttl ('0' = keep forever), compare flag, expected JSON.
PUT_SESSION = """
if ARGV[4] == '1' and redis.call('GET', KEYS[1]) ~= ARGV[5] then return 0 end
if ARGV[3] ~= '0' then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('SET', KEYS[2], ARGV[2])
end
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('SADD', KEYS[4], ARGV[2])
return 1
"""

# The next value of a sequence that starts after ARGV[1]. KEYS: the sequence.
NEXT_ID = """
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('INCR', KEYS[1])
"""
