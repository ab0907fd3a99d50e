-- The API key record, fields in ARGV order.  An unknown key while the
-- hot state is being rebuilt (no `synced` marker: Redis came back empty
-- or was flushed, admind is refilling it) is not a verdict: 'rebuilding'.
--
-- KEYS[1]  the key record (prefix .. 'key:' .. digest)
-- KEYS[2]  the marker admind sets after a full rebuild (prefix .. 'synced')

local record = redis.call('HMGET', KEYS[1], unpack(ARGV))

if not record[1] and redis.call('EXISTS', KEYS[2]) == 0 then
    return 'rebuilding'
end

return record
