/*
 * cmocka tests: Headroom definition and pick order.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ql_headroom.h"


static ql_account_state_t
account(int64_t id)
{
    ql_account_state_t  a = { 0 };

    a.id = id;
    a.active = 1;
    a.schedulable = 1;
    a.priority = 50;
    a.health = 100;

    return a;
}


static void
test_headroom_values(void **state)
{
    ql_account_state_t  a = account(1);

    (void) state;

    assert_int_equal(ql_headroom_ppm(&a), 1000000);

    a.concurrency_limit = 4;
    a.inflight = 1;
    assert_int_equal(ql_headroom_ppm(&a), 750000);

    a.rpm_limit = 10;
    a.rpm = 5;
    assert_int_equal(ql_headroom_ppm(&a), 500000);    /* max of usages */

    a.health = 50;
    assert_int_equal(ql_headroom_ppm(&a), 250000);

    a.tpm_limit = 3;
    a.tpm = 1;                                         /* 333333 ppm */
    assert_int_equal(ql_headroom_ppm(&a), (1000000 - 500000) * 50 / 100);
    a.tpm = 2;                                         /* 666666 ppm */
    assert_int_equal(ql_headroom_ppm(&a), (1000000 - 666666) * 50 / 100);
}


static void
test_eligibility(void **state)
{
    ql_account_state_t  a = account(1);

    (void) state;

    assert_true(ql_headroom_eligible(&a, 1000));

    a.concurrency_limit = 2;
    a.inflight = 2;
    assert_false(ql_headroom_eligible(&a, 1000));
    a.inflight = 1;
    assert_true(ql_headroom_eligible(&a, 1000));

    a.cooldown_until_ms = 2000;
    assert_false(ql_headroom_eligible(&a, 1000));
    assert_true(ql_headroom_eligible(&a, 2000));

    a.circuit_open = 1;
    a.circuit_until_ms = 3000;
    assert_false(ql_headroom_eligible(&a, 2500));
    assert_true(ql_headroom_eligible(&a, 3000));      /* half-open probe */
    a.probe_until_ms = 4000;
    assert_false(ql_headroom_eligible(&a, 3500));     /* probe in flight */

    a = account(2);
    a.schedulable = 0;
    assert_false(ql_headroom_eligible(&a, 0));
    a = account(3);
    a.active = 0;
    assert_false(ql_headroom_eligible(&a, 0));
    a = account(4);
    a.rpm_limit = 1;
    a.rpm = 1;
    assert_false(ql_headroom_eligible(&a, 0));
}


static void
test_pick_order(void **state)
{
    ql_account_state_t  a[4];

    (void) state;

    a[0] = account(10);
    a[1] = account(11);
    a[2] = account(12);
    a[3] = account(13);

    /* priority first, even against more headroom */
    a[0].priority = 60;
    a[1].concurrency_limit = 10;
    a[1].inflight = 9;
    a[2].concurrency_limit = 10;
    a[2].inflight = 5;
    a[3].active = 0;
    assert_int_equal(ql_headroom_pick(a, 4, 0), 2);

    /* equal headroom: least recently used, then lowest id */
    a[1].inflight = 5;
    a[1].last_used_ms = 100;
    a[2].last_used_ms = 200;
    assert_int_equal(ql_headroom_pick(a, 4, 0), 1);
    a[2].last_used_ms = 100;
    assert_int_equal(ql_headroom_pick(a, 4, 0), 1);

    /* nothing eligible */
    a[0].schedulable = 0;
    a[1].schedulable = 0;
    a[2].schedulable = 0;
    assert_int_equal(ql_headroom_pick(a, 4, 0), -1);
    assert_int_equal(ql_headroom_pick(a, 0, 0), -1);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headroom_values),
        cmocka_unit_test(test_eligibility),
        cmocka_unit_test(test_pick_order),
    };

    return cmocka_run_group_tests_name("ql_headroom", tests, NULL, NULL);
}
