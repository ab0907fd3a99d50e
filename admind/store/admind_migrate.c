/*
 * QuotaLane admind: versioned schema migrations.
 *
 * MySQL commits DDL implicitly, so a migration cannot be rolled back as a
 * whole: a migration is recorded in schema_migrations only after all its
 * statements succeeded, and migrations are written to be re-runnable
 * (CREATE TABLE IF NOT EXISTS ...) so that a half-applied one can be run
 * again after the cause is fixed.  A SHA-256 of each file is recorded to
 * warn when an applied migration was edited afterwards.
 */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>

#include "admind_log.h"
#include "admind_file.h"
#include "admind_db.h"
#include "admind_db_stmt.h"
#include "admind_migrate.h"


/* a schema file larger than this is surely not meant for us */
#define ADMIND_MIGRATE_FILE_MAX  (16 * 1024 * 1024)


typedef struct {
    MYSQL                     *mysql;
    const admind_migration_t  *migration;
    char                      *err;
    size_t                     errlen;
} admind_migrate_ctx_t;


static const char  admind_migrate_table[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INT NOT NULL,"
    " name VARCHAR(255) NOT NULL,"
    " checksum CHAR(64) CHARACTER SET ascii NOT NULL,"
    " applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),"
    " PRIMARY KEY (version)"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci";


int
admind_migrate_parse_name(const char *file, unsigned *version, char *name,
    size_t namesz)
{
    size_t              len, nlen;
    const char         *p, *n;
    unsigned long long  v;

    len = strlen(file);

    if (len < 4 || strcmp(file + len - 4, ".sql") != 0) {
        return ADMIND_DECLINED;
    }

    v = 0;

    for (p = file; *p >= '0' && *p <= '9'; p++) {
        v = v * 10 + (unsigned) (*p - '0');
        if (v > 0x7fffffff) {
            return ADMIND_ERROR;
        }
    }

    if (p == file || v == 0 || *p != '_') {
        return ADMIND_ERROR;
    }

    n = p + 1;
    nlen = (size_t) (file + len - 4 - n);

    if (nlen == 0 || nlen >= namesz) {
        return ADMIND_ERROR;
    }

    for (p = n; p < n + nlen; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
              || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
        {
            return ADMIND_ERROR;
        }
    }

    memcpy(name, n, nlen);
    name[nlen] = '\0';
    *version = (unsigned) v;

    return ADMIND_OK;
}


static int
admind_migrate_cmp(const void *a, const void *b)
{
    const admind_migration_t  *ma = a, *mb = b;

    return ma->version < mb->version ? -1 : ma->version > mb->version;
}


void
admind_migrate_free(admind_migrations_t *list)
{
    size_t  i;

    for (i = 0; i < list->n; i++) {
        free(list->items[i].name);
        free(list->items[i].file);
        free(list->items[i].path);
    }

    free(list->items);
    list->items = NULL;
    list->n = 0;
}


int
admind_migrate_scan(const char *dir, admind_migrations_t *list, char *err,
    size_t errlen)
{
    DIR                 *d;
    int                  rc;
    char                 name[ADMIND_MIGRATE_NAME_MAX];
    size_t               i, cap, plen;
    unsigned             version;
    struct dirent       *de;
    admind_migration_t  *m, *items;

    list->items = NULL;
    list->n = 0;

    d = opendir(dir);
    if (d == NULL) {
        snprintf(err, errlen, "migrations directory %s: %s", dir,
                 strerror(errno));
        return ADMIND_ERROR;
    }

    cap = 0;

    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') {
            continue;
        }

        rc = admind_migrate_parse_name(de->d_name, &version, name,
                                       sizeof(name));
        if (rc == ADMIND_DECLINED) {
            continue;
        }

        if (rc != ADMIND_OK) {
            snprintf(err, errlen, "%s/%s: a migration is named "
                     "NNNN_name.sql (name: letters, digits, _ and -)",
                     dir, de->d_name);
            goto failed;
        }

        if (list->n == cap) {
            cap = cap ? cap * 2 : 16;
            items = realloc(list->items, cap * sizeof(admind_migration_t));
            if (items == NULL) {
                goto nomem;
            }
            list->items = items;
        }

        m = &list->items[list->n];
        memset(m, 0, sizeof(admind_migration_t));
        list->n++;

        m->version = version;
        m->name = strdup(name);
        m->file = strdup(de->d_name);

        plen = strlen(dir) + strlen(de->d_name) + 2;
        m->path = malloc(plen);

        if (m->name == NULL || m->file == NULL || m->path == NULL) {
            goto nomem;
        }

        snprintf(m->path, plen, "%s/%s", dir, de->d_name);
    }

    closedir(d);
    d = NULL;

    if (list->n > 0) {
        qsort(list->items, list->n, sizeof(admind_migration_t),
              admind_migrate_cmp);
    }

    for (i = 1; i < list->n; i++) {
        if (list->items[i].version == list->items[i - 1].version) {
            snprintf(err, errlen, "%s: migrations %s and %s have the same "
                     "version %u", dir, list->items[i - 1].file,
                     list->items[i].file, list->items[i].version);
            goto failed;
        }
    }

    return ADMIND_OK;

nomem:

    snprintf(err, errlen, "out of memory");

failed:

    if (d != NULL) {
        closedir(d);
    }

    admind_migrate_free(list);

    return ADMIND_ERROR;
}


static int
admind_migrate_comment(const char *p, const char *eol)
{
    while (p < eol && (*p == ' ' || *p == '\t')) {
        p++;
    }

    return (eol - p >= 2 && p[0] == '-' && p[1] == '-')
           || (p < eol && p[0] == '#');
}


static size_t
admind_migrate_rtrim(const char *s, size_t len)
{
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'
                       || s[len - 1] == '\r' || s[len - 1] == '\n'))
    {
        len--;
    }

    return len;
}


int
admind_migrate_split(const char *buf, size_t len,
    admind_migrate_stmt_pt handler, void *data)
{
    int          rc;
    char        *stmt;
    size_t       slen, n;
    unsigned     line, first;
    const char  *p, *end, *eol;

    /* each line adds at most itself and a '\n', plus the final NUL */
    stmt = malloc(len + 2);
    if (stmt == NULL) {
        return ADMIND_ERROR;
    }

    slen = 0;
    first = 0;
    rc = ADMIND_OK;
    p = buf;
    end = buf + len;

    for (line = 1; p < end && rc == ADMIND_OK; line++) {
        eol = memchr(p, '\n', (size_t) (end - p));
        if (eol == NULL) {
            eol = end;
        }

        n = admind_migrate_rtrim(p, (size_t) (eol - p));

        if (admind_migrate_comment(p, eol)) {
            /* void */

        } else if (n == 0) {
            /* blank lines inside a statement are kept, before it not */
            if (slen > 0) {
                stmt[slen++] = '\n';
            }

        } else {
            if (first == 0) {
                first = line;
            }

            if (p[n - 1] != ';') {
                memcpy(stmt + slen, p, n);
                slen += n;
                stmt[slen++] = '\n';

            } else {
                memcpy(stmt + slen, p, n - 1);
                slen = admind_migrate_rtrim(stmt, slen + n - 1);

                /* a lone ';' ends nothing */
                if (slen > 0) {
                    stmt[slen] = '\0';
                    rc = handler(data, stmt, slen, first);
                }

                slen = 0;
                first = 0;
            }
        }

        p = eol < end ? eol + 1 : end;
    }

    /* a last statement without ';' still counts */
    slen = admind_migrate_rtrim(stmt, slen);

    if (rc == ADMIND_OK && slen > 0) {
        stmt[slen] = '\0';
        rc = handler(data, stmt, slen, first);
    }

    free(stmt);

    return rc;
}


static int
admind_migrate_exec(void *data, const char *sql, size_t len, unsigned line)
{
    char                   detail[ADMIND_ERRLEN];
    admind_migrate_ctx_t  *ctx = data;

    (void) len;

    if (admind_db_query(ctx->mysql, sql, detail, sizeof(detail))
        != ADMIND_OK)
    {
        snprintf(ctx->err, ctx->errlen, "%s:%u: %s", ctx->migration->file,
                 line, detail);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


static int
admind_migrate_checksum(const unsigned char *buf, size_t len, char *hex)
{
    unsigned       i, mdlen;
    unsigned char  md[EVP_MAX_MD_SIZE];

    if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1) {
        return ADMIND_ERROR;
    }

    for (i = 0; i < mdlen; i++) {
        sprintf(hex + 2 * i, "%02x", md[i]);
    }

    return ADMIND_OK;
}


static json_t *
admind_migrate_applied(json_t *rows, unsigned version)
{
    size_t   i;
    json_t  *row;

    json_array_foreach(rows, i, row) {
        if (json_integer_value(json_object_get(row, "version"))
            == (json_int_t) version)
        {
            return row;
        }
    }

    return NULL;
}


static int
admind_migrate_apply(MYSQL *mysql, const admind_migration_t *m,
    const unsigned char *buf, size_t len, const char *checksum, char *err,
    size_t errlen)
{
    double                 ms;
    struct timespec        t0, t1;
    admind_db_param_t      params[3];
    admind_migrate_ctx_t   ctx;

    clock_gettime(CLOCK_MONOTONIC, &t0);

    ctx.mysql = mysql;
    ctx.migration = m;
    ctx.err = err;
    ctx.errlen = errlen;

    if (admind_migrate_split((const char *) buf, len, admind_migrate_exec,
                             &ctx)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    params[0] = admind_db_int(m->version);
    params[1] = admind_db_str(m->name);
    params[2] = admind_db_str(checksum);

    if (admind_db_exec(mysql, "INSERT INTO schema_migrations "
                       "(version, name, checksum) VALUES (?, ?, ?)",
                       params, 3, NULL, err, errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (double) (t1.tv_sec - t0.tv_sec) * 1000.0
         + (double) (t1.tv_nsec - t0.tv_nsec) / 1e6;

    admind_log(ADMIND_LOG_INFO, "migration applied",
               "version", json_integer(m->version),
               "name", admind_log_str(m->name),
               "ms", json_integer((json_int_t) ms), NULL);

    return ADMIND_OK;
}


int
admind_migrate_run(MYSQL *mysql, const char *dir, char *err, size_t errlen)
{
    int                  rc;
    char                 checksum[2 * EVP_MAX_MD_SIZE + 1];
    char                 detail[ADMIND_ERRLEN];
    size_t               i, len, applied;
    json_t              *rows, *row;
    unsigned             current;
    const char          *recorded;
    unsigned char       *buf;
    admind_migrations_t  list;

    if (admind_db_query(mysql, admind_migrate_table, detail, sizeof(detail))
        != ADMIND_OK)
    {
        snprintf(err, errlen, "creating schema_migrations: %s", detail);
        return ADMIND_ERROR;
    }

    if (admind_migrate_scan(dir, &list, err, errlen) != ADMIND_OK) {
        return ADMIND_ERROR;
    }

    if (admind_db_select(mysql, "SELECT version, checksum "
                         "FROM schema_migrations ORDER BY version",
                         NULL, 0, &rows, detail, sizeof(detail))
        != ADMIND_OK)
    {
        snprintf(err, errlen, "reading schema_migrations: %s", detail);
        admind_migrate_free(&list);
        return ADMIND_ERROR;
    }

    rc = ADMIND_OK;
    applied = 0;
    current = 0;

    for (i = 0; i < list.n; i++) {
        if (admind_file_read(list.items[i].path, ADMIND_MIGRATE_FILE_MAX,
                               &buf, &len, err, errlen)
            != ADMIND_OK)
        {
            rc = ADMIND_ERROR;
            break;
        }

        if (admind_migrate_checksum(buf, len, checksum) != ADMIND_OK) {
            snprintf(err, errlen, "%s: SHA-256 failed", list.items[i].file);
            free(buf);
            rc = ADMIND_ERROR;
            break;
        }

        row = admind_migrate_applied(rows, list.items[i].version);

        if (row != NULL) {
            recorded = json_string_value(json_object_get(row, "checksum"));

            if (recorded == NULL || strcmp(recorded, checksum) != 0) {
                admind_log(ADMIND_LOG_WARN, "applied migration file was "
                           "changed afterwards; changes are not applied",
                           "file", admind_log_str(list.items[i].file), NULL);
            }

        } else {
            if (list.items[i].version < current) {
                admind_log(ADMIND_LOG_WARN, "applying migration out of order",
                           "file", admind_log_str(list.items[i].file), NULL);
            }

            if (admind_migrate_apply(mysql, &list.items[i], buf, len,
                                     checksum, err, errlen)
                != ADMIND_OK)
            {
                free(buf);
                rc = ADMIND_ERROR;
                break;
            }

            applied++;
        }

        free(buf);

        if (list.items[i].version > current) {
            current = list.items[i].version;
        }
    }

    if (rc == ADMIND_OK) {
        json_array_foreach(rows, i, row) {
            if (json_integer_value(json_object_get(row, "version"))
                > (json_int_t) current)
            {
                /* a newer admind migrated this database; new columns
                 * and tables do not hurt an older one, so only warn */
                admind_log(ADMIND_LOG_WARN, "database has a migration this "
                           "admind does not know",
                           "version", json_integer(json_integer_value(
                               json_object_get(row, "version"))), NULL);
            }
        }
    }

    if (rc == ADMIND_OK) {
        admind_log(ADMIND_LOG_INFO, "schema up to date",
                   "version", json_integer(current),
                   "applied", json_integer((json_int_t) applied), NULL);
    }

    json_decref(rows);
    admind_migrate_free(&list);

    return rc;
}
