-- Admission and account selection for one request, atomic in Redis:
-- the key's limits, then the Headroom pick (ql/ql_headroom.h is its C
-- reference), then the leases.  One round trip on the request path.
--
-- Positions are named in ngx_http_quotalane_scripts.h (the KEY_, ARG_,
-- REPLY_ and LIMIT_ locals come from there):
-- KEY_POOL    the pool's set (prefix .. 'accounts:' .. pool)
-- KEY_KEY     the caller's key record (prefix .. 'key:' .. digest)
-- KEY_SYNCED  the marker admind sets after a full rebuild (prefix .. 'synced')
-- ARG_*       see the names below; ids are decimal strings, '0' = none;
--             ENDPOINT ('chat', 'messages', ...) and MODEL ('' for none)
--             must be served by the account (its endpoints and models)
--
-- Replies, by REPLY_ position:
--   'ok', ID, TYPE, SCHEME, HOST, ADDR, PATH_PREFIX, CRED,
--   CRED_VERSION, DEGRADED,    DEGRADED: '1' if health < 100 or half-open,
--                              so the gateway reports successes back
--   UPSTREAM_MODEL,            the account's model_map entry, '' if none
--   CHATGPT_ACCOUNT_ID, PROJECT_ID, AZURE_DEPLOYMENT, AZURE_API_VERSION,
--   AWS_REGION, AWS_ACCESS_KEY_ID,
--   STICKY                     '1' if the session's account took it
--   'none'   no account serves the request
--   'busy'   accounts exist, none eligible now (limits, cooldowns)
--   'revoked'      the key was disabled, deleted or expired in admind
--   'rebuilding'   no key record and no `synced` marker: not a verdict
-- and by LIMIT_ position:
--   'limited', WHAT, RETRY_AFTER (seconds)   key over a rate or concurrency
--   'quota', WHAT                            key or plan over a cost limit

local prefix         = ARGV[ARG_PREFIX]
local pool_name      = ARGV[ARG_POOL]
local endpoint       = ARGV[ARG_ENDPOINT]
local model          = ARGV[ARG_MODEL]
local bound_account  = ARGV[ARG_BOUND_ACCOUNT]
local bound_group    = ARGV[ARG_BOUND_GROUP]
local now            = tonumber(ARGV[ARG_NOW])
local request_id     = ARGV[ARG_REQUEST_ID]
local key_id         = ARGV[ARG_KEY_ID]
local key_conc_limit = tonumber(ARGV[ARG_KEY_CONC_LIMIT])
local lease_ms       = tonumber(ARGV[ARG_LEASE_MS])
local session        = ARGV[ARG_SESSION]
-- as the strings they came as: what redis.call() passes on unconverted
local session_ttl    = ARGV[ARG_SESSION_TTL]
local now_ms         = ARGV[ARG_NOW]
local excluded       = ARGV[ARG_EXCLUDED]
local rate_window    = tonumber(ARGV[ARG_RATE_WINDOW])
local rate_requests  = tonumber(ARGV[ARG_RATE_REQUESTS])
local rate_tokens    = tonumber(ARGV[ARG_RATE_TOKENS])
local rate_cost      = tonumber(ARGV[ARG_RATE_COST])
local daily_limit    = tonumber(ARGV[ARG_DAILY_LIMIT])
local day_bucket     = ARGV[ARG_DAY]
local weekly_limit   = tonumber(ARGV[ARG_WEEKLY_LIMIT])
local week_bucket    = ARGV[ARG_WEEK]
local total_limit    = tonumber(ARGV[ARG_TOTAL_LIMIT])
local quota_limit    = tonumber(ARGV[ARG_QUOTA_LIMIT])
local quota_bucket   = ARGV[ARG_QUOTA_BUCKET]
local user_id        = ARGV[ARG_USER_ID]

local pool = KEYS[KEY_POOL]

-- replies are built by position name, never as positional literals
local function answer(status)
    local r = {}
    r[REPLY_STATUS] = status
    return r
end

local function limited(status, what, retry_after)
    local r = {}
    r[LIMIT_STATUS] = status
    r[LIMIT_WHAT] = what
    r[LIMIT_RETRY_AFTER] = retry_after
    return r
end

local ONE = 1000000

local function num(v, default)
    return tonumber(v) or default
end

-- key: still valid ---------------------------------------------------------

-- The gateway caches key records for a few seconds; their status is read
-- again here, in the round trip every request makes anyway, so that a key
-- disabled, deleted or expired in admind is refused on its next request.
local krec = redis.call('HMGET', KEYS[KEY_KEY], 'status', 'expires_at')

if not krec[1] then
    if redis.call('EXISTS', KEYS[KEY_SYNCED]) == 0 then
        return answer('rebuilding')
    end
    return answer('revoked')
end

local key_expires = tonumber(krec[2]) or 0
if krec[1] ~= 'active' or (key_expires > 0 and key_expires * 1000 <= now)
then
    return answer('revoked')
end

-- key: concurrency ---------------------------------------------------------

-- (leases are taken only where a limit counts them: unlimited keys and
-- accounts cost no ZSET work)
local kconc = prefix .. 'kconc:' .. key_id

if key_conc_limit > 0 then
    redis.call('ZREMRANGEBYSCORE', kconc, '-inf', now)
    if redis.call('ZCARD', kconc) >= key_conc_limit then
        return limited('limited', 'concurrency', 1)
    end
end

-- key: sliding window (this window's count plus the previous one's,
-- weighted by how much of it still overlaps the last rate_window seconds)

local rate_key, rate_ttl
if rate_window > 0 then
    local window_ms = rate_window * 1000
    local cur = math.floor(now / window_ms)
    local elapsed = now - cur * window_ms
    local weight = (window_ms - elapsed) / window_ms
    local c = redis.call('HMGET', prefix .. 'krate:' .. key_id .. ':' .. cur,
                         'req', 'tok', 'cost')
    local p = redis.call('HMGET',
                         prefix .. 'krate:' .. key_id .. ':' .. (cur - 1),
                         'req', 'tok', 'cost')
    local retry = math.ceil((window_ms - elapsed) / 1000)

    local function estimate(i)
        return num(p[i], 0) * weight + num(c[i], 0)
    end

    if rate_requests > 0 and estimate(1) + 1 > rate_requests then
        return limited('limited', 'requests', retry)
    end
    if rate_tokens > 0 and estimate(2) >= rate_tokens then
        return limited('limited', 'tokens', retry)
    end
    if rate_cost > 0 and estimate(3) >= rate_cost then
        return limited('limited', 'cost', retry)
    end

    rate_key = prefix .. 'krate:' .. key_id .. ':' .. cur
    rate_ttl = rate_window * 2
end

-- key and plan: cost limits (counters are added at the log phase) -----------

local function spent(k)
    return num(redis.call('GET', k), 0)
end

if daily_limit > 0 and
        spent(prefix .. 'kcost:' .. key_id .. ':d:' .. day_bucket)
        >= daily_limit then
    return limited('quota', 'daily')
end
if weekly_limit > 0 and
        spent(prefix .. 'kcost:' .. key_id .. ':w:' .. week_bucket)
        >= weekly_limit then
    return limited('quota', 'weekly')
end
if total_limit > 0 and
        spent(prefix .. 'kcost:' .. key_id .. ':total') >= total_limit then
    return limited('quota', 'total')
end
if quota_limit > 0 and
        spent(prefix .. 'ucost:' .. user_id .. ':' .. quota_bucket)
        >= quota_limit then
    return limited('quota', 'plan')
end

-- accounts ----------------------------------------------------------------

local skip = {}
for id in string.gmatch(excluded, '[^,]+') do
    skip[id] = true
end

local minute = math.floor(now / 60000)

local function ppm(used, limit)
    if limit <= 0 then
        return 0
    end
    if used >= limit then
        return ONE
    end
    if used <= 0 then
        return 0
    end
    return math.floor(used * ONE / limit)
end

-- ',a,b,' lists (pools, endpoints): '' holds everything; the patterns
-- are made once, not once per candidate
local pool_item = ',' .. pool_name .. ','
local endpoint_item = ',' .. endpoint .. ','
local function listed(list, item)
    return list == '' or string.find(list, item, 1, true) ~= nil
end

-- The account's upstream model for the requested one: its model_map
-- ('\nfrom\tto\n...') entry, else '' (the model as asked); false when
-- its supported models ('\nm\n...') or map leave the model out.
local map_item = '\n' .. model .. '\t'
local models_item = '\n' .. model .. '\n'
local function upstream_model(models, map)
    if model == '' or (models == '' and map == '') then
        return ''
    end
    local at = string.find(map, map_item, 1, true)
    if at then
        local from = at + #model + 2
        local to = string.find(map, '\n', from, true) or (#map + 1)
        return string.sub(map, from, to - 1)
    end
    if models ~= '' and string.find(models, models_item, 1, true) then
        return ''
    end
    return false
end

-- whether any account serves this request at all: 'busy', not 'none'
local serves = false

-- The account's state, or nil when it cannot take this request.
local function state(id)
    if skip[id] then
        serves = true   -- it did, and failed this request
        return nil
    end

    local akey = prefix .. 'account:' .. id
    local f = redis.call('HMGET', akey, 'status', 'schedulable', 'platform',
                         'priority', 'last_used_ms', 'cooldown_until_ms',
                         'concurrency_limit', 'rpm_limit', 'tpm_limit',
                         'health', 'circuit', 'circuit_until_ms',
                         'probe_until_ms', 'id', 'type', 'scheme', 'host',
                         'addr', 'path_prefix', 'pools', 'cred',
                         'cred_version', 'endpoints', 'models', 'model_map',
                         'chatgpt_account_id', 'project_id',
                         'azure_deployment', 'azure_api_version',
                         'window_until_ms', 'aws_region',
                         'aws_access_key_id')

    -- a record from before pools existed serves its platform's pool
    local pools = f[20] or (',' .. (f[3] or '') .. ',')

    if pools == '' or not listed(pools, pool_item)
       or not listed(f[23] or '', endpoint_item)
    then
        return nil
    end

    local mapped = upstream_model(f[24] or '', f[25] or '')
    if mapped == false then
        return nil
    end

    -- it serves the request, if not right now
    serves = true

    -- cooling down, or a usage window of the vendor's is exhausted
    if f[1] ~= 'active' or f[2] ~= '1' or num(f[6], 0) > now
       or num(f[30], 0) > now
    then
        return nil
    end

    local a = {
        id = id,
        priority = num(f[4], 50),
        last_used = num(f[5], 0),
        conc_limit = num(f[7], 0),
        rpm_limit = num(f[8], 0),
        tpm_limit = num(f[9], 0),
        health = num(f[10], 100),
        half_open = false,
        inflight = 0,
        rpm = 0,
        tpm = 0,
        f = f,              -- the reply comes from it, the winner's
        upstream_model = mapped,
    }

    if f[11] == 'open' then
        if num(f[12], 0) > now or num(f[13], 0) > now then
            return nil
        end
        a.half_open = true
    end

    if a.conc_limit > 0 then
        local aconc = prefix .. 'aconc:' .. id
        redis.call('ZREMRANGEBYSCORE', aconc, '-inf', now)
        a.inflight = redis.call('ZCARD', aconc)
    end
    if a.rpm_limit > 0 then
        a.rpm = num(redis.call('GET', prefix .. 'arpm:' .. id .. ':'
                                      .. minute), 0)
    end
    if a.tpm_limit > 0 then
        a.tpm = num(redis.call('GET', prefix .. 'atpm:' .. id .. ':'
                                      .. minute), 0)
    end

    if (a.conc_limit > 0 and a.inflight >= a.conc_limit)
       or (a.rpm_limit > 0 and a.rpm >= a.rpm_limit)
       or (a.tpm_limit > 0 and a.tpm >= a.tpm_limit)
    then
        return nil
    end

    local m = math.max(ppm(a.inflight, a.conc_limit), ppm(a.rpm, a.rpm_limit),
                       ppm(a.tpm, a.tpm_limit))
    local health = math.min(math.max(a.health, 0), 100)
    a.headroom = math.floor((ONE - m) * health / 100)

    return a
end

local function better(a, b)
    if b == nil then
        return true
    end
    if a.priority ~= b.priority then
        return a.priority < b.priority
    end
    if a.headroom ~= b.headroom then
        return a.headroom > b.headroom
    end
    if a.last_used ~= b.last_used then
        return a.last_used < b.last_used
    end
    return (tonumber(a.id) or 0) < (tonumber(b.id) or 0)
end

local best
local sticky = false

-- A conversation stays on its account while that account can take it.
-- GETEX renews the mapping as it reads it: a conversation that stays
-- costs no second write.  The pool's own set need not be asked: state()
-- reads the pools the account serves from its record.
local session_key
if session ~= '' then
    session_key = prefix .. 'session:' .. session
    local mapped = redis.call('GETEX', session_key, 'EX', session_ttl)
    -- only where this key may go: its bound account, group or the pool
    if mapped then
        local allowed = true
        if bound_account ~= '0' and bound_account ~= '' then
            allowed = mapped == bound_account
        elseif bound_group ~= '0' and bound_group ~= '' then
            allowed = redis.call('SISMEMBER', prefix .. 'group:'
                                 .. bound_group .. ':accounts', mapped) == 1
        end
        if allowed then
            best = state(mapped)
            sticky = best ~= nil
        end
    end
end

-- the candidates are listed only when the conversation's account cannot
-- take the request
if best == nil then
    local ids
    if bound_account ~= '0' and bound_account ~= '' then
        ids = { bound_account }
    elseif bound_group ~= '0' and bound_group ~= '' then
        ids = redis.call('SMEMBERS', prefix .. 'group:' .. bound_group
                                     .. ':accounts')
    else
        ids = redis.call('SMEMBERS', pool)
    end

    for _, id in ipairs(ids) do
        local a = state(id)
        if a and better(a, best) then
            best = a
        end
    end
end

if best == nil then
    if not serves then
        return answer('none')
    end
    return answer('busy')
end

-- leases ------------------------------------------------------------------

local expiry = now + lease_ms
local akey = prefix .. 'account:' .. best.id

-- every request holds one here until its usage record (usage.lua) or its
-- end gives it back: one left to expire never reported (admind audits)
redis.call('ZADD', prefix .. 'leases', expiry, request_id)

if key_conc_limit > 0 then
    redis.call('ZADD', kconc, expiry, request_id)
    redis.call('PEXPIRE', kconc, lease_ms * 2)
end

if best.conc_limit > 0 then
    local aconc = prefix .. 'aconc:' .. best.id
    redis.call('ZADD', aconc, expiry, request_id)
    redis.call('PEXPIRE', aconc, lease_ms * 2)
end

if best.rpm_limit > 0 then
    local rpm_key = prefix .. 'arpm:' .. best.id .. ':' .. minute
    if redis.call('INCR', rpm_key) == 1 then
        redis.call('EXPIRE', rpm_key, 120)
    end
end

if rate_key then
    if redis.call('HINCRBY', rate_key, 'req', 1) == 1 then
        redis.call('EXPIRE', rate_key, rate_ttl)
    end
end

if best.half_open then
    redis.call('HSET', akey, 'probe_until_ms', expiry)
end

redis.call('HSET', akey, 'last_used_ms', now_ms)

if session_key and not sticky then
    redis.call('SET', session_key, best.id, 'EX', session_ttl)
end

local f = best.f
local reply = answer('ok')

reply[REPLY_ID] = f[14]
reply[REPLY_TYPE] = f[15]
reply[REPLY_SCHEME] = f[16]
reply[REPLY_HOST] = f[17]
reply[REPLY_ADDR] = f[18]
reply[REPLY_PATH_PREFIX] = f[19]
reply[REPLY_CRED] = f[21]
reply[REPLY_CRED_VERSION] = f[22]
reply[REPLY_DEGRADED] = (best.health < 100 or best.half_open) and '1' or '0'
reply[REPLY_UPSTREAM_MODEL] = best.upstream_model
reply[REPLY_CHATGPT_ACCOUNT_ID] = f[26] or ''
reply[REPLY_PROJECT_ID] = f[27] or ''
reply[REPLY_AZURE_DEPLOYMENT] = f[28] or ''
reply[REPLY_AZURE_API_VERSION] = f[29] or ''
reply[REPLY_AWS_REGION] = f[31] or ''
reply[REPLY_AWS_ACCESS_KEY_ID] = f[32] or ''
reply[REPLY_STICKY] = sticky and '1' or '0'

return reply
