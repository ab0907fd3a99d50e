/*
 * QuotaLane admind: the key activation worker (an admind_worker.h).
 */

#include <stdio.h>
#include <string.h>

#include "admind_log.h"
#include "admind_db.h"
#include "admind_db_stmt.h"
#include "admind_hotstate.h"
#include "admind_worker.h"
#include "admind_key_activation.h"


/* a first use shows in the key's expiry within this */
#define ADMIND_KEY_ACTIVATION_MS     2000

/* keys per pass; the rest wait for the next one */
#define ADMIND_KEY_ACTIVATION_BATCH  "500"


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


static long long
admind_ka_tick(admind_worker_t *w)
{
    char            err[ADMIND_ERRLEN];
    MYSQL          *mysql;
    unsigned long   activated;

    mysql = admind_db_get(err, sizeof(err));

    if (mysql == NULL
        || admind_key_activation_run(mysql, &activated, err, sizeof(err))
           != ADMIND_OK)
    {
        admind_worker_failed(w, err);

    } else {
        admind_worker_works(w);
    }

    return ADMIND_KEY_ACTIVATION_MS;
}


static admind_worker_t  admind_ka_worker = {
    .name = "key activation", .tick = admind_ka_tick,
    .first_ms = ADMIND_KEY_ACTIVATION_MS
};


int
admind_key_activation_start(const admind_conf_t *conf, char *err,
    size_t errlen)
{
    (void) conf;

    return admind_worker_start(&admind_ka_worker, err, errlen);
}


void
admind_key_activation_stop(void)
{
    admind_worker_stop(&admind_ka_worker);
}
