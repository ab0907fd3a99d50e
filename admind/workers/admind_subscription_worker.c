/*
 * QuotaLane admind: the subscription worker (an admind_worker.h).
 */

#include "admind_config.h"
#include "admind_log.h"
#include "admind_db.h"
#include "admind_quota.h"
#include "admind_worker.h"
#include "admind_subscription_worker.h"


static const admind_conf_t  *admind_sub_conf;


static long long
admind_sub_tick(admind_worker_t *w)
{
    char                   err[ADMIND_ERRLEN];
    MYSQL                 *mysql;
    long long              pause;
    admind_quota_stats_t   st;

    pause = (long long) admind_sub_conf->subscription_tick_seconds * 1000;

    mysql = admind_db_get(err, sizeof(err));

    if (mysql == NULL
        || admind_quota_tick(mysql, &st, err, sizeof(err)) != ADMIND_OK)
    {
        admind_worker_failed(w, err);
        return pause;
    }

    admind_worker_works(w);

    admind_log(st.expired || st.renewed ? ADMIND_LOG_INFO : ADMIND_LOG_DEBUG,
               "subscription tick",
               "expired", json_integer((json_int_t) st.expired),
               "renewed", json_integer((json_int_t) st.renewed),
               "keys", json_integer((json_int_t) st.keys), NULL);

    return pause;
}


/* the first tick at once: expired subscriptions end on startup */
static admind_worker_t  admind_sub_worker = {
    .name = "subscription tick", .tick = admind_sub_tick
};


int
admind_subscription_worker_start(const admind_conf_t *conf, char *err,
    size_t errlen)
{
    admind_sub_conf = conf;

    return admind_worker_start(&admind_sub_worker, err, errlen);
}


void
admind_subscription_worker_stop(void)
{
    admind_worker_stop(&admind_sub_worker);
}
