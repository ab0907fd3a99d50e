/*
 * QuotaLane admind: usage records into MySQL, a batch per transaction.
 *
 * The statement helpers of admind_db_stmt.c stop at 64 parameters (admin
 * rows are small); a batch of many records has thousands, so this file binds
 * its own, straight to the fields of the parsed records, which stay put
 * until the statement ran, in statements of ADMIND_USAGE_ROWS_MAX rows.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mysqld_error.h>

#include "admind_log.h"
#include "admind_db.h"
#include "admind_usage_store.h"


#define ADMIND_USAGE_COLUMNS                                                 \
    "request_id, ts, api_key_id, user_id, account_id, platform, model, "     \
    "input_tokens, output_tokens, cache_creation_input_tokens, "             \
    "cache_creation_5m_tokens, cache_creation_1h_tokens, "                   \
    "cache_read_input_tokens, cost_micros, cost_pico, priced_by_fallback, "  \
    "upstream_status, status, latency_ms, ttfb_ms, streamed, aborted, "      \
    "complete, trace_id"

#define ADMIND_USAGE_NCOLUMNS  24

#define ADMIND_USAGE_ROW                                                     \
    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, " \
    "?)"

/*
 * Rows per INSERT: a statement takes at most 65,535 placeholders, and a
 * batch of stream entries that each carry a worker's whole event-loop
 * turn can hold many thousands of records.
 */
#define ADMIND_USAGE_ROWS_MAX  (65535 / ADMIND_USAGE_NCOLUMNS)

/* a redelivered record changes nothing (and counts 0 affected rows) */
#define ADMIND_USAGE_DUPLICATE                                               \
    " ON DUPLICATE KEY UPDATE request_id = request_id"


static void
admind_usage_bind_str(MYSQL_BIND *b, char *s, unsigned long *len)
{
    b->buffer_type = MYSQL_TYPE_STRING;
    b->buffer = s;
    b->buffer_length = *len;
    b->length = len;
}


/* an unsigned BIGINT; 0 as NULL when zero_is_null */
static void
admind_usage_bind_u64(MYSQL_BIND *b, unsigned long long *v,
    int zero_is_null)
{
    if (zero_is_null && *v == 0) {
        b->buffer_type = MYSQL_TYPE_NULL;
        return;
    }

    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = v;
    b->is_unsigned = 1;
}


static void
admind_usage_bind_i64(MYSQL_BIND *b, long long *v)
{
    b->buffer_type = MYSQL_TYPE_LONGLONG;
    b->buffer = v;
}


static void
admind_usage_bind_row(MYSQL_BIND *b, admind_usage_record_t *rec)
{
    admind_usage_bind_str(&b[0], rec->request_id, &rec->request_id_len);
    admind_usage_bind_str(&b[1], rec->ts, &rec->ts_len);
    admind_usage_bind_u64(&b[2], &rec->key_id, 1);
    admind_usage_bind_u64(&b[3], &rec->user_id, 1);
    admind_usage_bind_u64(&b[4], &rec->account_id, 1);
    admind_usage_bind_str(&b[5], rec->platform, &rec->platform_len);
    admind_usage_bind_str(&b[6], rec->model, &rec->model_len);
    admind_usage_bind_u64(&b[7], &rec->input_tokens, 0);
    admind_usage_bind_u64(&b[8], &rec->output_tokens, 0);
    admind_usage_bind_u64(&b[9], &rec->cache_creation_tokens, 0);
    admind_usage_bind_u64(&b[10], &rec->cache_creation_5m_tokens, 0);
    admind_usage_bind_u64(&b[11], &rec->cache_creation_1h_tokens, 0);
    admind_usage_bind_u64(&b[12], &rec->cache_read_tokens, 0);
    admind_usage_bind_i64(&b[13], &rec->cost_micros);
    admind_usage_bind_u64(&b[14], &rec->cost_pico, 0);
    admind_usage_bind_i64(&b[15], &rec->priced_by_fallback);
    admind_usage_bind_u64(&b[16], &rec->upstream_status, 1);
    admind_usage_bind_u64(&b[17], &rec->status, 1);
    admind_usage_bind_u64(&b[18], &rec->latency_ms, 0);
    admind_usage_bind_u64(&b[19], &rec->ttfb_ms, 0);
    admind_usage_bind_i64(&b[20], &rec->streamed);
    admind_usage_bind_i64(&b[21], &rec->aborted);
    admind_usage_bind_i64(&b[22], &rec->complete);

    if (rec->trace_id_len) {
        admind_usage_bind_str(&b[23], rec->trace_id, &rec->trace_id_len);

    } else {
        b[23].buffer_type = MYSQL_TYPE_NULL;
    }
}


/* errors about the values of a row, not about the database */
static int
admind_usage_data_error(unsigned err_no)
{
    switch (err_no) {
    case ER_BAD_NULL_ERROR:
    case ER_WARN_NULL_TO_NOTNULL:
    case ER_WARN_DATA_OUT_OF_RANGE:
    case ER_TRUNCATED_WRONG_VALUE:
    case ER_INVALID_CHARACTER_STRING:
    case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:
    case ER_DATA_TOO_LONG:
    case ER_DATETIME_FUNCTION_OVERFLOW:
    case ER_CONSTRAINT_FAILED:
        return 1;
    default:
        return 0;
    }
}


/*
 * One INSERT of rows[0..n) that were not rejected.  ADMIND_ERROR with
 * *err_no; the statement is closed, the connection dropped when broken.
 */
static int
admind_usage_insert(MYSQL *mysql, admind_usage_row_t *rows, size_t n,
    unsigned long long *affected, unsigned *err_no, char *err,
    size_t errlen)
{
    int          rc;
    char        *sql, *p;
    size_t       i, k, len;
    MYSQL_BIND  *binds;
    MYSQL_STMT  *stmt;

    static const char  head[] = "INSERT INTO usage_records ("
                                ADMIND_USAGE_COLUMNS ") VALUES ";

    *err_no = 0;
    *affected = 0;

    for (i = 0, k = 0; i < n; i++) {
        k += !rows[i].rejected;
    }

    if (k == 0) {
        return ADMIND_OK;
    }

    len = sizeof(head) + k * (sizeof(ADMIND_USAGE_ROW) + 1)
          + sizeof(ADMIND_USAGE_DUPLICATE);

    sql = malloc(len);
    binds = calloc(k * ADMIND_USAGE_NCOLUMNS, sizeof(MYSQL_BIND));

    if (sql == NULL || binds == NULL) {
        free(sql);
        free(binds);
        snprintf(err, errlen, "out of memory");
        return ADMIND_ERROR;
    }

    p = sql;
    memcpy(p, head, sizeof(head) - 1);
    p += sizeof(head) - 1;

    for (i = 0, k = 0; i < n; i++) {
        if (rows[i].rejected) {
            continue;
        }

        if (k) {
            *p++ = ',';
        }

        memcpy(p, ADMIND_USAGE_ROW, sizeof(ADMIND_USAGE_ROW) - 1);
        p += sizeof(ADMIND_USAGE_ROW) - 1;

        admind_usage_bind_row(&binds[k * ADMIND_USAGE_NCOLUMNS],
                              &rows[i].rec);
        k++;
    }

    memcpy(p, ADMIND_USAGE_DUPLICATE, sizeof(ADMIND_USAGE_DUPLICATE));

    rc = ADMIND_ERROR;

    stmt = mysql_stmt_init(mysql);
    if (stmt == NULL) {
        *err_no = mysql_errno(mysql);
        snprintf(err, errlen, "%s", mysql_error(mysql));
        goto done;
    }

    if (mysql_stmt_prepare(stmt, sql, strlen(sql)) != 0
        || mysql_stmt_bind_param(stmt, binds) != 0
        || mysql_stmt_execute(stmt) != 0)
    {
        *err_no = mysql_stmt_errno(stmt);
        snprintf(err, errlen, "%s", mysql_stmt_error(stmt));
        goto done;
    }

    *affected = mysql_stmt_affected_rows(stmt);
    rc = ADMIND_OK;

done:

    if (stmt != NULL) {
        mysql_stmt_close(stmt);
    }

    free(sql);
    free(binds);

    return rc;
}


static void
admind_usage_rollback(MYSQL *mysql)
{
    char  err[ADMIND_ERRLEN];

    /* a broken connection rolled back already when it closed */
    if (admind_db_get(err, sizeof(err)) == mysql) {
        (void) admind_db_query(mysql, "ROLLBACK", err, sizeof(err));
    }
}


/* after a failed statement: the transaction is given up */
static void
admind_usage_abort(MYSQL *mysql, unsigned err_no)
{
    char  err[ADMIND_ERRLEN];

    if (admind_db_error_breaks_connection(err_no)) {
        admind_db_failed(err_no);
        return;
    }

    (void) admind_db_query(mysql, "ROLLBACK", err, sizeof(err));
}


/*
 * Inside the open transaction: each row alone, marking those refused on
 * their data.  A failed statement undoes only itself (InnoDB), so the
 * rows stored before stay in the transaction.
 */
static int
admind_usage_one_by_one(MYSQL *mysql, admind_usage_row_t *rows, size_t n,
    unsigned long long *stored, char *err, size_t errlen)
{
    size_t              i;
    unsigned            err_no;
    unsigned long long  affected;

    for (i = 0; i < n; i++) {
        if (rows[i].rejected) {
            continue;
        }

        if (admind_usage_insert(mysql, &rows[i], 1, &affected, &err_no,
                                err, errlen)
            == ADMIND_OK)
        {
            *stored += affected;
            continue;
        }

        if (!admind_usage_data_error(err_no)) {
            admind_usage_abort(mysql, err_no);
            return ADMIND_ERROR;
        }

        rows[i].rejected = 1;
        snprintf(rows[i].why, sizeof(rows[i].why), "refused by MySQL: %s",
                 err);
    }

    return ADMIND_OK;
}


int
admind_usage_store(MYSQL *mysql, admind_usage_row_t *rows, size_t n,
    unsigned long long *stored, char *err, size_t errlen)
{
    size_t              i, m;
    unsigned            err_no;
    unsigned long long  affected;

    *stored = 0;

    if (admind_db_query(mysql, "START TRANSACTION", err, errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    for (i = 0; i < n; i += m) {
        m = n - i < ADMIND_USAGE_ROWS_MAX ? n - i : ADMIND_USAGE_ROWS_MAX;

        if (admind_usage_insert(mysql, &rows[i], m, &affected, &err_no,
                                err, errlen)
            == ADMIND_OK)
        {
            *stored += affected;
            continue;
        }

        if (!admind_usage_data_error(err_no)) {
            admind_usage_abort(mysql, err_no);
            return ADMIND_ERROR;
        }

        admind_log(ADMIND_LOG_WARN, "usage batch refused on its data; "
                   "inserting its records one by one",
                   "errno", json_integer(err_no),
                   "error", admind_log_str(err), NULL);

        if (admind_usage_one_by_one(mysql, &rows[i], m, stored, err, errlen)
            != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }
    }

    if (admind_db_query(mysql, "COMMIT", err, errlen) != ADMIND_OK) {
        admind_usage_rollback(mysql);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}
