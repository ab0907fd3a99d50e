/*
 * QuotaLane admind: the HTTP server.
 *
 * libmicrohttpd runs its own polling threads in a pool of http_threads
 * (MHD_USE_AUTO_INTERNAL_THREAD + MHD_OPTION_THREAD_POOL_SIZE) rather
 * than a thread per connection: each pool thread keeps one MySQL and one
 * Redis connection for its whole life, so the number of database
 * connections stays fixed and no request pays for a handshake.  Handlers
 * block on MySQL/Redis, which stalls the other connections of the same
 * thread for at most the configured timeouts; admin traffic is light and
 * short, so a few threads are plenty.
 *
 * For each request, the first callback routes it (414/431, 404/405 and
 * oversized Content-Length are answered before any body is read), later
 * callbacks collect the body up to max_body_bytes (a chunked body that
 * grows past it is dropped and answered 413 at its end), and the last one
 * runs the handler.
 *
 * Connection floods: at its total connection limit libmicrohttpd stops
 * accepting, so the kernel's accept queue fills with connections nobody
 * reads, and those whose client gave up sit there in CLOSE-WAIT until a
 * slot frees (an idle timeout away).  So one address may hold only
 * http_max_connections_per_ip (its surplus is accepted and closed at
 * once), idle and half-sent requests are closed after
 * http_connection_timeout, and the accept queue is no longer than the
 * connection limit.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include <openssl/rand.h>

#include "admind_metrics.h"
#include "admind_config.h"
#include "admind_log.h"
#include "admind_request.h"
#include "admind_response.h"
#include "admind_router.h"
#include "admind_auth.h"
#include "admind_http.h"


/*
 * libmicrohttpd's buffer per connection, in multiples of
 * http_max_header_bytes: our own 414/431 checks must run before it is
 * full, or it answers them itself, in HTML.  The headers themselves take
 * about as much again in the pool as their bytes.
 */
#define ADMIND_HTTP_POOL_FACTOR  4

/* a flood logs one line per interval, not one per refused connection */
#define ADMIND_HTTP_REFUSED_LOG_INTERVAL  10


static void
admind_http_log_refused(void)
{
    static time_t    last;
    static unsigned  refused;

    time_t    now, prev;
    unsigned  n;

    __atomic_add_fetch(&refused, 1, __ATOMIC_RELAXED);

    now = time(NULL);
    prev = __atomic_load_n(&last, __ATOMIC_RELAXED);

    if (now - prev < ADMIND_HTTP_REFUSED_LOG_INTERVAL
        || !__atomic_compare_exchange_n(&last, &prev, now, 0,
                                        __ATOMIC_RELAXED, __ATOMIC_RELAXED))
    {
        return;
    }

    n = __atomic_exchange_n(&refused, 0, __ATOMIC_RELAXED);

    admind_log(ADMIND_LOG_WARN, "connections refused: over "
               "http_max_connections or http_max_connections_per_ip",
               "refused", json_integer(n), NULL);
}


static void
admind_http_logger(void *cls, const char *fmt, va_list ap)
{
    char    buf[512];
    size_t  len;

    (void) cls;

    vsnprintf(buf, sizeof(buf), fmt, ap);

    if (strncmp(buf, "Server reached connection limit", 31) == 0) {
        admind_http_log_refused();
        return;
    }

    len = strlen(buf);
    while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r')) {
        buf[--len] = '\0';
    }

    admind_log(ADMIND_LOG_WARN, "libmicrohttpd", "detail",
               admind_log_str(buf), NULL);
}


static void
admind_http_request_id(admind_req_t *r)
{
    size_t         i, len;
    const char    *given;
    unsigned char  rnd[16];

    /* keep the id nginx or a client chose, so logs can be joined */
    given = admind_req_header(r, "X-Request-Id");

    if (given != NULL) {
        len = strlen(given);

        for (i = 0; i < len; i++) {
            if (!((given[i] >= 'a' && given[i] <= 'z')
                  || (given[i] >= 'A' && given[i] <= 'Z')
                  || (given[i] >= '0' && given[i] <= '9')
                  || given[i] == '-' || given[i] == '_' || given[i] == '.'))
            {
                break;
            }
        }

        if (len > 0 && len <= ADMIND_REQ_ID_LEN && i == len) {
            memcpy(r->id, given, len + 1);
            return;
        }
    }

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        memset(rnd, 0, sizeof(rnd));
    }

    for (i = 0; i < sizeof(rnd); i++) {
        snprintf(r->id + 2 * i, 3, "%02x", rnd[i]);
    }
}


static void
admind_http_remote(admind_req_t *r)
{
    const union MHD_ConnectionInfo  *info;

    info = MHD_get_connection_info(r->connection,
                                   MHD_CONNECTION_INFO_CLIENT_ADDRESS);

    if (info == NULL || info->client_addr == NULL
        || getnameinfo(info->client_addr,
                       info->client_addr->sa_family == AF_INET6
                       ? sizeof(struct sockaddr_in6)
                       : sizeof(struct sockaddr_in),
                       r->remote, sizeof(r->remote), NULL, 0,
                       NI_NUMERICHOST) != 0)
    {
        strcpy(r->remote, "-");
    }
}


/*
 * Called with the raw request target, before the headers are read: the
 * request starts here so that its length is known (the access callback
 * only sees the decoded path).
 */
static void *
admind_http_uri(void *cls, const char *uri, struct MHD_Connection *connection)
{
    admind_req_t  *r;

    (void) connection;

    r = admind_req_create(cls, "-", "-");
    if (r == NULL) {
        admind_log(ADMIND_LOG_ERROR, "out of memory", NULL);
        return NULL;
    }

    r->uri_len = strlen(uri);

    return r;
}


static enum MHD_Result
admind_http_send(admind_req_t *r)
{
    unsigned              i;
    enum MHD_Result       rc;
    struct MHD_Response  *resp;

    if (r->status == 0) {
        admind_log(ADMIND_LOG_ERROR, "handler returned without an answer",
                   "path", admind_log_str(r->path), NULL);
        admind_resp_error(r, 500, "internal_error", "internal error");
    }

    if (r->resp_body != NULL) {
        resp = MHD_create_response_from_buffer(r->resp_len, r->resp_body,
                                               MHD_RESPMEM_MUST_FREE);
    } else {
        resp = MHD_create_response_from_buffer(0, NULL,
                                               MHD_RESPMEM_PERSISTENT);
    }

    if (resp == NULL) {
        return MHD_NO;
    }

    /* libmicrohttpd frees the body now */
    r->resp_body = NULL;

    if (r->resp_type != NULL) {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                r->resp_type);
    }

    /* admin answers carry account data: never cache them anywhere */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Request-Id", r->id);

    for (i = 0; i < r->nheaders; i++) {
        MHD_add_response_header(resp, r->headers[i].name,
                                r->headers[i].value);
    }

    rc = MHD_queue_response(r->connection, r->status, resp);
    MHD_destroy_response(resp);

    if (rc == MHD_YES) {
        r->queued = 1;
    }

    return rc;
}


/* a body follows the headers (HTTP/1.1: Content-Length or chunked) */
static int
admind_http_has_body(admind_req_t *r)
{
    const char  *cl;

    cl = admind_req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);

    return (cl != NULL && strcmp(cl, "0") != 0)
           || admind_req_header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING) != NULL;
}


/* 414 or 431 for a request line or header block over our limits */
static void
admind_http_check_size(admind_ctx_t *ctx, admind_req_t *r)
{
    const union MHD_ConnectionInfo  *info;

    if (r->uri_len > ctx->conf->http_max_uri_bytes) {
        admind_resp_error(r, 414, "uri_too_long",
                          "the request URI exceeds %zu bytes",
                          ctx->conf->http_max_uri_bytes);
        return;
    }

    info = MHD_get_connection_info(r->connection,
                                   MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);

    if (info != NULL
        && info->header_size > ctx->conf->http_max_header_bytes)
    {
        admind_resp_error(r, 431, "headers_too_large",
                          "the request headers exceed %zu bytes",
                          ctx->conf->http_max_header_bytes);
    }
}


static enum MHD_Result
admind_http_first(admind_ctx_t *ctx, admind_req_t *r)
{
    int                  rc;
    char                *end;
    const char          *cl;
    unsigned long long   len;

    admind_http_request_id(r);
    admind_http_remote(r);

    admind_http_check_size(ctx, r);

    rc = r->status ? 0
                   : admind_router_match(ctx->router, r->method, r->path,
                                         &r->match);

    if (rc == 404) {
        /* not "not_found": clients can tell a wrong path from a gone id */
        admind_resp_error(r, 404, "no_route", "no such route: %s %s",
                          r->method, r->path);

    } else if (rc == 405) {
        admind_resp_error(r, 405, "method_not_allowed",
                          "method %s is not allowed here", r->method);
        admind_resp_header(r, MHD_HTTP_HEADER_ALLOW, r->match.allow);
    }

    if (r->status != 0) {
        /*
         * Answering now skips the body but costs the connection (the
         * unread body makes libmicrohttpd close it); without a body the
         * answer waits for the last callback and keep-alive survives.
         */
        return admind_http_has_body(r) ? admind_http_send(r) : MHD_YES;
    }

    /*
     * A declared length beyond the cap is refused before a byte of the
     * body is read; bodies without one are capped as they arrive.
     */
    cl = admind_req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);

    if (cl != NULL) {
        errno = 0;
        len = strtoull(cl, &end, 10);

        if (errno == 0 && *end == '\0' && len > ctx->conf->max_body_bytes) {
            admind_resp_error(r, 413, "payload_too_large",
                              "the body exceeds %zu bytes",
                              ctx->conf->max_body_bytes);
            return admind_http_send(r);
        }
    }

    /* before the body is read: strangers do not get to upload */
    if (admind_auth_request(r) != ADMIND_OK) {
        return admind_http_has_body(r) ? admind_http_send(r) : MHD_YES;
    }

    return MHD_YES;
}


static enum MHD_Result
admind_http_access(void *cls, struct MHD_Connection *connection,
    const char *url, const char *method, const char *version,
    const char *upload_data, size_t *upload_data_size, void **con_cls)
{
    int            rc;
    admind_ctx_t  *ctx = cls;
    admind_req_t  *r;

    (void) version;

    r = *con_cls;

    if (r == NULL) {
        /* admind_http_uri() ran out of memory */
        return MHD_NO;
    }

    if (r->connection == NULL) {
        if (admind_req_set_target(r, method, url) != ADMIND_OK) {
            admind_log(ADMIND_LOG_ERROR, "out of memory", NULL);
            return MHD_NO;
        }

        r->connection = connection;

        return admind_http_first(ctx, r);
    }

    if (r->queued) {
        /* answered already: whatever still comes is dropped */
        *upload_data_size = 0;
        return MHD_YES;
    }

    if (*upload_data_size != 0) {
        if (r->status != 0) {
            /*
             * Over the cap (or not wanted): libmicrohttpd cannot answer
             * in the middle of a body, so the rest is read and dropped
             * and the answer waits for its end, unless the client keeps
             * sending far beyond the cap.
             */
            r->discarded += *upload_data_size;
            *upload_data_size = 0;

            if (r->discarded > ctx->conf->max_body_bytes) {
                admind_log(ADMIND_LOG_WARN, "request body far too large, "
                           "connection closed", "id", json_string(r->id),
                           NULL);
                return MHD_NO;
            }

            return MHD_YES;
        }

        rc = admind_req_append_body(r, upload_data, *upload_data_size,
                                    ctx->conf->max_body_bytes);

        if (rc == ADMIND_DECLINED) {
            admind_resp_error(r, 413, "payload_too_large",
                              "the body exceeds %zu bytes",
                              ctx->conf->max_body_bytes);
            r->discarded = *upload_data_size;
            *upload_data_size = 0;
            return MHD_YES;
        }

        if (rc != ADMIND_OK) {
            admind_log(ADMIND_LOG_ERROR, "out of memory", NULL);
            return MHD_NO;
        }

        *upload_data_size = 0;
        return MHD_YES;
    }

    if (r->status == 0) {
        r->match.route->handler(r);
    }

    return admind_http_send(r);
}


static void
admind_http_completed(void *cls, struct MHD_Connection *connection,
    void **con_cls, enum MHD_RequestTerminationCode toe)
{
    double            ms;
    admind_req_t     *r;
    struct timespec   now;

    (void) cls;
    (void) connection;

    r = *con_cls;
    if (r == NULL) {
        return;
    }

    if (r->connection == NULL) {
        /* libmicrohttpd refused it before our callback (or it was cut) */
        admind_log(ADMIND_LOG_INFO, "request ended before its headers were "
                   "complete", "uri_bytes",
                   json_integer((json_int_t) r->uri_len), NULL);
        admind_req_free(r);
        *con_cls = NULL;
        return;
    }

    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (double) (now.tv_sec - r->start.tv_sec) * 1000.0
         + (double) (now.tv_nsec - r->start.tv_nsec) / 1e6;

    admind_metrics_http(r->match.route, r->method ? r->method : "",
                        r->status, ms);

    /* never bodies, queries or headers: they may carry secrets */
    admind_log(ADMIND_LOG_INFO, "access",
               "id", json_string(r->id),
               "method", admind_log_str(r->method),
               "path", admind_log_str(r->path),
               "status", json_integer(r->status),
               "ms", json_real((double) (long long) (ms * 1000) / 1000),
               "remote", json_string(r->remote),
               "bytes_in", json_integer((json_int_t) r->body_len),
               "bytes_out", json_integer((json_int_t) r->resp_len),
               "aborted", toe == MHD_REQUEST_TERMINATED_COMPLETED_OK
                          ? NULL : json_true(),
               NULL);

    admind_req_free(r);
    *con_cls = NULL;
}


/*
 * A %00 would cut the path short ("/users/1%00" read as "/users/1") and
 * a query value with it: such a string is left undecoded, so no route
 * segment, id or filter value matches it.
 */
static size_t
admind_http_unescape(void *cls, struct MHD_Connection *c, char *s)
{
    (void) cls;
    (void) c;

    if (strstr(s, "%00") != NULL) {
        return strlen(s);
    }

    return MHD_http_unescape(s);
}


int
admind_http_start(admind_ctx_t *ctx, char *err, size_t errlen)
{
    int                   rc;
    unsigned              flags;
    struct addrinfo       hints, *ai;
    struct MHD_Daemon    *d;
    struct sockaddr_in   *sin;
    struct sockaddr_in6  *sin6;
    const admind_conf_t  *conf;

    conf = ctx->conf;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;

    rc = getaddrinfo(conf->listen_host, NULL, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "listen %s: %s", conf->listen,
                 gai_strerror(rc));
        return ADMIND_ERROR;
    }

    flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;

    if (ai->ai_family == AF_INET6) {
        sin6 = (struct sockaddr_in6 *) ai->ai_addr;
        sin6->sin6_port = htons((uint16_t) conf->listen_port);
        flags |= MHD_USE_IPv6;

    } else {
        sin = (struct sockaddr_in *) ai->ai_addr;
        sin->sin_port = htons((uint16_t) conf->listen_port);
    }

    d = MHD_start_daemon(flags, (uint16_t) conf->listen_port, NULL, NULL,
                         admind_http_access, ctx,
                         /* first, or early messages bypass it */
                         MHD_OPTION_EXTERNAL_LOGGER,
                         admind_http_logger, NULL,
                         MHD_OPTION_SOCK_ADDR, ai->ai_addr,
                         MHD_OPTION_THREAD_POOL_SIZE,
                         (unsigned int) conf->http_threads,
                         MHD_OPTION_CONNECTION_LIMIT,
                         (unsigned int) conf->http_max_connections,
                         MHD_OPTION_PER_IP_CONNECTION_LIMIT,
                         (unsigned int) conf->http_max_connections_per_ip,
                         MHD_OPTION_LISTEN_BACKLOG_SIZE,
                         (unsigned int) conf->http_max_connections,
                         MHD_OPTION_CONNECTION_TIMEOUT,
                         (unsigned int) conf->http_connection_timeout,
                         MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                         (size_t) ADMIND_HTTP_POOL_FACTOR
                         * conf->http_max_header_bytes,
                         MHD_OPTION_URI_LOG_CALLBACK,
                         admind_http_uri, ctx,
                         MHD_OPTION_NOTIFY_COMPLETED,
                         admind_http_completed, ctx,
                         MHD_OPTION_UNESCAPE_CALLBACK,
                         admind_http_unescape, NULL,
                         MHD_OPTION_END);

    freeaddrinfo(ai);

    if (d == NULL) {
        snprintf(err, errlen, "cannot listen on %s (address in use or not "
                 "available?)", conf->listen);
        return ADMIND_ERROR;
    }

    ctx->http = d;

    return ADMIND_OK;
}


unsigned
admind_http_port(admind_ctx_t *ctx)
{
    const union MHD_DaemonInfo  *info;

    if (ctx->http == NULL) {
        return 0;
    }

    info = MHD_get_daemon_info(ctx->http, MHD_DAEMON_INFO_BIND_PORT);

    return info ? info->port : 0;
}


void
admind_http_stop(admind_ctx_t *ctx)
{
    if (ctx->http != NULL) {
        MHD_stop_daemon(ctx->http);
        ctx->http = NULL;
    }
}
