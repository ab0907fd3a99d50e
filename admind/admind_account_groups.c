/*
 * QuotaLane admind: /api/v1/account-groups.
 *
 * A group is a pool of accounts of one platform that API keys can be
 * bound to; its hot state is the set group:<id>:accounts, written with
 * the accounts themselves.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ql_platform.h"
#include "admind_log.h"
#include "admind_request.h"
#include "admind_response.h"
#include "admind_routes.h"
#include "admind_time.h"
#include "admind_resource.h"
#include "admind_audit.h"
#include "admind_hotstate.h"


static int admind_account_groups_list(admind_req_t *r);
static int admind_account_groups_get(admind_req_t *r);
static int admind_account_groups_create(admind_req_t *r);
static int admind_account_groups_update(admind_req_t *r);
static int admind_account_groups_delete(admind_req_t *r);


const admind_route_t  admind_account_groups_routes[] = {
    { "GET", "/api/v1/account-groups", admind_account_groups_list, 0,
      ADMIND_ROLE_ADMIN },
    { "POST", "/api/v1/account-groups", admind_account_groups_create, 0,
      ADMIND_ROLE_ADMIN },
    { "GET", "/api/v1/account-groups/{id}", admind_account_groups_get, 0,
      ADMIND_ROLE_ADMIN },
    { "PATCH", "/api/v1/account-groups/{id}", admind_account_groups_update,
      0, ADMIND_ROLE_ADMIN },
    { "DELETE", "/api/v1/account-groups/{id}",
      admind_account_groups_delete, 0, ADMIND_ROLE_ADMIN },
    { NULL, NULL, NULL, 0, 0 }
};


/* the platform is fixed: the accounts in the group must all serve it */
static const admind_field_t  admind_account_groups_fields[] = {
    { "id", ADMIND_FIELD_ID, ADMIND_FIELD_OUTPUT, 0, 0, NULL, 0 },
    { "name", ADMIND_FIELD_STRING,
      ADMIND_FIELD_REQUIRED | ADMIND_FIELD_LINE, 1, 128, NULL, 0 },
    { "platform", ADMIND_FIELD_STRING,
      ADMIND_FIELD_REQUIRED | ADMIND_FIELD_IMMUTABLE | ADMIND_FIELD_LINE,
      1, 32, NULL, 0 },
    { "description", ADMIND_FIELD_STRING, ADMIND_FIELD_NULLABLE, 0, 1024,
      NULL, 0 },
    { "createdAt", ADMIND_FIELD_TIME, ADMIND_FIELD_OUTPUT, 0, 0, NULL, 0 },
    { "updatedAt", ADMIND_FIELD_TIME, ADMIND_FIELD_OUTPUT, 0, 0, NULL, 0 },
    { "version", ADMIND_FIELD_INT, ADMIND_FIELD_OUTPUT, 0, 0, NULL, 0 },
    { NULL, 0, 0, 0, 0, NULL, 0 }
};


static const admind_filter_t  admind_account_groups_filters[] = {
    { "platform", "g.platform", ADMIND_FIELD_STRING },
    { NULL, NULL, 0 }
};


static const admind_unique_t  admind_account_groups_uniques[] = {
    { "uk_account_groups_name", "name" },
    { NULL, NULL }
};


static const admind_column_t  admind_account_groups_columns[] = {
    { "name", "name", ADMIND_FIELD_STRING },
    { "platform", "platform", ADMIND_FIELD_STRING },
    { "description", "description", ADMIND_FIELD_STRING },
    { NULL, NULL, 0 }
};


static const admind_order_t  admind_account_groups_orders[] = {
    { "name", "g.name" },
    { "createdAt", "g.created_at" },
    { "updatedAt", "g.updated_at" },
    { NULL, NULL }
};


static const admind_resource_t  admind_account_groups_resource = {
    "account group", "account_group", "accountGroups",

    "SELECT CAST(g.id AS CHAR) AS id, g.name, g.platform, g.description, "
    ADMIND_SQL_TIME("g.created_at", "createdAt") ", "
    ADMIND_SQL_TIME("g.updated_at", "updatedAt") ", g.version "
    "FROM account_groups g",

    "g.id", "FROM account_groups g", admind_account_groups_filters,
    admind_account_groups_uniques, NULL
};


static int
admind_account_groups_list(admind_req_t *r)
{
    return admind_resource_list_ordered(r, &admind_account_groups_resource,
                                        admind_account_groups_orders);
}


static int
admind_account_groups_get(admind_req_t *r)
{
    return admind_resource_get(r, &admind_account_groups_resource);
}


static int
admind_account_groups_create(admind_req_t *r)
{
    char                 err[ADMIND_ERRLEN];
    MYSQL               *mysql;
    json_t              *body, *after;
    uint64_t             id;
    const char          *platform;
    admind_write_t       w;
    admind_db_result_t   res;

    body = admind_resource_body(r, admind_account_groups_fields,
                                ADMIND_FIELDS_CREATE);
    if (body == NULL) {
        return r->status;
    }

    platform = admind_fields_str(body, "platform", "");

    if (ql_platform_by_name((const unsigned char *) platform,
                            strlen(platform))
        == NULL)
    {
        json_decref(body);
        return admind_resp_error(r, 400, "invalid_argument", "field "
                                 "\"platform\" must be one of: %s",
                                 ql_platform_names());
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL || admind_resource_begin(r, mysql) != ADMIND_OK) {
        json_decref(body);
        return r->status;
    }

    after = NULL;

    admind_write_init(&w);
    admind_write_fields(&w, body, admind_account_groups_columns);

    if (admind_write_insert(mysql, "account_groups", &w, &res, err,
                            sizeof(err))
        != ADMIND_OK)
    {
        goto failed;
    }

    id = res.insert_id;

    if (admind_resource_load(mysql, &admind_account_groups_resource, id,
                             &after, err, sizeof(err))
        != ADMIND_OK
        || admind_audit_write(mysql, r, "create", "account_group", id, NULL,
                              after, err, sizeof(err))
           != ADMIND_OK)
    {
        goto failed;
    }

    json_decref(body);

    if (admind_resource_commit(r, mysql) != ADMIND_OK) {
        json_decref(after);
        return r->status;
    }

    /* an empty group has no set in Redis: nothing to publish yet */

    return admind_resp_json(r, 201, after);

failed:

    admind_resource_db_error(r, &admind_account_groups_resource, err);
    json_decref(body);
    json_decref(after);
    admind_resource_rollback(mysql);

    return r->status;
}


static int
admind_account_groups_update(admind_req_t *r)
{
    int                  rc;
    char                 err[ADMIND_ERRLEN];
    MYSQL               *mysql;
    json_t              *body, *before, *after;
    uint64_t             id;
    long long            version;
    admind_write_t       w;

    if (admind_req_param_id(r, "id", &id) != ADMIND_OK) {
        return r->status;
    }

    body = admind_resource_body(r, admind_account_groups_fields,
                                ADMIND_FIELDS_UPDATE);
    if (body == NULL) {
        return r->status;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL || admind_resource_begin(r, mysql) != ADMIND_OK) {
        json_decref(body);
        return r->status;
    }

    before = NULL;
    after = NULL;

    rc = admind_resource_load(mysql, &admind_account_groups_resource, id,
                              &before, err, sizeof(err));

    if (rc == ADMIND_DECLINED) {
        admind_resp_error(r, 404, "not_found", "no account group %llu",
                          (unsigned long long) id);
        goto undo;
    }

    if (rc != ADMIND_OK) {
        goto failed;
    }

    if (admind_resource_version(r, &admind_account_groups_resource, body,
                                before, &version)
        != ADMIND_OK)
    {
        goto undo;
    }

    admind_write_init(&w);
    admind_write_fields(&w, body, admind_account_groups_columns);

    rc = admind_write_update_if(mysql, "account_groups", &w, id, version,
                                err, sizeof(err));

    if (rc == ADMIND_DECLINED) {
        admind_resource_conflict(r, &admind_account_groups_resource, id);
        goto undo;
    }

    if (rc != ADMIND_OK
        || admind_resource_load(mysql, &admind_account_groups_resource, id,
                                &after, err, sizeof(err))
           != ADMIND_OK
        || admind_audit_write(mysql, r, "update", "account_group", id,
                              before, after, err, sizeof(err))
           != ADMIND_OK)
    {
        goto failed;
    }

    json_decref(body);
    json_decref(before);

    if (admind_resource_commit(r, mysql) != ADMIND_OK) {
        json_decref(after);
        return r->status;
    }

    return admind_resp_json(r, 200, after);

failed:

    admind_resource_db_error(r, &admind_account_groups_resource, err);

undo:

    json_decref(body);
    json_decref(before);
    json_decref(after);
    admind_resource_rollback(mysql);

    return r->status;
}


static int
admind_account_groups_delete(admind_req_t *r)
{
    int                 rc;
    char                err[ADMIND_ERRLEN];
    MYSQL              *mysql;
    json_t             *before, *keys, *key;
    size_t              i;
    uint64_t            id;
    admind_db_param_t   params[1];

    if (admind_req_param_id(r, "id", &id) != ADMIND_OK) {
        return r->status;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL || admind_resource_begin(r, mysql) != ADMIND_OK) {
        return r->status;
    }

    before = NULL;
    keys = NULL;

    rc = admind_resource_load(mysql, &admind_account_groups_resource, id,
                              &before, err, sizeof(err));

    if (rc == ADMIND_DECLINED) {
        admind_resp_error(r, 404, "not_found", "no account group %llu",
                          (unsigned long long) id);
        goto undo;
    }

    if (rc != ADMIND_OK) {
        goto failed;
    }

    params[0] = admind_db_int((long long) id);

    /*
     * Accounts leave the group and keys bound to it lose the binding
     * (both ON DELETE SET NULL); the keys' records must say so.
     */
    if (admind_db_select(mysql, "SELECT id FROM api_keys "
                         "WHERE group_id = ? FOR UPDATE", params, 1, &keys,
                         err, sizeof(err))
        != ADMIND_OK
        || admind_db_exec(mysql, "DELETE FROM account_groups WHERE id = ?",
                          params, 1, NULL, err, sizeof(err))
           != ADMIND_OK
        || admind_audit_write(mysql, r, "delete", "account_group", id,
                              before, NULL, err, sizeof(err))
           != ADMIND_OK)
    {
        goto failed;
    }

    json_decref(before);

    if (admind_resource_commit(r, mysql) != ADMIND_OK) {
        json_decref(keys);
        return r->status;
    }

    admind_hotstate_group_deleted(id);

    json_array_foreach(keys, i, key) {
        admind_hotstate_key(mysql, admind_resource_id(key, "id"));
    }

    json_decref(keys);

    return admind_resp_empty(r, 204);

failed:

    admind_resource_db_error(r, &admind_account_groups_resource, err);

undo:

    json_decref(before);
    json_decref(keys);
    admind_resource_rollback(mysql);

    return r->status;
}
