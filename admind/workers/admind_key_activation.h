/*
 * QuotaLane admind: the key activation worker.
 *
 * An API key whose expiry counts from its first use ("fromFirstUse")
 * has no expiry until then.  The gateway does not report a first use
 * itself, so a thread looks every few seconds for such keys that have
 * usage records but no first_used_at yet, sets first_used_at to their
 * earliest record and expires_at to that plus activation_days (under
 * the row's first_used_at IS NULL, so several admind processes agree),
 * and publishes the key record again.
 */

#ifndef _ADMIND_KEY_ACTIVATION_H_INCLUDED_
#define _ADMIND_KEY_ACTIVATION_H_INCLUDED_


#include <mysql.h>

#include "admind.h"


/* one pass: *activated keys got their expiry */
int admind_key_activation_run(MYSQL *mysql, unsigned long *activated,
    char *err, size_t errlen);

int admind_key_activation_start(const admind_conf_t *conf, char *err,
    size_t errlen);

/* asks the thread to stop and joins it */
void admind_key_activation_stop(void);


#endif /* _ADMIND_KEY_ACTIVATION_H_INCLUDED_ */
