-- What an upstream answer says about the account that gave it.
--
-- Positions are named in ngx_http_quotalane_scripts.h:
-- KEY_ACCOUNT     the account record (prefix .. 'account:' .. id)
-- KEY_REFUSED     the set of OAuth accounts whose token the vendor
--                 refused (prefix .. 'oauth:refused'), for admind
-- KEY_EVENTS      the account event stream (prefix .. 'events'): a
--                 state change, not every answer, adds to it
-- ARG_NOW         now, unix ms
-- ARG_SUCCESS     1 if the answer was a success, 0 if a failure
-- ARG_COOL_UNTIL  cool the account down until this time (unix ms), 0 = no
-- ARG_PENALTY     health points a failure takes away
-- ARG_RECOVERY    health points a success gives back
-- ARG_THRESHOLD   below this health the circuit opens
-- ARG_OPEN_MS     how long an opened circuit stays open (ms)
-- ARG_AUTH_FAILED 1 if an OAuth account's token was refused (401): its
--                 id joins KEY_REFUSED, and admind refreshes it now
-- ARG_STATUS      the upstream's status (502 for a connection error)
--
-- Health is 0..100.  An open circuit past its time lets one half-open
-- probe through (select.lua marks it); the probe's success closes the
-- circuit, its failure opens it again.

local key = KEYS[KEY_ACCOUNT]
local now = tonumber(ARGV[ARG_NOW])
local success = ARGV[ARG_SUCCESS] == '1'
local cool_until = tonumber(ARGV[ARG_COOL_UNTIL])
local penalty = tonumber(ARGV[ARG_PENALTY])
local recovery = tonumber(ARGV[ARG_RECOVERY])
local threshold = tonumber(ARGV[ARG_THRESHOLD])
local open_ms = tonumber(ARGV[ARG_OPEN_MS])
local auth_failed = ARGV[ARG_AUTH_FAILED] == '1'
local status = tonumber(ARGV[ARG_STATUS]) or 0
local id = string.match(key, '(%d+)$')

-- admind turns these into webhooks (admind_account_events.h)
local function event(kind, detail)
    redis.call('XADD', KEYS[KEY_EVENTS], 'MAXLEN', '~', 10000, '*',
               'account_id', id, 'event', kind, 'status', status,
               'detail', detail, 'ts_ms', now)
end

if redis.call('EXISTS', key) == 0 then
    return 0
end

if auth_failed then
    redis.call('SADD', KEYS[KEY_REFUSED], id)
end

local f = redis.call('HMGET', key, 'health', 'circuit', 'cooldown_until_ms')
local health = tonumber(f[1]) or 100

if success then
    health = math.min(100, health + recovery)
    if f[2] == 'open' then
        redis.call('HSET', key, 'circuit', 'closed')
        redis.call('HDEL', key, 'probe_until_ms', 'circuit_until_ms')
        event('recovered', '')
    end
else
    health = math.max(0, health - penalty)
    local cooling = (tonumber(f[3]) or 0) > now
    if cool_until > now and cool_until > (tonumber(f[3]) or 0) then
        redis.call('HSET', key, 'cooldown_until_ms', cool_until)
    end
    -- a cooldown that starts, not one renewed while it runs
    if not cooling and status == 429 then
        event('rate_limited', cool_until)
    elseif not cooling and (status == 401 or status == 403) then
        event('auth_failed', cool_until)
    end
    if health < threshold and f[2] ~= 'open' then
        event('circuit_open', now + open_ms)
    end
    if health < threshold or f[2] == 'open' then
        redis.call('HSET', key, 'circuit', 'open', 'circuit_until_ms',
                   now + open_ms)
        redis.call('HDEL', key, 'probe_until_ms')
    end
end

redis.call('HSET', key, 'health', health)

return health
