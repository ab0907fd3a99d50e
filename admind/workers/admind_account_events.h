/*
 * QuotaLane admind: the account events the gateway sees, for webhooks.
 *
 * feedback.lua and usage.lua add an entry to <prefix>events when an
 * account's state changes under traffic (a 429 starts a cooldown, a
 * 401/403 refuses its credential, its circuit opens or closes again, a
 * usage window of the vendor's is exhausted), never for every answer.
 * This worker reads them through a consumer group (each entry to one
 * admind; the own pending entries first, then a dead admind's after a
 * minute), queues the webhook event (admind_webhook_event.h) and
 * acknowledges it only then: with MySQL down the entries wait.
 */

#ifndef _ADMIND_ACCOUNT_EVENTS_H_INCLUDED_
#define _ADMIND_ACCOUNT_EVENTS_H_INCLUDED_


#include "admind.h"
#include "admind_config.h"


int admind_account_events_start(const admind_conf_t *conf, char *err,
    size_t errlen);
void admind_account_events_stop(void);


#endif /* _ADMIND_ACCOUNT_EVENTS_H_INCLUDED_ */
