/*
 * The contracts between the module and its Redis Lua scripts (lua/): the
 * position of every KEYS and ARGV entry and of every reply field, by name.
 *
 * These lists are the one place positions are written down.  The C side
 * indexes with the enums below (0-based, KEYS before ARGV in one argv);
 * `config` prepends to each script a prologue generated from the same
 * lists (1-based, as Lua counts):
 *
 *     local KEY_POOL = 1          -- KEYS[KEY_POOL]
 *     local ARG_PREFIX = 1        -- ARGV[ARG_PREFIX]
 *     local REPLY_ID = 2          -- reply[REPLY_ID]
 *
 * so scripts say ARGV[ARG_NOW], never ARGV[5].  `config` stops the build
 * when a script uses a name its lists lack or leaves a KEY_ or ARG_ name
 * unread; Redis itself refuses a read of an undefined name at run time.
 *
 * A list is NGX_HTTP_QUOTALANE_<SCRIPT>_<KIND>(X, p), KIND one of KEY,
 * ARG, REPLY, LIMIT, one X(p, NAME) a line: `config` reads them as text.
 */

#ifndef _NGX_HTTP_QUOTALANE_SCRIPTS_H_INCLUDED_
#define _NGX_HTTP_QUOTALANE_SCRIPTS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define ngx_http_quotalane_script_enum(p, name)  p##name,


/* key.lua: the API key record, fields in ARGV order */

#define NGX_HTTP_QUOTALANE_KEY_KEY(X, p)                                      \
    X(p, RECORD)                                                              \
    X(p, SYNCED)

/* the record's field names, to the end of ARGV */
#define NGX_HTTP_QUOTALANE_KEY_ARG(X, p)                                      \
    X(p, FIELDS)

/* one value per field asked, in the order asked */
#define NGX_HTTP_QUOTALANE_KEY_REPLY(X, p)                                    \
    X(p, ID)                                                                  \
    X(p, USER_ID)                                                             \
    X(p, STATUS)                                                              \
    X(p, EXPIRES_AT)                                                          \
    X(p, PERMISSIONS)                                                         \
    X(p, ALLOWED_CLIENTS)                                                     \
    X(p, BLOCKED_MODELS)                                                      \
    X(p, CONCURRENCY_LIMIT)                                                   \
    X(p, ACCOUNT_ID)                                                          \
    X(p, GROUP_ID)                                                            \
    X(p, RATE_WINDOW)                                                         \
    X(p, RATE_REQUESTS)                                                       \
    X(p, RATE_TOKENS)                                                         \
    X(p, RATE_COST)                                                           \
    X(p, DAILY_COST_LIMIT)                                                    \
    X(p, WEEKLY_COST_LIMIT)                                                   \
    X(p, WEEKLY_RESET)                                                        \
    X(p, TOTAL_COST_LIMIT)                                                    \
    X(p, QUOTA_LIMIT)                                                         \
    X(p, QUOTA_BUCKET)


/* select.lua: admission and account selection */

#define NGX_HTTP_QUOTALANE_SELECT_KEY(X, p)                                   \
    X(p, POOL)                                                                \
    X(p, KEY)                                                                 \
    X(p, SYNCED)

#define NGX_HTTP_QUOTALANE_SELECT_ARG(X, p)                                   \
    X(p, PREFIX)                                                              \
    X(p, POOL)                                                                \
    X(p, ENDPOINT)                                                            \
    X(p, MODEL)                                                               \
    X(p, BOUND_ACCOUNT)                                                       \
    X(p, BOUND_GROUP)                                                         \
    X(p, NOW)                                                                 \
    X(p, REQUEST_ID)                                                          \
    X(p, KEY_ID)                                                              \
    X(p, KEY_CONC_LIMIT)                                                      \
    X(p, LEASE_MS)                                                            \
    X(p, SESSION)                                                             \
    X(p, SESSION_TTL)                                                         \
    X(p, EXCLUDED)                                                            \
    X(p, RATE_WINDOW)                                                         \
    X(p, RATE_REQUESTS)                                                       \
    X(p, RATE_TOKENS)                                                         \
    X(p, RATE_COST)                                                           \
    X(p, DAILY_LIMIT)                                                         \
    X(p, DAY)                                                                 \
    X(p, WEEKLY_LIMIT)                                                        \
    X(p, WEEK)                                                                \
    X(p, TOTAL_LIMIT)                                                         \
    X(p, QUOTA_LIMIT)                                                         \
    X(p, QUOTA_BUCKET)                                                        \
    X(p, USER_ID)

/* 'ok' and the picked account; other statuses carry nothing else */
#define NGX_HTTP_QUOTALANE_SELECT_REPLY(X, p)                                 \
    X(p, STATUS)                                                              \
    X(p, ID)                                                                  \
    X(p, TYPE)                                                                \
    X(p, SCHEME)                                                              \
    X(p, HOST)                                                                \
    X(p, ADDR)                                                                \
    X(p, PATH_PREFIX)                                                         \
    X(p, CRED)                                                                \
    X(p, CRED_VERSION)                                                        \
    X(p, DEGRADED)                                                            \
    X(p, UPSTREAM_MODEL)                                                      \
    X(p, CHATGPT_ACCOUNT_ID)                                                  \
    X(p, PROJECT_ID)                                                          \
    X(p, AZURE_DEPLOYMENT)                                                    \
    X(p, AZURE_API_VERSION)                                                   \
    X(p, AWS_REGION)                                                          \
    X(p, AWS_ACCESS_KEY_ID)                                                   \
    X(p, STICKY)

/* 'limited' (with RETRY_AFTER) and 'quota' (without) */
#define NGX_HTTP_QUOTALANE_SELECT_LIMIT(X, p)                                 \
    X(p, STATUS)                                                              \
    X(p, WHAT)                                                                \
    X(p, RETRY_AFTER)


/* feedback.lua: what an upstream answer says about its account */

#define NGX_HTTP_QUOTALANE_FEEDBACK_KEY(X, p)                                 \
    X(p, ACCOUNT)                                                             \
    X(p, REFUSED)                                                             \
    X(p, EVENTS)

#define NGX_HTTP_QUOTALANE_FEEDBACK_ARG(X, p)                                 \
    X(p, NOW)                                                                 \
    X(p, SUCCESS)                                                             \
    X(p, COOL_UNTIL)                                                          \
    X(p, PENALTY)                                                             \
    X(p, RECOVERY)                                                            \
    X(p, THRESHOLD)                                                           \
    X(p, OPEN_MS)                                                             \
    X(p, AUTH_FAILED)                                                         \
    X(p, STATUS)


/* usage.lua: one finished request's record, counters and leases */

#define NGX_HTTP_QUOTALANE_USAGE_KEY(X, p)                                    \
    X(p, STREAM)

/*
 * One call carries a batch: PREFIX once, then for each request KEY_ID ..
 * FIELDS, and FIELDS values of RECORD (field, value, field, value, ...);
 * the next request's KEY_ID follows (usage.lua walks the blocks).
 */
#define NGX_HTTP_QUOTALANE_USAGE_ARG(X, p)                                    \
    X(p, PREFIX)                                                              \
    X(p, KEY_ID)                                                              \
    X(p, USER_ID)                                                             \
    X(p, ACCOUNT_ID)                                                          \
    X(p, COST)                                                                \
    X(p, TOKENS)                                                              \
    X(p, DAY)                                                                 \
    X(p, WEEK)                                                                \
    X(p, QUOTA_BUCKET)                                                        \
    X(p, RATE_WINDOW)                                                         \
    X(p, NOW)                                                                 \
    X(p, REQUEST_ID)                                                          \
    X(p, WINDOWS)                                                             \
    X(p, WINDOWS_UNTIL)                                                       \
    X(p, FIELDS)                                                              \
    X(p, RECORD)


/*
 * KEYS come first in the argv given to ngx_http_quotalane_redis_eval(),
 * so an ARG enum counts on from the last KEY.
 */

typedef enum {
    NGX_HTTP_QUOTALANE_KEY_KEY(ngx_http_quotalane_script_enum,
                               NGX_HTTP_QUOTALANE_KEY_KEY_)
    NGX_HTTP_QUOTALANE_KEY_NKEYS,
    NGX_HTTP_QUOTALANE_KEY_ARG_BEFORE = NGX_HTTP_QUOTALANE_KEY_NKEYS - 1,
    NGX_HTTP_QUOTALANE_KEY_ARG(ngx_http_quotalane_script_enum,
                               NGX_HTTP_QUOTALANE_KEY_ARG_)
} ngx_http_quotalane_key_arg_e;

typedef enum {
    NGX_HTTP_QUOTALANE_KEY_REPLY(ngx_http_quotalane_script_enum,
                                 NGX_HTTP_QUOTALANE_KEY_REPLY_)
    NGX_HTTP_QUOTALANE_KEY_NREPLY
} ngx_http_quotalane_key_reply_e;


typedef enum {
    NGX_HTTP_QUOTALANE_SELECT_KEY(ngx_http_quotalane_script_enum,
                                  NGX_HTTP_QUOTALANE_SELECT_KEY_)
    NGX_HTTP_QUOTALANE_SELECT_NKEYS,
    NGX_HTTP_QUOTALANE_SELECT_ARG_BEFORE = NGX_HTTP_QUOTALANE_SELECT_NKEYS - 1,
    NGX_HTTP_QUOTALANE_SELECT_ARG(ngx_http_quotalane_script_enum,
                                  NGX_HTTP_QUOTALANE_SELECT_ARG_)
    NGX_HTTP_QUOTALANE_SELECT_NARGS
} ngx_http_quotalane_select_arg_e;

typedef enum {
    NGX_HTTP_QUOTALANE_SELECT_REPLY(ngx_http_quotalane_script_enum,
                                    NGX_HTTP_QUOTALANE_SELECT_REPLY_)
    NGX_HTTP_QUOTALANE_SELECT_NREPLY
} ngx_http_quotalane_select_reply_e;

typedef enum {
    NGX_HTTP_QUOTALANE_SELECT_LIMIT(ngx_http_quotalane_script_enum,
                                    NGX_HTTP_QUOTALANE_SELECT_LIMIT_)
    NGX_HTTP_QUOTALANE_SELECT_NLIMIT
} ngx_http_quotalane_select_limit_e;


typedef enum {
    NGX_HTTP_QUOTALANE_FEEDBACK_KEY(ngx_http_quotalane_script_enum,
                                    NGX_HTTP_QUOTALANE_FEEDBACK_KEY_)
    NGX_HTTP_QUOTALANE_FEEDBACK_NKEYS,
    NGX_HTTP_QUOTALANE_FEEDBACK_ARG_BEFORE
        = NGX_HTTP_QUOTALANE_FEEDBACK_NKEYS - 1,
    NGX_HTTP_QUOTALANE_FEEDBACK_ARG(ngx_http_quotalane_script_enum,
                                    NGX_HTTP_QUOTALANE_FEEDBACK_ARG_)
    NGX_HTTP_QUOTALANE_FEEDBACK_NARGS
} ngx_http_quotalane_feedback_arg_e;


typedef enum {
    NGX_HTTP_QUOTALANE_USAGE_KEY(ngx_http_quotalane_script_enum,
                                 NGX_HTTP_QUOTALANE_USAGE_KEY_)
    NGX_HTTP_QUOTALANE_USAGE_NKEYS,
    NGX_HTTP_QUOTALANE_USAGE_ARG_BEFORE = NGX_HTTP_QUOTALANE_USAGE_NKEYS - 1,
    NGX_HTTP_QUOTALANE_USAGE_ARG(ngx_http_quotalane_script_enum,
                                 NGX_HTTP_QUOTALANE_USAGE_ARG_)
} ngx_http_quotalane_usage_arg_e;


/* the scripts' text, prologue included (generated by `config`) */
extern ngx_str_t  ngx_http_quotalane_key_lua;
extern ngx_str_t  ngx_http_quotalane_select_lua;
extern ngx_str_t  ngx_http_quotalane_feedback_lua;
extern ngx_str_t  ngx_http_quotalane_usage_lua;


#endif /* _NGX_HTTP_QUOTALANE_SCRIPTS_H_INCLUDED_ */
