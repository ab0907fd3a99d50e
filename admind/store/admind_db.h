/*
 * QuotaLane admind: MySQL/MariaDB connections, one per thread.
 */

#ifndef _ADMIND_DB_H_INCLUDED_
#define _ADMIND_DB_H_INCLUDED_


#include <mysql.h>

#include "admind.h"


/* a pause that ends early (nonzero) when admind is asked to stop */
typedef int (*admind_db_sleep_pt)(unsigned ms);


/* before any thread starts; the password is copied */
int admind_db_init(const admind_conf_t *conf, const char *password);
void admind_db_shutdown(void);

/*
 * The calling thread's connection, opened on first use and again after a
 * failure broke it.  Never share it with another thread.
 */
MYSQL *admind_db_get(char *err, size_t errlen);

/*
 * Which of the thread's connections admind_db_get() returned (0: none):
 * a statement prepared under another number is gone with its connection.
 */
unsigned long admind_db_serial(void);

/* the thread's connection is closed; the next admind_db_get() reconnects */
void admind_db_close(void);

/*
 * Report the error number of a failed call on the thread's connection:
 * errors that leave the connection unusable close it.  The statement
 * helpers call this themselves.
 */
void admind_db_failed(unsigned err_no);
int admind_db_error_breaks_connection(unsigned err_no);

/* SELECT 1, reconnecting once if a kept connection turned out dead */
int admind_db_ping(char *err, size_t errlen);

/* startup: retry with backoff until connected, a hard error, or timeout */
int admind_db_wait(unsigned seconds, admind_db_sleep_pt sleep_fn, char *err,
    size_t errlen);

/* a statement without user input whose result (if any) is discarded */
int admind_db_query(MYSQL *mysql, const char *sql, char *err, size_t errlen);

/* GET_LOCK() for the current database; the lock lives with the connection */
int admind_db_lock(MYSQL *mysql, const char *name, unsigned timeout,
    char *err, size_t errlen);
void admind_db_unlock(MYSQL *mysql, const char *name);


#endif /* _ADMIND_DB_H_INCLUDED_ */
