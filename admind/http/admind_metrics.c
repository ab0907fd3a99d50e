/*
 * QuotaLane admind: GET /metrics (see admind_metrics.h).
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#include <openssl/crypto.h>

#include "admind_config.h"
#include "admind_file.h"
#include "admind_request.h"
#include "admind_response.h"
#include "admind_db.h"
#include "admind_db_stmt.h"
#include "admind_redis.h"
#include "admind_hotstate.h"
#include "admind_usage_consumer.h"
#include "admind_metrics.h"


#define ADMIND_METRICS_ROUTES    160
#define ADMIND_METRICS_BUCKETS   10
#define ADMIND_METRICS_ACCOUNTS  "1000"


/* latency bounds, ms: HTTP requests and usage batches alike */
static const double  admind_metrics_bounds[ADMIND_METRICS_BUCKETS] = {
    1, 2.5, 5, 10, 25, 50, 100, 250, 1000, 5000
};


typedef struct {
    unsigned long long  bucket[ADMIND_METRICS_BUCKETS + 1];
    unsigned long long  count;
    double              sum;            /* ms */
} admind_metrics_histogram_t;


typedef struct {
    const admind_route_t        *route;  /* NULL: unmatched */
    char                         method[8];
    unsigned long long           status[6];  /* 1xx..5xx, other */
    admind_metrics_histogram_t   latency;
} admind_metrics_route_t;


static struct {
    pthread_mutex_t             mutex;
    admind_metrics_route_t      routes[ADMIND_METRICS_ROUTES];
    size_t                      nroutes;
    admind_metrics_histogram_t  batches;
    unsigned long long          stored;
    unsigned long long          dead;
    unsigned long long          db_unavailable;
    unsigned long long          redis_unavailable;
} admind_metrics = { .mutex = PTHREAD_MUTEX_INITIALIZER };


static int admind_metrics_get(admind_req_t *r);


const admind_route_t  admind_metrics_routes[] = {
    { "GET", "/metrics", admind_metrics_get, ADMIND_ROUTE_PUBLIC, 0 },
    { NULL, NULL, NULL, 0, 0 }
};


static void
admind_metrics_observe(admind_metrics_histogram_t *h, double ms)
{
    size_t  i;

    for (i = 0; i < ADMIND_METRICS_BUCKETS && ms > admind_metrics_bounds[i];
         i++)
    { /* void */ }

    h->bucket[i]++;
    h->count++;
    h->sum += ms;
}


void
admind_metrics_http(const admind_route_t *route, const char *method,
    unsigned status, double ms)
{
    size_t                   i;
    admind_metrics_route_t  *m;

    pthread_mutex_lock(&admind_metrics.mutex);

    m = NULL;

    for (i = 0; i < admind_metrics.nroutes; i++) {
        if (admind_metrics.routes[i].route == route
            && strcmp(admind_metrics.routes[i].method, method) == 0)
        {
            m = &admind_metrics.routes[i];
            break;
        }
    }

    /* a route table is bounded; methods of unmatched paths are folded */
    if (m == NULL && admind_metrics.nroutes < ADMIND_METRICS_ROUTES) {
        m = &admind_metrics.routes[admind_metrics.nroutes++];
        m->route = route;
        snprintf(m->method, sizeof(m->method), "%s",
                 route ? route->method : "any");
    }

    if (m != NULL) {
        m->status[(status >= 100 && status < 600) ? status / 100 - 1 : 5]++;
        admind_metrics_observe(&m->latency, ms);
    }

    pthread_mutex_unlock(&admind_metrics.mutex);
}


void
admind_metrics_usage_batch(double ms, unsigned long long stored,
    unsigned long dead)
{
    pthread_mutex_lock(&admind_metrics.mutex);
    admind_metrics_observe(&admind_metrics.batches, ms);
    admind_metrics.stored += stored;
    admind_metrics.dead += dead;
    pthread_mutex_unlock(&admind_metrics.mutex);
}


void
admind_metrics_db_unavailable(void)
{
    pthread_mutex_lock(&admind_metrics.mutex);
    admind_metrics.db_unavailable++;
    pthread_mutex_unlock(&admind_metrics.mutex);
}


void
admind_metrics_redis_unavailable(void)
{
    pthread_mutex_lock(&admind_metrics.mutex);
    admind_metrics.redis_unavailable++;
    pthread_mutex_unlock(&admind_metrics.mutex);
}


/* the text being built; out of memory sticks */
typedef struct {
    char    *buf;
    size_t   len;
    size_t   cap;
    int      failed;
} admind_metrics_text_t;


static void
admind_metrics_printf(admind_metrics_text_t *t, const char *fmt, ...)
{
    int      n;
    char    *p;
    va_list  ap;

    while (!t->failed) {
        va_start(ap, fmt);
        n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);

        if (n < 0) {
            t->failed = 1;
            return;
        }

        if ((size_t) n < t->cap - t->len) {
            t->len += (size_t) n;
            return;
        }

        p = realloc(t->buf, t->cap * 2 + (size_t) n);
        if (p == NULL) {
            t->failed = 1;
            return;
        }

        t->buf = p;
        t->cap = t->cap * 2 + (size_t) n;
    }
}


static void
admind_metrics_head(admind_metrics_text_t *t, const char *name,
    const char *type, const char *help)
{
    admind_metrics_printf(t, "# HELP %s %s\n# TYPE %s %s\n", name, help,
                          name, type);
}


static void
admind_metrics_histogram(admind_metrics_text_t *t, const char *name,
    const char *labels, const admind_metrics_histogram_t *h)
{
    size_t              i;
    unsigned long long  cum;

    cum = 0;

    for (i = 0; i < ADMIND_METRICS_BUCKETS; i++) {
        cum += h->bucket[i];
        admind_metrics_printf(t, "%s_bucket{%s%sle=\"%g\"} %llu\n", name,
                              labels, labels[0] ? "," : "",
                              admind_metrics_bounds[i] / 1000, cum);
    }

    cum += h->bucket[i];
    admind_metrics_printf(t, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name,
                          labels, labels[0] ? "," : "", cum);
    admind_metrics_printf(t, "%s_sum%s%s%s %.6f\n%s_count%s%s%s %llu\n",
                          name, labels[0] ? "{" : "", labels,
                          labels[0] ? "}" : "", h->sum / 1000,
                          name, labels[0] ? "{" : "", labels,
                          labels[0] ? "}" : "", h->count);
}


/* a label value: backslash, quote and newline escaped */
static void
admind_metrics_label(char *out, size_t size, const char *v)
{
    size_t  n;

    for (n = 0; v != NULL && *v && n + 3 < size; v++) {
        if (*v == '\\' || *v == '"') {
            out[n++] = '\\';
            out[n++] = *v;

        } else if (*v == '\n') {
            out[n++] = '\\';
            out[n++] = 'n';

        } else {
            out[n++] = *v;
        }
    }

    out[n] = '\0';
}


static void
admind_metrics_own(admind_metrics_text_t *t)
{
    size_t                   i, k;
    char                     labels[300];
    admind_metrics_route_t  *m;

    static const char  *classes[] = { "1xx", "2xx", "3xx", "4xx", "5xx",
                                      "other" };

    pthread_mutex_lock(&admind_metrics.mutex);

    admind_metrics_head(t, "admind_http_requests_total", "counter",
                        "Admin API requests by route and status class.");

    for (i = 0; i < admind_metrics.nroutes; i++) {
        m = &admind_metrics.routes[i];
        for (k = 0; k < 6; k++) {
            admind_metrics_printf(t, "admind_http_requests_total{method="
                                  "\"%s\",route=\"%s\",class=\"%s\"} %llu\n",
                                  m->method,
                                  m->route ? m->route->pattern : "unmatched",
                                  classes[k], m->status[k]);
        }
    }

    admind_metrics_head(t, "admind_http_request_duration_seconds",
                        "histogram", "Admin API request latency by route.");

    for (i = 0; i < admind_metrics.nroutes; i++) {
        m = &admind_metrics.routes[i];
        snprintf(labels, sizeof(labels), "method=\"%s\",route=\"%s\"",
                 m->method, m->route ? m->route->pattern : "unmatched");
        admind_metrics_histogram(t, "admind_http_request_duration_seconds",
                                 labels, &m->latency);
    }

    admind_metrics_head(t, "admind_usage_batch_duration_seconds",
                        "histogram", "Usage batches: parse, MySQL insert "
                        "and commit, acknowledgement.");
    admind_metrics_histogram(t, "admind_usage_batch_duration_seconds", "",
                             &admind_metrics.batches);

    admind_metrics_head(t, "admind_usage_records_stored_total", "counter",
                        "Usage records stored in MySQL (new ones).");
    admind_metrics_printf(t, "admind_usage_records_stored_total %llu\n",
                          admind_metrics.stored);
    admind_metrics_head(t, "admind_usage_records_dead_total", "counter",
                        "Usage records moved to the dead-letter stream.");
    admind_metrics_printf(t, "admind_usage_records_dead_total %llu\n",
                          admind_metrics.dead);

    admind_metrics_head(t, "admind_db_unavailable_total", "counter",
                        "Times MySQL could not be reached.");
    admind_metrics_printf(t, "admind_db_unavailable_total %llu\n",
                          admind_metrics.db_unavailable);
    admind_metrics_head(t, "admind_redis_unavailable_total", "counter",
                        "Times Redis could not be reached.");
    admind_metrics_printf(t, "admind_redis_unavailable_total %llu\n",
                          admind_metrics.redis_unavailable);

    pthread_mutex_unlock(&admind_metrics.mutex);
}


/* one account's state in the gateway's record */
typedef struct {
    char        labels[400];
    char        status[24];
    long long   health;
    long long   open;
    long long   cooldown;       /* seconds left */
    long long   window;
    long long   inflight;
} admind_metrics_account_t;


/* the gauges of an account, one family each */
static const struct {
    const char  *name;
    const char  *help;
    size_t       offset;
} admind_metrics_account_gauges[] = {
    { "admind_account_health", "The gateway's health of the account, "
      "0-100.", offsetof(admind_metrics_account_t, health) },
    { "admind_account_circuit_open", "1 while the account's circuit is "
      "open.", offsetof(admind_metrics_account_t, open) },
    { "admind_account_cooldown_seconds", "Seconds left of the account's "
      "cooldown.", offsetof(admind_metrics_account_t, cooldown) },
    { "admind_account_window_exhausted_seconds", "Seconds until an "
      "exhausted usage window of the vendor's resets.",
      offsetof(admind_metrics_account_t, window) },
    { "admind_account_inflight", "Requests holding a concurrency lease of "
      "the account (accounts with a concurrency limit).",
      offsetof(admind_metrics_account_t, inflight) },
};


static void
admind_metrics_account(admind_metrics_account_t *a, json_t *row,
    long long now)
{
    char          err[ADMIND_ERRLEN], name[300], key[512];
    long long     id, cool, window;
    redisReply   *f, *z;
    const char   *status;

    id = (long long) json_integer_value(json_object_get(row, "id"));
    status = json_string_value(json_object_get(row, "status"));

    admind_metrics_label(name, sizeof(name),
                         json_string_value(json_object_get(row, "name")));
    snprintf(a->labels, sizeof(a->labels),
             "account=\"%lld\",name=\"%s\",type=\"%s\"", id, name,
             json_string_value(json_object_get(row, "type")));
    snprintf(a->status, sizeof(a->status), "%s", status ? status : "");

    a->health = 100;

    admind_hotstate_name(key, sizeof(key), "account:%lld", id);
    f = admind_redis_command(err, sizeof(err), "HMGET %s health circuit "
                             "cooldown_until_ms window_until_ms", key);
    admind_hotstate_name(key, sizeof(key), "aconc:%lld", id);
    z = admind_redis_command(err, sizeof(err), "ZCOUNT %s %lld +inf", key,
                             now);

    if (f != NULL && f->type == REDIS_REPLY_ARRAY && f->elements == 4) {
        if (f->element[0]->type == REDIS_REPLY_STRING) {
            a->health = strtoll(f->element[0]->str, NULL, 10);
        }

        a->open = f->element[1]->type == REDIS_REPLY_STRING
                  && strcmp(f->element[1]->str, "open") == 0;

        cool = f->element[2]->type == REDIS_REPLY_STRING
               ? strtoll(f->element[2]->str, NULL, 10) - now : 0;
        window = f->element[3]->type == REDIS_REPLY_STRING
                 ? strtoll(f->element[3]->str, NULL, 10) - now : 0;

        a->cooldown = cool > 0 ? (cool + 999) / 1000 : 0;
        a->window = window > 0 ? (window + 999) / 1000 : 0;
    }

    a->inflight = z != NULL && z->type == REDIS_REPLY_INTEGER
                  ? z->integer : 0;

    freeReplyObject(f);
    freeReplyObject(z);
}


/* every account's state, one family at a time (as the format wants) */
static void
admind_metrics_accounts(admind_metrics_text_t *t)
{
    char                       err[ADMIND_ERRLEN];
    MYSQL                     *mysql;
    json_t                    *rows, *row;
    size_t                     i, k, n;
    long long                  now;
    admind_metrics_account_t  *a;

    mysql = admind_db_get(err, sizeof(err));

    if (mysql == NULL
        || admind_db_select(mysql, "SELECT id, name, type, status "
                            "FROM accounts ORDER BY id LIMIT "
                            ADMIND_METRICS_ACCOUNTS, NULL, 0, &rows, err,
                            sizeof(err))
           != ADMIND_OK)
    {
        return;
    }

    n = json_array_size(rows);
    a = calloc(n ? n : 1, sizeof(admind_metrics_account_t));
    if (a == NULL) {
        json_decref(rows);
        t->failed = 1;
        return;
    }

    now = (long long) time(NULL) * 1000;

    json_array_foreach(rows, i, row) {
        admind_metrics_account(&a[i], row, now);
    }

    json_decref(rows);

    admind_metrics_head(t, "admind_account_up", "gauge",
                        "1 for each account, with its status.");
    for (i = 0; i < n; i++) {
        admind_metrics_printf(t, "admind_account_up{%s,status=\"%s\"} 1\n",
                              a[i].labels, a[i].status);
    }

    for (k = 0; k < sizeof(admind_metrics_account_gauges)
                    / sizeof(admind_metrics_account_gauges[0]); k++)
    {
        admind_metrics_head(t, admind_metrics_account_gauges[k].name,
                            "gauge", admind_metrics_account_gauges[k].help);

        for (i = 0; i < n; i++) {
            admind_metrics_printf(t, "%s{%s} %lld\n",
                admind_metrics_account_gauges[k].name, a[i].labels,
                *(long long *) ((char *) &a[i]
                                + admind_metrics_account_gauges[k].offset));
        }
    }

    free(a);
}


/* how old the oldest usage entry waiting is: how far storing lags */
static void
admind_metrics_lag(admind_metrics_text_t *t, const admind_conf_t *conf)
{
    char         err[ADMIND_ERRLEN];
    double       lag;
    redisReply  *reply, *e;

    reply = admind_redis_command(err, sizeof(err), "XRANGE %susage - + "
                                 "COUNT 1", conf->redis_prefix);
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(reply);
        return;
    }

    lag = 0;
    e = reply->elements ? reply->element[0] : NULL;

    if (e != NULL && e->type == REDIS_REPLY_ARRAY && e->elements >= 1
        && e->element[0]->type == REDIS_REPLY_STRING)
    {
        lag = (double) time(NULL)
              - (double) strtoll(e->element[0]->str, NULL, 10) / 1000;
        lag = lag > 0 ? lag : 0;
    }

    freeReplyObject(reply);

    admind_metrics_head(t, "admind_usage_lag_seconds", "gauge",
                        "Age of the oldest usage stream entry not stored "
                        "yet; 0 when none waits.");
    admind_metrics_printf(t, "admind_usage_lag_seconds %.3f\n", lag);
}


/* the bearer token, or loopback when admind.conf names none */
static int
admind_metrics_allowed(admind_req_t *r)
{
    int             ok;
    char            err[ADMIND_ERRLEN];
    size_t          len, want;
    const char     *h;
    unsigned char  *token;

    if (r->ctx->conf->metrics_token_file[0] == '\0') {
        return strcmp(r->remote, "127.0.0.1") == 0
               || strcmp(r->remote, "::1") == 0;
    }

    h = admind_req_header(r, "Authorization");
    if (h == NULL || strncmp(h, "Bearer ", 7) != 0
        || admind_file_read(r->ctx->conf->metrics_token_file, 4096, &token,
                            &len, err, sizeof(err))
           != ADMIND_OK)
    {
        return 0;
    }

    while (len > 0 && (token[len - 1] == '\n' || token[len - 1] == '\r')) {
        len--;
    }

    want = strlen(h + 7);
    ok = len > 0 && want == len && CRYPTO_memcmp(h + 7, token, len) == 0;

    OPENSSL_cleanse(token, len);
    free(token);

    return ok;
}


static int
admind_metrics_get(admind_req_t *r)
{
    char                    err[ADMIND_ERRLEN];
    admind_metrics_text_t   t;
    admind_usage_backlog_t  usage;

    if (!admind_metrics_allowed(r)) {
        return admind_resp_error(r, 403, "forbidden", "metrics need the "
                                 "token of metrics_token_file (or, without "
                                 "one, a client on loopback)");
    }

    memset(&t, 0, sizeof(t));
    t.cap = 16384;
    t.buf = malloc(t.cap);
    t.failed = t.buf == NULL;

    admind_metrics_own(&t);

    if (admind_usage_backlog(r->ctx->conf, &usage, err, sizeof(err))
        == ADMIND_OK)
    {
        admind_metrics_head(&t, "admind_usage_stream_entries", "gauge",
                            "Usage stream entries waiting, delivered but "
                            "not stored, and dead letters.");
        admind_metrics_printf(&t, "admind_usage_stream_entries{state="
                              "\"waiting\"} %lld\n"
                              "admind_usage_stream_entries{state="
                              "\"pending\"} %lld\n"
                              "admind_usage_stream_entries{state="
                              "\"dead\"} %lld\n",
                              usage.backlog, usage.pending, usage.dead);
    }

    admind_metrics_lag(&t, r->ctx->conf);
    admind_metrics_accounts(&t);

    if (t.failed) {
        free(t.buf);
        return admind_resp_error(r, 500, "internal_error", "out of memory");
    }

    free(r->resp_body);
    r->status = 200;
    r->resp_type = "text/plain; version=0.0.4; charset=utf-8";
    r->resp_body = t.buf;
    r->resp_len = t.len;

    return r->status;
}
