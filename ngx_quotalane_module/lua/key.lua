-- The API key record, fields in ARGV order.  An unknown key while the
-- hot state is being rebuilt (no `synced` marker: Redis came back empty
-- or was flushed, admind is refilling it) is not a verdict: 'rebuilding'.
--
-- Positions are named in ngx_http_quotalane_scripts.h (KEY_, ARG_,
-- REPLY_ locals come from there):
-- KEY_RECORD  the key record (prefix .. 'key:' .. digest)
-- KEY_SYNCED  the marker admind sets after a full rebuild (prefix .. 'synced')
-- ARG_FIELDS  the record's field names, to the end; the reply's REPLY_
--             positions are theirs

local record = redis.call('HMGET', KEYS[KEY_RECORD],
                          unpack(ARGV, ARG_FIELDS))

if not record[REPLY_ID] and redis.call('EXISTS', KEYS[KEY_SYNCED]) == 0 then
    return 'rebuilding'
end

return record
