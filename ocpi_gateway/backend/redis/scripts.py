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

# Store a job (``JobQueue.put``), and with a fourth key the request's answer with it; returns the
# entry id. The station id rides along as its own field so ``ARRIVE`` need not decode every job.
# A job that must reach ``redis.wait_replicas`` replicas before it may run (hold ttl > 0) is marked
# held and its hold key set; the accepting node deletes the key once WAIT confirmed, or marks it
# withdrawn (``WITHDRAW``). KEYS: stream, pending hash, hold[, idempotency guard].
# ARGV: job JSON, station id, hold ttl in ms (0: not held)[, answer, ttl].
ENQUEUE = """
local fields = {'job', ARGV[1], 'st', ARGV[2]}
if tonumber(ARGV[3]) > 0 then
  table.insert(fields, 'hold')
  table.insert(fields, '1')
  redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
end
local id = redis.call('XADD', KEYS[1], '*', unpack(fields))
redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
if KEYS[4] then redis.call('SET', KEYS[4], ARGV[4], 'EX', ARGV[5]) end
return id
"""

# The replicas did not confirm a held job: take it back with the answer stored for its request, so
# a request answered 503 never runs. KEYS: stream, pending hash, hold[, guard].
# ARGV: entry id, station id, hold ttl (ms). Returns 1 when the entry was still there.
WITHDRAW = """
local held = redis.call('XDEL', KEYS[1], ARGV[1])
if held == 1 then redis.call('HINCRBY', KEYS[2], ARGV[2], -1) end
redis.call('SET', KEYS[3], 'withdrawn', 'PX', ARGV[3])
if KEYS[4] then redis.call('DEL', KEYS[4]) end
return held
"""

# The job reached its end (``JobQueue.ack``). KEYS: stream, pending hash, result record.
# ARGV: group, entry id ('' when the job never came from a stream), station id.
# The pending count drops only when the entry was still ours (a copy moved away by ``ARRIVE``
# or a peer's reclaim is counted by whoever acks it); the result record becomes "delivered"
# (same expiry) so a copy of the job that runs later only acks.
ACK = """
local held = 1
if ARGV[2] ~= '' then
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
  held = redis.call('XDEL', KEYS[1], ARGV[2])
end
if held == 1 then redis.call('HINCRBY', KEYS[2], ARGV[3], -1) end
if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('SET', KEYS[3], '{"d":1}', 'KEEPTTL') end
return held
"""

# Hand an unfinished job to the node that holds its station now, only if the entry is still ours
# (``ARRIVE`` may have moved it already: forwarding it again would run it twice).
# KEYS: our stream, target stream. ARGV: group, entry id ('' = not from a stream), job JSON, station.
FORWARD = """
if ARGV[2] ~= '' then
  if redis.call('XDEL', KEYS[1], ARGV[2]) == 0 then return 0 end
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
end
redis.call('XADD', KEYS[2], '*', 'job', ARGV[3], 'st', ARGV[4], 'moved', '1')
return 1
"""

# A station arrived at this node while its presence named another: move its entries (read by the
# old node or not) from that node's stream to ours, marked moved so their results are looked up
# before the station is called again (a job still held for its replicas stays held).
# KEYS: old stream, our stream. ARGV: group, station id.
ARRIVE = """
local moved = 0
for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
  local fields, job, station, hold = entry[2], nil, nil, nil
  for i = 1, #fields, 2 do
    if fields[i] == 'job' then job = fields[i + 1] elseif fields[i] == 'st' then station = fields[i + 1]
    elseif fields[i] == 'hold' then hold = fields[i + 1] end
  end
  if job and not station then station = cjson.decode(job)['station_id'] end
  if station == ARGV[2] then
    local copy = {'job', job, 'st', station, 'moved', '1'}
    if hold then
      table.insert(copy, 'hold')
      table.insert(copy, hold)
    end
    redis.call('XADD', KEYS[2], '*', unpack(copy))
    redis.call('XACK', KEYS[1], ARGV[1], entry[1])
    redis.call('XDEL', KEYS[1], entry[1])
    moved = moved + 1
  end
end
return moved
"""

# Who delivers a job's result (``JobQueue.claim_result``). The record is JSON: {o: owner process
# (its lease value), n: its node, a: the answer} while being delivered, {d: 1} once acked.
# KEYS: result record. ARGV: our owner value, our node, answer ('' = only look), ttl,
# lease key prefix, an owner the caller found dead ('' = none).
# Returns {'none'} (nobody answered: look only) | {'mine', answer} | {'done'} | {'theirs', owner}.
CLAIM = """
local raw = redis.call('GET', KEYS[1])
if not raw then
  if ARGV[3] == '' then return {'none'} end
  redis.call('SET', KEYS[1], cjson.encode({o = ARGV[1], n = ARGV[2], a = ARGV[3]}), 'EX', ARGV[4])
  return {'mine', ARGV[3]}
end
local record = cjson.decode(raw)
if record['d'] then return {'done'} end
if record['o'] == ARGV[1] then return {'mine', record['a']} end
if record['o'] ~= ARGV[6] and redis.call('GET', ARGV[5] .. record['n']) == record['o'] then
  return {'theirs', record['o']}
end
redis.call('SET', KEYS[1], cjson.encode({o = ARGV[1], n = ARGV[2], a = record['a']}), 'KEEPTTL')
return {'mine', record['a']}
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
