/*
 * QuotaLane admind: the write transaction of a resource.
 *
 * Creating, updating and deleting a row is one sequence for every
 * resource: body checked against the field table, a transaction, the
 * row loaded (404 when missing, and for a user when it is somebody
 * else's), the version checked, the row written and loaded again, the
 * audit row, COMMIT, the hot state published, the answer; and on every
 * error a ROLLBACK with the right answer.  The runner does all of it; a
 * resource gives a writer: its table and field table, and small hooks
 * for what is its own (in the spirit of GNU Taler's
 * TEH_DB_run_transaction), run in the order of admind_writer_t.
 *
 * Hooks get the operation and return ADMIND_OK to go on or ADMIND_ERROR
 * to stop: after answering the request themselves, or with op->err set
 * by a failed statement, which the runner answers (409 for duplicates,
 * 503, 500: admind_resource_db_error()).  All hooks may be NULL.
 */

#ifndef _ADMIND_WRITER_H_INCLUDED_
#define _ADMIND_WRITER_H_INCLUDED_


#include <mysql.h>
#include <jansson.h>

#include "admind.h"
#include "admind_resource.h"


typedef enum {
    ADMIND_WRITER_CREATE = 0,
    ADMIND_WRITER_UPDATE,
    ADMIND_WRITER_DELETE
} admind_writer_op_e;


typedef struct admind_writer_op_s  admind_writer_op_t;

typedef int (*admind_writer_hook_pt)(admind_writer_op_t *op);
typedef void (*admind_writer_done_pt)(admind_writer_op_t *op);


typedef struct {
    const admind_resource_t  *res;
    const char               *table;    /* "plans", a constant */
    const admind_field_t     *fields;   /* with the columns (fields.h) */

    /*
     * Rows owned by a user (this id field, "userId"): another user's row
     * is 404 to a caller who is not an admin, as if it did not exist.
     */
    const char               *owner;

    /* the raw body before the field check (defaults, fields taken out) */
    admind_writer_hook_pt     shape;
    /* before the transaction: checks, hashing, DNS */
    admind_writer_hook_pt     prepare;
    /* in the transaction, before the write: policy, referenced rows */
    admind_writer_hook_pt     check;
    /* the columns not stored as they come, into op->w */
    admind_writer_hook_pt     write;
    /* statements that follow the write, before the row is read again */
    admind_writer_hook_pt     after;
    /* after COMMIT: Redis; a failure is repaired by a resync */
    admind_writer_done_pt     publish;
    /* always, last: wipe secrets, free what the hooks allocated */
    admind_writer_done_pt     cleanup;
} admind_writer_t;


struct admind_writer_op_s {
    admind_req_t            *r;
    const admind_writer_t   *writer;
    admind_writer_op_e       op;
    MYSQL                   *mysql;     /* NULL before the transaction */

    uint64_t                 id;        /* of an update or delete; insert */
    long long                version;   /* the version sent back, or 0 */

    json_t                  *body;      /* NULL for a delete */
    json_t                  *before;    /* NULL for a create */
    json_t                  *after;     /* NULL for a delete */

    admind_write_t           w;
    char                     err[ADMIND_ERRLEN];

    /* the resource's own state, zeroed by the caller (cleanup sees it) */
    void                    *data;
};


/* POST /things: 201 with the new row */
int admind_writer_create(admind_req_t *r, const admind_writer_t *writer,
    void *data);

/* PATCH /things/{id}: 200 with the row as changed */
int admind_writer_update(admind_req_t *r, const admind_writer_t *writer,
    void *data);

/* DELETE /things/{id}: 204 */
int admind_writer_delete(admind_req_t *r, const admind_writer_t *writer,
    void *data);


/*
 * For a shape hook: takes member name out of the body (a field the table
 * cannot describe, checked by the resource itself); a new reference, or
 * NULL if absent.
 */
json_t *admind_writer_take(admind_writer_op_t *op, const char *name);


#endif /* _ADMIND_WRITER_H_INCLUDED_ */
