/*
 * QuotaLane admind: the ceiling an admin sets on a user's own API keys.
 *
 * A user creates and edits keys for themselves; what those keys may
 * cost the operator is the admin's to decide.  A user's key policy
 * (GET/PUT /api/v1/users/{id}/key-policy) caps how many keys they hold,
 * every limit of a key, its platforms and blocked models, and may bind
 * their keys to an account or group.  Without a stored policy the user
 * may hold user_max_keys keys (admind.conf) with no other ceiling.
 *
 * The rules, for a caller who is not an admin:
 *   - creating a key when holding maxKeys keys is refused (403);
 *   - a limit left out (or 0, "no limit") becomes the ceiling; one above
 *     the ceiling is refused; the rate window is the policy's;
 *   - permissions must be among the policy's (left out: the policy's);
 *     the policy's blocked models are added to the key's; the policy's
 *     binding is the key's;
 *   - an edit may only tighten a limit (a lower, non-zero value), never
 *     loosen it, whoever set it;
 *   - a key an admin disabled stays disabled until an admin enables it.
 */

#ifndef _ADMIND_KEY_POLICY_H_INCLUDED_
#define _ADMIND_KEY_POLICY_H_INCLUDED_


#include <mysql.h>
#include <jansson.h>

#include "admind.h"


/*
 * A user's new key: locks the user's row (so concurrent creates count
 * one after the other), checks the count and fits body to the policy.
 * ADMIND_OK, or ADMIND_ERROR with the request answered.
 */
int admind_key_policy_create(admind_req_t *r, MYSQL *mysql, json_t *body);

/* a user's edit of before (the key as loaded) */
int admind_key_policy_update(admind_req_t *r, json_t *body, json_t *before);

/* the limit fields a user may set on their own keys, NULL terminated */
extern const char *const  admind_key_policy_limits[];


#endif /* _ADMIND_KEY_POLICY_H_INCLUDED_ */
