/*
 * QuotaLane admind: the key activation worker.
 *
 * Its own MySQL and Redis connections (thread-specific) and a wait on a
 * condition variable that a stop request ends at once, like the
 * subscription worker.
 */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admind_log.h"
#include "admind_db.h"
#include "admind_db_stmt.h"
#include "admind_redis.h"
#include "admind_hotstate.h"
#include "admind_key_activation.h"


/* a first use shows in the key's expiry within this */
#define ADMIND_KEY_ACTIVATION_MS     2000

/* keys per pass; the rest wait for the next one */
#define ADMIND_KEY_ACTIVATION_BATCH  "500"


static pthread_t        admind_ka_thread;
static pthread_mutex_t  admind_ka_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t   admind_ka_cond;
static unsigned         admind_ka_running;
static unsigned         admind_ka_stopping;


int
admind_key_activation_run(MYSQL *mysql, unsigned long *activated,
    char *err, size_t errlen)
{
    size_t              i;
    json_t             *rows, *row;
    long long           id;
    admind_db_param_t   params[1];
    admind_db_result_t  res;

    *activated = 0;

    /* idx_usage_key_ts finds a key's earliest record */
    if (admind_db_select(mysql, "SELECT k.id FROM api_keys k "
                         "WHERE k.expiry_mode = 'from_first_use' "
                         "AND k.first_used_at IS NULL "
                         "AND EXISTS (SELECT 1 FROM usage_records u "
                         "WHERE u.api_key_id = k.id) LIMIT "
                         ADMIND_KEY_ACTIVATION_BATCH,
                         NULL, 0, &rows, err, errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    json_array_foreach(rows, i, row) {
        id = json_integer_value(json_object_get(row, "id"));
        params[0] = admind_db_int(id);

        /* both from the subquery: no reliance on assignment order */
        if (admind_db_exec(mysql, "UPDATE api_keys k SET "
                           "k.first_used_at = (SELECT MIN(u.ts) "
                           "FROM usage_records u WHERE u.api_key_id = k.id), "
                           "k.expires_at = (SELECT MIN(u.ts) "
                           "FROM usage_records u WHERE u.api_key_id = k.id) "
                           "+ INTERVAL k.activation_days DAY, "
                           "k.version = k.version + 1 "
                           "WHERE k.id = ? "
                           "AND k.expiry_mode = 'from_first_use' "
                           "AND k.first_used_at IS NULL", params, 1, &res,
                           err, errlen)
            != ADMIND_OK)
        {
            json_decref(rows);
            return ADMIND_ERROR;
        }

        if (res.affected_rows == 0) {
            continue;       /* another admind got there first */
        }

        (*activated)++;

        admind_hotstate_key(mysql, (uint64_t) id);

        admind_log(ADMIND_LOG_INFO, "api key activated by its first use",
                   "apiKeyId", json_integer((json_int_t) id), NULL);
    }

    json_decref(rows);

    return ADMIND_OK;
}


/* waits ms or until stopped; returns nonzero when stopping */
static int
admind_ka_wait(long long ms)
{
    int              stop;
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;

    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }

    pthread_mutex_lock(&admind_ka_mutex);

    while (!admind_ka_stopping) {
        if (pthread_cond_timedwait(&admind_ka_cond, &admind_ka_mutex, &ts)
            == ETIMEDOUT)
        {
            break;
        }
    }

    stop = admind_ka_stopping;

    pthread_mutex_unlock(&admind_ka_mutex);

    return stop;
}


static void *
admind_ka_loop(void *data)
{
    int             failing;
    char            err[ADMIND_ERRLEN];
    MYSQL          *mysql;
    unsigned long   activated;

    (void) data;

    failing = 0;

    while (!admind_ka_wait(ADMIND_KEY_ACTIVATION_MS)) {
        mysql = admind_db_get(err, sizeof(err));

        if (mysql == NULL
            || admind_key_activation_run(mysql, &activated, err,
                                         sizeof(err))
               != ADMIND_OK)
        {
            if (!failing) {
                admind_log(ADMIND_LOG_WARN, "key activation failed; "
                           "retried every few seconds",
                           "error", admind_log_str(err), NULL);
                failing = 1;
            }
            continue;
        }

        if (failing) {
            admind_log(ADMIND_LOG_INFO, "key activation works again", NULL);
            failing = 0;
        }
    }

    admind_redis_close();
    admind_db_close();

    return NULL;
}


int
admind_key_activation_start(char *err, size_t errlen)
{
    int                 rc;
    pthread_condattr_t  attr;

    admind_ka_stopping = 0;

    if (pthread_condattr_init(&attr) != 0
        || pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) != 0
        || pthread_cond_init(&admind_ka_cond, &attr) != 0)
    {
        snprintf(err, errlen, "cannot create a condition variable");
        return ADMIND_ERROR;
    }

    pthread_condattr_destroy(&attr);

    rc = pthread_create(&admind_ka_thread, NULL, admind_ka_loop, NULL);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start the key activation thread: %s",
                 strerror(rc));
        pthread_cond_destroy(&admind_ka_cond);
        return ADMIND_ERROR;
    }

    admind_ka_running = 1;

    return ADMIND_OK;
}


void
admind_key_activation_stop(void)
{
    if (!admind_ka_running) {
        return;
    }

    pthread_mutex_lock(&admind_ka_mutex);
    admind_ka_stopping = 1;
    pthread_cond_signal(&admind_ka_cond);
    pthread_mutex_unlock(&admind_ka_mutex);

    pthread_join(admind_ka_thread, NULL);
    pthread_cond_destroy(&admind_ka_cond);

    admind_ka_running = 0;
}
