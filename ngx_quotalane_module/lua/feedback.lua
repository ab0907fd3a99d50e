-- What an upstream answer says about the account that gave it.
--
-- KEYS[1]  the account record (prefix .. 'account:' .. id)
-- ARGV[1]  now, unix ms
-- ARGV[2]  1 if the answer was a success, 0 if a failure
-- ARGV[3]  cool the account down until this time (unix ms), 0 = no
-- ARGV[4]  health points a failure takes away
-- ARGV[5]  health points a success gives back
-- ARGV[6]  below this health the circuit opens
-- ARGV[7]  how long an opened circuit stays open (ms)
--
-- Health is 0..100.  An open circuit past its time lets one half-open
-- probe through (select.lua marks it); the probe's success closes the
-- circuit, its failure opens it again.

local key = KEYS[1]
local now = tonumber(ARGV[1])
local success = ARGV[2] == '1'
local cool_until = tonumber(ARGV[3])

if redis.call('EXISTS', key) == 0 then
    return 0
end

local f = redis.call('HMGET', key, 'health', 'circuit', 'cooldown_until_ms')
local health = tonumber(f[1]) or 100

if success then
    health = math.min(100, health + tonumber(ARGV[5]))
    if f[2] == 'open' then
        redis.call('HSET', key, 'circuit', 'closed')
        redis.call('HDEL', key, 'probe_until_ms', 'circuit_until_ms')
    end
else
    health = math.max(0, health - tonumber(ARGV[4]))
    if cool_until > now and cool_until > (tonumber(f[3]) or 0) then
        redis.call('HSET', key, 'cooldown_until_ms', cool_until)
    end
    if health < tonumber(ARGV[6]) or f[2] == 'open' then
        redis.call('HSET', key, 'circuit', 'open', 'circuit_until_ms',
                   now + tonumber(ARGV[7]))
        redis.call('HDEL', key, 'probe_until_ms')
    end
end

redis.call('HSET', key, 'health', health)

return health
