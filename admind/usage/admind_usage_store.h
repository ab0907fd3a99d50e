/*
 * QuotaLane admind: usage records into MySQL, a batch per transaction.
 *
 * Multi-row INSERTs per batch, idempotent on request_id (ON DUPLICATE
 * KEY UPDATE of nothing), so that a record delivered twice (a crash
 * between COMMIT and XACK, a claim from a slow consumer) is stored once.
 * Strict SQL mode stays on: INSERT IGNORE would silently truncate.
 */

#ifndef _ADMIND_USAGE_STORE_H_INCLUDED_
#define _ADMIND_USAGE_STORE_H_INCLUDED_


#include <mysql.h>

#include "admind.h"
#include "admind_usage_record.h"


typedef struct {
    admind_usage_record_t   rec;

    /* a row refused: by the parser, admind_usage_known_check() or MySQL */
    unsigned                rejected:1;
    char                    why[128];
} admind_usage_row_t;


/* statements of 1, 2, 4, ... 256 rows */
#define ADMIND_USAGE_SIZES  9

/* the prepared INSERTs of one thread's connection, zeroed to start */
typedef struct {
    unsigned long   serial;     /* admind_db_serial() they belong to */
    MYSQL_STMT     *stmt[ADMIND_USAGE_SIZES];
    MYSQL_BIND     *binds;      /* the largest statement's */
} admind_usage_stmts_t;


/*
 * Stores rows[0..n) in one transaction and commits.  Should the batch
 * fail on the data of some row (which the parser means to prevent), the
 * rows are inserted one by one in the same transaction and those MySQL
 * refuses are marked rejected (the caller dead-letters them).
 * ADMIND_ERROR when nothing was committed (database down, deadlock):
 * try again later.  *stored counts the rows that were new.
 */
int admind_usage_store(admind_usage_stmts_t *st, MYSQL *mysql,
    admind_usage_row_t *rows, size_t n, unsigned long long *stored,
    char *err, size_t errlen);

/*
 * The statements closed: by their thread, or after its connection closed
 * (then only their memory goes); _free() also frees the binds.
 */
void admind_usage_stmts_close(admind_usage_stmts_t *st);
void admind_usage_stmts_free(admind_usage_stmts_t *st);


#endif /* _ADMIND_USAGE_STORE_H_INCLUDED_ */
