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

#include "admind_config.h"
#include "admind_log.h"
#include "admind_redis.h"


static const admind_conf_t  *admind_redis_conf;
static pthread_key_t         admind_redis_key;
static unsigned              admind_redis_key_created;


static void
admind_redis_free(void *data)
{
    if (data != NULL) {
        redisFree(data);
    }
}


int
admind_redis_init(const admind_conf_t *conf)
{
    if (pthread_key_create(&admind_redis_key, admind_redis_free) != 0) {
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
        snprintf(err, errlen, "connect to %s: %s", conf->redis, c->errstr);
        redisFree(c);
        return NULL;
    }

    if (redisSetTimeout(c, tv) != REDIS_OK) {
        snprintf(err, errlen, "setting timeout: %s", c->errstr);
        redisFree(c);
        return NULL;
    }

    if (conf->redis_password[0]
        && admind_redis_setup(c, "AUTH", err, errlen, "AUTH %s",
                              conf->redis_password)
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
