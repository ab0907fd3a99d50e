/*
 * QuotaLane admind: prepared statements.
 *
 * Results are bound as strings and converted by column type, which keeps
 * one code path for all columns; admin queries are small, so the extra
 * conversion costs nothing that matters.
 */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admind_log.h"
#include "admind_db.h"
#include "admind_db_stmt.h"


/* room for any number or temporal value in text form */
#define ADMIND_DB_SCALAR_LEN  64

/* the widest INSERT of a resource stays far below this */
#define ADMIND_DB_MAX_PARAMS  64


/*
 * libmariadb copies the MYSQL_BIND array but reads the values it points
 * to only at execute time, so they live in the frame that executes.
 */
typedef struct {
    MYSQL_BIND   binds[ADMIND_DB_MAX_PARAMS];
    long long    ints[ADMIND_DB_MAX_PARAMS];
} admind_db_binds_t;


static __thread unsigned  admind_db_last_errno;


unsigned
admind_db_errno(void)
{
    return admind_db_last_errno;
}


static int
admind_db_stmt_error(MYSQL_STMT *stmt, MYSQL *mysql, char *err,
    size_t errlen)
{
    unsigned  err_no;

    if (stmt != NULL && mysql_stmt_errno(stmt) != 0) {
        err_no = mysql_stmt_errno(stmt);
        snprintf(err, errlen, "%s", mysql_stmt_error(stmt));

    } else {
        err_no = mysql_errno(mysql);
        snprintf(err, errlen, "%s", mysql_error(mysql));
    }

    admind_db_last_errno = err_no;

    if (stmt != NULL) {
        mysql_stmt_close(stmt);
    }

    /* after the statement is closed: this may close the connection */
    admind_db_failed(err_no);

    return ADMIND_ERROR;
}


static MYSQL_STMT *
admind_db_prepare(MYSQL *mysql, const char *sql,
    const admind_db_param_t *params, unsigned nparams, admind_db_binds_t *b,
    char *err, size_t errlen)
{
    unsigned     i;
    MYSQL_BIND  *binds;
    long long   *ints;
    MYSQL_STMT  *stmt;

    admind_db_last_errno = 0;

    if (nparams > ADMIND_DB_MAX_PARAMS) {
        snprintf(err, errlen, "more than %d statement parameters",
                 ADMIND_DB_MAX_PARAMS);
        return NULL;
    }

    stmt = mysql_stmt_init(mysql);
    if (stmt == NULL) {
        admind_db_stmt_error(NULL, mysql, err, errlen);
        return NULL;
    }

    if (mysql_stmt_prepare(stmt, sql, strlen(sql)) != 0) {
        admind_db_stmt_error(stmt, mysql, err, errlen);
        return NULL;
    }

    if (mysql_stmt_param_count(stmt) != nparams) {
        /* a programming error, not a database one */
        snprintf(err, errlen, "statement wants %lu parameters, got %u",
                 mysql_stmt_param_count(stmt), nparams);
        mysql_stmt_close(stmt);
        return NULL;
    }

    binds = b->binds;
    ints = b->ints;
    memset(binds, 0, nparams * sizeof(MYSQL_BIND));

    for (i = 0; i < nparams; i++) {
        switch (params[i].type) {

        case ADMIND_DB_INT:
            ints[i] = params[i].i;
            binds[i].buffer_type = MYSQL_TYPE_LONGLONG;
            binds[i].buffer = &ints[i];
            break;

        case ADMIND_DB_STR:
        case ADMIND_DB_BLOB:
            binds[i].buffer_type = params[i].type == ADMIND_DB_STR
                                   ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
            binds[i].buffer = (void *) params[i].data;
            binds[i].buffer_length = (unsigned long) params[i].len;
            break;

        default:
            binds[i].buffer_type = MYSQL_TYPE_NULL;
            break;
        }
    }

    if (nparams && mysql_stmt_bind_param(stmt, binds) != 0) {
        admind_db_stmt_error(stmt, mysql, err, errlen);
        return NULL;
    }

    return stmt;
}


int
admind_db_exec(MYSQL *mysql, const char *sql,
    const admind_db_param_t *params, unsigned nparams,
    admind_db_result_t *res, char *err, size_t errlen)
{
    MYSQL_STMT         *stmt;
    admind_db_binds_t   b;

    stmt = admind_db_prepare(mysql, sql, params, nparams, &b, err, errlen);
    if (stmt == NULL) {
        return ADMIND_ERROR;
    }

    if (mysql_stmt_execute(stmt) != 0) {
        return admind_db_stmt_error(stmt, mysql, err, errlen);
    }

    if (res != NULL) {
        res->affected_rows = mysql_stmt_affected_rows(stmt);
        res->insert_id = mysql_stmt_insert_id(stmt);
    }

    mysql_stmt_close(stmt);

    return ADMIND_OK;
}


static json_t *
admind_db_value(const MYSQL_FIELD *f, const char *s, unsigned long len)
{
    char                 *buf;
    json_t               *v;
    unsigned long         i;
    unsigned long long    u;
    static const char     hex[] = "0123456789abcdef";

    switch (f->type) {

    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_YEAR:
        if (f->flags & UNSIGNED_FLAG) {
            u = strtoull(s, NULL, 10);

            /* JSON consumers lose precision past 2^63 anyway: keep text */
            if (u > (unsigned long long) LLONG_MAX) {
                return json_stringn(s, len);
            }

            return json_integer((json_int_t) u);
        }

        return json_integer(strtoll(s, NULL, 10));

    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE:
        return json_real(strtod(s, NULL));

    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_TIMESTAMP:
        /* "2025-01-31 12:00:00.123" -> "2025-01-31T12:00:00.123Z" */
        buf = malloc(len + 2);
        if (buf == NULL) {
            return NULL;
        }

        memcpy(buf, s, len);
        if (len > 10 && buf[10] == ' ') {
            buf[10] = 'T';
        }
        buf[len] = 'Z';
        buf[len + 1] = '\0';

        v = json_string(buf);
        free(buf);
        return v;

    default:
        break;
    }

    /* charset 63 is "binary": BLOB, VARBINARY, BINARY */
    if (f->charsetnr == 63
        && (f->type == MYSQL_TYPE_BLOB || f->type == MYSQL_TYPE_TINY_BLOB
            || f->type == MYSQL_TYPE_MEDIUM_BLOB
            || f->type == MYSQL_TYPE_LONG_BLOB
            || f->type == MYSQL_TYPE_STRING
            || f->type == MYSQL_TYPE_VAR_STRING))
    {
        buf = malloc(len * 2 + 1);
        if (buf == NULL) {
            return NULL;
        }

        for (i = 0; i < len; i++) {
            buf[2 * i] = hex[(unsigned char) s[i] >> 4];
            buf[2 * i + 1] = hex[(unsigned char) s[i] & 0xf];
        }
        buf[2 * len] = '\0';

        v = json_string(buf);
        free(buf);
        return v;
    }

    v = json_stringn(s, len);

    return v ? v : admind_log_str(s);
}


static int
admind_db_is_scalar(enum enum_field_types type)
{
    switch (type) {
    case MYSQL_TYPE_TINY:
    case MYSQL_TYPE_SHORT:
    case MYSQL_TYPE_INT24:
    case MYSQL_TYPE_LONG:
    case MYSQL_TYPE_LONGLONG:
    case MYSQL_TYPE_YEAR:
    case MYSQL_TYPE_FLOAT:
    case MYSQL_TYPE_DOUBLE:
    case MYSQL_TYPE_DATE:
    case MYSQL_TYPE_TIME:
    case MYSQL_TYPE_DATETIME:
    case MYSQL_TYPE_TIMESTAMP:
    case MYSQL_TYPE_DECIMAL:
    case MYSQL_TYPE_NEWDECIMAL:
        return 1;
    default:
        return 0;
    }
}


int
admind_db_select(MYSQL *mysql, const char *sql,
    const admind_db_param_t *params, unsigned nparams, json_t **rows,
    char *err, size_t errlen)
{
    int                 rc;
    char              **bufs;
    json_t             *result, *row, *v;
    my_bool             update_max, *is_null;
    unsigned            i, ncols;
    MYSQL_RES          *meta;
    MYSQL_BIND         *binds;
    MYSQL_STMT         *stmt;
    MYSQL_FIELD        *fields;
    unsigned long      *lens, size;
    admind_db_binds_t   b;

    *rows = NULL;
    meta = NULL;
    binds = NULL;
    bufs = NULL;
    lens = NULL;
    is_null = NULL;
    result = NULL;
    ncols = 0;

    stmt = admind_db_prepare(mysql, sql, params, nparams, &b, err, errlen);
    if (stmt == NULL) {
        return ADMIND_ERROR;
    }

    /* learn the longest value of each column to size the buffers once */
    update_max = 1;
    mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);

    if (mysql_stmt_execute(stmt) != 0
        || mysql_stmt_store_result(stmt) != 0)
    {
        return admind_db_stmt_error(stmt, mysql, err, errlen);
    }

    meta = mysql_stmt_result_metadata(stmt);
    if (meta == NULL) {
        snprintf(err, errlen, "statement returns no result set");
        mysql_stmt_close(stmt);
        return ADMIND_ERROR;
    }

    ncols = mysql_num_fields(meta);
    fields = mysql_fetch_fields(meta);

    binds = calloc(ncols, sizeof(MYSQL_BIND));
    bufs = calloc(ncols, sizeof(char *));
    lens = calloc(ncols, sizeof(unsigned long));
    is_null = calloc(ncols, sizeof(my_bool));
    result = json_array();

    if (binds == NULL || bufs == NULL || lens == NULL || is_null == NULL
        || result == NULL)
    {
        snprintf(err, errlen, "out of memory");
        goto failed;
    }

    for (i = 0; i < ncols; i++) {
        size = admind_db_is_scalar(fields[i].type)
               ? ADMIND_DB_SCALAR_LEN : fields[i].max_length;

        bufs[i] = malloc(size + 1);
        if (bufs[i] == NULL) {
            snprintf(err, errlen, "out of memory");
            goto failed;
        }

        binds[i].buffer_type = MYSQL_TYPE_STRING;
        binds[i].buffer = bufs[i];
        binds[i].buffer_length = size + 1;
        binds[i].length = &lens[i];
        binds[i].is_null = &is_null[i];
    }

    if (mysql_stmt_bind_result(stmt, binds) != 0) {
        snprintf(err, errlen, "%s", mysql_stmt_error(stmt));
        goto failed;
    }

    for ( ;; ) {
        rc = mysql_stmt_fetch(stmt);

        if (rc == MYSQL_NO_DATA) {
            break;
        }

        if (rc != 0) {
            snprintf(err, errlen, "%s", rc == MYSQL_DATA_TRUNCATED
                                        ? "result truncated"
                                        : mysql_stmt_error(stmt));
            goto failed;
        }

        row = json_object();
        if (row == NULL || json_array_append_new(result, row) != 0) {
            snprintf(err, errlen, "out of memory");
            goto failed;
        }

        for (i = 0; i < ncols; i++) {
            if (is_null[i]) {
                v = json_null();

            } else {
                bufs[i][lens[i]] = '\0';
                v = admind_db_value(&fields[i], bufs[i], lens[i]);
            }

            if (v == NULL
                || json_object_set_new(row, fields[i].name, v) != 0)
            {
                snprintf(err, errlen, "out of memory");
                goto failed;
            }
        }
    }

    *rows = result;
    result = NULL;
    rc = ADMIND_OK;
    goto done;

failed:

    rc = ADMIND_ERROR;

done:

    json_decref(result);

    for (i = 0; bufs != NULL && i < ncols; i++) {
        free(bufs[i]);
    }

    free(bufs);
    free(binds);
    free(lens);
    free(is_null);
    mysql_free_result(meta);
    mysql_stmt_close(stmt);

    return rc;
}


int
admind_db_select_int(MYSQL *mysql, const char *sql,
    const admind_db_param_t *params, unsigned nparams, long long *value,
    int *found, char *err, size_t errlen)
{
    json_t      *rows, *row, *v;
    const char  *key;

    *found = 0;
    *value = 0;

    if (admind_db_select(mysql, sql, params, nparams, &rows, err, errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    row = json_array_get(rows, 0);

    if (row != NULL) {
        json_object_foreach(row, key, v) {
            if (json_is_integer(v)) {
                *value = json_integer_value(v);
                *found = 1;
            }
            break;
        }
    }

    json_decref(rows);

    return ADMIND_OK;
}
