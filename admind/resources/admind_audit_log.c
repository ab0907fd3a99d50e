/*
 * QuotaLane admind: GET /api/v1/audit-log, the trail of admin writes.
 *
 * Rows are written by admind_audit_write() in the transaction of each
 * change; this is their read side, admins only.  "before" and "after"
 * are the resource as the API showed it, without secrets.
 */

#include <stdio.h>

#include "admind_request.h"
#include "admind_response.h"
#include "admind_routes.h"
#include "admind_time.h"
#include "admind_resource.h"


static int admind_audit_log_list(admind_req_t *r);
static int admind_audit_log_get(admind_req_t *r);


const admind_route_t  admind_audit_log_routes[] = {
    { "GET", "/api/v1/audit-log", admind_audit_log_list, 0,
      ADMIND_ROLE_ADMIN },
    { "GET", "/api/v1/audit-log/{id}", admind_audit_log_get, 0,
      ADMIND_ROLE_ADMIN },
    { NULL, NULL, NULL, 0, 0 }
};


static const admind_filter_t  admind_audit_log_filters[] = {
    { "resource", "l.resource", ADMIND_FIELD_STRING },
    { "resourceId", "l.resource_id", ADMIND_FIELD_STRING },
    { "actorUserId", "l.actor_user_id", ADMIND_FIELD_ID },
    { "action", "l.action", ADMIND_FIELD_STRING },
    { NULL, NULL, 0 }
};


static int
admind_audit_log_fixup(json_t *row)
{
    if (admind_resource_json_column(row, "before", "null") != ADMIND_OK
        || admind_resource_json_column(row, "after", "null") != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


static const admind_resource_t  admind_audit_log_resource = {
    "audit entry", "audit_entry", "entries",

    "SELECT CAST(l.id AS CHAR) AS id, "
    ADMIND_SQL_TIME("l.ts", "ts") ", "
    "CAST(l.actor_user_id AS CHAR) AS actorUserId, "
    "l.actor_name AS actorName, l.action, l.resource, "
    "l.resource_id AS resourceId, l.before_json AS `before`, "
    "l.after_json AS `after`, l.remote_addr AS remoteAddr "
    "FROM audit_log l",

    "l.id", "FROM audit_log l", admind_audit_log_filters, NULL,
    admind_audit_log_fixup, NULL
};


/* "id desc": the newest first */
static const admind_order_t  admind_audit_log_orders[] = {
    { "ts", "l.ts" },
    { NULL, NULL }
};


static int
admind_audit_log_list(admind_req_t *r)
{
    return admind_resource_list_ordered(r, &admind_audit_log_resource,
                                        admind_audit_log_orders);
}


static int
admind_audit_log_get(admind_req_t *r)
{
    return admind_resource_get(r, &admind_audit_log_resource);
}
