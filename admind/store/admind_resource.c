/*
 * QuotaLane admind: what every REST resource shares.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <mysqld_error.h>

#include "admind_log.h"
#include "admind_db.h"
#include "admind_request.h"
#include "admind_response.h"
#include "admind_page.h"
#include "admind_auth.h"
#include "admind_resource.h"


/* the most filters one list takes */
#define ADMIND_RESOURCE_MAX_FILTERS  4

/* the most fields one orderBy names */
#define ADMIND_RESOURCE_MAX_ORDERS   4


MYSQL *
admind_resource_db(admind_req_t *r)
{
    char    err[ADMIND_ERRLEN];
    MYSQL  *mysql;

    mysql = admind_db_get(err, sizeof(err));

    if (mysql == NULL) {
        admind_log(ADMIND_LOG_ERROR, "database unavailable",
                   "id", json_string(r->id),
                   "error", admind_log_str(err), NULL);
        admind_resp_error(r, 503, "unavailable",
                          "the database is unavailable, try again later");
    }

    return mysql;
}


json_t *
admind_resource_body(admind_req_t *r, const admind_field_t *fields,
    admind_fields_mode_e mode)
{
    json_t  *body;

    body = admind_req_json(r);
    if (body == NULL) {
        return NULL;
    }

    if (admind_fields_check(r, fields, body, mode) != ADMIND_OK) {
        json_decref(body);
        return NULL;
    }

    return body;
}


/* the SELECTs made from field tables, once each */
#define ADMIND_RESOURCE_SELECTS  16

static pthread_mutex_t  admind_resource_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    const admind_resource_t  *res;
    char                     *sql;
}                       admind_resource_selects[ADMIND_RESOURCE_SELECTS];


/*
 * The expression a field is read with: its own, else its column as its
 * type reads in the API (ids and integers beyond 32 bits as decimal
 * strings, times in RFC 3339); "" when it is not read from SQL.
 */
static void
admind_resource_read(const admind_field_t *f, const char *alias, char *buf,
    size_t size)
{
    if (f->read != NULL && f->read[0] != '\0') {
        snprintf(buf, size, "%s", f->read);

    } else if (f->column == NULL) {
        buf[0] = '\0';

    } else if (f->type == ADMIND_FIELD_ID
               || (f->type == ADMIND_FIELD_INT && f->max > 4294967295LL))
    {
        snprintf(buf, size, "CAST(%s.%s AS CHAR)", alias, f->column);

    } else if (f->type == ADMIND_FIELD_TIME) {
        snprintf(buf, size, "DATE_FORMAT(%s.%s, '%%Y-%%m-%%dT%%H:%%i:%%sZ')",
                 alias, f->column);

    } else {
        snprintf(buf, size, "%s.%s", alias, f->column);
    }
}


/* "SELECT <each field's expression> AS <its name>, ... FROM ..." */
static char *
admind_resource_build_select(const admind_resource_t *res)
{
    char                  alias[16], expr[512], *sql;
    size_t                len, n;
    const char           *dot;
    const admind_field_t  *f;

    dot = strchr(res->id_column, '.');
    n = dot ? (size_t) (dot - res->id_column) : 0;
    if (n == 0 || n >= sizeof(alias)) {
        return NULL;
    }

    memcpy(alias, res->id_column, n);
    alias[n] = '\0';

    len = sizeof("SELECT ") + strlen(res->from) + 1;
    for (f = res->fields; f->name != NULL; f++) {
        admind_resource_read(f, alias, expr, sizeof(expr));
        len += strlen(expr) + strlen(f->name) + sizeof(" AS , ");
    }

    sql = malloc(len);
    if (sql == NULL) {
        return NULL;
    }

    n = (size_t) snprintf(sql, len, "SELECT ");

    for (f = res->fields; f->name != NULL; f++) {
        admind_resource_read(f, alias, expr, sizeof(expr));
        if (expr[0] != '\0') {
            n += (size_t) snprintf(sql + n, len - n, "%s AS %s, ", expr,
                                   f->name);
        }
    }

    /* the last ", " goes */
    snprintf(sql + n - 2, len - n + 2, " %s", res->from);

    return sql;
}


const char *
admind_resource_select(const admind_resource_t *res)
{
    size_t       i;
    const char  *sql;

    if (res->fields == NULL) {
        return res->select;
    }

    pthread_mutex_lock(&admind_resource_lock);

    sql = NULL;

    for (i = 0; i < ADMIND_RESOURCE_SELECTS; i++) {
        if (admind_resource_selects[i].res == res) {
            sql = admind_resource_selects[i].sql;
            break;
        }

        if (admind_resource_selects[i].res == NULL) {
            sql = admind_resource_build_select(res);
            if (sql != NULL) {
                admind_resource_selects[i].res = res;
                admind_resource_selects[i].sql = (char *) sql;
            }
            break;
        }
    }

    pthread_mutex_unlock(&admind_resource_lock);

    if (sql == NULL) {
        admind_log(ADMIND_LOG_ERROR, "cannot build a resource's SELECT",
                   "resource", admind_log_str(res->name), NULL);
    }

    return sql;
}


int
admind_resource_load(MYSQL *mysql, const admind_resource_t *res,
    uint64_t id, json_t **obj, char *err, size_t errlen)
{
    char               sql[ADMIND_SQL_MAX];
    json_t            *rows;
    const char        *select;
    admind_db_param_t  params[1];

    *obj = NULL;

    select = admind_resource_select(res);
    if (select == NULL) {
        snprintf(err, errlen, "out of memory");
        return ADMIND_ERROR;
    }

    snprintf(sql, sizeof(sql), "%s WHERE %s = ?", select, res->id_column);

    params[0] = admind_db_int((long long) id);

    if (admind_db_select(mysql, sql, params, 1, &rows, err, errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    if (json_array_size(rows) == 0) {
        json_decref(rows);
        return ADMIND_DECLINED;
    }

    *obj = json_incref(json_array_get(rows, 0));
    json_decref(rows);

    if (res->fixup != NULL && res->fixup(*obj) != ADMIND_OK) {
        json_decref(*obj);
        *obj = NULL;
        snprintf(err, errlen, "%s %llu: malformed row", res->name,
                 (unsigned long long) id);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


/* WHERE from the filters present in the query; 400 on a bad value */
static int
admind_resource_where(admind_req_t *r, const admind_resource_t *res,
    char *where, size_t size, admind_db_param_t *params, unsigned *n)
{
    int                     owner;
    char                    self[24];
    size_t                  len;
    json_t                 *v;
    long long               id;
    const char             *s;
    const admind_filter_t  *f;

    where[0] = '\0';
    *n = 0;

    if (res->filters == NULL) {
        return ADMIND_OK;
    }

    for (f = res->filters; f->param != NULL; f++) {
        s = admind_req_query(r, f->param);
        owner = strcmp(f->param, "userId") == 0
                && !admind_auth_is_admin(r);

        if (owner) {
            /* users list their own rows only, asked or not */
            snprintf(self, sizeof(self), "%llu",
                     (unsigned long long) r->auth.id);

            if (s != NULL && strcmp(s, self) != 0) {
                admind_resp_error(r, 403, "forbidden", "you may list only "
                                  "your own %s (userId=%s)", res->plural,
                                  self);
                return ADMIND_ERROR;
            }

            s = self;
        }

        if (s == NULL) {
            continue;
        }

        if (*n == ADMIND_RESOURCE_MAX_FILTERS) {
            break;
        }

        if (f->type == ADMIND_FIELD_ID) {
            v = json_string(s);
            if (v == NULL || admind_fields_number(v, &id) != ADMIND_OK
                || id < 1)
            {
                json_decref(v);
                admind_resp_error(r, 400, "invalid_argument",
                                  "query parameter \"%s\" must be an id",
                                  f->param);
                return ADMIND_ERROR;
            }

            json_decref(v);
            params[*n] = admind_db_int(id);

        } else {
            params[*n] = admind_db_str(s);
        }

        len = strlen(where);
        snprintf(where + len, size - len, "%s%s = ?",
                 *n ? " AND " : " WHERE ", f->column);
        (*n)++;
    }

    return ADMIND_OK;
}


/* the words of orderBy are separated by spaces ('+' in a query too) */
static size_t
admind_resource_word(const char **p, const char *end)
{
    const char  *start;

    while (*p < end && (**p == ' ' || **p == '+')) {
        (*p)++;
    }

    start = *p;

    while (*p < end && **p != ' ' && **p != '+') {
        (*p)++;
    }

    return (size_t) (*p - start);
}


int
admind_resource_order_by(admind_req_t *r, const char *what,
    const admind_order_t *orders, const char *tie_field,
    const char *tie_column, char *buf, size_t size)
{
    int                    has_tie;
    size_t                 len, flen, dlen;
    unsigned               n;
    const char            *item, *end, *p, *field, *dir, *column;
    const admind_order_t  *o;

    item = admind_req_query(r, "orderBy");
    has_tie = 0;
    n = 0;

    snprintf(buf, size, "ORDER BY ");

    for ( /* void */ ; item != NULL && *item != '\0'; item = end) {
        end = strchr(item, ',');
        if (end == NULL) {
            end = item + strlen(item);
        }

        p = item;
        flen = admind_resource_word(&p, end);
        field = p - flen;
        dlen = admind_resource_word(&p, end);
        dir = p - dlen;

        if (admind_resource_word(&p, end) != 0) {
            admind_resp_error(r, 400, "invalid_argument", "query parameter "
                              "\"orderBy\": each item is a field and "
                              "optionally asc or desc");
            return ADMIND_ERROR;
        }

        if (*end == ',') {
            end++;
        }

        if (flen == 0) {
            continue;
        }

        if (dlen != 0
            && !(dlen == 3 && strncasecmp(dir, "asc", 3) == 0)
            && !(dlen == 4 && strncasecmp(dir, "desc", 4) == 0))
        {
            admind_resp_error(r, 400, "invalid_argument", "query parameter "
                              "\"orderBy\": \"%.*s\" is not asc or desc",
                              (int) (dlen > 32 ? 32 : dlen), dir);
            return ADMIND_ERROR;
        }

        column = NULL;

        if (strlen(tie_field) == flen && strncmp(field, tie_field, flen) == 0)
        {
            column = tie_column;
            has_tie = 1;
        }

        for (o = orders; column == NULL && o != NULL && o->field != NULL;
             o++)
        {
            if (strlen(o->field) == flen
                && strncmp(o->field, field, flen) == 0)
            {
                column = o->column;
            }
        }

        if (column == NULL) {
            admind_resp_error(r, 400, "invalid_argument", "query parameter "
                              "\"orderBy\": %s cannot be sorted by "
                              "\"%.*s\"", what,
                              (int) (flen > 64 ? 64 : flen), field);
            return ADMIND_ERROR;
        }

        if (++n > ADMIND_RESOURCE_MAX_ORDERS) {
            admind_resp_error(r, 400, "invalid_argument", "query parameter "
                              "\"orderBy\": at most %d fields",
                              ADMIND_RESOURCE_MAX_ORDERS);
            return ADMIND_ERROR;
        }

        len = strlen(buf);
        snprintf(buf + len, size - len, "%s%s%s", n > 1 ? ", " : "",
                 column, dlen == 4 ? " DESC" : "");
    }

    if (!has_tie) {
        len = strlen(buf);
        snprintf(buf + len, size - len, "%s%s", n ? ", " : "", tie_column);
    }

    return ADMIND_OK;
}


/* "ORDER BY ..." from orderBy, "id" always allowed and breaking ties */
static int
admind_resource_order(admind_req_t *r, const admind_resource_t *res,
    const admind_order_t *orders, char *buf, size_t size)
{
    return admind_resource_order_by(r, res->plural, orders, "id",
                                    res->id_column, buf, size);
}


int
admind_resource_list(admind_req_t *r, const admind_resource_t *res)
{
    return admind_resource_list_ordered(r, res, NULL);
}


int
admind_resource_list_ordered(admind_req_t *r, const admind_resource_t *res,
    const admind_order_t *orders)
{
    int                 found;
    char                err[ADMIND_ERRLEN], where[512];
    char                sql[ADMIND_SQL_MAX * 2];
    char                token[ADMIND_PAGE_TOKEN_LEN], order[256];
    MYSQL              *mysql;
    json_t             *rows, *row, *body;
    size_t              i;
    unsigned            n;
    long long           total;
    admind_page_t       page;
    admind_db_param_t   params[ADMIND_RESOURCE_MAX_FILTERS + 2];

    if (admind_req_page(r, &page) != ADMIND_OK) {
        return r->status;
    }

    if (admind_resource_where(r, res, where, sizeof(where), params, &n)
        != ADMIND_OK
        || admind_resource_order(r, res, orders, order, sizeof(order))
           != ADMIND_OK
        || admind_req_query_known(r) != ADMIND_OK)
    {
        return r->status;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL) {
        return r->status;
    }

    snprintf(sql, sizeof(sql), "SELECT COUNT(*) %s%s", res->from, where);

    if (admind_db_select_int(mysql, sql, params, n, &total, &found, err,
                             sizeof(err))
        != ADMIND_OK)
    {
        return admind_resource_db_error(r, res, err);
    }

    /* the id breaks ties: pages stay stable while rows come and go */
    snprintf(sql, sizeof(sql), "%s%s %s LIMIT ? OFFSET ?",
             admind_resource_select(res), where, order);

    params[n] = admind_db_int(page.size);
    params[n + 1] = admind_db_int((long long) page.offset);

    if (admind_db_select(mysql, sql, params, n + 2, &rows, err, sizeof(err))
        != ADMIND_OK)
    {
        return admind_resource_db_error(r, res, err);
    }

    json_array_foreach(rows, i, row) {
        if (res->fixup != NULL && res->fixup(row) != ADMIND_OK) {
            json_decref(rows);
            admind_log(ADMIND_LOG_ERROR, "malformed row",
                       "resource", json_string(res->kind), NULL);
            return admind_resp_error(r, 500, "internal_error",
                                     "internal error");
        }
    }

    token[0] = '\0';

    if (page.offset + json_array_size(rows) < (unsigned long long) total
        && json_array_size(rows) == page.size)
    {
        admind_page_token(page.offset + page.size, token);
    }

    body = json_object();
    if (body == NULL) {
        json_decref(rows);
        return admind_resp_error(r, 500, "internal_error", "out of memory");
    }

    json_object_set_new(body, res->plural, rows);
    json_object_set_new(body, "nextPageToken", json_string(token));
    json_object_set_new(body, "totalSize", admind_json_int64(total));

    return admind_resp_json(r, 200, body);
}


int
admind_resource_load_answer(admind_req_t *r, const admind_resource_t *res,
    MYSQL *mysql, uint64_t id, json_t **obj)
{
    int   rc;
    char  err[ADMIND_ERRLEN];

    rc = admind_resource_load(mysql, res, id, obj, err, sizeof(err));

    if (rc == ADMIND_DECLINED) {
        admind_resp_error(r, 404, "not_found", "no %s %llu", res->name,
                          (unsigned long long) id);
        return ADMIND_ERROR;
    }

    if (rc != ADMIND_OK) {
        admind_resource_db_error(r, res, err);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


int
admind_resource_get(admind_req_t *r, const admind_resource_t *res)
{
    MYSQL     *mysql;
    json_t    *obj;
    uint64_t   id;

    if (admind_req_param_id(r, "id", &id) != ADMIND_OK) {
        return r->status;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL
        || admind_resource_load_answer(r, res, mysql, id, &obj) != ADMIND_OK)
    {
        return r->status;
    }

    /* somebody else's row is no different from none */
    if (json_object_get(obj, "userId") != NULL
        && !admind_auth_owns(r, admind_resource_id(obj, "userId")))
    {
        json_decref(obj);
        return admind_resp_error(r, 404, "not_found", "no %s %llu",
                                 res->name, (unsigned long long) id);
    }

    return admind_resp_json(r, 200, obj);
}


int
admind_resource_db_error(admind_req_t *r, const admind_resource_t *res,
    const char *err)
{
    char                    quoted[128];
    unsigned                err_no;
    const admind_unique_t  *u;

    err_no = admind_db_errno();

    switch (err_no) {

    case ER_DUP_ENTRY:
        for (u = res->uniques; u != NULL && u->index != NULL; u++) {
            snprintf(quoted, sizeof(quoted), "'%s'", u->index);

            if (strstr(err, quoted) != NULL) {
                return admind_resp_error(r, 409, "conflict",
                                         "a %s with this %s already exists",
                                         res->name, u->field);
            }
        }

        return admind_resp_error(r, 409, "conflict",
                                 "a %s like this already exists", res->name);

    case ER_ROW_IS_REFERENCED:
    case ER_ROW_IS_REFERENCED_2:
        return admind_resp_error(r, 409, "conflict",
                                 "the %s is still referenced by other "
                                 "records", res->name);

    case ER_NO_REFERENCED_ROW:
    case ER_NO_REFERENCED_ROW_2:
        return admind_resp_error(r, 400, "invalid_argument",
                                 "a record the %s refers to does not exist",
                                 res->name);

    case ER_LOCK_DEADLOCK:
    case ER_LOCK_WAIT_TIMEOUT:
        return admind_resp_error(r, 503, "unavailable",
                                 "the database is busy, try again");
    }

    admind_log(ADMIND_LOG_ERROR, "database error",
               "id", json_string(r->id),
               "resource", json_string(res->kind),
               "errno", json_integer(err_no),
               "error", admind_log_str(err), NULL);

    if (err_no != 0 && admind_db_error_breaks_connection(err_no)) {
        return admind_resp_error(r, 503, "unavailable",
                                 "the database is unavailable, try again "
                                 "later");
    }

    return admind_resp_error(r, 500, "internal_error", "internal error");
}


int
admind_resource_exists(admind_req_t *r, MYSQL *mysql,
    const admind_resource_t *res, const char *table, uint64_t id,
    int *exists)
{
    int                found;
    char               sql[128], err[ADMIND_ERRLEN];
    long long          n;
    admind_db_param_t  params[1];

    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s WHERE id = ? "
             "LOCK IN SHARE MODE", table);
    params[0] = admind_db_int((long long) id);

    if (admind_db_select_int(mysql, sql, params, 1, &n, &found, err,
                             sizeof(err))
        != ADMIND_OK)
    {
        admind_resource_db_error(r, res, err);
        return ADMIND_ERROR;
    }

    *exists = n > 0;

    return ADMIND_OK;
}


int
admind_resource_begin(admind_req_t *r, MYSQL *mysql)
{
    char  err[ADMIND_ERRLEN];

    if (admind_db_query(mysql, "START TRANSACTION", err, sizeof(err))
        != ADMIND_OK)
    {
        admind_log(ADMIND_LOG_ERROR, "cannot start a transaction",
                   "id", json_string(r->id),
                   "error", admind_log_str(err), NULL);
        admind_resp_error(r, 503, "unavailable",
                          "the database is unavailable, try again later");
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


int
admind_resource_commit(admind_req_t *r, MYSQL *mysql)
{
    char  err[ADMIND_ERRLEN];

    if (admind_db_query(mysql, "COMMIT", err, sizeof(err)) != ADMIND_OK) {
        admind_log(ADMIND_LOG_ERROR, "commit failed",
                   "id", json_string(r->id),
                   "error", admind_log_str(err), NULL);
        admind_resource_rollback(mysql);
        admind_resp_error(r, 503, "unavailable",
                          "the change was not saved, try again");
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


void
admind_resource_rollback(MYSQL *mysql)
{
    char  err[ADMIND_ERRLEN];

    /* a broken connection rolled back already when it closed */
    if (mysql != NULL && admind_db_get(err, sizeof(err)) == mysql) {
        (void) admind_db_query(mysql, "ROLLBACK", err, sizeof(err));
    }
}


void
admind_write_init(admind_write_t *w)
{
    w->n = 0;
    w->overflow = 0;
}


void
admind_write_set(admind_write_t *w, const char *column,
    admind_db_param_t value)
{
    if (w->n == ADMIND_WRITE_MAX) {
        w->overflow = 1;
        return;
    }

    w->columns[w->n] = column;
    w->params[w->n] = value;
    w->n++;
}


void
admind_write_fields(admind_write_t *w, json_t *body,
    const admind_field_t *fields)
{
    const char            *s;
    const admind_field_t  *f;

    for (f = fields; f->name != NULL; f++) {
        if (f->column == NULL || !admind_fields_has(body, f->name)) {
            continue;
        }

        if (admind_fields_is_null(body, f->name)) {
            admind_write_set(w, f->column, admind_db_null());
            continue;
        }

        switch (f->type) {

        case ADMIND_FIELD_INT:
        case ADMIND_FIELD_ID:
            admind_write_set(w, f->column,
                             admind_db_int(admind_fields_int(body, f->name,
                                                             0)));
            break;

        case ADMIND_FIELD_BOOL:
            admind_write_set(w, f->column,
                             admind_db_int(admind_fields_bool(body, f->name,
                                                              0)));
            break;

        default:
            s = admind_fields_str(body, f->name, NULL);
            admind_write_set(w, f->column,
                             s ? admind_db_str(s) : admind_db_null());
            break;
        }
    }
}


int
admind_write_insert(MYSQL *mysql, const char *table, admind_write_t *w,
    admind_db_result_t *res, char *err, size_t errlen)
{
    int       n;
    char      sql[ADMIND_SQL_MAX];
    size_t    len;
    unsigned  i;

    if (w->overflow) {
        snprintf(err, errlen, "INSERT too large");
        return ADMIND_ERROR;
    }

    len = (size_t) snprintf(sql, sizeof(sql), "INSERT INTO %s (", table);

    for (i = 0; i < w->n && len < sizeof(sql); i++) {
        len += (size_t) snprintf(sql + len, sizeof(sql) - len, "%s%s",
                                 i ? ", " : "", w->columns[i]);
    }

    for (i = 0; i < w->n && len < sizeof(sql); i++) {
        len += (size_t) snprintf(sql + len, sizeof(sql) - len, "%s?",
                                 i ? ", " : ") VALUES (");
    }

    n = snprintf(sql + len, len < sizeof(sql) ? sizeof(sql) - len : 0,
                 "%s", w->n ? ")" : ") VALUES ()");

    if (len >= sizeof(sql) || n < 0 || (size_t) n >= sizeof(sql) - len) {
        snprintf(err, errlen, "INSERT too large");
        return ADMIND_ERROR;
    }

    return admind_db_exec(mysql, sql, w->params, w->n, res, err, errlen);
}


int
admind_write_update(MYSQL *mysql, const char *table, admind_write_t *w,
    uint64_t id, char *err, size_t errlen)
{
    return admind_write_update_if(mysql, table, w, id, 0, err, errlen);
}


int
admind_write_update_if(MYSQL *mysql, const char *table, admind_write_t *w,
    uint64_t id, long long version, char *err, size_t errlen)
{
    int                 n;
    char                sql[ADMIND_SQL_MAX];
    size_t              len;
    unsigned            i, nparams;
    admind_db_result_t  res;

    if (w->overflow) {
        snprintf(err, errlen, "UPDATE too large");
        return ADMIND_ERROR;
    }

    if (w->n == 0) {
        return ADMIND_OK;
    }

    len = (size_t) snprintf(sql, sizeof(sql), "UPDATE %s SET ", table);

    for (i = 0; i < w->n && len < sizeof(sql); i++) {
        len += (size_t) snprintf(sql + len, sizeof(sql) - len, "%s = ?, ",
                                 w->columns[i]);
    }

    n = snprintf(sql + len, len < sizeof(sql) ? sizeof(sql) - len : 0,
                 "version = version + 1 WHERE id = ?%s",
                 version > 0 ? " AND version = ?" : "");

    if (len >= sizeof(sql) || n < 0 || (size_t) n >= sizeof(sql) - len) {
        snprintf(err, errlen, "UPDATE too large");
        return ADMIND_ERROR;
    }

    nparams = w->n;
    w->params[nparams++] = admind_db_int((long long) id);

    if (version > 0) {
        w->params[nparams++] = admind_db_int(version);
    }

    if (admind_db_exec(mysql, sql, w->params, nparams, &res, err, errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    /* the version always changes, so a matched row is an affected row */
    return version > 0 && res.affected_rows == 0 ? ADMIND_DECLINED
                                                 : ADMIND_OK;
}


int
admind_resource_version(admind_req_t *r, const admind_resource_t *res,
    json_t *body, json_t *before, long long *version)
{
    json_t     *v;
    long long   current;

    *version = 0;

    v = json_object_get(body, "version");
    if (v == NULL) {
        return ADMIND_OK;
    }

    if (admind_fields_number(v, version) != ADMIND_OK || *version < 1
        || *version > 4294967295LL)
    {
        admind_resp_error(r, 400, "invalid_argument", "field \"version\" "
                          "must be the version read (a positive integer)");
        return ADMIND_ERROR;
    }

    if (admind_fields_number(json_object_get(before, "version"), &current)
        == ADMIND_OK
        && current != *version)
    {
        admind_resp_error(r, 409, "conflict", "the %s was changed "
                          "meanwhile (version %lld, not %lld): read it "
                          "again", res->name, current, *version);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


int
admind_resource_conflict(admind_req_t *r, const admind_resource_t *res,
    uint64_t id)
{
    return admind_resp_error(r, 409, "conflict", "%s %llu was changed "
                             "meanwhile: read it again", res->name,
                             (unsigned long long) id);
}


json_t *
admind_json_int64(long long v)
{
    char  buf[24];

    snprintf(buf, sizeof(buf), "%lld", v);

    return json_string(buf);
}


int
admind_resource_json_column(json_t *row, const char *name, const char *dflt)
{
    json_t        *v, *parsed;
    const char    *text;
    json_error_t   error;

    v = json_object_get(row, name);
    text = json_is_string(v) ? json_string_value(v) : dflt;

    parsed = json_loads(text, JSON_DECODE_ANY, &error);
    if (parsed == NULL) {
        return ADMIND_ERROR;
    }

    json_object_set_new(row, name, parsed);

    return ADMIND_OK;
}


void
admind_resource_bool_column(json_t *row, const char *name)
{
    json_t  *v;

    v = json_object_get(row, name);

    if (json_is_integer(v)) {
        json_object_set_new(row, name,
                            json_boolean(json_integer_value(v) != 0));
    }
}


uint64_t
admind_resource_id(json_t *obj, const char *name)
{
    long long  n;

    if (admind_fields_number(json_object_get(obj, name), &n) != ADMIND_OK
        || n < 1)
    {
        return 0;
    }

    return (uint64_t) n;
}
