-- QuotaLane schema v7: leases that lapsed without a usage record.
--
-- Every request the gateway admits holds a lease in <redis_prefix>leases
-- (member = request id, score = expiry ms) until its usage record gives
-- it back.  A lease that expires instead belongs to a request whose
-- record never came: its nginx worker was killed (kill -9, OOM), or the
-- record was lost.  admind's lease audit (admind_lease_audit.c) stores
-- each such request here, so it is counted (/healthz
-- leasesWithoutRecord) instead of silently free; a record that turns up
-- later (replayed from a dump) removes its row again.

CREATE TABLE IF NOT EXISTS lease_lapses (
    request_id                  VARCHAR(64) CHARACTER SET ascii
                                COLLATE ascii_bin NOT NULL,
    lease_expired_at            DATETIME(3) NOT NULL,
    detected_at                 DATETIME(3) NOT NULL
                                DEFAULT CURRENT_TIMESTAMP(3),
    PRIMARY KEY (request_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
