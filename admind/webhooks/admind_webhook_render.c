/*
 * QuotaLane admind: webhook bodies (see admind_webhook_render.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admind_webhook_sign.h"
#include "admind_webhook_render.h"


/* the text of a chat message: bounded, whatever the message holds */
#define ADMIND_WEBHOOK_TEXT_MAX  2048


const char *const  admind_webhook_formats[] = {
    "generic", "slack", "discord", "telegram", "feishu", "dingtalk",
    "wecom", "bark", NULL
};


static const char *
admind_webhook_member(json_t *payload, const char *name)
{
    return json_string_value(json_object_get(payload, name));
}


/* a text cut at size may end inside a UTF-8 sequence: drop its start */
static void
admind_webhook_utf8_trim(char *buf)
{
    size_t          len, i, need;
    unsigned char   c;

    len = strlen(buf);

    for (i = len; i > 0 && len - i < 4; i--) {
        c = (unsigned char) buf[i - 1];

        if ((c & 0xc0) == 0x80) {
            continue;
        }

        need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;

        if (len - (i - 1) < need) {
            buf[i - 1] = '\0';
        }

        return;
    }
}


/* "[QuotaLane] account.error: account max-1 (#12): the token expired" */
static void
admind_webhook_text(json_t *payload, char *buf, size_t size)
{
    size_t       n;
    const char  *event, *id, *name, *message;

    event = admind_webhook_member(payload, "event");
    id = admind_webhook_member(payload, "accountId");
    name = admind_webhook_member(payload, "accountName");
    message = admind_webhook_member(payload, "message");

    n = (size_t) snprintf(buf, size, "[QuotaLane] %s",
                          event != NULL ? event : "event");

    if (n < size && (id != NULL || name != NULL)) {
        n += (size_t) snprintf(buf + n, size - n, ": account %s%s%s%s",
                               name != NULL ? name : "",
                               name != NULL && id != NULL ? " " : "",
                               id != NULL ? "#" : "", id != NULL ? id : "");
    }

    if (n < size && message != NULL && message[0] != '\0') {
        snprintf(buf + n, size - n, ": %s", message);
    }

    admind_webhook_utf8_trim(buf);
}


static json_t *
admind_webhook_generic(uint64_t delivery_id, json_t *payload)
{
    char     id[24];
    json_t  *body;

    body = json_deep_copy(payload);
    if (body == NULL) {
        return NULL;
    }

    snprintf(id, sizeof(id), "%llu", (unsigned long long) delivery_id);

    if (json_object_set_new(body, "id", json_string(id)) != 0) {
        json_decref(body);
        return NULL;
    }

    return body;
}


static json_t *
admind_webhook_feishu(const char *text, const char *secret, time_t now)
{
    char     ts[24], sign[ADMIND_WEBHOOK_SIG64_LEN];
    json_t  *body;

    body = json_pack("{s:s,s:{s:s}}", "msg_type", "text", "content",
                     "text", text);

    if (body == NULL || secret == NULL) {
        return body;
    }

    snprintf(ts, sizeof(ts), "%lld", (long long) now);

    if (admind_webhook_sign_feishu(secret, ts, sign) != ADMIND_OK
        || json_object_set_new(body, "timestamp", json_string(ts)) != 0
        || json_object_set_new(body, "sign", json_string(sign)) != 0)
    {
        json_decref(body);
        return NULL;
    }

    return body;
}


char *
admind_webhook_render(const char *format, uint64_t delivery_id,
    json_t *payload, const char *chat_id, const char *secret, time_t now)
{
    char         text[ADMIND_WEBHOOK_TEXT_MAX], title[96], *out;
    json_t      *body;
    const char  *event;

    admind_webhook_text(payload, text, sizeof(text));

    if (strcmp(format, "generic") == 0) {
        body = admind_webhook_generic(delivery_id, payload);

    } else if (strcmp(format, "slack") == 0) {
        body = json_pack("{s:s}", "text", text);

    } else if (strcmp(format, "discord") == 0) {
        body = json_pack("{s:s}", "content", text);

    } else if (strcmp(format, "telegram") == 0) {
        body = json_pack("{s:s,s:s}", "chat_id",
                         chat_id != NULL ? chat_id : "", "text", text);

    } else if (strcmp(format, "feishu") == 0) {
        body = admind_webhook_feishu(text, secret, now);

    } else if (strcmp(format, "dingtalk") == 0
               || strcmp(format, "wecom") == 0)
    {
        body = json_pack("{s:s,s:{s:s}}", "msgtype", "text", "text",
                         "content", text);

    } else if (strcmp(format, "bark") == 0) {
        event = admind_webhook_member(payload, "event");
        snprintf(title, sizeof(title), "QuotaLane %s",
                 event != NULL ? event : "event");
        body = json_pack("{s:s,s:s,s:s}", "title", title, "body", text,
                         "group", "QuotaLane");

    } else {
        return NULL;
    }

    if (body == NULL) {
        return NULL;
    }

    out = json_dumps(body, JSON_COMPACT);
    json_decref(body);

    return out;
}
