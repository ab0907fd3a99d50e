/*
 * QuotaLane admind: usage records into MySQL, a batch per transaction.
 *
 * The statement helpers of admind_db_stmt.c stop at 64 parameters (admin
 * rows are small); a batch of many records has thousands, so this file binds
 * its own, straight to the fields of the parsed records, which stay put
 * until the statement ran.  A batch goes in statements of 256, 128, ...
 * 1 rows (a statement takes at most 65,535 placeholders, and a batch of
 * stream entries that each carry a worker's event-loop turn can hold many
 * thousands of records), each prepared once per connection.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errmsg.h>
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
 * The statement inserting 2^k rows, prepared once per connection: a
 * batch's parse and prepare cost the server more than its rows did.
 */
static MYSQL_STMT *
admind_usage_stmt(admind_usage_stmts_t *st, MYSQL *mysql, unsigned k,
    unsigned *err_no, char *err, size_t errlen)
{
    char        *sql, *p;
    size_t       i, rows, len;
    MYSQL_STMT  *stmt;

    static const char  head[] = "INSERT INTO usage_records ("
                                ADMIND_USAGE_COLUMNS ") VALUES ";

    if (st->serial != admind_db_serial()) {
        admind_usage_stmts_close(st);
        st->serial = admind_db_serial();
    }

    if (st->stmt[k] != NULL) {
        return st->stmt[k];
    }

    rows = (size_t) 1 << k;
    len = sizeof(head) + rows * (sizeof(ADMIND_USAGE_ROW) + 1)
          + sizeof(ADMIND_USAGE_DUPLICATE);

    sql = malloc(len);
    if (sql == NULL) {
        snprintf(err, errlen, "out of memory");
        *err_no = CR_OUT_OF_MEMORY;
        return NULL;
    }

    p = sql;
    memcpy(p, head, sizeof(head) - 1);
    p += sizeof(head) - 1;

    for (i = 0; i < rows; i++) {
        if (i) {
            *p++ = ',';
        }

        memcpy(p, ADMIND_USAGE_ROW, sizeof(ADMIND_USAGE_ROW) - 1);
        p += sizeof(ADMIND_USAGE_ROW) - 1;
    }

    memcpy(p, ADMIND_USAGE_DUPLICATE, sizeof(ADMIND_USAGE_DUPLICATE));

    stmt = mysql_stmt_init(mysql);
    if (stmt == NULL) {
        *err_no = mysql_errno(mysql);
        snprintf(err, errlen, "%s", mysql_error(mysql));
        free(sql);
        return NULL;
    }

    if (mysql_stmt_prepare(stmt, sql, strlen(sql)) != 0) {
        *err_no = mysql_stmt_errno(stmt);
        snprintf(err, errlen, "%s", mysql_stmt_error(stmt));
        mysql_stmt_close(stmt);
        free(sql);
        return NULL;
    }

    free(sql);
    st->stmt[k] = stmt;

    return stmt;
}


/*
 * One INSERT of the 2^k rows rows[0..2^k).  ADMIND_ERROR with *err_no;
 * the statement stays prepared (the caller drops a broken connection).
 */
static int
admind_usage_insert(admind_usage_stmts_t *st, MYSQL *mysql,
    admind_usage_row_t **rows, unsigned k, unsigned long long *affected,
    unsigned *err_no, char *err, size_t errlen)
{
    size_t       i, n;
    MYSQL_STMT  *stmt;

    *err_no = 0;
    *affected = 0;
    n = (size_t) 1 << k;

    stmt = admind_usage_stmt(st, mysql, k, err_no, err, errlen);
    if (stmt == NULL) {
        return ADMIND_ERROR;
    }

    memset(st->binds, 0, n * ADMIND_USAGE_NCOLUMNS * sizeof(MYSQL_BIND));

    for (i = 0; i < n; i++) {
        admind_usage_bind_row(&st->binds[i * ADMIND_USAGE_NCOLUMNS],
                              &rows[i]->rec);
    }

    if (mysql_stmt_bind_param(stmt, st->binds) != 0
        || mysql_stmt_execute(stmt) != 0)
    {
        *err_no = mysql_stmt_errno(stmt);
        snprintf(err, errlen, "%s", mysql_stmt_error(stmt));
        return ADMIND_ERROR;
    }

    *affected = mysql_stmt_affected_rows(stmt);

    return ADMIND_OK;
}


void
admind_usage_stmts_close(admind_usage_stmts_t *st)
{
    unsigned  k;

    /* a statement of a closed connection only frees its memory here */
    for (k = 0; k < ADMIND_USAGE_SIZES; k++) {
        if (st->stmt[k] != NULL) {
            mysql_stmt_close(st->stmt[k]);
            st->stmt[k] = NULL;
        }
    }

    st->serial = 0;
}


void
admind_usage_stmts_free(admind_usage_stmts_t *st)
{
    admind_usage_stmts_close(st);
    free(st->binds);
    st->binds = NULL;
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
admind_usage_one_by_one(admind_usage_stmts_t *st, MYSQL *mysql,
    admind_usage_row_t **rows, size_t n, unsigned long long *stored,
    char *err, size_t errlen)
{
    size_t              i;
    unsigned            err_no;
    unsigned long long  affected;

    for (i = 0; i < n; i++) {
        if (admind_usage_insert(st, mysql, &rows[i], 0, &affected, &err_no,
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

        rows[i]->rejected = 1;
        snprintf(rows[i]->why, sizeof(rows[i]->why),
                 "refused by MySQL: %s", err);
    }

    return ADMIND_OK;
}


/* the largest k with 2^k <= n, at most ADMIND_USAGE_SIZES - 1 */
static unsigned
admind_usage_size(size_t n)
{
    unsigned  k;

    for (k = 0; k + 1 < ADMIND_USAGE_SIZES && ((size_t) 2 << k) <= n; k++) {
        /* void */
    }

    return k;
}


int
admind_usage_store(admind_usage_stmts_t *st, MYSQL *mysql,
    admind_usage_row_t *rows, size_t n, unsigned long long *stored,
    char *err, size_t errlen)
{
    int                  rc;
    size_t               i, k, m;
    unsigned             err_no, size;
    unsigned long long   affected;
    admind_usage_row_t **pick;

    *stored = 0;

    if (st->binds == NULL) {
        st->binds = malloc(((size_t) 1 << (ADMIND_USAGE_SIZES - 1))
                           * ADMIND_USAGE_NCOLUMNS * sizeof(MYSQL_BIND));
    }

    pick = malloc((n ? n : 1) * sizeof(admind_usage_row_t *));

    if (st->binds == NULL || pick == NULL) {
        free(pick);
        snprintf(err, errlen, "out of memory");
        return ADMIND_ERROR;
    }

    for (i = 0, k = 0; i < n; i++) {
        if (!rows[i].rejected) {
            pick[k++] = &rows[i];
        }
    }

    if (k == 0) {
        free(pick);
        return ADMIND_OK;
    }

    rc = ADMIND_ERROR;

    if (admind_db_query(mysql, "START TRANSACTION", err, errlen)
        != ADMIND_OK)
    {
        goto done;
    }

    /* pieces of 256, 128, ... rows: a few statements, each prepared once */
    for (i = 0; i < k; i += m) {
        size = admind_usage_size(k - i);
        m = (size_t) 1 << size;

        if (admind_usage_insert(st, mysql, &pick[i], size, &affected,
                                &err_no, err, errlen)
            == ADMIND_OK)
        {
            *stored += affected;
            continue;
        }

        if (!admind_usage_data_error(err_no)) {
            admind_usage_abort(mysql, err_no);
            goto done;
        }

        admind_log(ADMIND_LOG_WARN, "usage batch refused on its data; "
                   "inserting its records one by one",
                   "errno", json_integer(err_no),
                   "error", admind_log_str(err), NULL);

        if (admind_usage_one_by_one(st, mysql, &pick[i], m, stored, err,
                                    errlen)
            != ADMIND_OK)
        {
            goto done;
        }
    }

    if (admind_db_query(mysql, "COMMIT", err, errlen) != ADMIND_OK) {
        admind_usage_rollback(mysql);
        goto done;
    }

    rc = ADMIND_OK;

done:

    free(pick);

    return rc;
}
