/*
 * QuotaLane admind: the webhook delivery worker (see
 * admind_webhook_worker.h; an admind_worker.h).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <mysqld_error.h>
#include <openssl/rand.h>

#include "admind_config.h"
#include "admind_log.h"
#include "admind_db.h"
#include "admind_db_stmt.h"
#include "admind_worker.h"
#include "admind_webhook_seal.h"
#include "admind_webhook_sign.h"
#include "admind_webhook_render.h"
#include "admind_webhook_send.h"
#include "admind_webhook_url.h"
#include "admind_webhook_event.h"
#include "admind_webhook_worker.h"


/* deliveries per tick; a full tick ticks again at once */
#define ADMIND_WEBHOOK_BATCH      20

/*
 * How long a claim holds a row: longer than one POST may take (10 s),
 * so that no other process takes it while it is being sent.
 */
#define ADMIND_WEBHOOK_LEASE_S    "60"

/* the longest pause between two attempts */
#define ADMIND_WEBHOOK_DELAY_MAX  86400LL

/* last_error is a VARCHAR(255) */
#define ADMIND_WEBHOOK_ERROR_MAX  255

#define ADMIND_WEBHOOK_CLAIM_LEN  32

/* an outcome's UPDATE chosen as a deadlock victim is run this many times */
#define ADMIND_WEBHOOK_TRIES      5

/* finished deliveries past their retention go this often, this many */
#define ADMIND_WEBHOOK_PURGE_S    60
#define ADMIND_WEBHOOK_PURGE_MAX  "1000"


static const admind_conf_t    *admind_webhook_conf;
static const ql_master_key_t  *admind_webhook_key;
static time_t                  admind_webhook_purged;


void
admind_webhook_worker_key(const ql_master_key_t *mk)
{
    admind_webhook_key = mk;
}


/* a random claim; ADMIND_ERROR without randomness */
static int
admind_webhook_claim_token(char token[ADMIND_WEBHOOK_CLAIM_LEN + 1])
{
    int            i;
    unsigned char  r[ADMIND_WEBHOOK_CLAIM_LEN / 2];

    if (RAND_bytes(r, sizeof(r)) != 1) {
        return ADMIND_ERROR;
    }

    for (i = 0; i < ADMIND_WEBHOOK_CLAIM_LEN / 2; i++) {
        snprintf(token + 2 * i, 3, "%02x", r[i]);
    }

    return ADMIND_OK;
}


/*
 * Claims the next due row: ADMIND_OK with *row (the delivery and its
 * webhook), ADMIND_DECLINED when none is due, ADMIND_ERROR with err.
 */
static int
admind_webhook_claim(MYSQL *mysql, const char *claim, json_t **row,
    char *err, size_t errlen)
{
    json_t              *rows;
    admind_db_param_t    params[1];
    admind_db_result_t   res;

    params[0] = admind_db_str(claim);
    memset(&res, 0, sizeof(res));

    if (admind_db_exec(mysql, "UPDATE webhook_deliveries SET claim = ?, "
                       "next_attempt_at = UTC_TIMESTAMP(3) + INTERVAL "
                       ADMIND_WEBHOOK_LEASE_S " SECOND "
                       "WHERE status = 'pending' "
                       "AND next_attempt_at <= UTC_TIMESTAMP(3) "
                       "ORDER BY next_attempt_at, id LIMIT 1",
                       params, 1, &res, err, errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    if (res.affected_rows == 0) {
        return ADMIND_DECLINED;
    }

    if (admind_db_select(mysql, "SELECT d.id, d.webhook_id, d.event, "
                         "d.payload, d.attempts, w.format, w.url_enc, "
                         "w.secret_enc, w.chat_id "
                         "FROM webhook_deliveries d "
                         "JOIN webhooks w ON w.id = d.webhook_id "
                         "WHERE d.claim = ?", params, 1, &rows, err, errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    *row = json_incref(json_array_get(rows, 0));
    json_decref(rows);

    /* the webhook was deleted meanwhile, and its deliveries with it */
    return *row != NULL ? ADMIND_OK : ADMIND_DECLINED;
}


/* what last_error keeps: printable ASCII, so the column takes it */
static void
admind_webhook_error_text(char *s)
{
    for ( /* void */ ; *s != '\0'; s++) {
        if ((unsigned char) *s < 0x20 || (unsigned char) *s > 0x7e) {
            *s = ' ';
        }
    }
}


/*
 * The attempt's outcome, under the claim: sent, or another attempt
 * later, or failed after the last one.
 */
static void
admind_webhook_record(MYSQL *mysql, json_t *row, const char *claim,
    int sent, int final, long status, char *why)
{
    int                 failed, rc, try;
    char                err[ADMIND_ERRLEN];
    uint64_t            id;
    long long           attempts, delay;
    admind_db_param_t   params[7];

    id = (uint64_t) json_integer_value(json_object_get(row, "id"));
    attempts = json_integer_value(json_object_get(row, "attempts")) + 1;

    failed = !sent && (final || attempts
                                >= admind_webhook_conf->webhook_max_attempts);

    delay = ADMIND_WEBHOOK_DELAY_MAX;

    if (attempts <= 20) {
        delay = (long long) admind_webhook_conf->webhook_backoff_seconds
                << (attempts - 1);
    }

    if (delay > ADMIND_WEBHOOK_DELAY_MAX) {
        delay = ADMIND_WEBHOOK_DELAY_MAX;
    }

    if (why != NULL) {
        admind_webhook_error_text(why);
        why[strnlen(why, ADMIND_WEBHOOK_ERROR_MAX)] = '\0';
    }

    params[0] = admind_db_str(sent ? "sent" : failed ? "failed" : "pending");
    params[1] = status > 0 ? admind_db_int(status) : admind_db_null();
    params[2] = why != NULL ? admind_db_str(why) : admind_db_null();
    params[3] = admind_db_int(sent || failed ? 0 : delay);
    params[4] = admind_db_int(sent);
    params[5] = admind_db_int((long long) id);
    params[6] = admind_db_str(claim);

    /*
     * Another process's claim scans the same index: InnoDB may pick this
     * statement as a deadlock victim, and then it only has to be run again.
     */
    for (try = 0; /* void */ ; try++) {
        rc = admind_db_exec(mysql, "UPDATE webhook_deliveries SET "
                            "status = ?, attempts = attempts + 1, "
                            "last_status = ?, last_error = ?, "
                            "next_attempt_at = UTC_TIMESTAMP(3) "
                            "+ INTERVAL ? SECOND, "
                            "sent_at = IF(? = 1, UTC_TIMESTAMP(3), NULL), "
                            "claim = NULL WHERE id = ? AND claim = ?",
                            params, 7, NULL, err, sizeof(err));

        if (rc == ADMIND_OK || try == ADMIND_WEBHOOK_TRIES
            || (admind_db_errno() != ER_LOCK_DEADLOCK
                && admind_db_errno() != ER_LOCK_WAIT_TIMEOUT))
        {
            break;
        }
    }

    if (rc != ADMIND_OK) {
        /* the lease ends and the row is sent again: at least once */
        admind_log(ADMIND_LOG_WARN, "webhook delivery outcome not stored",
                   "delivery_id", json_integer((json_int_t) id),
                   "error", admind_log_str(err), NULL);
        return;
    }

    admind_log(sent ? ADMIND_LOG_INFO : ADMIND_LOG_WARN,
               sent ? "webhook delivered"
                    : failed ? "webhook delivery failed"
                             : "webhook delivery will be retried",
               "delivery_id", json_integer((json_int_t) id),
               "webhook_id", json_incref(json_object_get(row,
                                                         "webhook_id")),
               "event", json_incref(json_object_get(row, "event")),
               "attempts", json_integer((json_int_t) attempts),
               "status", status > 0 ? json_integer(status) : NULL,
               "error", why != NULL ? json_string(why) : NULL,
               "retry_in_s", sent || failed ? NULL : json_integer(delay),
               NULL);
}


/*
 * Chat services that answer 200 to everything say what went wrong in the
 * body: DingTalk and WeCom {"errcode":N,"errmsg"}, Feishu {"code":N,"msg"}.
 */
static int
admind_webhook_refused(const char *format, admind_webhook_answer_t *a,
    char *why, size_t size)
{
    json_t      *root, *code, *msg;
    const char  *cname, *mname;

    if (strcmp(format, "feishu") == 0) {
        cname = "code";
        mname = "msg";

    } else if (strcmp(format, "dingtalk") == 0
               || strcmp(format, "wecom") == 0)
    {
        cname = "errcode";
        mname = "errmsg";

    } else {
        return 0;
    }

    root = json_loadb(a->answer, a->len, 0, NULL);
    code = json_object_get(root, cname);
    msg = json_object_get(root, mname);

    if (!json_is_integer(code) || json_integer_value(code) == 0) {
        json_decref(root);
        return 0;
    }

    snprintf(why, size, "%s %lld: %.160s", cname,
             (long long) json_integer_value(code),
             json_is_string(msg) ? json_string_value(msg) : "");
    json_decref(root);

    return 1;
}


/* DingTalk's signature goes in the query: a new URL, malloc()ed */
static char *
admind_webhook_dingtalk_url(const char *url, const char *secret,
    time_t now)
{
    char    ts[24], sign[ADMIND_WEBHOOK_SIG64_LEN], *esc, *out;
    size_t  len;

    snprintf(ts, sizeof(ts), "%lld", (long long) now * 1000);

    if (admind_webhook_sign_dingtalk(secret, ts, sign) != ADMIND_OK) {
        return NULL;
    }

    esc = curl_easy_escape(NULL, sign, 0);
    if (esc == NULL) {
        return NULL;
    }

    len = strlen(url) + strlen(ts) + strlen(esc) + 24;

    out = malloc(len);
    if (out != NULL) {
        snprintf(out, len, "%s%ctimestamp=%s&sign=%s", url,
                 strchr(url, '?') != NULL ? '&' : '?', ts, esc);
    }

    curl_free(esc);

    return out;
}


/* one attempt at one claimed delivery */
static void
admind_webhook_deliver(MYSQL *mysql, json_t *row, const char *claim)
{
    int                       sent;
    char                     *url, *secret, *body, *signed_url;
    char                      why[ADMIND_ERRLEN], ts[24];
    char                      h_event[ADMIND_WEBHOOK_EVENT_MAX + 32];
    char                      h_id[48], h_ts[48];
    char                      h_sig[ADMIND_WEBHOOK_SIG_LEN + 32];
    time_t                    now;
    json_t                   *payload;
    uint64_t                  id, webhook;
    const char               *format, *event, *target;
    const char               *headers[5];
    admind_webhook_answer_t   a;

    id = (uint64_t) json_integer_value(json_object_get(row, "id"));
    webhook = (uint64_t) json_integer_value(json_object_get(row,
                                                            "webhook_id"));
    format = json_string_value(json_object_get(row, "format"));
    event = json_string_value(json_object_get(row, "event"));

    secret = NULL;
    body = NULL;
    signed_url = NULL;
    payload = NULL;

    url = admind_webhook_open(admind_webhook_key, webhook,
                              ADMIND_WEBHOOK_SEAL_URL,
                              json_string_value(json_object_get(row,
                                                                "url_enc")));

    if (url == NULL || format == NULL || event == NULL) {
        snprintf(why, sizeof(why), "the webhook URL does not open with "
                 "this master key");
        admind_webhook_record(mysql, row, claim, 0, 1, 0, why);
        goto done;
    }

    if (json_is_string(json_object_get(row, "secret_enc"))) {
        secret = admind_webhook_open(admind_webhook_key, webhook,
                                     ADMIND_WEBHOOK_SEAL_SECRET,
                                     json_string_value(json_object_get(row,
                                                           "secret_enc")));
        if (secret == NULL) {
            snprintf(why, sizeof(why), "the webhook secret does not open "
                     "with this master key");
            admind_webhook_record(mysql, row, claim, 0, 1, 0, why);
            goto done;
        }
    }

    payload = json_loads(json_string_value(json_object_get(row, "payload")),
                         0, NULL);
    now = time(NULL);

    body = payload != NULL
           ? admind_webhook_render(format, id, payload,
                                   json_string_value(json_object_get(row,
                                                         "chat_id")),
                                   secret, now)
           : NULL;

    if (body == NULL) {
        snprintf(why, sizeof(why), "cannot render the %s body", format);
        admind_webhook_record(mysql, row, claim, 0, 1, 0, why);
        goto done;
    }

    target = url;
    headers[0] = NULL;

    if (strcmp(format, "generic") == 0) {
        snprintf(ts, sizeof(ts), "%lld", (long long) now);
        snprintf(h_event, sizeof(h_event), "X-QuotaLane-Event: %s", event);
        snprintf(h_id, sizeof(h_id), "X-QuotaLane-Delivery: %llu",
                 (unsigned long long) id);
        snprintf(h_ts, sizeof(h_ts), "X-QuotaLane-Timestamp: %s", ts);

        headers[0] = h_event;
        headers[1] = h_id;
        headers[2] = h_ts;
        headers[3] = NULL;

        if (secret != NULL) {
            memcpy(h_sig, "X-QuotaLane-Signature: ", 23);

            if (admind_webhook_sign_generic(secret, ts, body, h_sig + 23)
                != ADMIND_OK)
            {
                snprintf(why, sizeof(why), "cannot sign the body");
                admind_webhook_record(mysql, row, claim, 0, 0, 0, why);
                goto done;
            }

            headers[3] = h_sig;
            headers[4] = NULL;
        }

    } else if (strcmp(format, "dingtalk") == 0 && secret != NULL) {
        signed_url = admind_webhook_dingtalk_url(url, secret, now);

        if (signed_url == NULL) {
            snprintf(why, sizeof(why), "cannot sign the URL");
            admind_webhook_record(mysql, row, claim, 0, 0, 0, why);
            goto done;
        }

        target = signed_url;
    }

    if (admind_webhook_post(&admind_webhook_conf->outbound, target, body,
                            headers, &a, why, sizeof(why))
        != ADMIND_OK)
    {
        admind_webhook_record(mysql, row, claim, 0, 0, 0, why);
        goto done;
    }

    sent = a.status >= 200 && a.status < 300;
    why[0] = '\0';

    if (!sent) {
        snprintf(why, sizeof(why), "HTTP %ld: %.200s", a.status, a.answer);

    } else if (admind_webhook_refused(format, &a, why, sizeof(why))) {
        sent = 0;
    }

    admind_webhook_record(mysql, row, claim, sent, 0, a.status,
                          why[0] ? why : NULL);

done:

    json_decref(payload);
    free(body);

    if (signed_url != NULL) {
        ql_wipe(signed_url, strlen(signed_url));
        free(signed_url);
    }

    if (url != NULL) {
        ql_wipe(url, strlen(url));
        free(url);
    }

    if (secret != NULL) {
        ql_wipe(secret, strlen(secret));
        free(secret);
    }
}


/* sent and failed rows are kept webhook_retention_days for the API */
static void
admind_webhook_purge(MYSQL *mysql)
{
    char                err[ADMIND_ERRLEN];
    time_t              now;
    admind_db_param_t   params[1];
    admind_db_result_t  res;

    now = time(NULL);

    if (now - admind_webhook_purged < ADMIND_WEBHOOK_PURGE_S) {
        return;
    }

    admind_webhook_purged = now;

    params[0] = admind_db_int((long long)
                              admind_webhook_conf->webhook_retention_days);
    memset(&res, 0, sizeof(res));

    if (admind_db_exec(mysql, "DELETE FROM webhook_deliveries "
                       "WHERE status <> 'pending' "
                       "AND created_at < UTC_TIMESTAMP(3) - INTERVAL ? DAY "
                       "LIMIT " ADMIND_WEBHOOK_PURGE_MAX,
                       params, 1, &res, err, sizeof(err))
        != ADMIND_OK)
    {
        admind_log(ADMIND_LOG_WARN, "old webhook deliveries not purged",
                   "error", admind_log_str(err), NULL);
        return;
    }

    if (res.affected_rows > 0) {
        admind_log(ADMIND_LOG_INFO, "old webhook deliveries purged",
                   "rows", json_integer((json_int_t) res.affected_rows),
                   NULL);
    }
}


static long long
admind_webhook_tick(admind_worker_t *w)
{
    int         rc, n;
    char        err[ADMIND_ERRLEN], claim[ADMIND_WEBHOOK_CLAIM_LEN + 1];
    MYSQL      *mysql;
    json_t     *row;
    long long   pause;

    pause = (long long) admind_webhook_conf->webhook_check_ms;

    if (admind_webhook_key == NULL) {
        return pause;
    }

    mysql = admind_db_get(err, sizeof(err));
    if (mysql == NULL) {
        admind_worker_failed(w, err);
        return pause;
    }

    for (n = 0; n < ADMIND_WEBHOOK_BATCH; n++) {
        if (admind_worker_stopping(w)) {
            return pause;
        }

        if (admind_webhook_claim_token(claim) != ADMIND_OK) {
            admind_worker_failed(w, "no randomness for a claim");
            return pause;
        }

        rc = admind_webhook_claim(mysql, claim, &row, err, sizeof(err));

        if (rc == ADMIND_DECLINED) {
            break;
        }

        if (rc != ADMIND_OK) {
            admind_worker_failed(w, err);
            return pause;
        }

        admind_webhook_deliver(mysql, row, claim);
        json_decref(row);
    }

    admind_worker_works(w);
    admind_webhook_purge(mysql);

    return n == ADMIND_WEBHOOK_BATCH ? 0 : pause;
}


static admind_worker_t  admind_webhook_worker = {
    .name = "webhook delivery", .tick = admind_webhook_tick,
    .first_ms = 1000
};


int
admind_webhook_worker_start(const admind_conf_t *conf, char *err,
    size_t errlen)
{
    admind_webhook_conf = conf;

    return admind_worker_start(&admind_webhook_worker, err, errlen);
}


void
admind_webhook_worker_stop(void)
{
    admind_worker_stop(&admind_webhook_worker);
}
