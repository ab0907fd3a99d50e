/*
 * QuotaLane admind: hot-state records from MySQL rows.
 *
 * The SELECTs that read keys and accounts the way their Redis records
 * need them, and the HSET of a record built from one such row.  A single
 * publish and a full resync both go through here, so they cannot drift
 * apart.
 */

#ifndef _ADMIND_HOTSTATE_RECORD_H_INCLUDED_
#define _ADMIND_HOTSTATE_RECORD_H_INCLUDED_


#include <jansson.h>

#include "ql_apikey.h"
#include "admind.h"
#include "admind_redis.h"
#include "admind_outbound_allow.h"


/*
 * The key record (redis_layout.md): the status folded with the owner's,
 * and rate_window 0 when no rate limit is set, which spares the gateway
 * the window counters (the column defaults to 60 s).
 */
#define ADMIND_HOTSTATE_KEY_SQL                                              \
    "SELECT k.id, k.key_hash, k.user_id, "                                   \
    "IF(k.status = 'active' AND u.status = 'active', 'active', "             \
    "'disabled') AS status, "                                                \
    "IFNULL(TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', k.expires_at), 0) " \
    "AS expires_at, "                                                        \
    "k.permissions, k.allowed_clients, k.blocked_models, "                   \
    "k.concurrency_limit, IFNULL(k.account_id, 0) AS account_id, "           \
    "IFNULL(k.group_id, 0) AS group_id, "                                    \
    "IF(k.rate_limit_requests = 0 AND k.rate_limit_tokens = 0 "              \
    "AND k.rate_limit_cost_micros = 0, 0, k.rate_window_seconds) "           \
    "AS rate_window, "                                                       \
    "k.rate_limit_requests, k.rate_limit_tokens, k.rate_limit_cost_micros, " \
    "k.daily_cost_limit_micros, k.weekly_cost_limit_micros, "                \
    "k.weekly_reset_hours, k.total_cost_limit_micros "                       \
    "FROM api_keys k JOIN users u ON u.id = k.user_id"

#define ADMIND_HOTSTATE_ACCOUNT_SQL                                          \
    "SELECT a.id, a.name, a.type, a.platform, a.status, a.schedulable, "     \
    "a.priority, a.concurrency_limit, a.rpm_limit, a.tpm_limit, "            \
    "a.base_url, a.upstream_addr, "                                          \
    "a.credentials_enc, IFNULL(a.group_id, 0) AS group_id, "                 \
    "a.supported_models, a.model_mapping, a.chatgpt_account_id, "            \
    "a.project_id, a.azure_deployment, a.azure_api_version, "                \
    "a.aws_region, a.aws_access_key_id "                                     \
    "FROM accounts a"


/* the digests of the key records written, for the resync's sweep */
typedef struct {
    char    (*v)[QL_APIKEY_DIGEST_HEX + 1];
    size_t    n;
    size_t    cap;
} admind_hotstate_digests_t;


/* HSET <prefix>key:<digest> ... of a row of ADMIND_HOTSTATE_KEY_SQL */
int admind_hotstate_key_args(const char *prefix, json_t *row,
    admind_redis_args_t *a);

/*
 * HSET <prefix>account:<id> ... of a row of ADMIND_HOTSTATE_ACCOUNT_SQL;
 * a row whose address the outbound URL policy refuses (now) is not
 * published: the gateway connects to nothing the policy would not.
 */
int admind_hotstate_account_args(const char *prefix,
    const admind_outbound_allow_t *allow, json_t *row,
    admind_redis_args_t *a, char *err, size_t errlen);

/*
 * The HSETs of key rows in one pipeline.  A row that cannot be published
 * is logged and counted in *skipped; with digests, the digest of every
 * row written is appended.
 */
int admind_hotstate_put_keys(const char *prefix, json_t *rows,
    admind_hotstate_digests_t *digests, unsigned long *put,
    unsigned long *skipped, char *err, size_t errlen);

/* an id column as a number (0 for NULL, absent or malformed) */
uint64_t admind_hotstate_row_id(json_t *row, const char *name);


#endif /* _ADMIND_HOTSTATE_RECORD_H_INCLUDED_ */
