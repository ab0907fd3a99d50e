/*
 * QuotaLane admind: usage records only for keys and accounts that exist.
 *
 * Per batch, one SELECT per 64 distinct key ids and one per 64 distinct
 * account ids; the answers are sorted and each row is looked up in them.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admind_db_stmt.h"
#include "admind_usage_known.h"


/* ids per SELECT: the statement helpers bind at most 64 parameters */
#define ADMIND_USAGE_KNOWN_CHUNK  64


typedef struct {
    unsigned long long  id;
    unsigned long long  user_id;    /* keys only */
} admind_usage_known_t;


static int
admind_usage_known_cmp(const void *one, const void *two)
{
    const admind_usage_known_t  *a = one, *b = two;

    return (a->id > b->id) - (a->id < b->id);
}


/* the distinct nonzero key (or account) ids of the rows still valid */
static size_t
admind_usage_known_ids(const admind_usage_row_t *rows, size_t n,
    int accounts, admind_usage_known_t *ids)
{
    size_t              i, k, m;
    unsigned long long  id;

    for (i = 0, k = 0; i < n; i++) {
        id = accounts ? rows[i].rec.account_id : rows[i].rec.key_id;

        if (!rows[i].rejected && id != 0) {
            ids[k++].id = id;
        }
    }

    if (k == 0) {
        return 0;
    }

    qsort(ids, k, sizeof(admind_usage_known_t), admind_usage_known_cmp);

    for (i = 1, m = 1; i < k; i++) {
        if (ids[i].id != ids[m - 1].id) {
            ids[m++].id = ids[i].id;
        }
    }

    return m;
}


/*
 * Looks ids[0..nids) up with "<head>?, ?, ...)" and keeps those found in
 * found[0..*nfound), sorted by id.
 */
static int
admind_usage_known_load(MYSQL *mysql, const char *head,
    const admind_usage_known_t *ids, size_t nids,
    admind_usage_known_t *found, size_t *nfound, char *err, size_t errlen)
{
    char               sql[256 + ADMIND_USAGE_KNOWN_CHUNK * 3];
    size_t             i, j, k, len;
    json_t            *rows, *row;
    admind_db_param_t  params[ADMIND_USAGE_KNOWN_CHUNK];

    *nfound = 0;

    for (i = 0; i < nids; i += k) {
        k = nids - i;
        if (k > ADMIND_USAGE_KNOWN_CHUNK) {
            k = ADMIND_USAGE_KNOWN_CHUNK;
        }

        len = (size_t) snprintf(sql, sizeof(sql), "%s", head);

        for (j = 0; j < k; j++) {
            len += (size_t) snprintf(sql + len, sizeof(sql) - len, "%s?",
                                     j ? "," : "");
            params[j] = admind_db_int((long long) ids[i + j].id);
        }

        snprintf(sql + len, sizeof(sql) - len, ")");

        if (admind_db_select(mysql, sql, params, (unsigned) k, &rows, err,
                             errlen)
            != ADMIND_OK)
        {
            return ADMIND_ERROR;
        }

        json_array_foreach(rows, j, row) {
            found[*nfound].id = (unsigned long long)
                json_integer_value(json_object_get(row, "id"));
            found[*nfound].user_id = (unsigned long long)
                json_integer_value(json_object_get(row, "user_id"));
            (*nfound)++;
        }

        json_decref(rows);
    }

    qsort(found, *nfound, sizeof(admind_usage_known_t),
          admind_usage_known_cmp);

    return ADMIND_OK;
}


static const admind_usage_known_t *
admind_usage_known_find(const admind_usage_known_t *found, size_t nfound,
    unsigned long long id)
{
    admind_usage_known_t  key;

    key.id = id;

    return bsearch(&key, found, nfound, sizeof(admind_usage_known_t),
                   admind_usage_known_cmp);
}


static void
admind_usage_known_refuse(admind_usage_row_t *row, const char *why)
{
    row->rejected = 1;
    snprintf(row->why, sizeof(row->why), "%s", why);
}


int
admind_usage_known_check(MYSQL *mysql, admind_usage_row_t *rows, size_t n,
    char *err, size_t errlen)
{
    int                          rc;
    size_t                       i, nids, nfound;
    admind_usage_known_t        *ids, *found;
    const admind_usage_known_t  *k;

    ids = malloc(n * sizeof(admind_usage_known_t));
    found = malloc(n * sizeof(admind_usage_known_t));

    if (ids == NULL || found == NULL) {
        free(ids);
        free(found);
        snprintf(err, errlen, "out of memory");
        return ADMIND_ERROR;
    }

    rc = ADMIND_ERROR;

    nids = admind_usage_known_ids(rows, n, 0, ids);

    if (admind_usage_known_load(mysql, "SELECT id, user_id FROM api_keys "
                                "WHERE id IN (", ids, nids, found, &nfound,
                                err, errlen)
        != ADMIND_OK)
    {
        goto done;
    }

    for (i = 0; i < n; i++) {
        if (rows[i].rejected) {
            continue;
        }

        k = admind_usage_known_find(found, nfound, rows[i].rec.key_id);

        if (k == NULL) {
            admind_usage_known_refuse(&rows[i], "unknown_key");

        } else if (k->user_id != rows[i].rec.user_id) {
            admind_usage_known_refuse(&rows[i], "key_user_mismatch");
        }
    }

    nids = admind_usage_known_ids(rows, n, 1, ids);

    if (admind_usage_known_load(mysql, "SELECT id FROM accounts "
                                "WHERE id IN (", ids, nids, found, &nfound,
                                err, errlen)
        != ADMIND_OK)
    {
        goto done;
    }

    for (i = 0; i < n; i++) {
        if (!rows[i].rejected
            && admind_usage_known_find(found, nfound,
                                       rows[i].rec.account_id)
               == NULL)
        {
            admind_usage_known_refuse(&rows[i], "unknown_account");
        }
    }

    rc = ADMIND_OK;

done:

    free(ids);
    free(found);

    return rc;
}
