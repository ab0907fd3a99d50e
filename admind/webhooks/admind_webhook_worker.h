/*
 * QuotaLane admind: the webhook delivery worker.
 *
 * Every webhook_check_ms it takes the due pending rows of
 * webhook_deliveries one at a time and POSTs each to its webhook
 * (admind_webhook_send.h) in the webhook's format
 * (admind_webhook_render.h), signed when the webhook has a secret
 * (admind_webhook_sign.h).  A 2xx answer makes the row "sent" (a
 * DingTalk, Feishu or WeCom answer with a nonzero error code does not:
 * those say 200 to everything).  Anything else is retried after
 * webhook_backoff_seconds, doubled at each attempt (5, 10, 20 s, ...,
 * at most a day), until webhook_max_attempts attempts were made: then
 * it is "failed".  Each row keeps its attempts, the last HTTP status and
 * the last error, for webhook_retention_days once it is sent or failed.
 *
 * Several admind processes may run the worker: a row is claimed by an
 * UPDATE that sets a random claim and moves next_attempt_at a lease
 * ahead (only a due pending row can be claimed, and InnoDB's row lock
 * lets one UPDATE win), and its outcome is written only under the same
 * claim.  A process that dies mid-delivery leaves the row to be sent
 * again when the lease ends: at least once, never twice at a time.
 */

#ifndef _ADMIND_WEBHOOK_WORKER_H_INCLUDED_
#define _ADMIND_WEBHOOK_WORKER_H_INCLUDED_


#include "admind.h"
#include "ql_crypto.h"


/* the key URLs and secrets are sealed with; without one nothing is sent */
void admind_webhook_worker_key(const ql_master_key_t *mk);

int admind_webhook_worker_start(const admind_conf_t *conf, char *err,
    size_t errlen);
void admind_webhook_worker_stop(void);


#endif /* _ADMIND_WEBHOOK_WORKER_H_INCLUDED_ */
