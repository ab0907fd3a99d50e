/*
 * QuotaLane admind: RFC 3339 timestamps of the REST API.
 */

#ifndef _ADMIND_TIME_H_INCLUDED_
#define _ADMIND_TIME_H_INCLUDED_


#include <time.h>

#include "admind.h"


/* "2026-11-26T10:00:00Z" */
#define ADMIND_TIME_LEN      20

/* the DATETIME range admind accepts: 1970-01-01 .. 9999-12-31 */
#define ADMIND_TIME_MAX      253402300799LL

/*
 * DATE_FORMAT() of a DATETIME column into the API form; the session runs
 * in UTC (admind_db.c), so the 'Z' is true.
 */
#define ADMIND_SQL_TIME(col, name)                                           \
    ADMIND_SQL_TIME_READ(col) " AS " name

/* the same expression without its name (admind_fields.h reads) */
#define ADMIND_SQL_TIME_READ(col)                                            \
    "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"


/*
 * "2026-11-26T10:00:00Z", "2026-11-26t10:00:00.250+02:00": unix seconds,
 * the fraction dropped.  ADMIND_ERROR for anything else, including
 * impossible dates and times outside 1970..9999.
 */
int admind_time_parse(const char *s, time_t *t);

/* "2026-11-26T10:00:00Z"; size >= ADMIND_TIME_LEN + 1 */
void admind_time_format(time_t t, char *buf, size_t size);

/* "2026-11-26 10:00:00" for a DATETIME parameter; same size */
void admind_time_sql(time_t t, char *buf, size_t size);


#endif /* _ADMIND_TIME_H_INCLUDED_ */
