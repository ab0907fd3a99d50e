/*
 * QuotaLane admind: /api/v1/webhooks (admins only).
 *
 * A webhook receives account events (admind_webhook_event.h) in one of
 * the formats of admind_webhook_render.h.  Its URL is checked by the
 * outbound URL policy when set (400 when refused) and again at every
 * delivery.  URL and secret are write-only: chat services put their
 * credential in the URL, so both are sealed under the master key with
 * the webhook id in the AAD (admind_webhook_seal.h), and answers show
 * urlHint (scheme and host) and hasSecret instead.  The secret is the
 * HMAC key of generic webhooks and the signing secret of Feishu and
 * DingTalk bots; Telegram webhooks need a chatId.  The format is set
 * once: another format is another webhook.
 *
 * POST .../{id}/test queues a webhook.test event for that webhook alone
 * (202 with the delivery id); GET .../{id}/deliveries lists its
 * deliveries, newest first, with their status, attempts and last error.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admind_config.h"
#include "admind_request.h"
#include "admind_response.h"
#include "admind_routes.h"
#include "admind_page.h"
#include "admind_resource.h"
#include "admind_writer.h"
#include "admind_webhook_event.h"
#include "admind_webhook_render.h"
#include "admind_webhook_seal.h"
#include "admind_webhook_url.h"


#define ADMIND_WEBHOOKS_SECRET_MAX  1024
#define ADMIND_WEBHOOKS_EVENTS_MAX  16


static int admind_webhooks_list(admind_req_t *r);
static int admind_webhooks_get(admind_req_t *r);
static int admind_webhooks_create(admind_req_t *r);
static int admind_webhooks_update(admind_req_t *r);
static int admind_webhooks_delete(admind_req_t *r);
static int admind_webhooks_test(admind_req_t *r);
static int admind_webhooks_deliveries(admind_req_t *r);


const admind_route_t  admind_webhooks_routes[] = {
    { "GET", "/api/v1/webhooks", admind_webhooks_list, 0,
      ADMIND_ROLE_ADMIN },
    { "POST", "/api/v1/webhooks", admind_webhooks_create, 0,
      ADMIND_ROLE_ADMIN },
    { "GET", "/api/v1/webhooks/{id}", admind_webhooks_get, 0,
      ADMIND_ROLE_ADMIN },
    { "PATCH", "/api/v1/webhooks/{id}", admind_webhooks_update, 0,
      ADMIND_ROLE_ADMIN },
    { "DELETE", "/api/v1/webhooks/{id}", admind_webhooks_delete, 0,
      ADMIND_ROLE_ADMIN },
    { "POST", "/api/v1/webhooks/{id}/test", admind_webhooks_test, 0,
      ADMIND_ROLE_ADMIN },
    { "GET", "/api/v1/webhooks/{id}/deliveries", admind_webhooks_deliveries,
      0, ADMIND_ROLE_ADMIN },
    { NULL, NULL, NULL, 0, 0 }
};


static const admind_field_t  admind_webhooks_fields[] = {
    ADMIND_F_ROW_ID("w"),
    ADMIND_F_STRING("name", "name", ADMIND_FIELD_REQUIRED | ADMIND_FIELD_LINE,
      1, 128),
    ADMIND_F_ENUM("format", "format", ADMIND_FIELD_IMMUTABLE,
      admind_webhook_formats),
    ADMIND_F_STRING("url", NULL, ADMIND_FIELD_REQUIRED | ADMIND_FIELD_LINE,
      1, ADMIND_WEBHOOK_URL_MAX),
    ADMIND_F_OUTPUT("urlHint", ADMIND_FIELD_STRING, "w.url_hint"),
    ADMIND_F_STRING("chatId", "chat_id",
      ADMIND_FIELD_NULLABLE | ADMIND_FIELD_LINE, 1, 128),
    ADMIND_F_STRING("secret", NULL, ADMIND_FIELD_NULLABLE | ADMIND_FIELD_LINE,
      1, ADMIND_WEBHOOKS_SECRET_MAX),
    ADMIND_F_OUTPUT("hasSecret", ADMIND_FIELD_BOOL,
      "w.secret_enc IS NOT NULL"),
    ADMIND_F_STRINGS("events", NULL, ADMIND_FIELD_NULLABLE, 1,
      ADMIND_WEBHOOK_EVENT_MAX, admind_webhook_events,
      ADMIND_WEBHOOKS_EVENTS_MAX, "w.events"),
    ADMIND_F_BOOL("enabled", "enabled", 0),
    ADMIND_F_ROW_CREATED("w"),
    ADMIND_F_ROW_UPDATED("w"),
    ADMIND_F_ROW_VERSION("w"),
    ADMIND_F_END
};


static const admind_filter_t  admind_webhooks_filters[] = {
    { "format", "w.format", ADMIND_FIELD_STRING },
    { NULL, NULL, 0 }
};


static const admind_unique_t  admind_webhooks_uniques[] = {
    { "uk_webhooks_name", "name" },
    { NULL, NULL }
};


static int
admind_webhooks_fixup(json_t *row)
{
    admind_resource_bool_column(row, "enabled");
    admind_resource_bool_column(row, "hasSecret");

    return admind_resource_json_column(row, "events", "[]");
}


static const admind_resource_t  admind_webhooks_resource = {
    "webhook", "webhook", "webhooks",

    NULL,

    "w.id", "FROM webhooks w", admind_webhooks_filters,
    admind_webhooks_uniques, admind_webhooks_fixup, admind_webhooks_fields
};


static int
admind_webhooks_list(admind_req_t *r)
{
    return admind_resource_list(r, &admind_webhooks_resource);
}


static int
admind_webhooks_get(admind_req_t *r)
{
    return admind_resource_get(r, &admind_webhooks_resource);
}


/* what the hooks of one write share */
typedef struct {
    admind_webhook_url_t   url;
    unsigned               has_url:1;
    char                  *events;
    unsigned char         *url_env;
    unsigned char         *secret_env;
    size_t                 url_env_len;
    size_t                 secret_env_len;
} admind_webhooks_op_t;


/* the URL checked by the policy: DNS may take a while, not in the txn */
static int
admind_webhooks_prepare(admind_writer_op_t *op)
{
    char                   err[ADMIND_ERRLEN];
    const char            *url;
    admind_webhooks_op_t  *w;

    w = op->data;

    if (op->op == ADMIND_WRITER_DELETE) {
        return ADMIND_OK;
    }

    if ((admind_fields_has(op->body, "url")
         || admind_fields_str(op->body, "secret", NULL) != NULL)
        && !op->r->ctx->has_master_key)
    {
        admind_resp_error(op->r, 503, "unavailable", "master_key_file is "
                          "not configured: webhook URLs and secrets cannot "
                          "be stored");
        return ADMIND_ERROR;
    }

    url = admind_fields_str(op->body, "url", NULL);

    if (url != NULL) {
        if (admind_webhook_url_check(&op->r->ctx->conf->outbound, url,
                                     &w->url, err, sizeof(err))
            != ADMIND_OK)
        {
            admind_resp_error(op->r, 400, "invalid_argument", "%s", err);
            return ADMIND_ERROR;
        }

        w->has_url = 1;
    }

    return ADMIND_OK;
}


/* chatId is Telegram's; only generic, Feishu and DingTalk sign */
static int
admind_webhooks_check(admind_writer_op_t *op)
{
    json_t      *body;
    const char  *format;

    if (op->op == ADMIND_WRITER_DELETE) {
        return ADMIND_OK;
    }

    body = op->body;
    format = op->op == ADMIND_WRITER_CREATE
             ? admind_fields_str(body, "format", "generic")
             : json_string_value(json_object_get(op->before, "format"));

    if (format == NULL) {
        admind_resp_error(op->r, 500, "internal_error", "webhook without "
                          "a format");
        return ADMIND_ERROR;
    }

    if (strcmp(format, "telegram") == 0) {
        if ((op->op == ADMIND_WRITER_CREATE
             && admind_fields_str(body, "chatId", NULL) == NULL)
            || (op->op == ADMIND_WRITER_UPDATE
                && admind_fields_is_null(body, "chatId")))
        {
            admind_resp_error(op->r, 400, "invalid_argument", "field "
                              "\"chatId\" is required for format telegram");
            return ADMIND_ERROR;
        }

    } else if (admind_fields_str(body, "chatId", NULL) != NULL) {
        admind_resp_error(op->r, 400, "invalid_argument", "field "
                          "\"chatId\" does not apply to format %s", format);
        return ADMIND_ERROR;
    }

    if (admind_fields_str(body, "secret", NULL) != NULL
        && strcmp(format, "generic") != 0 && strcmp(format, "feishu") != 0
        && strcmp(format, "dingtalk") != 0)
    {
        admind_resp_error(op->r, 400, "invalid_argument", "field "
                          "\"secret\" does not apply to format %s (generic, "
                          "feishu and dingtalk sign)", format);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


/* URL and secret sealed for webhook id, into the INSERT or UPDATE */
static int
admind_webhooks_seal(admind_writer_op_t *op, admind_webhooks_op_t *w)
{
    const char  *secret;

    if (w->has_url) {
        if (admind_webhook_seal(&op->r->ctx->master_key, op->id,
                                ADMIND_WEBHOOK_SEAL_URL, w->url.url,
                                &w->url_env, &w->url_env_len)
            != ADMIND_OK)
        {
            goto failed;
        }

        admind_write_set(&op->w, "url_enc",
                         admind_db_blob(w->url_env, w->url_env_len));
        admind_write_set(&op->w, "url_hint", admind_db_str(w->url.hint));
    }

    if (admind_fields_has(op->body, "secret")) {
        secret = admind_fields_str(op->body, "secret", NULL);

        if (secret == NULL) {
            admind_write_set(&op->w, "secret_enc", admind_db_null());

        } else {
            if (admind_webhook_seal(&op->r->ctx->master_key, op->id,
                                    ADMIND_WEBHOOK_SEAL_SECRET, secret,
                                    &w->secret_env, &w->secret_env_len)
                != ADMIND_OK)
            {
                goto failed;
            }

            admind_write_set(&op->w, "secret_enc",
                             admind_db_blob(w->secret_env,
                                            w->secret_env_len));
        }
    }

    return ADMIND_OK;

failed:

    admind_resp_error(op->r, 500, "internal_error", "cannot seal the "
                      "webhook URL or secret");

    return ADMIND_ERROR;
}


static int
admind_webhooks_write(admind_writer_op_t *op)
{
    json_t                *events;
    admind_webhooks_op_t  *w;

    w = op->data;

    if (admind_fields_has(op->body, "events")) {
        events = admind_fields_array(op->body, "events");

        if (events != NULL) {
            w->events = json_dumps(events, JSON_COMPACT);

            if (w->events == NULL) {
                admind_resp_error(op->r, 500, "internal_error",
                                  "out of memory");
                return ADMIND_ERROR;
            }
        }

        admind_write_set(&op->w, "events", w->events != NULL
                                           ? admind_db_str(w->events)
                                           : admind_db_null());
    }

    if (op->op == ADMIND_WRITER_UPDATE) {
        return admind_webhooks_seal(op, w);
    }

    /* sealed once the id is known (after); the row is never seen empty */
    admind_write_set(&op->w, "url_enc", admind_db_blob("", 0));
    admind_write_set(&op->w, "url_hint", admind_db_str(w->url.hint));

    return ADMIND_OK;
}


/* the AAD of a new webhook's URL and secret is its id, known only now */
static int
admind_webhooks_after(admind_writer_op_t *op)
{
    admind_webhooks_op_t  *w;

    if (op->op != ADMIND_WRITER_CREATE) {
        return ADMIND_OK;
    }

    w = op->data;
    admind_write_init(&op->w);

    if (admind_webhooks_seal(op, w) != ADMIND_OK) {
        return ADMIND_ERROR;
    }

    return admind_write_update(op->mysql, "webhooks", &op->w, op->id,
                               op->err, sizeof(op->err));
}


static void
admind_webhooks_cleanup(admind_writer_op_t *op)
{
    admind_webhooks_op_t  *w;

    w = op->data;

    admind_fields_wipe(op->body, "url");
    admind_fields_wipe(op->body, "secret");
    ql_wipe(w->url.url, sizeof(w->url.url));

    free(w->events);
    free(w->url_env);
    free(w->secret_env);
}


static const admind_writer_t  admind_webhooks_writer = {
    &admind_webhooks_resource, "webhooks", admind_webhooks_fields, NULL,
    NULL, admind_webhooks_prepare, admind_webhooks_check,
    admind_webhooks_write, admind_webhooks_after, NULL,
    admind_webhooks_cleanup
};


static int
admind_webhooks_create(admind_req_t *r)
{
    admind_webhooks_op_t  w;

    memset(&w, 0, sizeof(w));

    return admind_writer_create(r, &admind_webhooks_writer, &w);
}


static int
admind_webhooks_update(admind_req_t *r)
{
    admind_webhooks_op_t  w;

    memset(&w, 0, sizeof(w));

    return admind_writer_update(r, &admind_webhooks_writer, &w);
}


static int
admind_webhooks_delete(admind_req_t *r)
{
    admind_webhooks_op_t  w;

    memset(&w, 0, sizeof(w));

    return admind_writer_delete(r, &admind_webhooks_writer, &w);
}


/* 202: the worker sends it within webhook_check_ms */
static int
admind_webhooks_test(admind_req_t *r)
{
    int        rc;
    char       err[ADMIND_ERRLEN];
    MYSQL     *mysql;
    json_t    *body;
    uint64_t   id, delivery;

    if (admind_req_param_id(r, "id", &id) != ADMIND_OK) {
        return r->status;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL) {
        return r->status;
    }

    rc = admind_webhook_event_to(mysql, id, ADMIND_WEBHOOK_TEST,
                                 "a test event from QuotaLane", &delivery,
                                 err, sizeof(err));

    if (rc == ADMIND_DECLINED) {
        return admind_resp_error(r, 404, "not_found", "no webhook %llu",
                                 (unsigned long long) id);
    }

    if (rc != ADMIND_OK) {
        return admind_resource_db_error(r, &admind_webhooks_resource, err);
    }

    body = json_pack("{s:o}", "deliveryId",
                     admind_json_int64((long long) delivery));
    if (body == NULL) {
        return admind_resp_error(r, 500, "internal_error", "out of memory");
    }

    return admind_resp_json(r, 202, body);
}


#define ADMIND_WEBHOOKS_DELIVERY_SELECT                                      \
    "SELECT CAST(d.id AS CHAR) AS id, "                                      \
    "CAST(d.webhook_id AS CHAR) AS webhookId, d.event AS event, "            \
    "d.status AS status, d.attempts AS attempts, "                           \
    "d.last_status AS lastStatus, d.last_error AS lastError, "               \
    "d.payload AS payload, "                                                 \
    ADMIND_SQL_TIME("d.created_at", "createdAt") ", "                        \
    "IF(d.status = 'pending', "                                              \
    ADMIND_SQL_TIME_READ("d.next_attempt_at") ", NULL) AS nextAttemptAt, "   \
    ADMIND_SQL_TIME("d.sent_at", "sentAt") " "                               \
    "FROM webhook_deliveries d WHERE d.webhook_id = ? "                      \
    "ORDER BY d.id DESC LIMIT ? OFFSET ?"


static int
admind_webhooks_deliveries(admind_req_t *r)
{
    int                exists;
    char               err[ADMIND_ERRLEN], token[ADMIND_PAGE_TOKEN_LEN];
    MYSQL             *mysql;
    json_t            *rows, *row, *body;
    size_t             i;
    uint64_t           id;
    admind_page_t      page;
    admind_db_param_t  params[3];

    if (admind_req_param_id(r, "id", &id) != ADMIND_OK) {
        return r->status;
    }

    if (admind_req_page(r, &page) != ADMIND_OK) {
        return r->status;
    }

    if (admind_req_query_known(r) != ADMIND_OK) {
        return r->status;
    }

    mysql = admind_resource_db(r);
    if (mysql == NULL
        || admind_resource_exists(r, mysql, &admind_webhooks_resource,
                                  "webhooks", id, &exists)
           != ADMIND_OK)
    {
        return r->status;
    }

    if (!exists) {
        return admind_resp_error(r, 404, "not_found", "no webhook %llu",
                                 (unsigned long long) id);
    }

    params[0] = admind_db_int((long long) id);
    params[1] = admind_db_int((long long) page.size);
    params[2] = admind_db_int((long long) page.offset);

    if (admind_db_select(mysql, ADMIND_WEBHOOKS_DELIVERY_SELECT, params, 3,
                         &rows, err, sizeof(err))
        != ADMIND_OK)
    {
        return admind_resource_db_error(r, &admind_webhooks_resource, err);
    }

    json_array_foreach(rows, i, row) {
        if (admind_resource_json_column(row, "payload", "null")
            != ADMIND_OK)
        {
            json_decref(rows);
            return admind_resp_error(r, 500, "internal_error",
                                     "out of memory");
        }
    }

    token[0] = '\0';

    if (json_array_size(rows) == page.size) {
        admind_page_token(page.offset + page.size, token);
    }

    body = json_pack("{s:o,s:s}", "deliveries", rows, "nextPageToken",
                     token);
    if (body == NULL) {
        return admind_resp_error(r, 500, "internal_error", "out of memory");
    }

    return admind_resp_json(r, 200, body);
}
