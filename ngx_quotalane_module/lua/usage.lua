-- One finished request: its usage record goes to the stream admind
-- consumes, its tokens and cost to the counters the scheduler's limits
-- read (select.lua), and its leases back, in one atomic step.
--
-- KEYS[1]  the usage stream (prefix .. 'usage')
-- ARGV[1]  prefix            ARGV[2]  key id       ARGV[3]  user id
-- ARGV[4]  account id        ARGV[5]  cost, micro-dollars
-- ARGV[6]  tokens (all kinds) ARGV[7]  day no       ARGV[8]  week no
-- ARGV[9]  plan quota bucket, '0' = none
-- ARGV[10] key rate window seconds, '0' = none
-- ARGV[11] now, unix ms
-- ARGV[12] request id: its concurrency leases are given back here too
-- ARGV[13..] the record: field, value, field, value, ...

local p = ARGV[1]
local key, user, account = ARGV[2], ARGV[3], ARGV[4]
local cost = tonumber(ARGV[5]) or 0
local tokens = tonumber(ARGV[6]) or 0
local now = tonumber(ARGV[11])

local record = {}
for i = 13, #ARGV do
    record[#record + 1] = ARGV[i]
end

local id = redis.call('XADD', KEYS[1], '*', unpack(record))

redis.call('ZREM', p .. 'leases', ARGV[12])
redis.call('ZREM', p .. 'kconc:' .. key, ARGV[12])
if account ~= '' and account ~= '0' then
    redis.call('ZREM', p .. 'aconc:' .. account, ARGV[12])
end

-- a counter's expiry is set once, when its first add creates it
local function add(k, n, ttl)
    if redis.call('INCRBY', k, n) == n and ttl then
        redis.call('EXPIRE', k, ttl)
    end
end

if cost > 0 then
    add(p .. 'kcost:' .. key .. ':d:' .. ARGV[7], cost, 3 * 86400)
    add(p .. 'kcost:' .. key .. ':w:' .. ARGV[8], cost, 15 * 86400)
    add(p .. 'kcost:' .. key .. ':total', cost, nil)

    if ARGV[9] ~= '0' and ARGV[9] ~= '' then
        add(p .. 'ucost:' .. user .. ':' .. ARGV[9], cost, 400 * 86400)
    end
end

if tokens > 0 and account ~= '' and account ~= '0' then
    add(p .. 'atpm:' .. account .. ':' .. math.floor(now / 60000), tokens,
        120)
end

local window = tonumber(ARGV[10]) or 0
if window > 0 and (tokens > 0 or cost > 0) then
    local rate = p .. 'krate:' .. key .. ':'
                 .. math.floor(now / (window * 1000))
    redis.call('HINCRBY', rate, 'tok', tokens)
    redis.call('HINCRBY', rate, 'cost', cost)
    redis.call('EXPIRE', rate, window * 2)
end

return id
