/*
 * QuotaLane admind: one usage record from the stream, checked.
 *
 * Money and token counts must be exact decimal numbers: anything else
 * means the record is corrupt, and it is refused rather than guessed.
 * Descriptive numbers (statuses, latencies, flags) beyond their column
 * are clamped: a strange latency is no reason to lose what a request
 * cost.
 */

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ql_utf8.h"
#include "admind_usage_record.h"


/* the largest value any BIGINT column here takes */
#define ADMIND_USAGE_INT64_MAX    9223372036854775807ULL

/* 9999-12-31 23:59:59.999, the end of the DATETIME range */
#define ADMIND_USAGE_TS_MAX       253402300799999LL

#define ADMIND_USAGE_UINT16_MAX   65535ULL
#define ADMIND_USAGE_UINT32_MAX   4294967295ULL


typedef enum {
    ADMIND_USAGE_NUMBER = 0,     /* exact, 0..2^63-1, or refused */
    ADMIND_USAGE_STATUS,         /* clamped to SMALLINT UNSIGNED */
    ADMIND_USAGE_MS,             /* clamped to INT UNSIGNED */
    ADMIND_USAGE_FLAG,           /* 0 or 1; other numbers are 1 */
    ADMIND_USAGE_REQUEST_ID,
    ADMIND_USAGE_PLATFORM,
    ADMIND_USAGE_MODEL,
    ADMIND_USAGE_TRACE_ID
} admind_usage_kind_e;


typedef struct {
    const char           *name;
    admind_usage_kind_e   kind;
    size_t                offset;
} admind_usage_field_t;


#define admind_usage_off(f)  offsetof(admind_usage_record_t, f)

static const admind_usage_field_t  admind_usage_fields[] = {
    { "request_id", ADMIND_USAGE_REQUEST_ID, 0 },
    { "ts_ms", ADMIND_USAGE_NUMBER, admind_usage_off(ts_ms) },
    { "key_id", ADMIND_USAGE_NUMBER, admind_usage_off(key_id) },
    { "user_id", ADMIND_USAGE_NUMBER, admind_usage_off(user_id) },
    { "account_id", ADMIND_USAGE_NUMBER, admind_usage_off(account_id) },
    { "platform", ADMIND_USAGE_PLATFORM, 0 },
    { "model", ADMIND_USAGE_MODEL, 0 },
    { "trace_id", ADMIND_USAGE_TRACE_ID, 0 },
    { "input_tokens", ADMIND_USAGE_NUMBER,
      admind_usage_off(input_tokens) },
    { "output_tokens", ADMIND_USAGE_NUMBER,
      admind_usage_off(output_tokens) },
    { "cache_creation_tokens", ADMIND_USAGE_NUMBER,
      admind_usage_off(cache_creation_tokens) },
    { "cache_creation_5m_tokens", ADMIND_USAGE_NUMBER,
      admind_usage_off(cache_creation_5m_tokens) },
    { "cache_creation_1h_tokens", ADMIND_USAGE_NUMBER,
      admind_usage_off(cache_creation_1h_tokens) },
    { "cache_read_tokens", ADMIND_USAGE_NUMBER,
      admind_usage_off(cache_read_tokens) },
    { "cost_micros", ADMIND_USAGE_NUMBER, admind_usage_off(cost_micros) },
    { "cost_pico", ADMIND_USAGE_NUMBER, admind_usage_off(cost_pico) },
    { "priced_by_fallback", ADMIND_USAGE_FLAG,
      admind_usage_off(priced_by_fallback) },
    { "upstream_status", ADMIND_USAGE_STATUS,
      admind_usage_off(upstream_status) },
    { "status", ADMIND_USAGE_STATUS, admind_usage_off(status) },
    { "latency_ms", ADMIND_USAGE_MS, admind_usage_off(latency_ms) },
    { "ttfb_ms", ADMIND_USAGE_MS, admind_usage_off(ttfb_ms) },
    { "streamed", ADMIND_USAGE_FLAG, admind_usage_off(streamed) },
    { "aborted", ADMIND_USAGE_FLAG, admind_usage_off(aborted) },
    { "complete", ADMIND_USAGE_FLAG, admind_usage_off(complete) },
    { NULL, 0, 0 }
};


/* decimal digits only; "" is 0 (the gateway sends "" for "none") */
static int
admind_usage_number(const char *p, size_t len, unsigned long long *v)
{
    size_t              i;
    unsigned long long  n;

    n = 0;

    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return ADMIND_ERROR;
        }

        if (n > (ADMIND_USAGE_INT64_MAX - (unsigned) (p[i] - '0')) / 10) {
            return ADMIND_ERROR;
        }

        n = n * 10 + (unsigned) (p[i] - '0');
    }

    *v = n;

    return ADMIND_OK;
}


/* valid UTF-8 of at most ADMIND_USAGE_MODEL_CHARS characters */
static void
admind_usage_model(admind_usage_record_t *rec, const char *p, size_t len)
{
    size_t                i, n, chars;
    const unsigned char  *s;

    s = (const unsigned char *) p;
    rec->model_len = 0;
    chars = 0;

    for (i = 0; i < len && chars < ADMIND_USAGE_MODEL_CHARS; chars++) {
        n = ql_utf8_char(s + i, len - i);

        if (n == 0) {
            rec->model[rec->model_len++] = '?';
            i++;
            continue;
        }

        memcpy(rec->model + rec->model_len, s + i, n);
        rec->model_len += n;
        i += n;
    }

    rec->model[rec->model_len] = '\0';
}


static int
admind_usage_request_id(admind_usage_record_t *rec, const char *p,
    size_t len)
{
    size_t  i;

    if (len == 0 || len > ADMIND_USAGE_REQUEST_ID_MAX) {
        return ADMIND_ERROR;
    }

    for (i = 0; i < len; i++) {
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'z')
              || (p[i] >= 'A' && p[i] <= 'Z') || p[i] == '-'
              || p[i] == '_'))
        {
            return ADMIND_ERROR;
        }
    }

    memcpy(rec->request_id, p, len);
    rec->request_id[len] = '\0';
    rec->request_id_len = len;

    return ADMIND_OK;
}


static int
admind_usage_platform(admind_usage_record_t *rec, const char *p,
    size_t len)
{
    size_t  i;

    if (len > ADMIND_USAGE_PLATFORM_MAX) {
        return ADMIND_ERROR;
    }

    for (i = 0; i < len; i++) {
        if (p[i] <= ' ' || p[i] > '~') {
            return ADMIND_ERROR;
        }
    }

    memcpy(rec->platform, p, len);
    rec->platform[len] = '\0';
    rec->platform_len = len;

    return ADMIND_OK;
}


/* a trace id is for finding the row: a malformed one is left out */
static void
admind_usage_trace_id(admind_usage_record_t *rec, const char *p,
    size_t len)
{
    size_t  i;

    if (len != ADMIND_USAGE_TRACE_ID_LEN) {
        return;
    }

    for (i = 0; i < len; i++) {
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
        {
            return;
        }
    }

    memcpy(rec->trace_id, p, len);
    rec->trace_id[len] = '\0';
    rec->trace_id_len = len;
}


static const admind_usage_field_t *
admind_usage_field(const char *name, size_t len)
{
    const admind_usage_field_t  *f;

    for (f = admind_usage_fields; f->name != NULL; f++) {
        if (strlen(f->name) == len && memcmp(f->name, name, len) == 0) {
            return f;
        }
    }

    return NULL;
}


static int
admind_usage_value(admind_usage_record_t *rec, const admind_usage_field_t *f,
    const char *p, size_t len, char *err, size_t errlen)
{
    unsigned long long   v, *u;

    switch (f->kind) {

    case ADMIND_USAGE_REQUEST_ID:
        if (admind_usage_request_id(rec, p, len) != ADMIND_OK) {
            snprintf(err, errlen, "malformed request_id");
            return ADMIND_ERROR;
        }
        return ADMIND_OK;

    case ADMIND_USAGE_PLATFORM:
        if (admind_usage_platform(rec, p, len) != ADMIND_OK) {
            snprintf(err, errlen, "malformed platform");
            return ADMIND_ERROR;
        }
        return ADMIND_OK;

    case ADMIND_USAGE_MODEL:
        admind_usage_model(rec, p, len);
        return ADMIND_OK;

    case ADMIND_USAGE_TRACE_ID:
        admind_usage_trace_id(rec, p, len);
        return ADMIND_OK;

    default:
        break;
    }

    if (admind_usage_number(p, len, &v) != ADMIND_OK) {
        snprintf(err, errlen, "field %s is not a decimal number in range",
                 f->name);
        return ADMIND_ERROR;
    }

    switch (f->kind) {

    case ADMIND_USAGE_STATUS:
        if (v > ADMIND_USAGE_UINT16_MAX) {
            v = ADMIND_USAGE_UINT16_MAX;
        }
        break;

    case ADMIND_USAGE_MS:
        if (v > ADMIND_USAGE_UINT32_MAX) {
            v = ADMIND_USAGE_UINT32_MAX;
        }
        break;

    case ADMIND_USAGE_FLAG:
        v = v != 0;
        break;

    default:
        break;
    }

    /* signed and unsigned 64-bit fields alike: v <= 2^63-1 fits both */
    u = (unsigned long long *) ((char *) rec + f->offset);
    *u = v;

    return ADMIND_OK;
}


int
admind_usage_record_parse(admind_usage_record_t *rec, size_t n,
    const char *const *argv, const size_t *argvlen, char *err,
    size_t errlen)
{
    size_t                       i;
    time_t                       t;
    struct tm                    tm;
    const admind_usage_field_t  *f;

    memset(rec, 0, sizeof(admind_usage_record_t));
    rec->ts_ms = -1;

    if (n % 2 != 0) {
        snprintf(err, errlen, "odd number of fields");
        return ADMIND_ERROR;
    }

    for (i = 0; i < n; i += 2) {
        f = admind_usage_field(argv[i], argvlen[i]);
        if (f == NULL) {
            continue;
        }

        if (admind_usage_value(rec, f, argv[i + 1], argvlen[i + 1], err,
                               errlen)
            != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }
    }

    if (rec->request_id_len == 0) {
        snprintf(err, errlen, "no request_id");
        return ADMIND_ERROR;
    }

    if (rec->ts_ms <= 0 || rec->ts_ms > ADMIND_USAGE_TS_MAX) {
        snprintf(err, errlen, rec->ts_ms < 0 ? "no ts_ms"
                                             : "ts_ms out of range");
        return ADMIND_ERROR;
    }

    t = (time_t) (rec->ts_ms / 1000);

    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(err, errlen, "ts_ms out of range");
        return ADMIND_ERROR;
    }

    rec->ts_len = (unsigned long) snprintf(rec->ts, sizeof(rec->ts),
                                           "%04d-%02d-%02d %02d:%02d:%02d"
                                           ".%03d",
                                           tm.tm_year + 1900, tm.tm_mon + 1,
                                           tm.tm_mday, tm.tm_hour,
                                           tm.tm_min, tm.tm_sec,
                                           (int) (rec->ts_ms % 1000));

    return ADMIND_OK;
}
