/*
 * cmocka tests: the account type and pool table, and its list matcher.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "ql_account_type.h"


#define S(s)  (const unsigned char *) (s), strlen(s)


static void
test_types_join_known_pools(void **state)
{
    size_t                    i;
    const char               *p, *end;
    const ql_account_type_t  *t;

    (void) state;

    for (i = 0; (t = ql_account_type_at(i)) != NULL; i++) {
        assert_ptr_equal(ql_account_type_by_name(S(t->name)), t);

        /* every pool a type names exists */
        assert_int_equal(t->pools[0], ',');
        for (p = t->pools + 1; *p; p = end + 1) {
            end = strchr(p, ',');
            assert_non_null(end);
            assert_non_null(ql_pool_by_name((const unsigned char *) p,
                                            (size_t) (end - p)));
        }

        assert_true(t->endpoints[0] == '\0' || t->endpoints[0] == ',');
    }

    assert_true(i >= 9);
    assert_null(ql_account_type_by_name(S("claude")));
    assert_null(ql_account_type_by_name(S("codex ")));
}


static void
test_rows(void **state)
{
    const ql_account_type_t  *t;

    (void) state;

    t = ql_account_type_by_name(S("azure-openai"));
    assert_non_null(t);
    assert_int_equal(t->auth, QL_AUTH_API_KEY);
    assert_null(t->base_url);
    assert_true(ql_list_has(t->pools, S("azure")));
    assert_true(ql_list_has(t->pools, S("openai")));
    assert_false(ql_list_has(t->endpoints, S("models")));

    t = ql_account_type_by_name(S("codex"));
    assert_true(ql_list_has(t->endpoints, S("responses")));
    assert_false(ql_list_has(t->endpoints, S("chat")));
    assert_int_equal(t->shape, QL_SHAPE_CODEX);

    assert_string_equal(ql_pool_by_name(S("droid"))->permission, "droid");
    assert_string_equal(ql_pool_by_name(S("ccr"))->permission, "claude");
    assert_null(ql_pool_by_name(S("nope")));
}


/* every pool's permission is one a key may be given */
static void
test_permissions(void **state)
{
    size_t            i, j, n;
    const ql_pool_t  *p;

    (void) state;

    for (n = 0; ql_permissions[n] != NULL; n++) { /* void */ }
    assert_int_equal(n, QL_PERMISSIONS_MAX);

    for (i = 0; (p = ql_pool_at(i)) != NULL; i++) {
        for (j = 0; j < n; j++) {
            if (strcmp(ql_permissions[j], p->permission) == 0) {
                break;
            }
        }

        assert_true(j < n);
    }
}


static void
test_list_has(void **state)
{
    (void) state;

    assert_true(ql_list_has("", S("anything")));
    assert_true(ql_list_has(",a,bc,", S("a")));
    assert_true(ql_list_has(",a,bc,", S("bc")));
    assert_false(ql_list_has(",a,bc,", S("b")));
    assert_false(ql_list_has(",a,bc,", S("c")));
    assert_false(ql_list_has(",ab,", S("a")));
    assert_false(ql_list_has(",a,", S("")));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_types_join_known_pools),
        cmocka_unit_test(test_rows),
        cmocka_unit_test(test_permissions),
        cmocka_unit_test(test_list_has),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
