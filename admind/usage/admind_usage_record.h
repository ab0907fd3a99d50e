/*
 * QuotaLane admind: one usage record from the stream, checked.
 *
 * The gateway appends records (proto/usage_record.md) to <prefix>usage
 * as field/value pairs of decimal strings.  admind_usage_record_parse()
 * turns one entry into the values of a usage_records row, or says why it
 * cannot: such a record goes to the dead-letter stream instead of
 * blocking the ones behind it.  Every value is checked against its
 * column here, so that a batch INSERT does not fail on data.
 */

#ifndef _ADMIND_USAGE_RECORD_H_INCLUDED_
#define _ADMIND_USAGE_RECORD_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "admind.h"


#define ADMIND_USAGE_REQUEST_ID_MAX  64
#define ADMIND_USAGE_TRACE_ID_LEN    32
#define ADMIND_USAGE_PLATFORM_MAX    32

/* characters of usage_records.model; each may take 4 bytes in UTF-8 */
#define ADMIND_USAGE_MODEL_CHARS     128
#define ADMIND_USAGE_MODEL_MAX       (ADMIND_USAGE_MODEL_CHARS * 4)

/* "2026-01-31 23:59:59.999" */
#define ADMIND_USAGE_TS_LEN          23


typedef struct {
    char                 request_id[ADMIND_USAGE_REQUEST_ID_MAX + 1];
    unsigned long        request_id_len;

    /* 32 hex digits, or none (0: stored as NULL) */
    char                 trace_id[ADMIND_USAGE_TRACE_ID_LEN + 1];
    unsigned long        trace_id_len;

    long long            ts_ms;
    char                 ts[ADMIND_USAGE_TS_LEN + 1];
    unsigned long        ts_len;

    /* 0: none (stored as NULL) */
    unsigned long long   key_id;
    unsigned long long   user_id;
    unsigned long long   account_id;

    char                 platform[ADMIND_USAGE_PLATFORM_MAX + 1];
    unsigned long        platform_len;
    char                 model[ADMIND_USAGE_MODEL_MAX + 1];
    unsigned long        model_len;

    unsigned long long   input_tokens;
    unsigned long long   output_tokens;
    unsigned long long   cache_creation_tokens;
    unsigned long long   cache_creation_5m_tokens;
    unsigned long long   cache_creation_1h_tokens;
    unsigned long long   cache_read_tokens;
    long long            cost_micros;
    unsigned long long   cost_pico;

    /* 0: absent (stored as NULL) */
    unsigned long long   upstream_status;
    unsigned long long   status;
    unsigned long long   latency_ms;
    unsigned long long   ttfb_ms;

    long long            priced_by_fallback;
    long long            streamed;
    long long            aborted;
    long long            complete;
} admind_usage_record_t;


/*
 * argv holds n strings: field, value, field, value, ...  Unknown fields
 * are ignored (a newer gateway may add some), absent numbers are 0.
 * request_id and ts_ms are required.  A model that is not valid UTF-8 or
 * longer than its column is repaired (invalid bytes become '?', the rest
 * is cut), not refused: the tokens and the cost still count.
 */
int admind_usage_record_parse(admind_usage_record_t *rec, size_t n,
    const char *const *argv, const size_t *argvlen, char *err,
    size_t errlen);


#endif /* _ADMIND_USAGE_RECORD_H_INCLUDED_ */
