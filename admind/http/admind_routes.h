/*
 * QuotaLane admind: the route tables of all REST resources.
 */

#ifndef _ADMIND_ROUTES_H_INCLUDED_
#define _ADMIND_ROUTES_H_INCLUDED_


#include "admind_router.h"


/* one line per resource file (admind_<resource>.c) */
extern const admind_route_t  admind_health_routes[];
extern const admind_route_t  admind_metrics_routes[];
extern const admind_route_t  admind_auth_routes[];
extern const admind_route_t  admind_users_routes[];
extern const admind_route_t  admind_api_keys_routes[];
extern const admind_route_t  admind_key_policy_routes[];
extern const admind_route_t  admind_accounts_routes[];
extern const admind_route_t  admind_account_test_routes[];
extern const admind_route_t  admind_oauth_routes[];
extern const admind_route_t  admind_account_groups_routes[];
extern const admind_route_t  admind_audit_log_routes[];
extern const admind_route_t  admind_introspect_routes[];
extern const admind_route_t  admind_usage_routes[];
extern const admind_route_t  admind_key_self_routes[];
extern const admind_route_t  admind_console_routes[];
extern const admind_route_t  admind_plans_routes[];
extern const admind_route_t  admind_subscriptions_routes[];
extern const admind_route_t  admind_bills_routes[];
extern const admind_route_t  admind_webhooks_routes[];


/* NULL-terminated, for admind_router_create() */
extern const admind_route_t *const  admind_route_tables[];


#endif /* _ADMIND_ROUTES_H_INCLUDED_ */
