/*
 * Headroom C reference as a command, for the differential test against
 * select.lua.  stdin: "now_ms" on the first line, then one account per
 * line: id active schedulable priority health last_used_ms
 * cooldown_until_ms circuit_open circuit_until_ms probe_until_ms inflight
 * concurrency_limit rpm rpm_limit tpm tpm_limit.  stdout: the picked id,
 * or 0 when none is eligible.
 */

#include <inttypes.h>
#include <stdio.h>

#include "ql_headroom.h"


#define MAX_ACCOUNTS  1024


int
main(void)
{
    int                  active, schedulable, circuit;
    long                 pick;
    size_t               n;
    int64_t              now;
    ql_account_state_t   a[MAX_ACCOUNTS], *s;

    if (scanf("%" SCNd64, &now) != 1) {
        return 2;
    }

    for (n = 0; n < MAX_ACCOUNTS; n++) {
        s = &a[n];

        if (scanf("%" SCNd64 " %d %d %" SCNd64 " %" SCNd64 " %" SCNd64
                  " %" SCNd64 " %d %" SCNd64 " %" SCNd64 " %" SCNd64
                  " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64
                  " %" SCNd64,
                  &s->id, &active, &schedulable, &s->priority, &s->health,
                  &s->last_used_ms, &s->cooldown_until_ms, &circuit,
                  &s->circuit_until_ms, &s->probe_until_ms, &s->inflight,
                  &s->concurrency_limit, &s->rpm, &s->rpm_limit, &s->tpm,
                  &s->tpm_limit)
            != 16)
        {
            break;
        }

        s->active = active;
        s->schedulable = schedulable;
        s->circuit_open = circuit;
    }

    pick = ql_headroom_pick(a, n, now);

    printf("%" PRId64 "\n", pick < 0 ? (int64_t) 0 : a[pick].id);

    return 0;
}
