/*
 * QuotaLane admind: prepared statements with bound parameters.
 *
 * Everything that carries user input goes through these helpers, never
 * through string formatting.
 */

#ifndef _ADMIND_DB_STMT_H_INCLUDED_
#define _ADMIND_DB_STMT_H_INCLUDED_


#include <string.h>
#include <mysql.h>
#include <jansson.h>

#include "admind.h"


typedef enum {
    ADMIND_DB_NULL = 0,
    ADMIND_DB_INT,
    ADMIND_DB_STR,
    ADMIND_DB_BLOB
} admind_db_type_e;


typedef struct {
    admind_db_type_e   type;
    long long          i;
    const void        *data;
    size_t             len;
} admind_db_param_t;


typedef struct {
    unsigned long long  affected_rows;
    unsigned long long  insert_id;
} admind_db_result_t;


#define admind_db_null()                                                     \
    ((admind_db_param_t) { ADMIND_DB_NULL, 0, NULL, 0 })
#define admind_db_int(v)                                                     \
    ((admind_db_param_t) { ADMIND_DB_INT, (v), NULL, 0 })
#define admind_db_str(s)                                                     \
    ((admind_db_param_t) { ADMIND_DB_STR, 0, (s), strlen(s) })
#define admind_db_strn(s, n)                                                 \
    ((admind_db_param_t) { ADMIND_DB_STR, 0, (s), (n) })
#define admind_db_blob(p, n)                                                 \
    ((admind_db_param_t) { ADMIND_DB_BLOB, 0, (p), (n) })


/* INSERT, UPDATE, DELETE; res may be NULL */
int admind_db_exec(MYSQL *mysql, const char *sql,
    const admind_db_param_t *params, unsigned nparams,
    admind_db_result_t *res, char *err, size_t errlen);

/*
 * SELECT into a JSON array of objects keyed by column name (or alias):
 * integers as numbers, DECIMAL as strings, DATETIME as
 * "YYYY-MM-DDTHH:MM:SS.mmmZ" (sessions run in UTC), binary columns as hex,
 * SQL NULL as null.
 */
int admind_db_select(MYSQL *mysql, const char *sql,
    const admind_db_param_t *params, unsigned nparams, json_t **rows,
    char *err, size_t errlen);

/* the first column of the first row; *found is 0 for no row or NULL */
int admind_db_select_int(MYSQL *mysql, const char *sql,
    const admind_db_param_t *params, unsigned nparams, long long *value,
    int *found, char *err, size_t errlen);

/* the error number of this thread's last failed helper call (1062: dup) */
unsigned admind_db_errno(void);


#endif /* _ADMIND_DB_STMT_H_INCLUDED_ */
