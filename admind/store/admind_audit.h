/*
 * QuotaLane admind: the audit trail of admin writes.
 */

#ifndef _ADMIND_AUDIT_H_INCLUDED_
#define _ADMIND_AUDIT_H_INCLUDED_


#include <mysql.h>
#include <jansson.h>

#include "admind.h"


/*
 * One audit_log row, inside the caller's transaction so that the change
 * and its record commit together.  before and after are API shapes of
 * the resource (which never hold secrets); known secret field names are
 * dropped again here all the same.  Either may be NULL.
 */
int admind_audit_write(MYSQL *mysql, admind_req_t *r, const char *action,
    const char *resource, uint64_t id, json_t *before, json_t *after,
    char *err, size_t errlen);

/* a copy of obj without secret fields, for the trail (NULL for NULL) */
json_t *admind_audit_scrub(json_t *obj);


#endif /* _ADMIND_AUDIT_H_INCLUDED_ */
