/*
 * QuotaLane admind: WHERE clauses from list query parameters.
 *
 * For lists whose filters are more than the equality filters of
 * admind_resource_list(): time ranges, and an owner filter that a
 * user-role caller cannot widen (usage, bills, subscriptions).  Values
 * are always bound parameters; only the column expressions, which are
 * constants of the caller, become SQL text.
 */

#ifndef _ADMIND_WHERE_H_INCLUDED_
#define _ADMIND_WHERE_H_INCLUDED_


#include <jansson.h>

#include "admind.h"
#include "admind_db_stmt.h"
#include "admind_page.h"
#include "admind_resource.h"


#define ADMIND_WHERE_MAX      12
#define ADMIND_WHERE_SQL_MAX  1024

/* room for a DATETIME or an id in text */
#define ADMIND_WHERE_BUF      32


typedef struct {
    char                sql[ADMIND_WHERE_SQL_MAX];     /* "" or " WHERE ..." */
    admind_db_param_t   params[ADMIND_WHERE_MAX];
    unsigned            n;
    char                buf[ADMIND_WHERE_MAX][ADMIND_WHERE_BUF];
    unsigned            overflow:1;
} admind_where_t;


void admind_where_init(admind_where_t *w);

/* "cond" with one '?' for value, joined by AND */
void admind_where_add(admind_where_t *w, const char *cond,
    admind_db_param_t value);

/*
 * Query parameters: absent ones add nothing.  On a bad value a 400
 * naming the parameter is answered and ADMIND_ERROR returned.
 */
int admind_where_id(admind_where_t *w, admind_req_t *r, const char *param,
    const char *column);
int admind_where_str(admind_where_t *w, admind_req_t *r, const char *param,
    const char *column, size_t max);

/* RFC 3339: from is inclusive (column >= ?), to exclusive (column < ?) */
int admind_where_range(admind_where_t *w, admind_req_t *r,
    const char *column);

/*
 * The owner filter: an admin may filter by param (or not at all); a
 * user-role caller always gets their own rows, and asking for somebody
 * else's is a 403.
 */
int admind_where_owner(admind_where_t *w, admind_req_t *r,
    const char *param, const char *column);

/* the same rule as an id: 0 = everybody (admins only) */
int admind_where_owner_id(admind_req_t *r, const char *param,
    uint64_t *id);

/*
 * GET /things with w: pageSize, pageToken, COUNT(*) over res->from,
 * res->select ordered by res->id_column, res->fixup on each row; the
 * answer is {"<plural>":[...],"nextPageToken","totalSize"}.
 */
int admind_where_list(admind_req_t *r, const admind_resource_t *res,
    admind_where_t *w);

/*
 * The same, sorted by orderBy as admind_resource_list_ordered() sorts
 * (orders, NULL-terminated; "id" always allowed and breaking ties).
 */
int admind_where_list_ordered(admind_req_t *r, const admind_resource_t *res,
    admind_where_t *w, const admind_order_t *orders);

/* the token of the page after got rows at page->offset of total */
json_t *admind_where_next_token(const admind_page_t *page, size_t got,
    long long total);


#endif /* _ADMIND_WHERE_H_INCLUDED_ */
