/*
 * QuotaLane admind: MySQL/MariaDB connections.
 *
 * Each thread owns one connection (libmariadb handles must not be shared)
 * kept in thread-specific data, whose destructor closes it when an HTTP
 * pool thread ends.  MYSQL_OPT_RECONNECT stays off: an automatic reconnect
 * would silently lose prepared statements, session settings and locks.
 * Instead a call that fails with a connection error drops the handle and
 * the next admind_db_get() opens a new one, so a MySQL restart costs at
 * most the requests that were in flight.
 */

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <mysqld_error.h>
#include <errmsg.h>

#include "admind_metrics.h"
#include "admind_config.h"
#include "admind_log.h"
#include "admind_db.h"
#include "admind_db_stmt.h"


typedef struct {
    MYSQL          *mysql;
    /* counts the thread's connections: statements prepared on one die */
    unsigned long   serial;
} admind_db_conn_t;


static const admind_conf_t  *admind_db_conf;
static char                 *admind_db_password;
static pthread_key_t         admind_db_key;
static unsigned              admind_db_key_created;


static void
admind_db_conn_free(void *data)
{
    admind_db_conn_t  *conn = data;

    if (conn == NULL) {
        return;
    }

    if (conn->mysql != NULL) {
        mysql_close(conn->mysql);
    }

    free(conn);
    mysql_thread_end();
}


int
admind_db_init(const admind_conf_t *conf, const char *password)
{
    if (mysql_library_init(0, NULL, NULL) != 0) {
        return ADMIND_ERROR;
    }

    admind_db_password = strdup(password ? password : "");
    if (admind_db_password == NULL) {
        return ADMIND_ERROR;
    }

    if (pthread_key_create(&admind_db_key, admind_db_conn_free) != 0) {
        return ADMIND_ERROR;
    }

    admind_db_key_created = 1;
    admind_db_conf = conf;

    return ADMIND_OK;
}


void
admind_db_shutdown(void)
{
    if (admind_db_key_created) {
        admind_db_close();
        pthread_key_delete(admind_db_key);
        admind_db_key_created = 0;
    }

    if (admind_db_password != NULL) {
        memset(admind_db_password, 0, strlen(admind_db_password));
        free(admind_db_password);
        admind_db_password = NULL;
    }

    mysql_library_end();
}


static time_t
admind_db_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec;
}


static admind_db_conn_t *
admind_db_conn(void)
{
    admind_db_conn_t  *conn;

    conn = pthread_getspecific(admind_db_key);
    if (conn != NULL) {
        return conn;
    }

    conn = calloc(1, sizeof(admind_db_conn_t));
    if (conn == NULL) {
        return NULL;
    }

    if (pthread_setspecific(admind_db_key, conn) != 0) {
        free(conn);
        return NULL;
    }

    return conn;
}


static MYSQL *
admind_db_connect(unsigned *err_no, char *err, size_t errlen)
{
    MYSQL                *mysql;
    my_bool               reconnect;
    unsigned int          timeout;
    const char           *host, *sock;
    const admind_conf_t  *conf;

    conf = admind_db_conf;
    *err_no = 0;

    mysql = mysql_init(NULL);
    if (mysql == NULL) {
        snprintf(err, errlen, "mysql_init() failed: out of memory");
        *err_no = CR_OUT_OF_MEMORY;
        return NULL;
    }

    reconnect = 0;
    mysql_options(mysql, MYSQL_OPT_RECONNECT, &reconnect);

    timeout = conf->db_connect_timeout;
    mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
    timeout = conf->db_read_timeout;
    mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &timeout);
    timeout = conf->db_write_timeout;
    mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &timeout);

    mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");

    /* DATETIME columns hold UTC; CURRENT_TIMESTAMP must agree */
    mysql_options(mysql, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");

    if (conf->db_socket[0]) {
        host = "localhost";
        sock = conf->db_socket;

    } else {
        host = conf->db_host[0] ? conf->db_host : NULL;
        sock = NULL;
    }

    if (mysql_real_connect(mysql, host,
                           conf->db_user[0] ? conf->db_user : NULL,
                           admind_db_password[0] ? admind_db_password : NULL,
                           conf->db_name, conf->db_port, sock, 0)
        == NULL)
    {
        *err_no = mysql_errno(mysql);
        snprintf(err, errlen, "%s", mysql_error(mysql));
        mysql_close(mysql);
        return NULL;
    }

    admind_log(ADMIND_LOG_DEBUG, "database connected",
               "server", admind_log_str(mysql_get_server_info(mysql)),
               NULL);

    return mysql;
}


static MYSQL *
admind_db_get_errno(unsigned *err_no, char *err, size_t errlen)
{
    admind_db_conn_t  *conn;

    *err_no = 0;

    conn = admind_db_conn();
    if (conn == NULL) {
        snprintf(err, errlen, "out of memory");
        *err_no = CR_OUT_OF_MEMORY;
        return NULL;
    }

    /*
     * The server may have restarted since this connection's last use, even
     * a moment ago; a ping (one local round trip, cheap next to an admin
     * request) finds out before a statement that must not be retried
     * blindly does.
     */
    if (conn->mysql != NULL && mysql_ping(conn->mysql) != 0)
    {
        admind_log(ADMIND_LOG_INFO, "database connection lost, reconnecting",
                   "error", admind_log_str(mysql_error(conn->mysql)), NULL);
        mysql_close(conn->mysql);
        conn->mysql = NULL;
    }

    if (conn->mysql == NULL) {
        conn->mysql = admind_db_connect(err_no, err, errlen);
        if (conn->mysql == NULL) {
            return NULL;
        }

        conn->serial++;
    }

    return conn->mysql;
}


unsigned long
admind_db_serial(void)
{
    admind_db_conn_t  *conn;

    conn = pthread_getspecific(admind_db_key);

    return conn != NULL && conn->mysql != NULL ? conn->serial : 0;
}


MYSQL *
admind_db_get(char *err, size_t errlen)
{
    MYSQL     *mysql;
    unsigned   err_no;

    mysql = admind_db_get_errno(&err_no, err, errlen);

    if (mysql == NULL) {
        admind_metrics_db_unavailable();
    }

    return mysql;
}


void
admind_db_close(void)
{
    admind_db_conn_t  *conn;

    conn = pthread_getspecific(admind_db_key);
    if (conn == NULL) {
        return;
    }

    if (conn->mysql != NULL) {
        mysql_close(conn->mysql);
        conn->mysql = NULL;
    }
}


int
admind_db_error_breaks_connection(unsigned err_no)
{
    /* client-side errors (2000-2999, 5000+) are about the connection */
    if (err_no >= CR_MIN_ERROR) {
        return 1;
    }

    switch (err_no) {
    case ER_SERVER_SHUTDOWN:
    case ER_CONNECTION_KILLED:
    case ER_NET_PACKET_TOO_LARGE:
    case ER_NET_PACKETS_OUT_OF_ORDER:
    case ER_NET_UNCOMPRESS_ERROR:
    case ER_NET_READ_ERROR:
    case ER_NET_READ_INTERRUPTED:
    case ER_NET_ERROR_ON_WRITE:
    case ER_NET_WRITE_INTERRUPTED:
        return 1;

    default:
        return 0;
    }
}


void
admind_db_failed(unsigned err_no)
{
    if (!admind_db_error_breaks_connection(err_no)) {
        return;
    }

    admind_log(ADMIND_LOG_WARN, "database connection dropped",
               "errno", json_integer(err_no), NULL);

    admind_db_close();
}


int
admind_db_query(MYSQL *mysql, const char *sql, char *err, size_t errlen)
{
    unsigned    err_no;
    MYSQL_RES  *res;

    if (mysql_real_query(mysql, sql, strlen(sql)) != 0) {
        goto failed;
    }

    /* results must be read, or the connection is out of sync */
    do {
        res = mysql_store_result(mysql);
        if (res != NULL) {
            mysql_free_result(res);

        } else if (mysql_field_count(mysql) != 0) {
            goto failed;
        }
    } while (mysql_next_result(mysql) == 0);

    if (mysql_errno(mysql) != 0) {
        goto failed;
    }

    return ADMIND_OK;

failed:

    err_no = mysql_errno(mysql);
    snprintf(err, errlen, "%s", mysql_error(mysql));
    admind_db_failed(err_no);

    return ADMIND_ERROR;
}


int
admind_db_ping(char *err, size_t errlen)
{
    int     attempt;
    MYSQL  *mysql;

    /*
     * A kept connection may be dead since the last request (server
     * restart); SELECT 1 is safe to repeat on a fresh connection.
     */
    for (attempt = 0; attempt < 2; attempt++) {
        mysql = admind_db_get(err, errlen);
        if (mysql == NULL) {
            return ADMIND_ERROR;
        }

        if (admind_db_query(mysql, "SELECT 1", err, errlen) == ADMIND_OK) {
            return ADMIND_OK;
        }
    }

    return ADMIND_ERROR;
}


static int
admind_db_retryable(unsigned err_no)
{
    /* the server is starting, restarting or full: worth waiting for */
    return err_no >= CR_MIN_ERROR || err_no == ER_CON_COUNT_ERROR
           || err_no == ER_SERVER_SHUTDOWN || err_no == ER_CONNECTION_KILLED;
}


int
admind_db_wait(unsigned seconds, admind_db_sleep_pt sleep_fn, char *err,
    size_t errlen)
{
    time_t    deadline;
    unsigned  err_no, delay, attempt;

    deadline = admind_db_now() + seconds;
    delay = 250;

    for (attempt = 1; /* void */; attempt++) {
        if (admind_db_get_errno(&err_no, err, errlen) != NULL) {
            return ADMIND_OK;
        }

        if (!admind_db_retryable(err_no) || admind_db_now() >= deadline) {
            return ADMIND_ERROR;
        }

        admind_log(ADMIND_LOG_WARN, "database not reachable yet, retrying",
                   "error", admind_log_str(err),
                   "attempt", json_integer(attempt),
                   "retry_ms", json_integer(delay), NULL);

        if (sleep_fn(delay) != 0) {
            snprintf(err, errlen, "interrupted");
            return ADMIND_ABORT;
        }

        delay = delay * 2 > 2000 ? 2000 : delay * 2;
    }
}


int
admind_db_lock(MYSQL *mysql, const char *name, unsigned timeout, char *err,
    size_t errlen)
{
    int                found;
    long long          got;
    admind_db_param_t  params[2];

    /*
     * GET_LOCK names are server-wide: the database name in the lock name
     * keeps two QuotaLane databases on one server from waiting on each
     * other.
     */
    params[0] = admind_db_str(name);
    params[1] = admind_db_int((long long) timeout);

    if (admind_db_select_int(mysql,
                             "SELECT GET_LOCK(CONCAT(?, ':', DATABASE()), ?)",
                             params, 2, &got, &found, err, errlen)
        != ADMIND_OK)
    {
        return ADMIND_ERROR;
    }

    if (!found || got != 1) {
        snprintf(err, errlen, "could not get lock \"%s\" within %u s "
                 "(another admind holds it)", name, timeout);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


void
admind_db_unlock(MYSQL *mysql, const char *name)
{
    int                found;
    char               err[ADMIND_ERRLEN];
    long long          released;
    admind_db_param_t  params[1];

    params[0] = admind_db_str(name);

    if (admind_db_select_int(mysql,
                             "SELECT RELEASE_LOCK(CONCAT(?, ':', DATABASE()))",
                             params, 1, &released, &found, err, sizeof(err))
        != ADMIND_OK)
    {
        /* a lost connection released the lock anyway */
        admind_log(ADMIND_LOG_WARN, "could not release lock",
                   "lock", admind_log_str(name),
                   "error", admind_log_str(err), NULL);
    }
}
