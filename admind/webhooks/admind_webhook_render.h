/*
 * QuotaLane admind: webhook bodies, one shape per format.
 *
 * An event is queued as its payload (admind_webhook_event.h):
 * {"event","accountId","accountName","message","details","timestamp"}.
 * At delivery it becomes the body the format's receiver expects:
 *
 *   generic   the payload and the delivery's "id"
 *   slack     {"text"}                      discord  {"content"}
 *   telegram  {"chat_id","text"}            bark     {"title","body","group"}
 *   feishu    {"msg_type":"text","content":{"text"}} (+ "timestamp",
 *             "sign" when the webhook has a secret)
 *   dingtalk, wecom  {"msgtype":"text","text":{"content"}}
 *
 * The chat formats get one line of text saying what happened to which
 * account.
 */

#ifndef _ADMIND_WEBHOOK_RENDER_H_INCLUDED_
#define _ADMIND_WEBHOOK_RENDER_H_INCLUDED_


#include <time.h>
#include <jansson.h>

#include "admind.h"


/* the formats, NULL-terminated, as webhooks.format stores them */
extern const char *const  admind_webhook_formats[];


/*
 * The body, compact JSON, malloc()ed; NULL when out of memory or the
 * format is unknown.  chat_id is Telegram's, secret Feishu's (NULL:
 * unsigned), now the signature's time.
 */
char *admind_webhook_render(const char *format, uint64_t delivery_id,
    json_t *payload, const char *chat_id, const char *secret, time_t now);


#endif /* _ADMIND_WEBHOOK_RENDER_H_INCLUDED_ */
