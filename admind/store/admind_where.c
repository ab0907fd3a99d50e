/*
 * QuotaLane admind: WHERE clauses from list query parameters.
 */

#include <stdio.h>
#include <string.h>

#include "admind_log.h"
#include "admind_db.h"
#include "admind_fields.h"
#include "admind_request.h"
#include "admind_response.h"
#include "admind_time.h"
#include "admind_where.h"


void
admind_where_init(admind_where_t *w)
{
    w->sql[0] = '\0';
    w->n = 0;
    w->overflow = 0;
}


void
admind_where_add(admind_where_t *w, const char *cond,
    admind_db_param_t value)
{
    int     n;
    size_t  len;

    if (w->n == ADMIND_WHERE_MAX) {
        w->overflow = 1;
        return;
    }

    len = strlen(w->sql);

    n = snprintf(w->sql + len, sizeof(w->sql) - len, "%s%s",
                 w->n ? " AND " : " WHERE ", cond);

    if (n < 0 || (size_t) n >= sizeof(w->sql) - len) {
        w->sql[len] = '\0';
        w->overflow = 1;
        return;
    }

    w->params[w->n++] = value;
}


/* "column = ?" */
static void
admind_where_eq(admind_where_t *w, const char *column,
    admind_db_param_t value)
{
    char  cond[256];

    snprintf(cond, sizeof(cond), "%s = ?", column);
    admind_where_add(w, cond, value);
}


/* a decimal id >= 1, as in a path ({id}) or an id field */
static int
admind_where_parse_id(const char *s, long long *id)
{
    int      rc;
    json_t  *v;

    v = json_string(s);
    if (v == NULL) {
        return ADMIND_ERROR;
    }

    rc = admind_fields_number(v, id);
    json_decref(v);

    return rc == ADMIND_OK && *id >= 1 ? ADMIND_OK : ADMIND_ERROR;
}


int
admind_where_id(admind_where_t *w, admind_req_t *r, const char *param,
    const char *column)
{
    long long    id;
    const char  *s;

    s = admind_req_query(r, param);
    if (s == NULL) {
        return ADMIND_OK;
    }

    if (admind_where_parse_id(s, &id) != ADMIND_OK) {
        admind_resp_error(r, 400, "invalid_argument",
                          "query parameter \"%s\" must be an id", param);
        return ADMIND_ERROR;
    }

    admind_where_eq(w, column, admind_db_int(id));

    return ADMIND_OK;
}


int
admind_where_str(admind_where_t *w, admind_req_t *r, const char *param,
    const char *column, size_t max)
{
    const char  *s;

    s = admind_req_query(r, param);
    if (s == NULL) {
        return ADMIND_OK;
    }

    if (strlen(s) > max) {
        admind_resp_error(r, 400, "invalid_argument",
                          "query parameter \"%s\" is too long", param);
        return ADMIND_ERROR;
    }

    admind_where_eq(w, column, admind_db_str(s));

    return ADMIND_OK;
}


static int
admind_where_time(admind_where_t *w, admind_req_t *r, const char *param,
    const char *column, const char *op)
{
    char         cond[256];
    time_t       t;
    const char  *s;

    s = admind_req_query(r, param);
    if (s == NULL) {
        return ADMIND_OK;
    }

    if (admind_time_parse(s, &t) != ADMIND_OK) {
        admind_resp_error(r, 400, "invalid_argument", "query parameter "
                          "\"%s\" must be an RFC 3339 time", param);
        return ADMIND_ERROR;
    }

    if (w->n == ADMIND_WHERE_MAX) {
        w->overflow = 1;
        return ADMIND_OK;
    }

    admind_time_sql(t, w->buf[w->n], ADMIND_WHERE_BUF);
    snprintf(cond, sizeof(cond), "%s %s ?", column, op);
    admind_where_add(w, cond, admind_db_str(w->buf[w->n]));

    return ADMIND_OK;
}


int
admind_where_range(admind_where_t *w, admind_req_t *r, const char *column)
{
    if (admind_where_time(w, r, "from", column, ">=") != ADMIND_OK
        || admind_where_time(w, r, "to", column, "<") != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


int
admind_where_owner_id(admind_req_t *r, const char *param, uint64_t *id)
{
    long long    n;
    const char  *s;

    *id = 0;
    s = admind_req_query(r, param);

    if (r->auth.role == ADMIND_ROLE_ADMIN) {
        if (s == NULL) {
            return ADMIND_OK;
        }

        if (admind_where_parse_id(s, &n) != ADMIND_OK) {
            admind_resp_error(r, 400, "invalid_argument",
                              "query parameter \"%s\" must be an id", param);
            return ADMIND_ERROR;
        }

        *id = (uint64_t) n;

        return ADMIND_OK;
    }

    if (s != NULL
        && (admind_where_parse_id(s, &n) != ADMIND_OK
            || (uint64_t) n != r->auth.id))
    {
        admind_resp_error(r, 403, "forbidden", "a user sees only their own "
                          "records: \"%s\" must be your own id or absent",
                          param);
        return ADMIND_ERROR;
    }

    *id = r->auth.id;

    return ADMIND_OK;
}


int
admind_where_owner(admind_where_t *w, admind_req_t *r, const char *param,
    const char *column)
{
    uint64_t  id;

    if (admind_where_owner_id(r, param, &id) != ADMIND_OK) {
        return ADMIND_ERROR;
    }

    if (id != 0) {
        admind_where_eq(w, column, admind_db_int((long long) id));
    }

    return ADMIND_OK;
}

json_t *
admind_where_next_token(const admind_page_t *page, size_t got,
    long long total)
{
    char  token[ADMIND_PAGE_TOKEN_LEN];

    token[0] = '\0';

    if (got == page->size
        && page->offset + got < (unsigned long long) total)
    {
        admind_page_token(page->offset + page->size, token);
    }

    return json_string(token);
}


int
admind_where_list(admind_req_t *r, const admind_resource_t *res,
    admind_where_t *w)
{
    return admind_where_list_ordered(r, res, w, NULL);
}


int
admind_where_list_ordered(admind_req_t *r, const admind_resource_t *res,
    admind_where_t *w, const admind_order_t *orders)
{
    int             found;
    char            err[ADMIND_ERRLEN], sql[ADMIND_SQL_MAX * 2];
    char            order[256];
    MYSQL          *mysql;
    json_t         *rows, *row, *body;
    size_t          i;
    long long       total;
    admind_page_t   page;

    if (admind_req_page(r, &page) != ADMIND_OK) {
        return r->status;
    }

    if (w->overflow || w->n + 2 > ADMIND_WHERE_MAX) {
        return admind_resp_error(r, 400, "invalid_argument",
                                 "too many filters");
    }

    if (orders == NULL) {
        snprintf(order, sizeof(order), "ORDER BY %s", res->id_column);

    } else if (admind_resource_order_by(r, res->plural, orders, "id",
                                        res->id_column, order,
                                        sizeof(order))
               != ADMIND_OK)
    {
        return r->status;
    }

    /* the caller asked for its filters before */
    if (admind_req_query_known(r) != ADMIND_OK) {
        return r->status;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL) {
        return r->status;
    }

    snprintf(sql, sizeof(sql), "SELECT COUNT(*) %s%s", res->from, w->sql);

    if (admind_db_select_int(mysql, sql, w->params, w->n, &total, &found,
                             err, sizeof(err))
        != ADMIND_OK)
    {
        return admind_resource_db_error(r, res, err);
    }

    snprintf(sql, sizeof(sql), "%s%s %s LIMIT ? OFFSET ?",
             admind_resource_select(res), w->sql, order);

    w->params[w->n] = admind_db_int(page.size);
    w->params[w->n + 1] = admind_db_int((long long) page.offset);

    if (admind_db_select(mysql, sql, w->params, w->n + 2, &rows, err,
                         sizeof(err))
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

    body = json_object();
    if (body == NULL) {
        json_decref(rows);
        return admind_resp_error(r, 500, "internal_error", "out of memory");
    }

    json_object_set_new(body, res->plural, rows);
    json_object_set_new(body, "nextPageToken",
                        admind_where_next_token(&page, json_array_size(rows),
                                                total));
    json_object_set_new(body, "totalSize", admind_json_int64(total));

    return admind_resp_json(r, 200, body);
}
