/*
 * QuotaLane admind: the route tables of all REST resources.
 *
 * A new resource adds its table here and in admind_routes.h; the router
 * refuses overlapping routes at startup.
 */

#include <stddef.h>

#include "admind_routes.h"


const admind_route_t *const  admind_route_tables[] = {
    admind_health_routes,
    admind_metrics_routes,
    admind_auth_routes,
    admind_users_routes,
    admind_api_keys_routes,
    admind_key_policy_routes,
    admind_accounts_routes,
    admind_account_test_routes,
    admind_oauth_routes,
    admind_account_groups_routes,
    admind_audit_log_routes,
    admind_introspect_routes,
    admind_usage_routes,
    admind_key_self_routes,
    admind_console_routes,
    admind_plans_routes,
    admind_subscriptions_routes,
    admind_bills_routes,
    admind_webhooks_routes,
    NULL
};
