/*
 * QuotaLane admind: blocking Redis connections, one per thread.
 */

#ifndef _ADMIND_REDIS_H_INCLUDED_
#define _ADMIND_REDIS_H_INCLUDED_


#include <hiredis/hiredis.h>

#include "admind.h"


/* before any thread starts */
int admind_redis_init(const admind_conf_t *conf);
void admind_redis_shutdown(void);

/* the calling thread's connection (AUTH and SELECT done), opened lazily */
redisContext *admind_redis_get(char *err, size_t errlen);

/* the thread's connection is closed; the next call reconnects */
void admind_redis_close(void);

/*
 * One command on the thread's connection.  NULL with err set when the
 * connection failed (it is then dropped) or Redis answered an error.
 * Free the reply with freeReplyObject().
 */
redisReply *admind_redis_command(char *err, size_t errlen,
    const char *fmt, ...);
redisReply *admind_redis_command_argv(char *err, size_t errlen, int argc,
    const char **argv, const size_t *argvlen);

int admind_redis_ping(char *err, size_t errlen);


#endif /* _ADMIND_REDIS_H_INCLUDED_ */
