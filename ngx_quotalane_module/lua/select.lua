-- Account selection for one request, atomic in Redis.
--
-- KEYS[1]  the platform's account pool set (prefix .. 'accounts:' .. platform)
-- ARGV[1]  key prefix (with the pool's hash tag)
-- ARGV[2]  platform
-- ARGV[3]  account id the API key is bound to, or '0'
-- ARGV[4]  account group id the API key is bound to, or '0'
-- ARGV[5]  now, unix milliseconds
--
-- Returns {'ok', id, type, scheme, host, addr, path_prefix, auth, cred,
-- cred_version}, or {'none'} when no account serves the request at all,
-- or {'busy'} when accounts exist but none is eligible right now.
--
-- Eligible: active, schedulable, same platform, not cooling down.  Pick:
-- lowest priority number, then least recently used, then lowest id.

local prefix = ARGV[1]
local platform = ARGV[2]
local now = tonumber(ARGV[5])

local ids
if ARGV[3] ~= '0' and ARGV[3] ~= '' then
    ids = { ARGV[3] }
elseif ARGV[4] ~= '0' and ARGV[4] ~= '' then
    ids = redis.call('SMEMBERS', prefix .. 'group:' .. ARGV[4] .. ':accounts')
else
    ids = redis.call('SMEMBERS', KEYS[1])
end

local best, best_prio, best_used, best_num

for _, id in ipairs(ids) do
    local a = redis.call('HMGET', prefix .. 'account:' .. id, 'status',
                         'schedulable', 'platform', 'priority',
                         'last_used_ms', 'cooldown_until_ms')

    if a[1] == 'active' and a[2] == '1' and a[3] == platform
       and (tonumber(a[6]) or 0) <= now
    then
        local prio = tonumber(a[4]) or 50
        local used = tonumber(a[5]) or 0
        local num = tonumber(id) or 0

        if best == nil or prio < best_prio
           or (prio == best_prio and (used < best_used
               or (used == best_used and num < best_num)))
        then
            best, best_prio, best_used, best_num = id, prio, used, num
        end
    end
end

if best == nil then
    if #ids == 0 then
        return { 'none' }
    end
    return { 'busy' }
end

local key = prefix .. 'account:' .. best
redis.call('HSET', key, 'last_used_ms', now)

local f = redis.call('HMGET', key, 'id', 'type', 'scheme', 'host', 'addr',
                     'path_prefix', 'auth', 'cred', 'cred_version')

return { 'ok', f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9] }
