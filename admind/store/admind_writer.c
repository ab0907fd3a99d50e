/*
 * QuotaLane admind: the write transaction of a resource (admind_writer.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admind_request.h"
#include "admind_response.h"
#include "admind_audit.h"
#include "admind_auth.h"
#include "admind_writer.h"


static const char *const  admind_writer_actions[] = {
    "create", "update", "delete"
};


/* the row of an update or delete, and whether the caller may change it */
static int
admind_writer_before(admind_writer_op_t *op)
{
    int                       rc;
    admind_req_t             *r;
    const admind_writer_t    *wr;
    const admind_resource_t  *res;

    r = op->r;
    wr = op->writer;
    res = wr->res;

    rc = admind_resource_load(op->mysql, res, op->id, &op->before, op->err,
                              sizeof(op->err));

    /* another user's row is no different from none */
    if (rc == ADMIND_DECLINED
        || (rc == ADMIND_OK && wr->owner != NULL
            && !admind_auth_owns(r, admind_resource_id(op->before,
                                                       wr->owner))))
    {
        admind_resp_error(r, 404, "not_found", "no %s %llu", res->name,
                          (unsigned long long) op->id);
        return ADMIND_ERROR;
    }

    if (rc != ADMIND_OK) {
        return ADMIND_ERROR;
    }

    if (op->op == ADMIND_WRITER_UPDATE) {
        return admind_resource_version(r, res, op->body, op->before,
                                       &op->version);
    }

    return ADMIND_OK;
}


/* the INSERT, conditional UPDATE or DELETE of the row itself */
static int
admind_writer_row(admind_writer_op_t *op)
{
    int                     rc;
    char                    sql[128];
    admind_db_param_t       params[1];
    admind_db_result_t      res;
    const admind_writer_t  *wr;

    wr = op->writer;

    if (op->op == ADMIND_WRITER_DELETE) {
        snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE id = ?", wr->table);
        params[0] = admind_db_int((long long) op->id);

        return admind_db_exec(op->mysql, sql, params, 1, NULL, op->err,
                              sizeof(op->err));
    }

    admind_write_init(&op->w);
    admind_write_fields(&op->w, op->body, wr->fields);

    if (wr->write != NULL && wr->write(op) != ADMIND_OK) {
        return ADMIND_ERROR;
    }

    if (op->op == ADMIND_WRITER_CREATE) {
        if (admind_write_insert(op->mysql, wr->table, &op->w, &res, op->err,
                                sizeof(op->err))
            != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }

        op->id = res.insert_id;

        return ADMIND_OK;
    }

    rc = admind_write_update_if(op->mysql, wr->table, &op->w, op->id,
                                op->version, op->err, sizeof(op->err));

    if (rc == ADMIND_DECLINED) {
        admind_resource_conflict(op->r, wr->res, op->id);
        return ADMIND_ERROR;
    }

    return rc;
}


static int
admind_writer_run(admind_req_t *r, const admind_writer_t *wr,
    admind_writer_op_e kind, void *data)
{
    admind_writer_op_t  op;

    memset(&op, 0, sizeof(op));

    op.r = r;
    op.writer = wr;
    op.op = kind;
    op.data = data;

    if (kind != ADMIND_WRITER_CREATE
        && admind_req_param_id(r, "id", &op.id) != ADMIND_OK)
    {
        goto done;
    }

    if (kind != ADMIND_WRITER_DELETE) {
        op.body = admind_req_json(r);

        if (op.body == NULL
            || (wr->shape != NULL && wr->shape(&op) != ADMIND_OK)
            || admind_fields_check(r, wr->fields, op.body,
                                   kind == ADMIND_WRITER_CREATE
                                   ? ADMIND_FIELDS_CREATE
                                   : ADMIND_FIELDS_UPDATE)
               != ADMIND_OK)
        {
            goto done;
        }
    }

    if (wr->prepare != NULL && wr->prepare(&op) != ADMIND_OK) {
        goto done;
    }

    op.mysql = admind_resource_db(r);
    if (op.mysql == NULL || admind_resource_begin(r, op.mysql) != ADMIND_OK) {
        op.mysql = NULL;
        goto done;
    }

    if ((kind != ADMIND_WRITER_CREATE && admind_writer_before(&op)
                                         != ADMIND_OK)
        || (wr->check != NULL && wr->check(&op) != ADMIND_OK)
        || admind_writer_row(&op) != ADMIND_OK
        || (wr->after != NULL && wr->after(&op) != ADMIND_OK)
        || (kind != ADMIND_WRITER_DELETE
            && admind_resource_load(op.mysql, wr->res, op.id, &op.after,
                                    op.err, sizeof(op.err))
               != ADMIND_OK)
        || admind_audit_write(op.mysql, r, admind_writer_actions[kind],
                              wr->res->kind, op.id, op.before, op.after,
                              op.err, sizeof(op.err))
           != ADMIND_OK)
    {
        goto failed;
    }

    /* a failed COMMIT is rolled back and answered */
    if (admind_resource_commit(r, op.mysql) != ADMIND_OK) {
        goto done;
    }

    if (wr->publish != NULL) {
        wr->publish(&op);
    }

    if (kind == ADMIND_WRITER_DELETE) {
        admind_resp_empty(r, 204);

    } else {
        admind_resp_json(r, kind == ADMIND_WRITER_CREATE ? 201 : 200,
                         op.after);
        op.after = NULL;
    }

    goto done;

failed:

    /* hooks answer what they refuse; a failed statement is answered here */
    if (r->status == 0) {
        admind_resource_db_error(r, wr->res, op.err);
    }

    admind_resource_rollback(op.mysql);

done:

    if (wr->cleanup != NULL) {
        wr->cleanup(&op);
    }

    json_decref(op.body);
    json_decref(op.before);
    json_decref(op.after);

    return r->status;
}


int
admind_writer_create(admind_req_t *r, const admind_writer_t *writer,
    void *data)
{
    return admind_writer_run(r, writer, ADMIND_WRITER_CREATE, data);
}


int
admind_writer_update(admind_req_t *r, const admind_writer_t *writer,
    void *data)
{
    return admind_writer_run(r, writer, ADMIND_WRITER_UPDATE, data);
}


int
admind_writer_delete(admind_req_t *r, const admind_writer_t *writer,
    void *data)
{
    return admind_writer_run(r, writer, ADMIND_WRITER_DELETE, data);
}


json_t *
admind_writer_take(admind_writer_op_t *op, const char *name)
{
    json_t  *v;

    v = json_incref(json_object_get(op->body, name));
    json_object_del(op->body, name);

    return v;
}
