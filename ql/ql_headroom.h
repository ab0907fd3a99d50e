/*
 * Headroom: the scheduler's account pick, as a C reference of
 * ngx_quotalane_module/lua/select.lua (the differential test holds the two
 * to the same answers).  All arithmetic is integer so C and Lua agree to
 * the last unit.
 *
 * For an account with limits (0 = unlimited):
 *   u_conc = inflight / concurrency_limit
 *   u_rpm  = requests this minute / rpm_limit
 *   u_tpm  = tokens this minute / tpm_limit
 *   headroom = (1 - max(u_conc, u_rpm, u_tpm)) * health / 100
 * computed in parts per million: u in [0, 1e6] (floored), headroom =
 * floor((1e6 - max_u) * health / 100).
 *
 * Eligible: active, schedulable, not cooling down, circuit closed (or open
 * past its time with no probe in flight: the half-open probe), and every
 * limited dimension below its limit.  Pick: lowest priority number, then
 * highest headroom, then least recently used, then lowest id.
 */

#ifndef QL_HEADROOM_H
#define QL_HEADROOM_H

#include <stddef.h>
#include <stdint.h>

#define QL_HEADROOM_ONE  1000000

typedef struct {
    int64_t   id;
    int       active;
    int       schedulable;
    int64_t   priority;
    int64_t   health;              /* 0..100 */
    int64_t   last_used_ms;
    int64_t   cooldown_until_ms;
    int       circuit_open;
    int64_t   circuit_until_ms;
    int64_t   probe_until_ms;      /* half-open probe in flight until */
    int64_t   inflight;
    int64_t   concurrency_limit;
    int64_t   rpm;
    int64_t   rpm_limit;
    int64_t   tpm;
    int64_t   tpm_limit;
} ql_account_state_t;

int ql_headroom_eligible(const ql_account_state_t *a, int64_t now_ms);

/* Headroom in parts per million of full capacity, health included. */
int64_t ql_headroom_ppm(const ql_account_state_t *a);

/* Index of the account to pick among eligible ones, or -1. */
long ql_headroom_pick(const ql_account_state_t *accounts, size_t n,
    int64_t now_ms);

#endif /* QL_HEADROOM_H */
