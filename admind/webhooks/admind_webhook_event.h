/*
 * QuotaLane admind: raising account events for webhooks.
 *
 * Code that sees something happen to an account calls
 *
 *     admind_webhook_event(mysql, ADMIND_WEBHOOK_ACCOUNT_ERROR,
 *                          account_id, account_name, "why", details);
 *
 * which inserts one pending row in webhook_deliveries per enabled
 * webhook subscribed to the event (its events list holds it, or is empty)
 * and returns: nothing waits on the network.  The delivery worker
 * (admind_webhook_worker.h) sends them.  The row holds the event as
 * {"event","accountId","accountName","message","details","timestamp"}
 * (accountId a decimal string, null for events about no account); each
 * format renders it at delivery (admind_webhook_render.h).
 */

#ifndef _ADMIND_WEBHOOK_EVENT_H_INCLUDED_
#define _ADMIND_WEBHOOK_EVENT_H_INCLUDED_


#include <mysql.h>
#include <jansson.h>

#include "admind.h"


#define ADMIND_WEBHOOK_REFRESH_FAILED   "account.refresh_failed"
#define ADMIND_WEBHOOK_ACCOUNT_ERROR    "account.error"
#define ADMIND_WEBHOOK_AUTH_FAILED      "account.auth_failed"
#define ADMIND_WEBHOOK_RATE_LIMITED     "account.rate_limited"
#define ADMIND_WEBHOOK_RECOVERED        "account.recovered"
#define ADMIND_WEBHOOK_QUOTA_EXHAUSTED  "account.quota_exhausted"
#define ADMIND_WEBHOOK_TEST             "webhook.test"

/* the longest event name the table takes */
#define ADMIND_WEBHOOK_EVENT_MAX        64


/* the event names above, NULL-terminated */
extern const char *const  admind_webhook_events[];


/*
 * Queues event for every subscribed webhook.  account_id 0 and NULL
 * name, message or details are left out (null); details, an object, is
 * borrowed.  ADMIND_OK, or ADMIND_ERROR (logged: the caller's own work
 * goes on) for an unknown event or a failed INSERT.  Runs in the
 * caller's transaction when it has one.
 */
int admind_webhook_event(MYSQL *mysql, const char *event,
    uint64_t account_id, const char *account_name, const char *message,
    json_t *details);

/*
 * Queues event for webhook_id alone, whatever it subscribes to and
 * whether it is enabled (a test of it): ADMIND_OK with *delivery_id,
 * ADMIND_DECLINED when there is no such webhook, ADMIND_ERROR with err.
 */
int admind_webhook_event_to(MYSQL *mysql, uint64_t webhook_id,
    const char *event, const char *message, uint64_t *delivery_id,
    char *err, size_t errlen);


#endif /* _ADMIND_WEBHOOK_EVENT_H_INCLUDED_ */
