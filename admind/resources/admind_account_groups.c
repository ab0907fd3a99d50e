/*
 * QuotaLane admind: /api/v1/account-groups.
 *
 * A group is a set of accounts of one scheduling pool (its "platform",
 * a pool of ql_account_type.c: "claude", "azure", ...) that API keys
 * can be bound to; its hot state is the set group:<id>:accounts, written
 * with the accounts themselves.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ql_account_type.h"
#include "admind_log.h"
#include "admind_request.h"
#include "admind_response.h"
#include "admind_routes.h"
#include "admind_time.h"
#include "admind_resource.h"
#include "admind_audit.h"
#include "admind_hotstate.h"
#include "admind_writer.h"


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


/* the pool is fixed: the accounts in the group must all join it */
static const admind_field_t  admind_account_groups_fields[] = {
    ADMIND_F_ROW_ID("g"),
    ADMIND_F_STRING("name", "name", ADMIND_FIELD_REQUIRED | ADMIND_FIELD_LINE,
      1, 128),
    ADMIND_F_STRING("platform", "platform",
      ADMIND_FIELD_REQUIRED | ADMIND_FIELD_IMMUTABLE | ADMIND_FIELD_LINE, 1,
      32),
    ADMIND_F_STRING("description", "description", ADMIND_FIELD_NULLABLE, 0,
      1024),
    ADMIND_F_ROW_CREATED("g"),
    ADMIND_F_ROW_UPDATED("g"),
    ADMIND_F_ROW_VERSION("g"),
    ADMIND_F_END
};


static const admind_filter_t  admind_account_groups_filters[] = {
    { "platform", "g.platform", ADMIND_FIELD_STRING },
    { NULL, NULL, 0 }
};


static const admind_unique_t  admind_account_groups_uniques[] = {
    { "uk_account_groups_name", "name" },
    { NULL, NULL }
};


static const admind_order_t  admind_account_groups_orders[] = {
    { "name", "g.name" },
    { "createdAt", "g.created_at" },
    { "updatedAt", "g.updated_at" },
    { NULL, NULL }
};


static const admind_resource_t  admind_account_groups_resource = {
    "account group", "account_group", "accountGroups",

    NULL,

    "g.id", "FROM account_groups g", admind_account_groups_filters,
    admind_account_groups_uniques, NULL, admind_account_groups_fields
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


/* the platform is a pool the gateway schedules from */
static int
admind_account_groups_prepare(admind_writer_op_t *op)
{
    char              names[256];
    size_t            i, len;
    const char       *platform;
    const ql_pool_t  *p;

    if (op->op != ADMIND_WRITER_CREATE) {
        return ADMIND_OK;
    }

    platform = admind_fields_str(op->body, "platform", "");

    if (ql_pool_by_name((const unsigned char *) platform, strlen(platform))
        == NULL)
    {
        len = 0;
        names[0] = '\0';

        for (i = 0; (p = ql_pool_at(i)) != NULL && len < sizeof(names); i++)
        {
            len += (size_t) snprintf(names + len, sizeof(names) - len,
                                     "%s%s", len ? ", " : "", p->name);
        }

        admind_resp_error(op->r, 400, "invalid_argument", "field "
                          "\"platform\" must be one of: %s", names);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


/*
 * Accounts leave a deleted group and keys bound to it lose the binding
 * (both ON DELETE SET NULL); the keys' records must say so.
 */
static int
admind_account_groups_check(admind_writer_op_t *op)
{
    admind_db_param_t  params[1];

    if (op->op != ADMIND_WRITER_DELETE) {
        return ADMIND_OK;
    }

    params[0] = admind_db_int((long long) op->id);

    return admind_db_select(op->mysql, "SELECT id FROM api_keys "
                            "WHERE group_id = ? FOR UPDATE", params, 1,
                            (json_t **) op->data, op->err, sizeof(op->err));
}


/* an empty group has no set in Redis: only a delete publishes */
static void
admind_account_groups_publish(admind_writer_op_t *op)
{
    json_t  *keys, *key;
    size_t   i;

    if (op->op != ADMIND_WRITER_DELETE) {
        return;
    }

    admind_hotstate_group_deleted(op->id);

    keys = *(json_t **) op->data;

    json_array_foreach(keys, i, key) {
        admind_hotstate_key(op->mysql, admind_resource_id(key, "id"));
    }
}


/* the state of a write is the keys bound to a deleted group */
static void
admind_account_groups_cleanup(admind_writer_op_t *op)
{
    json_decref(*(json_t **) op->data);
}


static const admind_writer_t  admind_account_groups_writer = {
    &admind_account_groups_resource, "account_groups",
    admind_account_groups_fields, NULL,
    NULL, admind_account_groups_prepare, admind_account_groups_check, NULL,
    NULL, admind_account_groups_publish, admind_account_groups_cleanup
};


static int
admind_account_groups_create(admind_req_t *r)
{
    json_t  *keys;

    keys = NULL;

    return admind_writer_create(r, &admind_account_groups_writer, &keys);
}


static int
admind_account_groups_update(admind_req_t *r)
{
    json_t  *keys;

    keys = NULL;

    return admind_writer_update(r, &admind_account_groups_writer, &keys);
}


static int
admind_account_groups_delete(admind_req_t *r)
{
    json_t  *keys;

    keys = NULL;

    return admind_writer_delete(r, &admind_account_groups_writer, &keys);
}
