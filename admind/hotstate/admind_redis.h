/*
 * QuotaLane admind: blocking Redis connections, one per thread.
 */

#ifndef _ADMIND_REDIS_H_INCLUDED_
#define _ADMIND_REDIS_H_INCLUDED_


#include <hiredis/hiredis.h>

#include "admind.h"


/* before any thread starts; the password (AUTH) is copied */
int admind_redis_init(const admind_conf_t *conf, const char *password);
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


/*
 * Arguments of one command, copied (so they may come from short-lived
 * buffers) and binary-safe.  An allocation failure is remembered and
 * reported by admind_redis_batch_add().
 */
typedef struct {
    int        argc;
    int        cap;
    char     **argv;
    size_t    *argvlen;
    unsigned   failed:1;
} admind_redis_args_t;

void admind_redis_args_init(admind_redis_args_t *a);
void admind_redis_args_add(admind_redis_args_t *a, const void *p,
    size_t len);
void admind_redis_args_str(admind_redis_args_t *a, const char *s);
void admind_redis_args_fmt(admind_redis_args_t *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void admind_redis_args_free(admind_redis_args_t *a);


/*
 * A pipeline on the thread's connection: commands are buffered by
 * admind_redis_batch_add() and sent, with all replies read, by
 * admind_redis_batch_end(); with multi they run as one MULTI/EXEC.
 */
typedef struct {
    redisContext  *c;
    unsigned       n;           /* replies to read */
    unsigned       multi:1;
    unsigned       failed:1;
    char           err[ADMIND_ERRLEN];
} admind_redis_batch_t;

int admind_redis_batch_begin(admind_redis_batch_t *b, int multi, char *err,
    size_t errlen);
/* the args are copied into the pipeline: free them when convenient */
void admind_redis_batch_add(admind_redis_batch_t *b,
    const admind_redis_args_t *a);
int admind_redis_batch_end(admind_redis_batch_t *b, char *err,
    size_t errlen);


#endif /* _ADMIND_REDIS_H_INCLUDED_ */
