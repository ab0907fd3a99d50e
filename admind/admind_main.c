/*
 * QuotaLane admind: startup, signals and shutdown.
 *
 * Order: configuration, secrets, database (waiting while it starts),
 * migrations and the first admin under one lock, Redis, the hot state
 * rebuilt from MySQL and its resync worker, HTTP.  Signals
 * are blocked in every thread and taken synchronously by the main thread,
 * so no handler code runs in signal context and libmicrohttpd threads are
 * never interrupted.
 */

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "admind.h"
#include "admind_config.h"
#include "admind_log.h"
#include "admind_secret.h"
#include "admind_db.h"
#include "admind_migrate.h"
#include "admind_bootstrap.h"
#include "admind_redis.h"
#include "admind_router.h"
#include "admind_routes.h"
#include "admind_http.h"
#include "admind_auth.h"
#include "admind_hotstate.h"
#include "admind_resync_worker.h"
#include "admind_usage_consumer.h"
#include "admind_subscription_worker.h"
#include "admind_key_activation.h"
#include "admind_lease_audit.h"
#include "admind_oauth_refresh.h"
#include "admind_oauth_token.h"
#include "admind_webhook_worker.h"
#include "admind_account_events.h"
#include "admind_usage_replay.h"


/* how long a starting admind waits for a starting mariadbd */
#define ADMIND_DB_WAIT_SECONDS    30

/* how long a starting admind waits for another one's migrations */
#define ADMIND_MIGRATE_LOCK_WAIT  120


static sigset_t  admind_signals;


/* the background workers, started in this order, stopped in reverse */
static const struct {
    const char  *name;
    int        (*start)(const admind_conf_t *conf, char *err,
                        size_t errlen);
    void       (*stop)(void);
} admind_workers[] = {
    { "resync", admind_resync_start, admind_resync_stop },
    { "usage consumer", admind_usage_consumer_start,
      admind_usage_consumer_stop },
    { "subscription tick", admind_subscription_worker_start,
      admind_subscription_worker_stop },
    { "key activation", admind_key_activation_start,
      admind_key_activation_stop },
    { "lease audit", admind_lease_audit_start, admind_lease_audit_stop },
    { "oauth refresh", admind_oauth_refresh_start,
      admind_oauth_refresh_stop },
    { "webhook delivery", admind_webhook_worker_start,
      admind_webhook_worker_stop },
    { "account events", admind_account_events_start,
      admind_account_events_stop },
};

#define ADMIND_NWORKERS  (sizeof(admind_workers) / sizeof(admind_workers[0]))


static const char  admind_usage[] =
    "usage: admind -c FILE [--listen ADDR:PORT] [--migrate-only]\n"
    "       admind -c FILE --replay-usage DUMP\n"
    "       admind --version | --help\n"
    "\n"
    "  -c, --config FILE    configuration file (key = value lines)\n"
    "      --listen ADDR:PORT\n"
    "                       listen address, overrides the file and\n"
    "                       QL_ADMIND_LISTEN (port 0: any free port)\n"
    "      --migrate-only   apply database migrations, then exit\n"
    "      --replay-usage DUMP\n"
    "                       send the usage records an nginx worker dumped\n"
    "                       to its error log (\"unsent usage\" lines; DUMP\n"
    "                       \"-\" is stdin) to the usage stream, then exit;\n"
    "                       safe to repeat: a request id is stored once\n"
    "      --version        print the version and exit\n"
    "  -h, --help           print this help and exit\n"
    "\n"
    "Every configuration key can be overridden by the environment\n"
    "variable QL_ADMIND_<KEY> (e.g. QL_ADMIND_DB_HOST).\n"
    "Exit status: 0 success, 1 runtime failure, 2 configuration error.\n";


/* a pause for startup retries that a stop signal cuts short */
static int
admind_sleep(unsigned ms)
{
    int              sig;
    struct timespec  ts, end, now;

    clock_gettime(CLOCK_MONOTONIC, &end);
    end.tv_sec += ms / 1000;
    end.tv_nsec += (long) (ms % 1000) * 1000000;
    if (end.tv_nsec >= 1000000000) {
        end.tv_sec++;
        end.tv_nsec -= 1000000000;
    }

    for ( ;; ) {
        clock_gettime(CLOCK_MONOTONIC, &now);

        ts.tv_sec = end.tv_sec - now.tv_sec;
        ts.tv_nsec = end.tv_nsec - now.tv_nsec;
        if (ts.tv_nsec < 0) {
            ts.tv_sec--;
            ts.tv_nsec += 1000000000;
        }

        if (ts.tv_sec < 0) {
            return 0;
        }

        sig = sigtimedwait(&admind_signals, NULL, &ts);

        if (sig == SIGTERM || sig == SIGINT) {
            return 1;
        }

        if (sig == -1) {
            /* EAGAIN: the time is up; EINTR: try again */
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (now.tv_sec > end.tv_sec
                || (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
            {
                return 0;
            }
        }
    }
}


static int
admind_load_conf(admind_conf_t *conf, const char *file, const char *listen)
{
    char  err[ADMIND_ERRLEN];

    if (admind_conf_init(conf) != ADMIND_OK) {
        snprintf(err, sizeof(err), "out of memory");
        goto failed;
    }

    if (admind_conf_load(conf, file, err, sizeof(err)) != ADMIND_OK
        || admind_conf_apply_env(conf, err, sizeof(err)) != ADMIND_OK)
    {
        goto failed;
    }

    if (listen != NULL
        && admind_conf_set(conf, "listen", listen, "option --listen", err,
                           sizeof(err))
           != ADMIND_OK)
    {
        goto failed;
    }

    if (admind_conf_check(conf, err, sizeof(err)) != ADMIND_OK) {
        goto failed;
    }

    return ADMIND_OK;

failed:

    admind_log(ADMIND_LOG_ERROR, "invalid configuration",
               "error", admind_log_str(err), NULL);

    return ADMIND_ERROR;
}


static int
admind_load_secrets(admind_ctx_t *ctx, const admind_conf_t *conf,
    char **db_password, char **redis_password)
{
    char    err[ADMIND_ERRLEN];
    size_t  len;

    *db_password = NULL;
    *redis_password = NULL;

    if (conf->redis_password_file[0]
        && admind_secret_read_line(conf->redis_password_file,
                                   redis_password, &len, err, sizeof(err))
           != ADMIND_OK)
    {
        admind_log(ADMIND_LOG_ERROR, "cannot read redis_password_file",
                   "error", admind_log_str(err), NULL);
        return ADMIND_ERROR;
    }

    if (conf->db_password_file[0]
        && admind_secret_read_line(conf->db_password_file, db_password,
                                   &len, err, sizeof(err))
           != ADMIND_OK)
    {
        admind_log(ADMIND_LOG_ERROR, "cannot read db_password_file",
                   "error", admind_log_str(err), NULL);
        return ADMIND_ERROR;
    }

    if (conf->master_key_file[0]) {
        if (admind_secret_master_key(conf->master_key_file,
                                     &ctx->master_key, err, sizeof(err))
            != ADMIND_OK)
        {
            admind_log(ADMIND_LOG_ERROR, "invalid master_key_file",
                       "error", admind_log_str(err), NULL);
            return ADMIND_ERROR;
        }

        ctx->has_master_key = 1;
    }

    if (conf->jwt_secret_file[0]
        && admind_secret_jwt(conf->jwt_secret_file, &ctx->jwt_secret,
                             &ctx->jwt_secret_len, err, sizeof(err))
           != ADMIND_OK)
    {
        admind_log(ADMIND_LOG_ERROR, "invalid jwt_secret_file",
                   "error", admind_log_str(err), NULL);
        return ADMIND_ERROR;
    }

    return ADMIND_OK;
}


/* migrations, then the first admin, under one cross-process lock */
static int
admind_prepare_schema(const admind_conf_t *conf, int migrate_only)
{
    int     rc;
    char    err[ADMIND_ERRLEN];
    MYSQL  *mysql;

    mysql = admind_db_get(err, sizeof(err));
    if (mysql == NULL) {
        goto failed;
    }

    if (admind_db_lock(mysql, ADMIND_MIGRATE_LOCK, ADMIND_MIGRATE_LOCK_WAIT,
                       err, sizeof(err))
        != ADMIND_OK)
    {
        goto failed;
    }

    rc = admind_migrate_run(mysql, conf->migrations_dir, err, sizeof(err));

    if (rc == ADMIND_OK && !migrate_only) {
        rc = admind_bootstrap_admin(mysql, conf, err, sizeof(err));
    }

    admind_db_unlock(mysql, ADMIND_MIGRATE_LOCK);

    if (rc == ADMIND_OK) {
        return ADMIND_OK;
    }

failed:

    admind_log(ADMIND_LOG_ERROR, "database setup failed",
               "error", admind_log_str(err), NULL);

    return ADMIND_ERROR;
}


static void
admind_listening(admind_ctx_t *ctx, const admind_conf_t *conf)
{
    char  addr[ADMIND_CONF_HOST_MAX + 16];

    snprintf(addr, sizeof(addr),
             strchr(conf->listen_host, ':') ? "[%s]:%u" : "%s:%u",
             conf->listen_host, admind_http_port(ctx));

    admind_log(ADMIND_LOG_INFO, "listening",
               "addr", admind_log_str(addr),
               "threads", json_integer(conf->http_threads), NULL);
}


int
main(int argc, char **argv)
{
    int             c, sig, rc, migrate_only, db_ready, redis_ready;
    int             hotstate_ready;
    size_t          i;
    char            err[ADMIND_ERRLEN], *db_password, *redis_password;
    const char     *file, *listen, *replay;
    admind_ctx_t    ctx;
    admind_conf_t   conf;

    static const struct option  options[] = {
        { "config",       required_argument, NULL, 'c' },
        { "listen",       required_argument, NULL, 'l' },
        { "migrate-only", no_argument,       NULL, 'm' },
        { "replay-usage", required_argument, NULL, 'r' },
        { "version",      no_argument,       NULL, 'V' },
        { "help",         no_argument,       NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    file = NULL;
    listen = NULL;
    migrate_only = 0;
    replay = NULL;

    while ((c = getopt_long(argc, argv, "c:h", options, NULL)) != -1) {
        switch (c) {
        case 'c':
            file = optarg;
            break;
        case 'l':
            listen = optarg;
            break;
        case 'm':
            migrate_only = 1;
            break;
        case 'r':
            replay = optarg;
            break;
        case 'V':
            printf("admind %s\n", ADMIND_VERSION);
            return ADMIND_EXIT_OK;
        case 'h':
            fputs(admind_usage, stdout);
            return ADMIND_EXIT_OK;
        default:
            fputs(admind_usage, stderr);
            return ADMIND_EXIT_CONFIG;
        }
    }

    if (optind < argc || file == NULL) {
        fprintf(stderr, "admind: %s\n", file == NULL
                ? "-c FILE is required" : "unexpected argument");
        fputs(admind_usage, stderr);
        return ADMIND_EXIT_CONFIG;
    }

    /* libcurl's global state, before any thread exists */
    if (admind_oauth_init() != ADMIND_OK) {
        fprintf(stderr, "admind: cannot initialize libcurl\n");
        return ADMIND_EXIT_FAILURE;
    }

    /* before any thread exists, so that all of them inherit the mask */
    sigemptyset(&admind_signals);
    sigaddset(&admind_signals, SIGTERM);
    sigaddset(&admind_signals, SIGINT);
    sigaddset(&admind_signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &admind_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    memset(&ctx, 0, sizeof(ctx));
    db_password = NULL;
    redis_password = NULL;
    db_ready = 0;
    redis_ready = 0;
    hotstate_ready = 0;
    rc = ADMIND_EXIT_FAILURE;

    if (admind_load_conf(&conf, file, listen) != ADMIND_OK) {
        admind_conf_free(&conf);
        return ADMIND_EXIT_CONFIG;
    }

    ctx.conf = &conf;
    admind_log_set_level(conf.log_level);

    admind_log(ADMIND_LOG_INFO, "starting",
               "version", json_string(ADMIND_VERSION),
               "config", admind_log_str(file),
               "pid", json_integer(getpid()), NULL);

    if (admind_load_secrets(&ctx, &conf, &db_password, &redis_password)
        != ADMIND_OK)
    {
        rc = ADMIND_EXIT_CONFIG;
        goto done;
    }

    /* a one-shot command: Redis only, no database, no server */
    if (replay != NULL) {
        if (admind_redis_init(&conf, redis_password ? redis_password
                                                    : conf.redis_password)
            != ADMIND_OK)
        {
            admind_log(ADMIND_LOG_ERROR, "redis client init failed", NULL);
            goto done;
        }

        redis_ready = 1;
        rc = admind_usage_replay(&conf, replay);
        goto done;
    }

    if (admind_db_init(&conf, db_password) != ADMIND_OK) {
        admind_log(ADMIND_LOG_ERROR, "database client init failed", NULL);
        goto done;
    }

    db_ready = 1;

    if (db_password != NULL) {
        admind_secret_free(db_password, strlen(db_password));
        db_password = NULL;
    }

    switch (admind_db_wait(ADMIND_DB_WAIT_SECONDS, admind_sleep, err,
                           sizeof(err)))
    {
    case ADMIND_OK:
        break;

    case ADMIND_ABORT:
        admind_log(ADMIND_LOG_INFO, "stopped", NULL);
        rc = ADMIND_EXIT_OK;
        goto done;

    default:
        admind_log(ADMIND_LOG_ERROR, "cannot connect to the database",
                   "error", admind_log_str(err), NULL);
        goto done;
    }

    admind_log(ADMIND_LOG_INFO, "database connected",
               "database", admind_log_str(conf.db_name), NULL);

    if (admind_prepare_schema(&conf, migrate_only) != ADMIND_OK) {
        goto done;
    }

    if (migrate_only) {
        admind_log(ADMIND_LOG_INFO, "migrations done", NULL);
        rc = ADMIND_EXIT_OK;
        goto done;
    }

    if (admind_redis_init(&conf, redis_password ? redis_password
                                                : conf.redis_password)
        != ADMIND_OK)
    {
        admind_log(ADMIND_LOG_ERROR, "redis client init failed", NULL);
        goto done;
    }

    if (redis_password != NULL) {
        admind_secret_free(redis_password, strlen(redis_password));
        redis_password = NULL;
    }

    redis_ready = 1;

    /* Redis is not needed to serve the database: only warn */
    if (admind_redis_ping(err, sizeof(err)) != ADMIND_OK) {
        admind_log(ADMIND_LOG_WARN, "redis not reachable",
                   "redis", admind_log_str(conf.redis),
                   "error", admind_log_str(err), NULL);
    }

    if (admind_auth_init() != ADMIND_OK) {
        admind_log(ADMIND_LOG_ERROR, "cannot prepare password checks", NULL);
        goto done;
    }

    if (admind_hotstate_init(&conf) != ADMIND_OK) {
        admind_log(ADMIND_LOG_ERROR, "hot state init failed", NULL);
        goto done;
    }

    hotstate_ready = 1;

    /*
     * Before serving: a gateway that restarted with admind finds its
     * state.  A failure (Redis down) is retried by the worker.
     */
    admind_resync_run("startup");

    /*
     * the refresh worker seals new tokens under the master key, the
     * webhook worker opens URLs and secrets with it
     */
    if (ctx.has_master_key) {
        admind_oauth_refresh_key(&ctx.master_key);
        admind_webhook_worker_key(&ctx.master_key);
    }

    for (i = 0; i < ADMIND_NWORKERS; i++) {
        if (admind_workers[i].start(&conf, err, sizeof(err)) != ADMIND_OK) {
            admind_log(ADMIND_LOG_ERROR, "cannot start a worker",
                       "worker", json_string(admind_workers[i].name),
                       "error", admind_log_str(err), NULL);
            goto done;
        }
    }

    ctx.router = admind_router_create(admind_route_tables, err, sizeof(err));
    if (ctx.router == NULL) {
        admind_log(ADMIND_LOG_ERROR, "invalid routes",
                   "error", admind_log_str(err), NULL);
        goto done;
    }

    if (admind_http_start(&ctx, err, sizeof(err)) != ADMIND_OK) {
        admind_log(ADMIND_LOG_ERROR, "cannot start the HTTP server",
                   "error", admind_log_str(err), NULL);
        goto done;
    }

    admind_listening(&ctx, &conf);

    for ( ;; ) {
        if (sigwait(&admind_signals, &sig) != 0) {
            continue;
        }

        if (sig == SIGHUP) {
            admind_log(ADMIND_LOG_INFO, "SIGHUP ignored: restart admind to "
                       "apply a new configuration", NULL);
            continue;
        }

        break;
    }

    admind_log(ADMIND_LOG_INFO, "stopping",
               "signal", json_string(sig == SIGINT ? "SIGINT" : "SIGTERM"),
               NULL);

    admind_http_stop(&ctx);

    admind_log(ADMIND_LOG_INFO, "stopped", NULL);
    rc = ADMIND_EXIT_OK;

done:

    admind_http_stop(&ctx);

    /* in reverse; stopping one that never started does nothing */
    for (i = ADMIND_NWORKERS; i-- > 0; /* void */) {
        admind_workers[i].stop();
    }

    admind_router_free(ctx.router);

    if (hotstate_ready) {
        admind_hotstate_shutdown();
    }

    admind_auth_shutdown();

    if (redis_ready) {
        admind_redis_shutdown();
    }

    if (db_ready) {
        admind_db_shutdown();
    }

    if (db_password != NULL) {
        admind_secret_free(db_password, strlen(db_password));
    }

    if (redis_password != NULL) {
        admind_secret_free(redis_password, strlen(redis_password));
    }

    admind_secret_free(ctx.jwt_secret, ctx.jwt_secret_len);
    OPENSSL_cleanse(&ctx.master_key, sizeof(ctx.master_key));
    admind_conf_free(&conf);
    admind_oauth_shutdown();

    return rc;
}
