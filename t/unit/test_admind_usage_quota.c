/*
 * admind plan periods and bill months: calendar months clamped to their
 * last day, the plan period that holds a moment inside a subscription,
 * and "YYYY-MM" ranges.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "admind_quota.h"
#include "admind_bills.h"


static time_t
utc(int y, int mo, int d, int h, int mi, int s)
{
    struct tm  tm;

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = s;

    return timegm(&tm);
}


static void
test_parse(void **state)
{
    admind_period_e  p;

    (void) state;

    assert_int_equal(admind_period_parse("daily", &p), ADMIND_OK);
    assert_int_equal(p, ADMIND_PERIOD_DAILY);
    assert_int_equal(admind_period_parse("weekly", &p), ADMIND_OK);
    assert_int_equal(p, ADMIND_PERIOD_WEEKLY);
    assert_int_equal(admind_period_parse("monthly", &p), ADMIND_OK);
    assert_int_equal(p, ADMIND_PERIOD_MONTHLY);
    assert_int_equal(admind_period_parse("yearly", &p), ADMIND_ERROR);
    assert_int_equal(admind_period_parse("", &p), ADMIND_ERROR);
}


static void
test_add(void **state)
{
    time_t  t;

    (void) state;

    t = utc(2025, 1, 31, 10, 20, 30);

    assert_int_equal(admind_period_add(t, ADMIND_PERIOD_DAILY, 1),
                     t + 86400);
    assert_int_equal(admind_period_add(t, ADMIND_PERIOD_WEEKLY, 2),
                     t + 14 * 86400);

    /* the day of the month clamped, the time of day kept */
    assert_int_equal(admind_period_add(t, ADMIND_PERIOD_MONTHLY, 1),
                     utc(2025, 2, 28, 10, 20, 30));
    assert_int_equal(admind_period_add(t, ADMIND_PERIOD_MONTHLY, 2),
                     utc(2025, 3, 31, 10, 20, 30));
    assert_int_equal(admind_period_add(t, ADMIND_PERIOD_MONTHLY, 3),
                     utc(2025, 4, 30, 10, 20, 30));
    assert_int_equal(admind_period_add(t, ADMIND_PERIOD_MONTHLY, 13),
                     utc(2026, 2, 28, 10, 20, 30));
    assert_int_equal(admind_period_add(utc(2024, 1, 31, 0, 0, 0),
                                       ADMIND_PERIOD_MONTHLY, 1),
                     utc(2024, 2, 29, 0, 0, 0));
    assert_int_equal(admind_period_add(utc(2025, 12, 15, 0, 0, 0),
                                       ADMIND_PERIOD_MONTHLY, 1),
                     utc(2026, 1, 15, 0, 0, 0));
    assert_int_equal(admind_period_add(t, ADMIND_PERIOD_MONTHLY, 0), t);

    /* past the DATETIME range */
    assert_int_equal(admind_period_add(utc(9999, 12, 1, 0, 0, 0),
                                       ADMIND_PERIOD_MONTHLY, 1),
                     (time_t) -1);
    assert_int_equal(admind_period_add(utc(9999, 12, 31, 12, 0, 0),
                                       ADMIND_PERIOD_DAILY, 1),
                     (time_t) -1);
}


static void
test_current(void **state)
{
    time_t  start;

    (void) state;

    start = utc(2025, 1, 31, 8, 0, 0);

    /* before the start and in the first period: the start */
    assert_int_equal(admind_period_current(start, ADMIND_PERIOD_MONTHLY,
                                           start - 10), start);
    assert_int_equal(admind_period_current(start, ADMIND_PERIOD_MONTHLY,
                                           start), start);
    assert_int_equal(admind_period_current(start, ADMIND_PERIOD_MONTHLY,
                                           utc(2025, 2, 28, 7, 59, 59)),
                     start);

    /* each period runs from start + k months (clamped) */
    assert_int_equal(admind_period_current(start, ADMIND_PERIOD_MONTHLY,
                                           utc(2025, 2, 28, 8, 0, 0)),
                     utc(2025, 2, 28, 8, 0, 0));
    assert_int_equal(admind_period_current(start, ADMIND_PERIOD_MONTHLY,
                                           utc(2025, 3, 30, 23, 0, 0)),
                     utc(2025, 2, 28, 8, 0, 0));
    assert_int_equal(admind_period_current(start, ADMIND_PERIOD_MONTHLY,
                                           utc(2025, 3, 31, 8, 0, 0)),
                     utc(2025, 3, 31, 8, 0, 0));
    assert_int_equal(admind_period_current(start, ADMIND_PERIOD_MONTHLY,
                                           utc(2026, 1, 31, 7, 0, 0)),
                     utc(2025, 12, 31, 8, 0, 0));

    /* days and weeks count whole periods from the start */
    assert_int_equal(admind_period_current(start, ADMIND_PERIOD_DAILY,
                                           start + 3 * 86400 + 5),
                     start + 3 * 86400);
    assert_int_equal(admind_period_current(start, ADMIND_PERIOD_WEEKLY,
                                           start + 20 * 86400),
                     start + 14 * 86400);
}


static void
test_month(void **state)
{
    time_t  start, end;

    (void) state;

    assert_int_equal(admind_bills_month("2025-01", &start, &end), ADMIND_OK);
    assert_int_equal(start, utc(2025, 1, 1, 0, 0, 0));
    assert_int_equal(end, utc(2025, 2, 1, 0, 0, 0));

    assert_int_equal(admind_bills_month("2025-12", &start, &end), ADMIND_OK);
    assert_int_equal(start, utc(2025, 12, 1, 0, 0, 0));
    assert_int_equal(end, utc(2026, 1, 1, 0, 0, 0));

    assert_int_equal(admind_bills_month("1970-01", &start, &end), ADMIND_OK);
    assert_int_equal(start, 0);

    assert_int_equal(admind_bills_month("2025-13", &start, &end),
                     ADMIND_ERROR);
    assert_int_equal(admind_bills_month("2025-00", &start, &end),
                     ADMIND_ERROR);
    assert_int_equal(admind_bills_month("1969-12", &start, &end),
                     ADMIND_ERROR);
    assert_int_equal(admind_bills_month("2025-1", &start, &end),
                     ADMIND_ERROR);
    assert_int_equal(admind_bills_month("2025/01", &start, &end),
                     ADMIND_ERROR);
    assert_int_equal(admind_bills_month("2025-01-01", &start, &end),
                     ADMIND_ERROR);
    assert_int_equal(admind_bills_month("", &start, &end), ADMIND_ERROR);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_add),
        cmocka_unit_test(test_current),
        cmocka_unit_test(test_month),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
