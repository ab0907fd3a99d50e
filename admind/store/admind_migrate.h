/*
 * QuotaLane admind: versioned schema migrations.
 */

#ifndef _ADMIND_MIGRATE_H_INCLUDED_
#define _ADMIND_MIGRATE_H_INCLUDED_


#include <mysql.h>

#include "admind.h"


#define ADMIND_MIGRATE_LOCK      "quotalane.admind.migrate"
#define ADMIND_MIGRATE_NAME_MAX  200


typedef struct {
    unsigned   version;
    char      *name;        /* "schema_v1" */
    char      *file;        /* "0001_schema_v1.sql" */
    char      *path;        /* migrations_dir + "/" + file */
} admind_migration_t;


typedef struct {
    admind_migration_t  *items;
    size_t               n;
} admind_migrations_t;


/* called with each statement (NUL terminated) and its first line */
typedef int (*admind_migrate_stmt_pt)(void *data, const char *sql,
    size_t len, unsigned line);


/*
 * "NNNN_name.sql": ADMIND_OK, ADMIND_DECLINED for files that are not
 * .sql (ignored), ADMIND_ERROR for a .sql file with a malformed name.
 */
int admind_migrate_parse_name(const char *file, unsigned *version,
    char *name, size_t namesz);

/* the migrations in dir, sorted by version; duplicates are an error */
int admind_migrate_scan(const char *dir, admind_migrations_t *list,
    char *err, size_t errlen);
void admind_migrate_free(admind_migrations_t *list);

/*
 * Statements end with ';' as the last character of a line.  Lines that
 * start with "--" or "#" are comments and dropped, so a comment may not
 * end a statement by accident.  A handler error stops the split.
 */
int admind_migrate_split(const char *buf, size_t len,
    admind_migrate_stmt_pt handler, void *data);

/* applies the pending migrations in order; the caller holds the lock */
int admind_migrate_run(MYSQL *mysql, const char *dir, char *err,
    size_t errlen);


#endif /* _ADMIND_MIGRATE_H_INCLUDED_ */
