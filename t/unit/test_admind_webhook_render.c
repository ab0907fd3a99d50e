/*
 * admind webhook bodies: each format's shape, the generic body's id,
 * Feishu's sign fields, a message cut inside a UTF-8 sequence.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "admind_webhook_render.h"


static json_t *
payload(const char *message)
{
    json_t  *p;

    p = json_pack("{s:s,s:s,s:s,s:s,s:n,s:s}", "event", "account.error",
                  "accountId", "12", "accountName", "max-1",
                  "message", message, "details",
                  "timestamp", "2026-01-02T03:04:05Z");
    assert_non_null(p);

    return p;
}


/* the body of format, parsed */
static json_t *
render(const char *format, const char *chat_id, const char *secret,
    json_t *p)
{
    char    *text;
    json_t  *body;

    text = admind_webhook_render(format, 7, p, chat_id, secret, 1700000000);
    assert_non_null(text);

    body = json_loads(text, 0, NULL);
    assert_non_null(body);
    free(text);

    return body;
}


static const char *
str(json_t *o, const char *a, const char *b)
{
    json_t  *v;

    v = json_object_get(o, a);
    if (b != NULL) {
        v = json_object_get(v, b);
    }

    return json_string_value(v);
}


static void
test_formats(void **state)
{
    json_t  *p, *b;

    static const char  text[] =
        "[QuotaLane] account.error: account max-1 #12: token refused";

    (void) state;

    p = payload("token refused");

    b = render("generic", NULL, NULL, p);
    assert_int_equal(json_object_size(b), 7);
    assert_string_equal(str(b, "id", NULL), "7");
    assert_string_equal(str(b, "event", NULL), "account.error");
    assert_string_equal(str(b, "accountId", NULL), "12");
    json_decref(b);

    b = render("slack", NULL, NULL, p);
    assert_int_equal(json_object_size(b), 1);
    assert_string_equal(str(b, "text", NULL), text);
    json_decref(b);

    b = render("discord", NULL, NULL, p);
    assert_string_equal(str(b, "content", NULL), text);
    json_decref(b);

    b = render("telegram", "-100", NULL, p);
    assert_string_equal(str(b, "chat_id", NULL), "-100");
    assert_string_equal(str(b, "text", NULL), text);
    json_decref(b);

    b = render("feishu", NULL, NULL, p);
    assert_string_equal(str(b, "msg_type", NULL), "text");
    assert_string_equal(str(b, "content", "text"), text);
    assert_null(json_object_get(b, "sign"));
    json_decref(b);

    b = render("feishu", NULL, "sec", p);
    assert_string_equal(str(b, "timestamp", NULL), "1700000000");
    assert_string_equal(str(b, "sign", NULL),
                        "ttGYnPblC3CcNExnS7y5igm57JhpqZJtHpJ+TURiUeg=");
    json_decref(b);

    b = render("dingtalk", NULL, NULL, p);
    assert_string_equal(str(b, "msgtype", NULL), "text");
    assert_string_equal(str(b, "text", "content"), text);
    json_decref(b);

    b = render("wecom", NULL, NULL, p);
    assert_string_equal(str(b, "text", "content"), text);
    json_decref(b);

    b = render("bark", NULL, NULL, p);
    assert_string_equal(str(b, "title", NULL), "QuotaLane account.error");
    assert_string_equal(str(b, "body", NULL), text);
    assert_string_equal(str(b, "group", NULL), "QuotaLane");
    json_decref(b);

    assert_null(admind_webhook_render("irc", 7, p, NULL, NULL, 0));

    json_decref(p);
}


static void
test_long_message(void **state)
{
    char        *m;
    size_t       i, k;
    json_t      *p, *b;
    const char  *t;

    (void) state;

    /* 3-byte characters after 0, 1, 2 bytes: one cut falls inside one */
    m = malloc(2 + 3 * 1000 + 1);
    assert_non_null(m);

    for (k = 0; k < 3; k++) {
        memset(m, 'x', k);

        for (i = 0; i < 1000; i++) {
            memcpy(m + k + 3 * i, "\xe2\x82\xac", 3);
        }

        m[k + 3 * 1000] = '\0';

        p = payload(m);
        b = render("slack", NULL, NULL, p);
        t = str(b, "text", NULL);
        assert_non_null(t);
        assert_true(strlen(t) < 2048 && strlen(t) > 2040);
        json_decref(b);
        json_decref(p);
    }

    free(m);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_long_message),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
