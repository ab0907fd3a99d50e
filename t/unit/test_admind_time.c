/*
 * admind RFC 3339 timestamps: UTC and offsets, fractions, impossible
 * dates, the accepted range, formatting for the API and for SQL.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "admind_time.h"


static time_t
parsed(const char *s)
{
    time_t  t;

    if (admind_time_parse(s, &t) != ADMIND_OK) {
        fail_msg("\"%s\" refused", s);
    }

    return t;
}


static void
test_parse(void **state)
{
    (void) state;

    assert_int_equal(parsed("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(parsed("2026-11-26T10:00:00Z"), 1795687200);
    assert_int_equal(parsed("2026-11-26t10:00:00z"), 1795687200);
    assert_int_equal(parsed("2026-11-26T10:00:00.999999Z"), 1795687200);
    assert_int_equal(parsed("2026-11-26T12:30:00+02:30"), 1795687200);
    assert_int_equal(parsed("2026-11-26T05:00:00-05:00"), 1795687200);
    assert_int_equal(parsed("2024-02-29T00:00:00Z"), 1709164800);
    assert_int_equal(parsed("2000-02-29T00:00:00Z"), 951782400);
    assert_int_equal(parsed("9999-12-31T23:59:59Z"), ADMIND_TIME_MAX);

    /* a leap second counts as the last second of its minute */
    assert_int_equal(parsed("2016-12-31T23:59:60Z"), 1483228799);
}


static void
test_refused(void **state)
{
    size_t  i;
    time_t  t;

    static const char  *bad[] = {
        "",
        "2026-11-26",
        "2026-11-26T10:00:00",          /* no zone */
        "2026-11-26 10:00:00Z",         /* space */
        "2026-11-26T10:00Z",
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-02-29T00:00:00Z",         /* not a leap year */
        "1900-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-11-26T24:00:00Z",
        "2026-11-26T10:60:00Z",
        "2026-11-26T10:00:61Z",
        "2026-11-26T10:00:00.Z",
        "2026-11-26T10:00:00+0200",
        "2026-11-26T10:00:00+24:00",
        "2026-11-26T10:00:00Z ",
        "1969-12-31T23:59:59Z",
        "1970-01-01T00:00:00+00:01",    /* before the epoch in UTC */
        "+2026-11-26T10:00:00Z",
        "20261-11-26T10:00:00Z",
    };

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (admind_time_parse(bad[i], &t) != ADMIND_ERROR) {
            fail_msg("\"%s\" accepted", bad[i]);
        }
    }
}


static void
test_format(void **state)
{
    char  buf[ADMIND_TIME_LEN + 1];

    (void) state;

    admind_time_format(1795687200, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-26T10:00:00Z");
    assert_int_equal(strlen(buf), ADMIND_TIME_LEN);

    admind_time_sql(1795687200, buf, sizeof(buf));
    assert_string_equal(buf, "2026-11-26 10:00:00");

    admind_time_format(0, buf, sizeof(buf));
    assert_string_equal(buf, "1970-01-01T00:00:00Z");

    /* what it writes it reads */
    admind_time_format(ADMIND_TIME_MAX, buf, sizeof(buf));
    assert_int_equal(parsed(buf), ADMIND_TIME_MAX);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_format),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
