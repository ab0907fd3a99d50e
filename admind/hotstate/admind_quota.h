/*
 * QuotaLane admind: plan quotas, from subscriptions to the gateway.
 *
 * A plan gives a quota (plans.quota_cost_micros per plan period: daily,
 * weekly, monthly); a subscription binds a user to a plan from start_at
 * to expire_at.  The gateway reads the user's quota from every key
 * record of the user (proto/redis_layout.md):
 *
 *   quota_limit   the plan quota in micro-dollars, 0 = none
 *   quota_bucket  "<subscription id>:<unix start of the current plan
 *                 period>", or 0 = none; the module adds each request's
 *                 cost to ucost:<user id>:<quota_bucket> and answers 402
 *                 once that reaches quota_limit.  A new period (or a new
 *                 subscription) is a new bucket, i.e. a fresh counter.
 *
 * The user's quota comes from their current subscription: status active,
 * start_at <= now < expire_at; with several, the one that started last
 * (then the highest id).  Plan periods run from start_at: a subscription
 * longer than its plan's period gets a fresh quota each period.
 */

#ifndef _ADMIND_QUOTA_H_INCLUDED_
#define _ADMIND_QUOTA_H_INCLUDED_


#include <stdint.h>
#include <time.h>
#include <mysql.h>

#include "admind.h"


typedef enum {
    ADMIND_PERIOD_DAILY = 0,
    ADMIND_PERIOD_WEEKLY,
    ADMIND_PERIOD_MONTHLY
} admind_period_e;


typedef struct {
    unsigned long   expired;
    unsigned long   renewed;
    unsigned long   keys;           /* key records given their quota */
} admind_quota_stats_t;


/* "daily", "weekly", "monthly"; ADMIND_ERROR for anything else */
int admind_period_parse(const char *s, admind_period_e *period);

/*
 * t plus n periods, in UTC.  Months keep the day of the month and the
 * time of day, clamped to the end of shorter months (Jan 31 + 1 month =
 * Feb 28 or 29), as MySQL's DATE_ADD does.  (time_t) -1 past year 9999.
 */
time_t admind_period_add(time_t t, admind_period_e period, unsigned n);

/*
 * The start of the plan period that holds now, counting whole periods
 * from start: start + k periods <= now < start + (k + 1) periods; start
 * itself when now is before it.
 */
time_t admind_period_current(time_t start, admind_period_e period,
    time_t now);

/*
 * Writes quota_limit and quota_bucket into the record of every key of
 * user_id, from the user's current subscription (0 and 0 without one).
 * Records that do not exist in Redis are left alone (never half-made):
 * the hot-state publish or resync writes them, and should call this
 * right after.  ADMIND_ERROR on a MySQL or Redis failure (logged by the
 * caller; the periodic tick repairs it).
 */
int admind_quota_publish_user(MYSQL *mysql, uint64_t user_id, char *err,
    size_t errlen);

/* the same for every user with a subscription in status active */
int admind_quota_publish_all(MYSQL *mysql, unsigned long *keys, char *err,
    size_t errlen);

/*
 * The periodic work: active subscriptions past expire_at are renewed for
 * one more plan period (as many as it takes to cover now) when autoRenew
 * is set and the plan is active, else expired; then every subscribed
 * user's quota is published again (a new plan period, a subscription
 * that started, a key created since).
 */
int admind_quota_tick(MYSQL *mysql, admind_quota_stats_t *st, char *err,
    size_t errlen);


#endif /* _ADMIND_QUOTA_H_INCLUDED_ */
