/*
 * QuotaLane admind: what every REST resource shares.
 *
 * A resource describes each field once, in its field table
 * (admind_fields.h): the request rules, the column it is stored in as it
 * comes and how a row reads it; the SELECT is made from that table (ids
 * and 64-bit integers cast to strings, times in RFC 3339), plus a fixup
 * for what SQL cannot shape (JSON columns, booleans, the gateway's
 * state).  Resources without a field table give their SELECT as is.
 * List and get handlers, the error mapping of MySQL failures,
 * transactions, INSERTs and partial UPDATEs are then the same code for
 * all resources; writes run through admind_writer.h.
 */

#ifndef _ADMIND_RESOURCE_H_INCLUDED_
#define _ADMIND_RESOURCE_H_INCLUDED_


#include <mysql.h>
#include <jansson.h>

#include "admind.h"
#include "admind_db_stmt.h"
#include "admind_fields.h"


#define ADMIND_WRITE_MAX       40
#define ADMIND_SQL_MAX         2048


/* a list query parameter that filters rows: ?userId=12 */
typedef struct {
    const char           *param;
    const char           *column;      /* "k.user_id" */
    admind_field_type_e   type;        /* ADMIND_FIELD_ID or _STRING */
} admind_filter_t;


/* a field a list may be sorted by: ?orderBy=createdAt desc */
typedef struct {
    const char  *field;                /* "createdAt" */
    const char  *column;               /* "k.created_at", a constant */
} admind_order_t;


/* a unique index and the field a duplicate in it is about */
typedef struct {
    const char  *index;                /* "uk_users_username" */
    const char  *field;                /* "username" */
} admind_unique_t;


typedef int (*admind_resource_fixup_pt)(json_t *row);


typedef struct {
    const char                *name;       /* "api key": messages */
    const char                *kind;       /* "api_key": audit_log */
    const char                *plural;     /* "apiKeys": list member */
    const char                *select;     /* "SELECT ... FROM t x" */
    const char                *id_column;  /* "x.id" */
    const char                *from;       /* "FROM t x", for COUNT(*) */
    const admind_filter_t     *filters;    /* NULL-terminated, or NULL */
    const admind_unique_t     *uniques;    /* NULL-terminated, or NULL */
    admind_resource_fixup_pt   fixup;      /* or NULL */

    /* with a field table, select is NULL: it is made from the fields */
    const admind_field_t      *fields;
} admind_resource_t;


/*
 * The resource's SELECT: its own, or made once from its field table
 * (each field's read expression AS its name, then from).  NULL if out of
 * memory.
 */
const char *admind_resource_select(const admind_resource_t *res);


/* columns and values of one INSERT or UPDATE */
typedef struct {
    unsigned           n;
    const char        *columns[ADMIND_WRITE_MAX];
    /* and the id and version of an UPDATE */
    admind_db_param_t  params[ADMIND_WRITE_MAX + 2];
    unsigned           overflow:1;
} admind_write_t;


/* the thread's connection, or NULL after answering 503 */
MYSQL *admind_resource_db(admind_req_t *r);

/* the request body checked against fields, or NULL after answering 400 */
json_t *admind_resource_body(admind_req_t *r, const admind_field_t *fields,
    admind_fields_mode_e mode);

/*
 * One row in the API shape: ADMIND_OK with *obj, ADMIND_DECLINED when no
 * such row, ADMIND_ERROR with err.
 */
int admind_resource_load(MYSQL *mysql, const admind_resource_t *res,
    uint64_t id, json_t **obj, char *err, size_t errlen);

/*
 * GET /things: pageSize, pageToken and the resource's filters.  Rows of
 * a resource with a "userId" filter belong to that user: for any caller
 * but an admin the filter is forced to the caller (another userId
 * answers 403), so a route open to users lists only their own rows.
 */
int admind_resource_list(admind_req_t *r, const admind_resource_t *res);

/*
 * The same with orderBy (AIP-132): "field [asc|desc]" items separated by
 * commas, each field one of orders (NULL-terminated; "id" is always
 * allowed), anything else 400 naming it.  The id breaks ties, so pages
 * stay stable.  admind_resource_list() allows "id" only.
 */
int admind_resource_list_ordered(admind_req_t *r,
    const admind_resource_t *res, const admind_order_t *orders);

/*
 * "ORDER BY ..." into buf from the query's orderBy (AIP-132): items
 * "field [asc|desc]" separated by commas, each field one of orders
 * (NULL-terminated, or NULL) or tie_field; tie_column ends the clause
 * unless tie_field was named, so equal rows keep one order.  Anything
 * else answers 400 naming it ("what cannot be sorted by ...") and
 * returns ADMIND_ERROR.  Columns are constants of the caller's.
 */
int admind_resource_order_by(admind_req_t *r, const char *what,
    const admind_order_t *orders, const char *tie_field,
    const char *tie_column, char *buf, size_t size);

/*
 * GET /things/{id}; for users, a row with another "userId" is 404 like a
 * row that does not exist (ids of other users' rows are not confirmed)
 */
int admind_resource_get(admind_req_t *r, const admind_resource_t *res);

/*
 * Answers a failed statement: 409 for a duplicate (naming the field) or
 * a row still referenced, 503 for a lost connection or a lock timeout,
 * 500 otherwise (logged).  Returns the status.
 */
/*
 * The row as admind_resource_load() reads it, or the answer given: 404
 * for no such row, the database error otherwise (ADMIND_ERROR).
 */
int admind_resource_load_answer(admind_req_t *r, const admind_resource_t *res,
    MYSQL *mysql, uint64_t id, json_t **obj);

int admind_resource_db_error(admind_req_t *r, const admind_resource_t *res,
    const char *err);

/*
 * Whether the row id exists in table (a constant name, never input); on
 * a database error the request is answered and ADMIND_ERROR returned.
 * With lock, the row is locked in share mode until the transaction ends,
 * so it cannot go away before the referencing row commits.
 */
int admind_resource_exists(admind_req_t *r, MYSQL *mysql,
    const admind_resource_t *res, const char *table, uint64_t id,
    int *exists);

/* START TRANSACTION / COMMIT (answering on error) / ROLLBACK */
int admind_resource_begin(admind_req_t *r, MYSQL *mysql);
int admind_resource_commit(admind_req_t *r, MYSQL *mysql);
void admind_resource_rollback(MYSQL *mysql);

/*
 * Values point to memory the caller keeps until the statement ran (the
 * body, local buffers).  admind_write_fields() adds the body's fields
 * that have a column, null as SQL NULL.
 */
void admind_write_init(admind_write_t *w);
void admind_write_set(admind_write_t *w, const char *column,
    admind_db_param_t value);
void admind_write_fields(admind_write_t *w, json_t *body,
    const admind_field_t *fields);

/* "INSERT INTO table (a, b) VALUES (?, ?)" */
int admind_write_insert(MYSQL *mysql, const char *table, admind_write_t *w,
    admind_db_result_t *res, char *err, size_t errlen);

/*
 * "UPDATE table SET a = ?, version = version + 1 WHERE id = ?"; nothing
 * at all when no column was set (an empty PATCH keeps updated_at).
 */
int admind_write_update(MYSQL *mysql, const char *table, admind_write_t *w,
    uint64_t id, char *err, size_t errlen);

/*
 * Optimistic concurrency.  Mutable rows have a version column that every
 * UPDATE increments, shown as "version" (a uint32, a JSON number).  An
 * update body may send back the version it read: field tables list
 * "version" as output (so a GET result can be sent back as is) and
 * admind_resource_version() reads it from the body, 0 when absent (the
 * update is then unconditional), answering 400 when it is no version and
 * 409 when before (the row loaded in the update's transaction) has
 * another one.  admind_write_update_if() makes the UPDATE itself
 * conditional, so that a change committed between the load and the
 * UPDATE is caught too: ADMIND_DECLINED when the row had another
 * version, answered by admind_resource_conflict().
 */
int admind_resource_version(admind_req_t *r, const admind_resource_t *res,
    json_t *body, json_t *before, long long *version);
int admind_write_update_if(MYSQL *mysql, const char *table,
    admind_write_t *w, uint64_t id, long long version, char *err,
    size_t errlen);
int admind_resource_conflict(admind_req_t *r, const admind_resource_t *res,
    uint64_t id);

/* int64 values go out as JSON strings (proto3 JSON mapping) */
json_t *admind_json_int64(long long v);

/* for fixups: a column holding JSON text replaced by its value */
int admind_resource_json_column(json_t *row, const char *name,
    const char *dflt);

/* for fixups: a 0/1 column replaced by false/true */
void admind_resource_bool_column(json_t *row, const char *name);

/* the id of a row in the API shape ("id":"12") */
uint64_t admind_resource_id(json_t *obj, const char *name);


#endif /* _ADMIND_RESOURCE_H_INCLUDED_ */
