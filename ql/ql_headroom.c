/*
 * Headroom account pick (C reference of the Lua scheduler).
 */

#include "ql_headroom.h"


static int64_t
ql_usage_ppm(int64_t used, int64_t limit)
{
    if (limit <= 0) {
        return 0;
    }

    if (used >= limit) {
        return QL_HEADROOM_ONE;
    }

    if (used <= 0) {
        return 0;
    }

    return used * QL_HEADROOM_ONE / limit;
}


int
ql_headroom_eligible(const ql_account_state_t *a, int64_t now_ms)
{
    if (!a->active || !a->schedulable || a->cooldown_until_ms > now_ms) {
        return 0;
    }

    if (a->circuit_open
        && (a->circuit_until_ms > now_ms || a->probe_until_ms > now_ms))
    {
        return 0;
    }

    if ((a->concurrency_limit > 0 && a->inflight >= a->concurrency_limit)
        || (a->rpm_limit > 0 && a->rpm >= a->rpm_limit)
        || (a->tpm_limit > 0 && a->tpm >= a->tpm_limit))
    {
        return 0;
    }

    return 1;
}


int64_t
ql_headroom_ppm(const ql_account_state_t *a)
{
    int64_t  u, m, health;

    m = ql_usage_ppm(a->inflight, a->concurrency_limit);

    u = ql_usage_ppm(a->rpm, a->rpm_limit);
    if (u > m) {
        m = u;
    }

    u = ql_usage_ppm(a->tpm, a->tpm_limit);
    if (u > m) {
        m = u;
    }

    health = a->health;
    if (health < 0) {
        health = 0;

    } else if (health > 100) {
        health = 100;
    }

    return (QL_HEADROOM_ONE - m) * health / 100;
}


long
ql_headroom_pick(const ql_account_state_t *accounts, size_t n,
    int64_t now_ms)
{
    long                       best;
    size_t                     i;
    int64_t                    hr, best_hr;
    const ql_account_state_t  *a, *b;

    best = -1;
    best_hr = 0;

    for (i = 0; i < n; i++) {
        a = &accounts[i];

        if (!ql_headroom_eligible(a, now_ms)) {
            continue;
        }

        hr = ql_headroom_ppm(a);

        if (best >= 0) {
            b = &accounts[best];

            if (a->priority > b->priority) {
                continue;
            }

            if (a->priority == b->priority) {
                if (hr < best_hr) {
                    continue;
                }

                if (hr == best_hr) {
                    if (a->last_used_ms > b->last_used_ms) {
                        continue;
                    }

                    if (a->last_used_ms == b->last_used_ms && a->id > b->id) {
                        continue;
                    }
                }
            }
        }

        best = (long) i;
        best_hr = hr;
    }

    return best;
}
