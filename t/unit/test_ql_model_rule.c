/*
 * cmocka tests: model rules (blocked models) match every spelling an
 * upstream serves as the same model, for each model of the shipped price
 * table, and nothing else.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "ql_model_rule.h"


#define SHIPPED  "conf/model_prices.json"


static int
match(const char *rule, const char *model)
{
    return ql_model_rule_match((const unsigned char *) rule, strlen(rule),
                               (const unsigned char *) model,
                               strlen(model));
}


/* the finding of issue 11: each of these got past "claude-opus-4-1" */
static void
test_spellings(void **state)
{
    (void) state;

    assert_true(match("claude-opus-4-1", "claude-opus-4-1"));
    assert_true(match("claude-opus-4-1", "claude-opus-4-1-20250805"));
    assert_true(match("claude-opus-4-1", "claude-opus-4-1-latest"));
    assert_true(match("claude-opus-4-1", "Claude-Opus-4-1"));
    assert_true(match("claude-opus-4-1", "claude-opus-4-1 "));
    assert_true(match("claude-opus-4-1", "\tclaude-opus-4-1"));
    assert_true(match("claude-opus-4-1",
                      "us.anthropic.claude-opus-4-1-20250805-v1:0"));
    assert_true(match("claude-opus-4-1", "anthropic/claude-opus-4-1"));
    assert_true(match("claude-opus-4-1", "claude-opus-4-1@20250805"));

    /* a rule written in another spelling means the same model */
    assert_true(match("Claude-Opus-4-1-20250805 ", "claude-opus-4-1"));
    assert_true(match("anthropic.claude-opus-4-1-20250805-v1:0",
                      "claude-opus-4-1-latest"));
}


static void
test_other_models(void **state)
{
    (void) state;

    assert_false(match("claude-opus-4-1", "claude-opus-4"));
    assert_false(match("claude-opus-4", "claude-opus-4-1"));
    assert_false(match("claude-opus-4-1", "claude-sonnet-4-5"));
    assert_false(match("claude-opus-4-1", "claude-opus-4-10"));
    assert_false(match("claude-opus-4-1", ""));
    assert_false(match("", "claude-opus-4-1"));
    assert_false(match("  ", "claude-opus-4-1"));
}


static void
test_families(void **state)
{
    (void) state;

    assert_true(match("claude-opus-4*", "claude-opus-4"));
    assert_true(match("claude-opus-4*", "claude-opus-4-1"));
    assert_true(match("claude-opus-4*", "CLAUDE-OPUS-4-1-20250805"));
    assert_true(match("claude-opus-4*",
                      "us.anthropic.claude-opus-4-1-20250805-v1:0"));
    assert_true(match("claude-opus*", "claude-opus-4-1"));
    assert_true(match("*", "anything"));
    assert_false(match("claude-opus-4*", "claude-sonnet-4"));
    assert_false(match("claude-opus-4*", "claude-3-opus"));
}


/* a name too long to normalize still meets a family rule */
static void
test_oversized(void **state)
{
    char  big[4096];

    (void) state;

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    memcpy(big, "claude-opus-4-1-", 16);

    assert_true(match("claude-opus*", big));
    assert_false(match("claude-opus-4-1", big));
}


/* every model of the price table, in every spelling, against itself */
static void
test_price_table(void **state)
{
    size_t        i;
    char          variant[512];
    json_t       *table, *entry;
    const char   *name, *other;
    json_error_t  err;

    static const char *const  spellings[] = {
        "%s", "%s-20250805", "%s-latest", "%s ", "anthropic/%s",
        "us.anthropic.%s-20250805-v1:0", "%s@20250805"
    };

    (void) state;

    table = json_load_file(SHIPPED, 0, &err);
    assert_non_null(table);

    json_object_foreach(table, name, entry) {
        if (strcmp(name, "default") == 0) {
            continue;
        }

        for (i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
            snprintf(variant, sizeof(variant), spellings[i], name);
            if (!match(name, variant)) {
                fail_msg("rule %s does not block %s", name, variant);
            }
        }

        for (i = 0; variant[i]; i++) {
            variant[i] = (char) ((variant[i] >= 'a' && variant[i] <= 'z')
                                 ? variant[i] - 32 : variant[i]);
        }

        if (!match(name, variant)) {
            fail_msg("rule %s does not block %s", name, variant);
        }

        json_object_foreach(table, other, entry) {
            if (strcmp(other, name) != 0 && match(name, other)) {
                fail_msg("rule %s blocks another model, %s", name, other);
            }
        }
    }

    json_decref(table);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_spellings),
        cmocka_unit_test(test_other_models),
        cmocka_unit_test(test_families),
        cmocka_unit_test(test_oversized),
        cmocka_unit_test(test_price_table),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
