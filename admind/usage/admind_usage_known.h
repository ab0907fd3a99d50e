/*
 * QuotaLane admind: usage records only for keys and accounts that exist.
 *
 * A usage record is only as trustworthy as whoever could write the
 * stream.  Before a batch is stored, each record's key must exist in
 * MySQL and belong to the record's user, and its account must exist;
 * a record that fails is refused with the reason "unknown_key",
 * "key_user_mismatch" or "unknown_account" (the consumer moves it to the
 * dead letters and logs it) instead of billing a key, a user or an
 * account it does not belong to.
 */

#ifndef _ADMIND_USAGE_KNOWN_H_INCLUDED_
#define _ADMIND_USAGE_KNOWN_H_INCLUDED_


#include <mysql.h>

#include "admind.h"
#include "admind_usage_store.h"


/*
 * Marks the rows of rows[0..n) (those not refused yet) whose key or
 * account MySQL does not know as rejected, with the reason in why.
 * ADMIND_ERROR when the database could not answer: try again later.
 */
int admind_usage_known_check(MYSQL *mysql, admind_usage_row_t *rows,
    size_t n, char *err, size_t errlen);


#endif /* _ADMIND_USAGE_KNOWN_H_INCLUDED_ */
