/*
 * QuotaLane admind: blocking Redis connections.
 *
 * admind threads may block, so the plain synchronous hiredis API is
 * enough here (unlike in nginx workers).  Connect and command timeouts
 * bound every call; a connection that saw an I/O error is dropped and the
 * next call reconnects, because hiredis cannot resync a broken stream.
 */

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "admind_metrics.h"
#include "admind_config.h"
#include "admind_log.h"
#include "admind_redis.h"


static const admind_conf_t  *admind_redis_conf;
static char                 *admind_redis_password;
static pthread_key_t         admind_redis_key;
static unsigned              admind_redis_key_created;


static void
admind_redis_forget_password(void)
{
    if (admind_redis_password != NULL) {
        OPENSSL_cleanse(admind_redis_password,
                        strlen(admind_redis_password));
        free(admind_redis_password);
        admind_redis_password = NULL;
    }
}


static void
admind_redis_free(void *data)
{
    if (data != NULL) {
        redisFree(data);
    }
}


int
admind_redis_init(const admind_conf_t *conf, const char *password)
{
    admind_redis_password = strdup(password ? password : "");
    if (admind_redis_password == NULL) {
        return ADMIND_ERROR;
    }

    if (pthread_key_create(&admind_redis_key, admind_redis_free) != 0) {
        admind_redis_forget_password();
        return ADMIND_ERROR;
    }

    admind_redis_key_created = 1;
    admind_redis_conf = conf;

    return ADMIND_OK;
}


void
admind_redis_shutdown(void)
{
    if (admind_redis_key_created) {
        admind_redis_close();
        pthread_key_delete(admind_redis_key);
        admind_redis_key_created = 0;
    }

    admind_redis_forget_password();
}


void
admind_redis_close(void)
{
    redisContext  *c;

    c = pthread_getspecific(admind_redis_key);
    if (c != NULL) {
        pthread_setspecific(admind_redis_key, NULL);
        redisFree(c);
    }
}


/* a command on a fresh connection, before it is handed out */
static int
admind_redis_setup(redisContext *c, const char *what, char *err,
    size_t errlen, const char *fmt, ...)
{
    int          rc;
    va_list      ap;
    redisReply  *reply;

    va_start(ap, fmt);
    reply = redisvCommand(c, fmt, ap);
    va_end(ap);

    if (reply == NULL) {
        snprintf(err, errlen, "%s: %s", what, c->errstr);
        return ADMIND_ERROR;
    }

    rc = ADMIND_OK;

    if (reply->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "%s: %s", what, reply->str);
        rc = ADMIND_ERROR;
    }

    freeReplyObject(reply);

    return rc;
}


redisContext *
admind_redis_get(char *err, size_t errlen)
{
    redisContext         *c;
    struct timeval        tv;
    const admind_conf_t  *conf;

    c = pthread_getspecific(admind_redis_key);
    if (c != NULL) {
        return c;
    }

    conf = admind_redis_conf;

    tv.tv_sec = conf->redis_timeout_ms / 1000;
    tv.tv_usec = (conf->redis_timeout_ms % 1000) * 1000;

    if (conf->redis_unix != NULL) {
        c = redisConnectUnixWithTimeout(conf->redis_unix, tv);

    } else {
        c = redisConnectWithTimeout(conf->redis_host, (int) conf->redis_port,
                                    tv);
    }

    if (c == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }

    if (c->err) {
        admind_metrics_redis_unavailable();
        snprintf(err, errlen, "connect to %s: %s", conf->redis, c->errstr);
        redisFree(c);
        return NULL;
    }

    if (redisSetTimeout(c, tv) != REDIS_OK) {
        snprintf(err, errlen, "setting timeout: %s", c->errstr);
        redisFree(c);
        return NULL;
    }

    /* an ACL user (Redis 6+) or the legacy requirepass password */
    if (admind_redis_password[0]
        && (conf->redis_user[0]
            ? admind_redis_setup(c, "AUTH", err, errlen, "AUTH %s %s",
                                 conf->redis_user, admind_redis_password)
            : admind_redis_setup(c, "AUTH", err, errlen, "AUTH %s",
                                 admind_redis_password))
           != ADMIND_OK)
    {
        redisFree(c);
        return NULL;
    }

    if (conf->redis_db != 0
        && admind_redis_setup(c, "SELECT", err, errlen, "SELECT %u",
                              conf->redis_db)
           != ADMIND_OK)
    {
        redisFree(c);
        return NULL;
    }

    if (pthread_setspecific(admind_redis_key, c) != 0) {
        snprintf(err, errlen, "out of memory");
        redisFree(c);
        return NULL;
    }

    return c;
}


static redisReply *
admind_redis_reply(redisContext *c, redisReply *reply, char *err,
    size_t errlen)
{
    if (reply == NULL) {
        snprintf(err, errlen, "%s", c->errstr[0] ? c->errstr : "no reply");

        admind_log(ADMIND_LOG_WARN, "redis connection dropped",
                   "error", admind_log_str(err), NULL);

        admind_redis_close();
        return NULL;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        snprintf(err, errlen, "%s", reply->str);
        freeReplyObject(reply);
        return NULL;
    }

    return reply;
}


redisReply *
admind_redis_command(char *err, size_t errlen, const char *fmt, ...)
{
    va_list        ap;
    redisReply    *reply;
    redisContext  *c;

    c = admind_redis_get(err, errlen);
    if (c == NULL) {
        return NULL;
    }

    va_start(ap, fmt);
    reply = redisvCommand(c, fmt, ap);
    va_end(ap);

    return admind_redis_reply(c, reply, err, errlen);
}


redisReply *
admind_redis_command_argv(char *err, size_t errlen, int argc,
    const char **argv, const size_t *argvlen)
{
    redisReply    *reply;
    redisContext  *c;

    c = admind_redis_get(err, errlen);
    if (c == NULL) {
        return NULL;
    }

    reply = redisCommandArgv(c, argc, argv, argvlen);

    return admind_redis_reply(c, reply, err, errlen);
}


int
admind_redis_ping(char *err, size_t errlen)
{
    int          kept, rc;
    redisReply  *reply;

    /*
     * A kept connection may have died since its last use (Redis restart);
     * PING is safe to repeat once on a fresh connection.
     */
    for ( ;; ) {
        kept = pthread_getspecific(admind_redis_key) != NULL;

        reply = admind_redis_command(err, errlen, "PING");
        if (reply != NULL) {
            break;
        }

        /* an error reply leaves the connection: no reason to retry */
        if (!kept || pthread_getspecific(admind_redis_key) != NULL) {
            return ADMIND_ERROR;
        }
    }

    rc = ADMIND_OK;

    if (reply->type != REDIS_REPLY_STATUS || strcmp(reply->str, "PONG") != 0)
    {
        snprintf(err, errlen, "unexpected PING reply");
        rc = ADMIND_ERROR;
    }

    freeReplyObject(reply);

    return rc;
}


void
admind_redis_args_init(admind_redis_args_t *a)
{
    memset(a, 0, sizeof(admind_redis_args_t));
}


void
admind_redis_args_add(admind_redis_args_t *a, const void *p, size_t len)
{
    int      cap;
    char   **argv, *copy;
    size_t  *argvlen;

    if (a->failed) {
        return;
    }

    if (a->argc == a->cap) {
        cap = a->cap ? a->cap * 2 : 16;

        argv = realloc(a->argv, (size_t) cap * sizeof(char *));
        if (argv == NULL) {
            a->failed = 1;
            return;
        }
        a->argv = argv;

        argvlen = realloc(a->argvlen, (size_t) cap * sizeof(size_t));
        if (argvlen == NULL) {
            a->failed = 1;
            return;
        }
        a->argvlen = argvlen;

        a->cap = cap;
    }

    copy = malloc(len ? len : 1);
    if (copy == NULL) {
        a->failed = 1;
        return;
    }

    if (len) {
        memcpy(copy, p, len);
    }

    a->argv[a->argc] = copy;
    a->argvlen[a->argc] = len;
    a->argc++;
}


void
admind_redis_args_str(admind_redis_args_t *a, const char *s)
{
    admind_redis_args_add(a, s, strlen(s));
}


void
admind_redis_args_fmt(admind_redis_args_t *a, const char *fmt, ...)
{
    int      n;
    char     buf[512];
    va_list  ap;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);

    if (n < 0 || (size_t) n >= sizeof(buf)) {
        a->failed = 1;
        return;
    }

    admind_redis_args_add(a, buf, (size_t) n);
}


void
admind_redis_args_free(admind_redis_args_t *a)
{
    int  i;

    for (i = 0; i < a->argc; i++) {
        free(a->argv[i]);
    }

    free(a->argv);
    free(a->argvlen);
    memset(a, 0, sizeof(admind_redis_args_t));
}


int
admind_redis_batch_begin(admind_redis_batch_t *b, int multi, char *err,
    size_t errlen)
{
    memset(b, 0, sizeof(admind_redis_batch_t));

    b->c = admind_redis_get(err, errlen);
    if (b->c == NULL) {
        return ADMIND_ERROR;
    }

    if (multi) {
        if (redisAppendCommand(b->c, "MULTI") != REDIS_OK) {
            snprintf(err, errlen, "out of memory");
            return ADMIND_ERROR;
        }

        b->multi = 1;
        b->n++;
    }

    return ADMIND_OK;
}


void
admind_redis_batch_add(admind_redis_batch_t *b, const admind_redis_args_t *a)
{
    if (b->failed) {
        return;
    }

    if (a->failed || a->argc == 0) {
        b->failed = 1;
        snprintf(b->err, sizeof(b->err), "out of memory");
        return;
    }

    if (redisAppendCommandArgv(b->c, a->argc, (const char **) a->argv,
                               a->argvlen)
        != REDIS_OK)
    {
        b->failed = 1;
        snprintf(b->err, sizeof(b->err), "out of memory");
        return;
    }

    b->n++;
}


/* the first error inside a reply (EXEC answers an array of replies) */
static const char *
admind_redis_reply_error(redisReply *reply)
{
    size_t       i;
    const char  *e;

    if (reply->type == REDIS_REPLY_ERROR) {
        return reply->str;
    }

    if (reply->type == REDIS_REPLY_ARRAY) {
        for (i = 0; i < reply->elements; i++) {
            e = admind_redis_reply_error(reply->element[i]);
            if (e != NULL) {
                return e;
            }
        }
    }

    return NULL;
}


int
admind_redis_batch_end(admind_redis_batch_t *b, char *err, size_t errlen)
{
    int          rc;
    void        *r;
    unsigned     i;
    const char  *e;
    redisReply  *reply;

    if (b->c == NULL) {
        snprintf(err, errlen, "no connection");
        return ADMIND_ERROR;
    }

    /*
     * Even after a failed append the commands already buffered are sent
     * and answered: a MULTI left open would poison the connection, so a
     * failed batch DISCARDs instead of EXECing.
     */
    if (b->multi) {
        if (redisAppendCommand(b->c, b->failed ? "DISCARD" : "EXEC")
            != REDIS_OK)
        {
            admind_redis_close();
            snprintf(err, errlen, "out of memory");
            return ADMIND_ERROR;
        }
        b->n++;
    }

    rc = b->failed ? ADMIND_ERROR : ADMIND_OK;

    if (b->failed) {
        snprintf(err, errlen, "%s", b->err);
    }

    for (i = 0; i < b->n; i++) {
        if (redisGetReply(b->c, &r) != REDIS_OK || r == NULL) {
            snprintf(err, errlen, "%s", b->c->errstr[0] ? b->c->errstr
                                                         : "no reply");
            admind_log(ADMIND_LOG_WARN, "redis connection dropped",
                       "error", admind_log_str(err), NULL);
            admind_redis_close();
            b->c = NULL;
            return ADMIND_ERROR;
        }

        reply = r;
        e = admind_redis_reply_error(reply);

        if (e != NULL && rc == ADMIND_OK) {
            snprintf(err, errlen, "%s", e);
            rc = ADMIND_ERROR;
        }

        /* EXEC answers nil when the transaction was aborted */
        if (b->multi && !b->failed && i == b->n - 1
            && reply->type == REDIS_REPLY_NIL && rc == ADMIND_OK)
        {
            snprintf(err, errlen, "transaction aborted");
            rc = ADMIND_ERROR;
        }

        freeReplyObject(reply);
    }

    b->n = 0;

    return rc;
}
