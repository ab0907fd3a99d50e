/*
 * QuotaLane admind: raising account events (see admind_webhook_event.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admind_log.h"
#include "admind_time.h"
#include "admind_db_stmt.h"
#include "admind_webhook_event.h"


const char *const  admind_webhook_events[] = {
    ADMIND_WEBHOOK_REFRESH_FAILED,
    ADMIND_WEBHOOK_ACCOUNT_ERROR,
    ADMIND_WEBHOOK_AUTH_FAILED,
    ADMIND_WEBHOOK_RATE_LIMITED,
    ADMIND_WEBHOOK_RECOVERED,
    ADMIND_WEBHOOK_QUOTA_EXHAUSTED,
    ADMIND_WEBHOOK_TEST,
    NULL
};


static int
admind_webhook_known(const char *event)
{
    const char *const  *e;

    for (e = admind_webhook_events; *e != NULL; e++) {
        if (strcmp(*e, event) == 0) {
            return 1;
        }
    }

    return 0;
}


/* the payload as JSON text, malloc()ed; NULL when out of memory */
static char *
admind_webhook_payload(const char *event, uint64_t account_id,
    const char *account_name, const char *message, json_t *details)
{
    char     id[24], now[ADMIND_TIME_LEN + 1], *text;
    json_t  *p;

    snprintf(id, sizeof(id), "%llu", (unsigned long long) account_id);
    admind_time_format(time(NULL), now, sizeof(now));

    /* names and messages may come from vendors: never invalid UTF-8 */
    p = json_pack("{s:s,s:o,s:o,s:o,s:O,s:s}",
                  "event", event,
                  "accountId", account_id ? json_string(id) : json_null(),
                  "accountName", account_name != NULL
                                 ? admind_log_str(account_name)
                                 : json_null(),
                  "message", message != NULL ? admind_log_str(message)
                                             : json_null(),
                  "details", json_is_object(details) ? details : json_null(),
                  "timestamp", now);

    if (p == NULL) {
        return NULL;
    }

    text = json_dumps(p, JSON_COMPACT);
    json_decref(p);

    return text;
}


int
admind_webhook_event(MYSQL *mysql, const char *event, uint64_t account_id,
    const char *account_name, const char *message, json_t *details)
{
    int                 rc;
    char                err[ADMIND_ERRLEN], *payload;
    admind_db_param_t   params[3];
    admind_db_result_t  res;

    if (event == NULL || !admind_webhook_known(event)) {
        admind_log(ADMIND_LOG_ERROR, "unknown webhook event",
                   "event", admind_log_str(event), NULL);
        return ADMIND_ERROR;
    }

    payload = admind_webhook_payload(event, account_id, account_name,
                                     message, details);
    if (payload == NULL) {
        admind_log(ADMIND_LOG_ERROR, "webhook event not queued",
                   "event", json_string(event),
                   "error", json_string("out of memory"), NULL);
        return ADMIND_ERROR;
    }

    params[0] = admind_db_str(event);
    params[1] = admind_db_str(payload);
    params[2] = admind_db_str(event);

    memset(&res, 0, sizeof(res));

    rc = admind_db_exec(mysql, "INSERT INTO webhook_deliveries "
                        "(webhook_id, event, payload) "
                        "SELECT id, ?, ? FROM webhooks WHERE enabled = 1 "
                        "AND (events IS NULL OR JSON_LENGTH(events) = 0 "
                        "OR JSON_CONTAINS(events, JSON_QUOTE(?)))",
                        params, 3, &res, err, sizeof(err));

    free(payload);

    if (rc != ADMIND_OK) {
        admind_log(ADMIND_LOG_ERROR, "webhook event not queued",
                   "event", json_string(event),
                   "account_id", json_integer((json_int_t) account_id),
                   "error", admind_log_str(err), NULL);
        return ADMIND_ERROR;
    }

    admind_log(ADMIND_LOG_DEBUG, "webhook event queued",
               "event", json_string(event),
               "account_id", json_integer((json_int_t) account_id),
               "deliveries", json_integer((json_int_t) res.affected_rows),
               NULL);

    return ADMIND_OK;
}


int
admind_webhook_event_to(MYSQL *mysql, uint64_t webhook_id,
    const char *event, const char *message, uint64_t *delivery_id,
    char *err, size_t errlen)
{
    int                 rc;
    char               *payload;
    admind_db_param_t   params[3];
    admind_db_result_t  res;

    if (!admind_webhook_known(event)) {
        snprintf(err, errlen, "unknown webhook event");
        return ADMIND_ERROR;
    }

    payload = admind_webhook_payload(event, 0, NULL, message, NULL);
    if (payload == NULL) {
        snprintf(err, errlen, "out of memory");
        return ADMIND_ERROR;
    }

    params[0] = admind_db_str(event);
    params[1] = admind_db_str(payload);
    params[2] = admind_db_int((long long) webhook_id);

    memset(&res, 0, sizeof(res));

    rc = admind_db_exec(mysql, "INSERT INTO webhook_deliveries "
                        "(webhook_id, event, payload) "
                        "SELECT id, ?, ? FROM webhooks WHERE id = ?",
                        params, 3, &res, err, errlen);

    free(payload);

    if (rc != ADMIND_OK) {
        return ADMIND_ERROR;
    }

    if (res.affected_rows == 0) {
        return ADMIND_DECLINED;
    }

    *delivery_id = (uint64_t) res.insert_id;

    return ADMIND_OK;
}
