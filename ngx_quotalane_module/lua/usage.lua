-- One finished request: its usage record goes to the stream admind
-- consumes, its tokens and cost to the counters the scheduler's limits
-- read (select.lua), and its leases back, in one atomic step.
--
-- Positions are named in ngx_http_quotalane_scripts.h:
-- KEY_STREAM        the usage stream (prefix .. 'usage')
-- ARG_PREFIX        the key prefix
-- ARG_KEY_ID, ARG_USER_ID, ARG_ACCOUNT_ID
-- ARG_COST          cost, micro-dollars
-- ARG_TOKENS        tokens (all kinds)
-- ARG_DAY, ARG_WEEK the cost-limit period numbers
-- ARG_QUOTA_BUCKET  plan quota bucket, '0' = none
-- ARG_RATE_WINDOW   key rate window seconds, '0' = none
-- ARG_NOW           now, unix ms
-- ARG_REQUEST_ID    its concurrency leases are given back here too
-- ARG_WINDOWS       the vendor's usage windows seen on the answer
--                   (ql_rate_window.h), '' = none reported
-- ARG_WINDOWS_UNTIL until when an exhausted window keeps the account
--                   out (unix ms), '0' = none is exhausted
-- ARG_RECORD        the record, to the end: field, value, field, value, ...

local p = ARGV[ARG_PREFIX]
local key = ARGV[ARG_KEY_ID]
local user = ARGV[ARG_USER_ID]
local account = ARGV[ARG_ACCOUNT_ID]
local cost = tonumber(ARGV[ARG_COST]) or 0
local tokens = tonumber(ARGV[ARG_TOKENS]) or 0
local day = ARGV[ARG_DAY]
local week = ARGV[ARG_WEEK]
local bucket = ARGV[ARG_QUOTA_BUCKET]
local now = tonumber(ARGV[ARG_NOW])
local request_id = ARGV[ARG_REQUEST_ID]

local id = redis.call('XADD', KEYS[KEY_STREAM], '*',
                      unpack(ARGV, ARG_RECORD))

redis.call('ZREM', p .. 'leases', request_id)
redis.call('ZREM', p .. 'kconc:' .. key, request_id)
if account ~= '' and account ~= '0' then
    redis.call('ZREM', p .. 'aconc:' .. account, request_id)
end

-- a counter's expiry is set once, when its first add creates it
local function add(k, n, ttl)
    if redis.call('INCRBY', k, n) == n and ttl then
        redis.call('EXPIRE', k, ttl)
    end
end

if cost > 0 then
    add(p .. 'kcost:' .. key .. ':d:' .. day, cost, 3 * 86400)
    add(p .. 'kcost:' .. key .. ':w:' .. week, cost, 15 * 86400)
    add(p .. 'kcost:' .. key .. ':total', cost, nil)

    if bucket ~= '0' and bucket ~= '' then
        add(p .. 'ucost:' .. user .. ':' .. bucket, cost, 400 * 86400)
    end
end

if tokens > 0 and account ~= '' and account ~= '0' then
    add(p .. 'atpm:' .. account .. ':' .. math.floor(now / 60000), tokens,
        120)
end

-- the account's usage windows, for admins and the scheduler
local windows = ARGV[ARG_WINDOWS]
if windows ~= '' and account ~= '' and account ~= '0' then
    local akey = p .. 'account:' .. account
    if redis.call('EXISTS', akey) == 1 then
        -- a window newly exhausted is an account event (feedback.lua's)
        local blocked = tonumber(ARGV[ARG_WINDOWS_UNTIL]) or 0
        local before = redis.call('HMGET', akey, 'window_until_ms')[1]
        if blocked > now and (tonumber(before) or 0) <= now then
            redis.call('XADD', p .. 'events', 'MAXLEN', '~', 10000, '*',
                       'account_id', account, 'event', 'quota_exhausted',
                       'status', 200, 'detail', blocked, 'ts_ms', now)
        end
        redis.call('HSET', akey, 'windows', windows, 'windows_ms', now,
                   'window_until_ms', blocked)
    end
end

local window = tonumber(ARGV[ARG_RATE_WINDOW]) or 0
if window > 0 and (tokens > 0 or cost > 0) then
    local rate = p .. 'krate:' .. key .. ':'
                 .. math.floor(now / (window * 1000))
    redis.call('HINCRBY', rate, 'tok', tokens)
    redis.call('HINCRBY', rate, 'cost', cost)
    redis.call('EXPIRE', rate, window * 2)
end

return id
