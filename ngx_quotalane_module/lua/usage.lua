-- Finished requests, a batch of them (one event-loop turn of a worker):
-- their records go to the stream admind consumes, as one entry, the
-- tokens and cost to the counters the scheduler's limits read
-- (select.lua), the leases back, in one atomic step.  Counters a batch
-- adds to more than once are added to once, with the sum.
--
-- Positions are named in ngx_http_quotalane_scripts.h:
-- KEY_STREAM        the usage stream (prefix .. 'usage')
-- ARG_PREFIX        the key prefix, once; then per request, from o:
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
-- ARG_FIELDS        how many values the record has
-- ARG_RECORD        the record: field, value, field, value, ...
-- The next request's block starts right after its record.

local p = ARGV[ARG_PREFIX]
local stream = KEYS[KEY_STREAM]

-- sums by counter, and the expiry a counter gets when the sum creates it
local adds, ttls, order = {}, {}, {}
local function add(k, n, ttl)
    if adds[k] == nil then
        adds[k] = 0
        order[#order + 1] = k
    end
    adds[k] = adds[k] + n
    ttls[k] = ttl
end

local rates, rate_order = {}, {}
local leases, kconc, aconc = {}, {}, {}
local function member(t, k, id)
    if t[k] == nil then
        t[k] = {}
    end
    local m = t[k]
    m[#m + 1] = id
end

local entry = {}
local block = ARG_RECORD - ARG_KEY_ID
local o = 0
local n = 0

while ARGV[o + ARG_FIELDS] do
    local key = ARGV[o + ARG_KEY_ID]
    local user = ARGV[o + ARG_USER_ID]
    local account = ARGV[o + ARG_ACCOUNT_ID]
    local cost = tonumber(ARGV[o + ARG_COST]) or 0
    local tokens = tonumber(ARGV[o + ARG_TOKENS]) or 0
    local bucket = ARGV[o + ARG_QUOTA_BUCKET]
    local now = tonumber(ARGV[o + ARG_NOW])
    local request_id = ARGV[o + ARG_REQUEST_ID]
    local fields = tonumber(ARGV[o + ARG_FIELDS])

    -- one stream entry for the batch: each record starts with its
    -- request_id, which is where admind's consumer splits them
    for i = o + ARG_RECORD, o + ARG_RECORD + fields - 1 do
        entry[#entry + 1] = ARGV[i]
    end

    leases[#leases + 1] = request_id
    member(kconc, p .. 'kconc:' .. key, request_id)
    if account ~= '' and account ~= '0' then
        member(aconc, p .. 'aconc:' .. account, request_id)
    end

    if cost > 0 then
        add(p .. 'kcost:' .. key .. ':d:' .. ARGV[o + ARG_DAY], cost,
            3 * 86400)
        add(p .. 'kcost:' .. key .. ':w:' .. ARGV[o + ARG_WEEK], cost,
            15 * 86400)
        add(p .. 'kcost:' .. key .. ':total', cost, nil)

        if bucket ~= '0' and bucket ~= '' then
            add(p .. 'ucost:' .. user .. ':' .. bucket, cost, 400 * 86400)
        end
    end

    if tokens > 0 and account ~= '' and account ~= '0' then
        add(p .. 'atpm:' .. account .. ':' .. math.floor(now / 60000),
            tokens, 120)
    end

    -- the account's usage windows, for admins and the scheduler
    local windows = ARGV[o + ARG_WINDOWS]
    if windows ~= '' and account ~= '' and account ~= '0' then
        local akey = p .. 'account:' .. account
        if redis.call('EXISTS', akey) == 1 then
            -- a window newly exhausted is an account event (feedback.lua's)
            local blocked = tonumber(ARGV[o + ARG_WINDOWS_UNTIL]) or 0
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

    local window = tonumber(ARGV[o + ARG_RATE_WINDOW]) or 0
    if window > 0 and (tokens > 0 or cost > 0) then
        local rate = p .. 'krate:' .. key .. ':'
                     .. math.floor(now / (window * 1000))
        if rates[rate] == nil then
            rates[rate] = { tok = 0, cost = 0, ttl = window * 2 }
            rate_order[#rate_order + 1] = rate
        end
        rates[rate].tok = rates[rate].tok + tokens
        rates[rate].cost = rates[rate].cost + cost
    end

    n = n + 1
    o = o + block + fields
end

redis.call('XADD', stream, '*', unpack(entry))

redis.call('ZREM', p .. 'leases', unpack(leases))
for k, ids in pairs(kconc) do
    redis.call('ZREM', k, unpack(ids))
end
for k, ids in pairs(aconc) do
    redis.call('ZREM', k, unpack(ids))
end

-- a counter's expiry is set once, when its first add creates it
for _, k in ipairs(order) do
    local sum = adds[k]
    if redis.call('INCRBY', k, sum) == sum and ttls[k] then
        redis.call('EXPIRE', k, ttls[k])
    end
end

for _, k in ipairs(rate_order) do
    local r = rates[k]
    redis.call('HINCRBY', k, 'tok', r.tok)
    redis.call('HINCRBY', k, 'cost', r.cost)
    redis.call('EXPIRE', k, r.ttl)
end

return n
