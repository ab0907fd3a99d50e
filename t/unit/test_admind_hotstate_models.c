/*
 * admind account records: the model list "\nm1\nm2\n" and the model map
 * "\nfrom\tto\n" from their JSON columns, "" for none, and columns that
 * cannot be published (malformed, separators inside names).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "admind_hotstate_models.h"


static void
list_is(const char *json, const char *want)
{
    char  *s;

    s = admind_hotstate_model_list(json);

    if (want == NULL) {
        assert_null(s);
        return;
    }

    assert_non_null(s);
    assert_string_equal(s, want);
    free(s);
}


static void
map_is(const char *json, const char *want)
{
    char  *s;

    s = admind_hotstate_model_map(json);

    if (want == NULL) {
        assert_null(s);
        return;
    }

    assert_non_null(s);
    assert_string_equal(s, want);
    free(s);
}


static void
test_list(void **state)
{
    (void) state;

    list_is(NULL, "");
    list_is("[]", "");
    list_is("[\"gpt-4o\"]", "\ngpt-4o\n");
    list_is("[\"a\",\"b c\",\"\xc3\xa9\"]", "\na\nb c\n\xc3\xa9\n");

    list_is("", NULL);
    list_is("{}", NULL);
    list_is("[1]", NULL);
    list_is("[\"\"]", NULL);
    list_is("[\"a\\nb\"]", NULL);
    list_is("[\"a\\tb\"]", NULL);
    list_is("[\"a\\u0000b\"]", NULL);
}


static void
test_map(void **state)
{
    (void) state;

    map_is(NULL, "");
    map_is("{}", "");
    map_is("{\"gpt-4o\":\"prod\"}", "\ngpt-4o\tprod\n");

    /* in the column's order (admind writes the keys sorted) */
    map_is("{\"a\":\"x\",\"b\":\"y\"}", "\na\tx\nb\ty\n");

    map_is("[]", NULL);
    map_is("{\"a\":1}", NULL);
    map_is("{\"a\":\"\"}", NULL);
    map_is("{\"\":\"x\"}", NULL);
    map_is("{\"a\\tb\":\"x\"}", NULL);
    map_is("{\"a\":\"x\\ny\"}", NULL);
    map_is("{\"a\\nb\":\"x\"}", NULL);
    map_is("{\"a\":", NULL);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_map),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
