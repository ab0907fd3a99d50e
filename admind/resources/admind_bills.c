/*
 * QuotaLane admind: /api/v1/bills.
 *
 *   GET  /api/v1/bills?month=YYYY-MM[&userId=]   a bill per user
 *   POST /api/v1/bills/close {"month":"YYYY-MM"}  snapshot a month
 *
 * A bill is a user's usage records of one UTC month summed up, in total
 * and per model.  While the month is open the bill is computed from
 * usage_records at each call; closing the month copies the bills into
 * bills / bill_lines, and from then on the copy is served, so a closed
 * month never changes (records that arrive later do not move it).  A
 * month can be closed once it is over and no record older than its end
 * still waits in the usage stream.  Users see only their own bills.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admind_log.h"
#include "admind_db.h"
#include "admind_redis.h"
#include "admind_request.h"
#include "admind_response.h"
#include "admind_routes.h"
#include "admind_time.h"
#include "admind_page.h"
#include "admind_resource.h"
#include "admind_audit.h"
#include "admind_where.h"
#include "admind_usage.h"
#include "admind_config.h"
#include "admind_bills.h"


#define ADMIND_BILLS_MONTH_LEN  7


static int admind_bills_list(admind_req_t *r);
static int admind_bills_close(admind_req_t *r);


const admind_route_t  admind_bills_routes[] = {
    { "GET", "/api/v1/bills", admind_bills_list, 0, ADMIND_ROLE_USER },
    { "POST", "/api/v1/bills/close", admind_bills_close, 0,
      ADMIND_ROLE_ADMIN },
    { NULL, NULL, NULL, 0, 0 }
};


static const admind_field_t  admind_bills_close_fields[] = {
    ADMIND_F_STRING("month", NULL, ADMIND_FIELD_REQUIRED,
      ADMIND_BILLS_MONTH_LEN, ADMIND_BILLS_MONTH_LEN),
    ADMIND_F_END
};


/* for the error mapping of the shared helpers */
static const admind_resource_t  admind_bills_resource = {
    "bill", "bill", "bills", NULL, "b.id", "FROM bills b", NULL, NULL, NULL,
    NULL
};


/* the sums of a closed bill (b) or bill line (l) in the API shape */
#define ADMIND_BILLS_STORED_SQL(t)                                           \
    "CAST(" t ".requests AS CHAR) AS requests, "                             \
    "CAST(" t ".input_tokens AS CHAR) AS inputTokens, "                      \
    "CAST(" t ".output_tokens AS CHAR) AS outputTokens, "                    \
    "CAST(" t ".cache_creation_tokens AS CHAR) AS cacheCreationTokens, "     \
    "CAST(" t ".cache_read_tokens AS CHAR) AS cacheReadTokens, "             \
    "CAST(" t ".cost_micros AS CHAR) AS costMicros"

/* the same sums as numbers, for the snapshot */
#define ADMIND_BILLS_SUMS_SQL                                                \
    "COUNT(*), SUM(u.input_tokens), SUM(u.output_tokens), "                  \
    "SUM(u.cache_creation_input_tokens), SUM(u.cache_read_input_tokens), "   \
    "SUM(u.cost_micros)"

#define ADMIND_BILLS_COLUMNS                                                 \
    "requests, input_tokens, output_tokens, cache_creation_tokens, "         \
    "cache_read_tokens, cost_micros"


int
admind_bills_month(const char *s, time_t *start, time_t *end)
{
    int        year, mon;
    struct tm  tm;

    if (strlen(s) != ADMIND_BILLS_MONTH_LEN || s[4] != '-') {
        return ADMIND_ERROR;
    }

    if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9'
        || s[2] < '0' || s[2] > '9' || s[3] < '0' || s[3] > '9'
        || s[5] < '0' || s[5] > '1' || s[6] < '0' || s[6] > '9')
    {
        return ADMIND_ERROR;
    }

    year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10
           + (s[3] - '0');
    mon = (s[5] - '0') * 10 + (s[6] - '0');

    if (year < 1970 || mon < 1 || mon > 12) {
        return ADMIND_ERROR;
    }

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = 1;

    *start = timegm(&tm);

    /* timegm() normalizes month 12 into January of the next year */
    tm.tm_mon = mon;
    *end = timegm(&tm);

    return ADMIND_OK;
}


/* month (default: the current one) and its range; 400 on a bad value */
static int
admind_bills_month_param(admind_req_t *r, const char *s, char *month,
    char *from, char *to)
{
    time_t     now, start, end;
    struct tm  tm;

    if (s == NULL || s[0] == '\0') {
        now = time(NULL);
        gmtime_r(&now, &tm);
        strftime(month, ADMIND_BILLS_MONTH_LEN + 1, "%Y-%m", &tm);
        s = month;
    }

    if (admind_bills_month(s, &start, &end) != ADMIND_OK) {
        admind_resp_error(r, 400, "invalid_argument", "\"month\" must be "
                          "YYYY-MM");
        return ADMIND_ERROR;
    }

    if (s != month) {
        memcpy(month, s, ADMIND_BILLS_MONTH_LEN + 1);
    }

    admind_time_sql(start, from, ADMIND_TIME_LEN + 1);
    admind_time_sql(end, to, ADMIND_TIME_LEN + 1);

    return ADMIND_OK;
}


/*
 * Bills get their lines ("models"), ordered like the bills by user, and
 * the month's facts.
 */
static void
admind_bills_assemble(json_t *bills, json_t *lines, const char *month,
    json_t *closed_at)
{
    size_t       i, j;
    json_t      *bill, *line, *models;
    const char  *user;

    j = 0;

    json_array_foreach(bills, i, bill) {
        user = json_string_value(json_object_get(bill, "userId"));
        models = json_array();

        for ( ;; ) {
            line = json_array_get(lines, j);

            if (line == NULL || user == NULL
                || strcmp(json_string_value(json_object_get(line, "userId")),
                          user)
                   != 0)
            {
                break;
            }

            json_object_del(line, "userId");
            json_array_append(models, line);
            j++;
        }

        json_object_set_new(bill, "month", json_string(month));
        json_object_set_new(bill, "closed", json_boolean(closed_at != NULL));
        json_object_set(bill, "closedAt", closed_at ? closed_at
                                                    : json_null());
        json_object_set_new(bill, "models", models);
    }
}


static int
admind_bills_list(admind_req_t *r)
{
    int                 found;
    char                err[ADMIND_ERRLEN], sql[ADMIND_SQL_MAX * 2];
    char                month[ADMIND_BILLS_MONTH_LEN + 1];
    char                from[ADMIND_TIME_LEN + 1], to[ADMIND_TIME_LEN + 1];
    MYSQL              *mysql;
    json_t             *rows, *bills, *lines, *closed_at, *body;
    unsigned            n;
    uint64_t            user;
    long long           total, first, last;
    admind_page_t       page;
    admind_db_param_t   params[6];

    if (admind_where_owner_id(r, "userId", &user) != ADMIND_OK
        || admind_bills_month_param(r, admind_req_query(r, "month"), month,
                                    from, to)
           != ADMIND_OK)
    {
        return r->status;
    }

    if (admind_req_page(r, &page) != ADMIND_OK) {
        return r->status;
    }

    if (admind_req_query_known(r) != ADMIND_OK) {
        return r->status;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL) {
        return r->status;
    }

    params[0] = admind_db_str(month);

    if (admind_db_select(mysql, "SELECT " ADMIND_SQL_TIME("closed_at",
                         "closed_at") " FROM bill_months WHERE month = ?",
                         params, 1, &rows, err,
                         sizeof(err))
        != ADMIND_OK)
    {
        return admind_resource_db_error(r, &admind_bills_resource, err);
    }

    closed_at = json_incref(json_object_get(json_array_get(rows, 0),
                                            "closed_at"));
    json_decref(rows);

    n = 0;

    if (closed_at != NULL) {
        params[n++] = admind_db_str(month);

    } else {
        params[n++] = admind_db_str(from);
        params[n++] = admind_db_str(to);
    }

    if (user) {
        params[n++] = admind_db_int((long long) user);
    }

    if (closed_at != NULL) {
        snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM bills b "
                 "WHERE b.month = ?%s", user ? " AND b.user_id = ?" : "");

    } else {
        snprintf(sql, sizeof(sql), "SELECT COUNT(DISTINCT u.user_id) "
                 "FROM usage_records u WHERE u.ts >= ? AND u.ts < ? "
                 "AND u.user_id IS NOT NULL%s",
                 user ? " AND u.user_id = ?" : "");
    }

    if (admind_db_select_int(mysql, sql, params, n, &total, &found, err,
                             sizeof(err))
        != ADMIND_OK)
    {
        goto failed;
    }

    if (closed_at != NULL) {
        snprintf(sql, sizeof(sql), "SELECT CAST(b.user_id AS CHAR) "
                 "AS userId, " ADMIND_BILLS_STORED_SQL("b") " FROM bills b "
                 "WHERE b.month = ?%s ORDER BY b.user_id LIMIT ? OFFSET ?",
                 user ? " AND b.user_id = ?" : "");

    } else {
        snprintf(sql, sizeof(sql), "SELECT CAST(u.user_id AS CHAR) "
                 "AS userId, " ADMIND_USAGE_SUMS_SQL " FROM usage_records u "
                 "WHERE u.ts >= ? AND u.ts < ? AND u.user_id IS NOT NULL%s "
                 "GROUP BY u.user_id ORDER BY u.user_id LIMIT ? OFFSET ?",
                 user ? " AND u.user_id = ?" : "");
    }

    params[n] = admind_db_int(page.size);
    params[n + 1] = admind_db_int((long long) page.offset);

    if (admind_db_select(mysql, sql, params, n + 2, &bills, err,
                         sizeof(err))
        != ADMIND_OK)
    {
        goto failed;
    }

    lines = NULL;

    if (json_array_size(bills) > 0) {
        /* the page's users are one range of ids: their lines in one go */
        first = admind_resource_id(json_array_get(bills, 0), "userId");
        last = admind_resource_id(json_array_get(bills,
                                                 json_array_size(bills) - 1),
                                  "userId");

        n = 0;

        if (closed_at != NULL) {
            params[n++] = admind_db_str(month);
            snprintf(sql, sizeof(sql), "SELECT CAST(b.user_id AS CHAR) "
                     "AS userId, l.model, " ADMIND_BILLS_STORED_SQL("l")
                     " FROM bill_lines l JOIN bills b ON b.id = l.bill_id "
                     "WHERE b.month = ? AND b.user_id BETWEEN ? AND ? "
                     "ORDER BY b.user_id, l.model");

        } else {
            params[n++] = admind_db_str(from);
            params[n++] = admind_db_str(to);
            snprintf(sql, sizeof(sql), "SELECT CAST(u.user_id AS CHAR) "
                     "AS userId, u.model, " ADMIND_USAGE_SUMS_SQL
                     " FROM usage_records u WHERE u.ts >= ? AND u.ts < ? "
                     "AND u.user_id BETWEEN ? AND ? "
                     "GROUP BY u.user_id, u.model "
                     "ORDER BY u.user_id, u.model");
        }

        params[n++] = admind_db_int(first);
        params[n++] = admind_db_int(last);

        if (admind_db_select(mysql, sql, params, n, &lines, err,
                             sizeof(err))
            != ADMIND_OK)
        {
            json_decref(bills);
            goto failed;
        }
    }

    admind_bills_assemble(bills, lines, month, closed_at);
    json_decref(lines);

    body = json_object();
    if (body == NULL) {
        json_decref(bills);
        json_decref(closed_at);
        return admind_resp_error(r, 500, "internal_error", "out of memory");
    }

    json_object_set_new(body, "month", json_string(month));
    json_object_set_new(body, "closed", json_boolean(closed_at != NULL));
    json_object_set_new(body, "closedAt", closed_at ? closed_at
                                                    : json_null());
    json_object_set_new(body, "bills", bills);
    json_object_set_new(body, "nextPageToken",
                        admind_where_next_token(&page,
                                                json_array_size(bills),
                                                total));
    json_object_set_new(body, "totalSize", admind_json_int64(total));

    return admind_resp_json(r, 200, body);

failed:

    json_decref(closed_at);

    return admind_resource_db_error(r, &admind_bills_resource, err);
}


/*
 * Whether the usage stream still holds a record from before end (the
 * oldest entry's id is its arrival time in ms): 1 yes, 0 no, -1 Redis
 * did not answer.
 */
static int
admind_bills_waiting(admind_req_t *r, time_t end, char *err, size_t errlen)
{
    int          rc;
    char         stream[512];
    redisReply  *reply, *entry;

    snprintf(stream, sizeof(stream), "%susage",
             r->ctx->conf->redis_prefix);

    reply = admind_redis_command(err, errlen, "XRANGE %s - + COUNT 1",
                                 stream);
    if (reply == NULL) {
        return -1;
    }

    rc = 0;

    if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0) {
        entry = reply->element[0];

        if (entry->type == REDIS_REPLY_ARRAY && entry->elements > 0
            && entry->element[0]->type == REDIS_REPLY_STRING)
        {
            rc = strtoll(entry->element[0]->str, NULL, 10)
                 < (long long) end * 1000;
        }
    }

    freeReplyObject(reply);

    return rc;
}


static int
admind_bills_close(admind_req_t *r)
{
    int                  waiting;
    char                 err[ADMIND_ERRLEN];
    char                 from[ADMIND_TIME_LEN + 1], to[ADMIND_TIME_LEN + 1];
    MYSQL               *mysql;
    json_t              *body, *after, *rows;
    time_t               start, end;
    const char          *month;
    admind_db_param_t    params[4];
    admind_db_result_t   res;

    body = admind_resource_body(r, admind_bills_close_fields,
                                ADMIND_FIELDS_CREATE);
    if (body == NULL) {
        return r->status;
    }

    month = admind_fields_str(body, "month", "");
    after = NULL;
    mysql = NULL;

    if (admind_bills_month(month, &start, &end) != ADMIND_OK) {
        admind_resp_error(r, 400, "invalid_argument", "field \"month\" must "
                          "be YYYY-MM");
        goto done;
    }

    if (end > time(NULL)) {
        admind_resp_error(r, 400, "invalid_argument", "month %s is not over "
                          "yet", month);
        goto done;
    }

    waiting = admind_bills_waiting(r, end, err, sizeof(err));

    if (waiting < 0) {
        admind_log(ADMIND_LOG_ERROR, "cannot read the usage stream",
                   "id", json_string(r->id),
                   "error", admind_log_str(err), NULL);
        admind_resp_error(r, 503, "unavailable", "the usage stream cannot "
                          "be checked, try again later");
        goto done;
    }

    if (waiting) {
        admind_resp_error(r, 409, "failed_precondition", "usage records of "
                          "month %s still wait in the usage stream; close "
                          "it once they are stored", month);
        goto done;
    }

    admind_time_sql(start, from, sizeof(from));
    admind_time_sql(end, to, sizeof(to));

    mysql = admind_resource_db(r);
    if (mysql == NULL || admind_resource_begin(r, mysql) != ADMIND_OK) {
        goto done;
    }

    params[0] = admind_db_str(month);
    params[1] = admind_db_int((long long) r->auth.id);

    if (admind_db_exec(mysql, "INSERT INTO bill_months (month, "
                       "closed_by_user_id) VALUES (?, ?)", params, 2, NULL,
                       err, sizeof(err))
        != ADMIND_OK)
    {
        if (admind_db_errno() == 1062) {
            admind_resp_error(r, 409, "conflict", "month %s is closed "
                              "already", month);
            admind_resource_rollback(mysql);
            goto done;
        }

        goto failed;
    }

    params[0] = admind_db_str(month);
    params[1] = admind_db_str(from);
    params[2] = admind_db_str(to);

    if (admind_db_exec(mysql, "INSERT INTO bills (user_id, month, "
                       ADMIND_BILLS_COLUMNS ") SELECT u.user_id, ?, "
                       ADMIND_BILLS_SUMS_SQL " FROM usage_records u "
                       "WHERE u.ts >= ? AND u.ts < ? "
                       "AND u.user_id IS NOT NULL GROUP BY u.user_id",
                       params, 3, &res, err, sizeof(err))
        != ADMIND_OK
        || admind_db_exec(mysql, "INSERT INTO bill_lines (bill_id, model, "
                          ADMIND_BILLS_COLUMNS ") SELECT b.id, u.model, "
                          ADMIND_BILLS_SUMS_SQL " FROM usage_records u "
                          "JOIN bills b ON b.user_id = u.user_id "
                          "AND b.month = ? "
                          "WHERE u.ts >= ? AND u.ts < ? "
                          "GROUP BY b.id, u.model", params, 3, NULL, err,
                          sizeof(err))
           != ADMIND_OK)
    {
        goto failed;
    }

    params[0] = admind_db_str(month);

    if (admind_db_select(mysql, "SELECT month, " ADMIND_SQL_TIME("closed_at",
                         "closedAt") " FROM bill_months WHERE month = ?",
                         params, 1, &rows, err, sizeof(err))
        != ADMIND_OK)
    {
        goto failed;
    }

    after = json_incref(json_array_get(rows, 0));
    json_decref(rows);

    if (after == NULL) {
        snprintf(err, sizeof(err), "closed month %s not found", month);
        goto failed;
    }

    json_object_set_new(after, "closed", json_true());
    json_object_set_new(after, "bills",
                        admind_json_int64((long long) res.affected_rows));

    if (admind_audit_write(mysql, r, "close", "bill_month", 0, NULL, after,
                           err, sizeof(err))
        != ADMIND_OK)
    {
        goto failed;
    }

    if (admind_resource_commit(r, mysql) != ADMIND_OK) {
        json_decref(after);
        after = NULL;
        goto done;
    }

    admind_log(ADMIND_LOG_INFO, "month closed",
               "month", json_string(month),
               "bills", json_integer((json_int_t) res.affected_rows), NULL);

    json_decref(body);

    return admind_resp_json(r, 201, after);

failed:

    admind_resource_db_error(r, &admind_bills_resource, err);
    admind_resource_rollback(mysql);

done:

    json_decref(after);
    json_decref(body);

    return r->status;
}
