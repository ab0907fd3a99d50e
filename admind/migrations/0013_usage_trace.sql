-- QuotaLane schema v13: the W3C trace id of each usage record (the
-- client's traceparent, or the one the gateway started), so one request
-- can be followed from the client's trace to nginx's log to this row.
-- No index: usage rows are written far more often than traces are
-- looked up, and a lookup narrows by time (usage records API: traceId
-- with from/to).

ALTER TABLE usage_records
    ADD COLUMN IF NOT EXISTS trace_id CHAR(32) CHARACTER SET ascii NULL
        AFTER request_id;
