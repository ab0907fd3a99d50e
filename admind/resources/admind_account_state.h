/*
 * QuotaLane admind: an account's runtime state, as the gateway keeps it
 * in its hot-state record (<prefix>account:<id>, proto/redis_layout.md):
 * cooldown, health and circuit, shown with the account and reset by an
 * admin.
 */

#ifndef _ADMIND_ACCOUNT_STATE_H_INCLUDED_
#define _ADMIND_ACCOUNT_STATE_H_INCLUDED_


#include <jansson.h>

#include "admind.h"


/*
 * Adds "cooldownUntil" (null when none or past), "health" (100 when
 * unset), "circuit" ("closed" when unset), the vendor's "usageWindows"
 * as last seen ("usageWindowsSeenAt") and "windowExhaustedUntil" (null
 * unless an exhausted window keeps it out) to an account in the API
 * shape; without Redis the fields are left out.
 */
void admind_account_state_add(json_t *account);

/*
 * Clears cooldown, circuit, probe and an exhausted window and sets
 * health 100, in one step;
 * an account without a record (not yet published) is left alone.
 */
int admind_account_state_reset(uint64_t id, char *err, size_t errlen);


#endif /* _ADMIND_ACCOUNT_STATE_H_INCLUDED_ */
