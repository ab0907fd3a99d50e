/*
 * QuotaLane admind: the audit trail of admin writes.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admind_request.h"
#include "admind_db_stmt.h"
#include "admind_audit.h"


/* request fields that carry secrets, whatever the resource */
static const char  *admind_audit_secrets[] = {
    "password", "key", "apiKey", "accessToken", "refreshToken",
    "credential", "credentials", "secret", "token", NULL
};


json_t *
admind_audit_scrub(json_t *obj)
{
    json_t       *copy;
    const char  **name;

    if (obj == NULL) {
        return NULL;
    }

    copy = json_deep_copy(obj);
    if (copy == NULL || !json_is_object(copy)) {
        return copy;
    }

    for (name = admind_audit_secrets; *name != NULL; name++) {
        json_object_del(copy, *name);
    }

    return copy;
}


static char *
admind_audit_dump(json_t *obj)
{
    char    *text;
    json_t  *clean;

    clean = admind_audit_scrub(obj);
    if (clean == NULL) {
        return NULL;
    }

    text = json_dumps(clean, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(clean);

    return text;
}


int
admind_audit_write(MYSQL *mysql, admind_req_t *r, const char *action,
    const char *resource, uint64_t id, json_t *before, json_t *after,
    char *err, size_t errlen)
{
    int                rc;
    char               rid[24], *b, *a;
    admind_db_param_t  params[8];

    b = admind_audit_dump(before);
    a = admind_audit_dump(after);

    if ((before != NULL && b == NULL) || (after != NULL && a == NULL)) {
        free(b);
        free(a);
        snprintf(err, errlen, "out of memory");
        return ADMIND_ERROR;
    }

    snprintf(rid, sizeof(rid), "%llu", (unsigned long long) id);

    params[0] = r->auth.id ? admind_db_int((long long) r->auth.id)
                           : admind_db_null();
    params[1] = r->auth.id ? admind_db_str(r->auth.name) : admind_db_null();
    params[2] = admind_db_str(action);
    params[3] = admind_db_str(resource);
    params[4] = id ? admind_db_str(rid) : admind_db_null();
    params[5] = b ? admind_db_str(b) : admind_db_null();
    params[6] = a ? admind_db_str(a) : admind_db_null();
    params[7] = admind_db_str(r->remote);

    rc = admind_db_exec(mysql, "INSERT INTO audit_log (actor_user_id, "
                        "actor_name, action, resource, resource_id, "
                        "before_json, after_json, remote_addr) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        params, 8, NULL, err, errlen);

    free(b);
    free(a);

    return rc;
}
