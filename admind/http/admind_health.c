/*
 * QuotaLane admind: GET /healthz.
 *
 * Checks the two dependencies on the calling thread's own connections,
 * which is what a real request would use, and names the part that failed.
 */

#include <stdio.h>

#include "admind_log.h"
#include "admind_db.h"
#include "admind_redis.h"
#include "admind_request.h"
#include "admind_response.h"
#include "admind_routes.h"
#include "admind_usage_consumer.h"
#include "admind_lease_audit.h"


static int admind_health_get(admind_req_t *r);


const admind_route_t  admind_health_routes[] = {
    { "GET", "/healthz", admind_health_get, ADMIND_ROUTE_PUBLIC, 0 },
    { NULL, NULL, NULL, 0, 0 }
};


static json_t *
admind_health_part(int rc, const char *err)
{
    char  buf[ADMIND_ERRLEN + 16];

    if (rc == ADMIND_OK) {
        return json_string("ok");
    }

    snprintf(buf, sizeof(buf), "error: %s", err);

    return admind_log_str(buf);
}


static int
admind_health_get(admind_req_t *r)
{
    int                     db, redis;
    char                    db_err[ADMIND_ERRLEN], redis_err[ADMIND_ERRLEN];
    MYSQL                  *mysql;
    json_t                 *body;
    long long               lapsed;
    admind_usage_backlog_t  usage;

    db = admind_db_ping(db_err, sizeof(db_err));
    redis = admind_redis_ping(redis_err, sizeof(redis_err));

    body = json_pack("{s:s,s:o,s:o,s:s}",
                     "status", db == ADMIND_OK && redis == ADMIND_OK
                               ? "ok" : "error",
                     "db", admind_health_part(db, db_err),
                     "redis", admind_health_part(redis, redis_err),
                     "version", ADMIND_VERSION);

    /*
     * Usage records not stored yet (waiting for MySQL, or for admind to
     * catch up): reported, but no reason for a 503 by themselves.
     */
    if (body != NULL && redis == ADMIND_OK
        && admind_usage_backlog(r->ctx->conf, &usage, redis_err,
                                sizeof(redis_err))
           == ADMIND_OK)
    {
        json_object_set_new(body, "usageBacklog",
                            json_integer(usage.backlog));
        json_object_set_new(body, "usagePending",
                            json_integer(usage.pending));
        json_object_set_new(body, "usageDead", json_integer(usage.dead));
    }

    /* requests served (maybe) and never billed: see admind_lease_audit.h */
    if (body != NULL && db == ADMIND_OK) {
        mysql = admind_db_get(db_err, sizeof(db_err));

        if (mysql != NULL
            && admind_lease_audit_count(mysql, &lapsed, db_err,
                                        sizeof(db_err))
               == ADMIND_OK)
        {
            json_object_set_new(body, "leasesWithoutRecord",
                                json_integer(lapsed));
        }
    }

    return admind_resp_json(r, db == ADMIND_OK && redis == ADMIND_OK
                               ? 200 : 503, body);
}
