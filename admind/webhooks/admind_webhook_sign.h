/*
 * QuotaLane admind: webhook signatures (HMAC-SHA256).
 *
 * generic:  "sha256=" hex(HMAC(key = secret, data = ts "." body)), sent
 *           as X-QuotaLane-Signature with ts (Unix seconds) as
 *           X-QuotaLane-Timestamp: a receiver recomputes it and refuses
 *           old timestamps, so a captured request cannot be replayed.
 * Feishu:   base64(HMAC(key = ts "\n" secret, data = "")), ts in seconds
 *           (the custom bot's "signature verification").
 * DingTalk: base64(HMAC(key = secret, data = ts "\n" secret)), ts in
 *           milliseconds (the custom robot's "加签"), not yet URL-encoded.
 */

#ifndef _ADMIND_WEBHOOK_SIGN_H_INCLUDED_
#define _ADMIND_WEBHOOK_SIGN_H_INCLUDED_


#include "admind.h"


/* "sha256=" and 64 hex digits, and a NUL */
#define ADMIND_WEBHOOK_SIG_LEN     (7 + 64 + 1)

/* base64 of 32 bytes, and a NUL */
#define ADMIND_WEBHOOK_SIG64_LEN   (44 + 1)


int admind_webhook_sign_generic(const char *secret, const char *ts,
    const char *body, char out[ADMIND_WEBHOOK_SIG_LEN]);

int admind_webhook_sign_feishu(const char *secret, const char *ts,
    char out[ADMIND_WEBHOOK_SIG64_LEN]);

int admind_webhook_sign_dingtalk(const char *secret, const char *ts_ms,
    char out[ADMIND_WEBHOOK_SIG64_LEN]);


#endif /* _ADMIND_WEBHOOK_SIGN_H_INCLUDED_ */
