/*
 * rate_client: open-loop HTTP/1.1 load at a constant request rate.
 *
 * Part of scripts/bench (QuotaLane). Request i is due at t0 + i/RATE,
 * evenly spaced (no bursts), whatever happened to the earlier ones; it goes
 * out on any idle keep-alive connection of a pool, or waits in a queue
 * when all are busy. Latency is counted from when the request was due
 * (so a stall is not hidden: no coordinated omission), and, separately,
 * from when it was written ("service"). One thread, epoll, a timerfd with
 * 1 us slack for the pacing.
 *
 *   rate_client -p PORT [-a 127.0.0.1] [-u /v1/messages] [-H 'n: v']...
 *               [-b BODY] -r RATE -d SECONDS [-w WARMUP_S] [-c CONNS]
 *
 * Prints one JSON object: due and sent counts, ok (2xx), non2xx, errors,
 * achieved rate (2xx answers completed in the measured window), and p50/p90/p99/p999/max of both latencies in
 * microseconds (requests due during the warm-up are not counted).
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEADERS  32
#define RBUF         65536

typedef struct {
    int        fd;
    int        busy;
    int64_t    req;          /* index of the request in flight */
    size_t     sent;
    char      *buf;          /* response bytes */
    size_t     len;
    long       body_left;    /* -1: headers not parsed yet */
    int        chunked;
    int        status;
} conn_t;

static const char  *addr = "127.0.0.1";
static int          port;
static const char  *uri = "/v1/messages";
static const char  *headers[MAX_HEADERS];
static int          nheaders;
static const char  *body = "{}";
static double       rate = 1000, duration = 5, warmup = 1;
static int          nconns = 64;
static char        *request;
static size_t       request_len;

static int64_t     *due_at, *sent_at, *done_at;
static int         *status_of;

static int64_t
now_ns(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
build_request(void)
{
    size_t  cap = 4096 + strlen(body);
    int     i, n;

    for (i = 0; i < nheaders; i++) {
        cap += strlen(headers[i]) + 2;
    }
    request = malloc(cap);
    n = snprintf(request, cap,
                 "POST %s HTTP/1.1\r\nHost: %s:%d\r\n"
                 "Content-Type: application/json\r\n"
                 "Content-Length: %zu\r\n", uri, addr, port, strlen(body));
    for (i = 0; i < nheaders; i++) {
        n += snprintf(request + n, cap - n, "%s\r\n", headers[i]);
    }
    n += snprintf(request + n, cap - n, "\r\n%s", body);
    request_len = (size_t) n;
}

static int
open_conn(int ep, conn_t *c)
{
    struct sockaddr_in  sa;
    struct epoll_event  ev;
    int                 one = 1;

    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0) {
        return -1;
    }
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    inet_pton(AF_INET, addr, &sa.sin_addr);
    /* blocking connect on loopback, before the clock starts */
    if (connect(c->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    ev.events = EPOLLIN;
    ev.data.ptr = c;
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    c->busy = 0;
    c->len = 0;
    c->body_left = -1;
    return 0;
}

static int
cmp64(const void *a, const void *b)
{
    int64_t  x = *(const int64_t *) a, y = *(const int64_t *) b;

    return x < y ? -1 : x > y;
}

static int64_t
pctl(int64_t *v, size_t n, double p)
{
    size_t  k;

    if (n == 0) {
        return -1;
    }
    k = (size_t) (p / 100.0 * (double) (n - 1) + 0.5);
    return v[k < n ? k : n - 1];
}

/* Parses what arrived; returns 1 when the response is complete. */
static int
response_done(conn_t *c)
{
    if (c->body_left < 0) {
        char  *e = memmem(c->buf, c->len, "\r\n\r\n", 4);
        char  *h;
        size_t hl;

        if (e == NULL) {
            return 0;
        }
        hl = (size_t) (e + 4 - c->buf);
        c->status = (c->len > 12 && strncmp(c->buf, "HTTP/1.", 7) == 0)
                    ? atoi(c->buf + 9) : 0;
        c->chunked = 0;
        c->body_left = 0;
        for (h = c->buf; h < e; ) {
            char  *nl = memmem(h, e + 2 - h, "\r\n", 2);

            if (nl == NULL) {
                break;
            }
            if (strncasecmp(h, "content-length:", 15) == 0) {
                c->body_left = atol(h + 15);
            } else if (strncasecmp(h, "transfer-encoding:", 18) == 0
                       && memmem(h, nl - h, "chunked", 7))
            {
                c->chunked = 1;
            }
            h = nl + 2;
        }
        memmove(c->buf, c->buf + hl, c->len - hl);
        c->len -= hl;
    }
    if (c->chunked) {
        return c->len >= 5 && memcmp(c->buf + c->len - 5, "0\r\n\r\n", 5) == 0;
    }
    return (long) c->len >= c->body_left;
}

static void
usage(void)
{
    fprintf(stderr, "usage: rate_client -p PORT [-a ADDR] [-u URI] "
            "[-H 'h: v']... [-b BODY] -r RATE -d SECONDS [-w WARMUP] "
            "[-c CONNS]\n");
    exit(2);
}

int
main(int argc, char **argv)
{
    conn_t              *conns;
    struct epoll_event   evs[256];
    struct itimerspec    its;
    int64_t              total, next = 0, done = 0, errors = 0, t0, t_end;
    int64_t              interval, *queue, qhead = 0, qtail = 0, maxq = 0;
    int64_t             *lat, *svc, n = 0, ok = 0, non2xx = 0, k;
    int64_t              in_window = 0;
    int                  ep, tfd, opt, i, open_n = 0;

    while ((opt = getopt(argc, argv, "a:p:u:H:b:r:d:w:c:")) != -1) {
        switch (opt) {
        case 'a': addr = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'u': uri = optarg; break;
        case 'H':
            if (nheaders == MAX_HEADERS) usage();
            headers[nheaders++] = optarg;
            break;
        case 'b': body = optarg; break;
        case 'r': rate = atof(optarg); break;
        case 'd': duration = atof(optarg); break;
        case 'w': warmup = atof(optarg); break;
        case 'c': nconns = atoi(optarg); break;
        default: usage();
        }
    }
    if (port <= 0 || rate <= 0 || duration <= 0 || nconns <= 0) {
        usage();
    }
    prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);

    build_request();
    total = (int64_t) (rate * duration);
    interval = (int64_t) (1e9 / rate);
    due_at = calloc(total, sizeof(int64_t));
    sent_at = calloc(total, sizeof(int64_t));
    done_at = calloc(total, sizeof(int64_t));
    status_of = calloc(total, sizeof(int));
    queue = calloc(total, sizeof(int64_t));
    conns = calloc(nconns, sizeof(conn_t));

    ep = epoll_create1(0);
    for (i = 0; i < nconns; i++) {
        conns[i].buf = malloc(RBUF);
        if (open_conn(ep, &conns[i]) == 0) {
            open_n++;
        }
    }
    if (open_n == 0) {
        fprintf(stderr, "rate_client: cannot connect to %s:%d\n", addr,
                port);
        return 1;
    }

    tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    {
        struct epoll_event  ev;

        ev.events = EPOLLIN;
        ev.data.ptr = NULL;
        epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
    }

    t0 = now_ns() + 1000000;
    for (k = 0; k < total; k++) {
        due_at[k] = t0 + k * interval;
    }
    /* a saturated target gets 2 s to finish; the rest is "unfinished" */
    t_end = t0 + (int64_t) (duration * 1e9) + 2 * (int64_t) 1000000000;

    memset(&its, 0, sizeof(its));

    while (done < total) {
        int64_t  now = now_ns();
        int      nev, e;

        /* queue everything that is due */
        while (next < total && due_at[next] <= now) {
            queue[qtail++] = next++;
        }
        if (qtail - qhead > maxq) {
            maxq = qtail - qhead;
        }
        /* and send what idle connections can take */
        for (i = 0; i < nconns && qhead < qtail; i++) {
            conn_t  *c = &conns[i];
            ssize_t  w;

            if (c->busy || c->fd < 0) {
                continue;
            }
            c->req = queue[qhead++];
            c->busy = 1;
            c->sent = 0;
            c->len = 0;
            c->body_left = -1;
            sent_at[c->req] = now_ns();
            w = write(c->fd, request, request_len);
            if (w != (ssize_t) request_len) {
                /* loopback with an empty socket buffer: a short write is
                 * an error here */
                status_of[c->req] = -1;
                done_at[c->req] = now_ns();
                done++;
                errors++;
                close(c->fd);
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                c->fd = -1;
                c->busy = 0;
                open_conn(ep, c);
            }
        }
        if (now > t_end) {
            break;
        }
        if (next < total) {
            its.it_value.tv_sec = due_at[next] / 1000000000;
            its.it_value.tv_nsec = due_at[next] % 1000000000;
            timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
        }
        nev = epoll_wait(ep, evs, 256, 100);
        for (e = 0; e < nev; e++) {
            conn_t  *c = evs[e].data.ptr;

            if (c == NULL) {
                uint64_t  x;

                if (read(tfd, &x, sizeof(x)) < 0) {
                    /* nothing */
                }
                continue;
            }
            for ( ;; ) {
                ssize_t  r;

                if (c->len == RBUF) {
                    c->len = 0;     /* body bytes we do not keep */
                }
                r = read(c->fd, c->buf + c->len, RBUF - c->len);
                if (r > 0) {
                    c->len += r;
                    if (c->busy && response_done(c)) {
                        int64_t  t = now_ns();

                        done_at[c->req] = t;
                        status_of[c->req] = c->status;
                        c->busy = 0;
                        done++;
                        break;
                    }
                    continue;
                }
                if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
                    break;
                }
                /* closed or failed: the request in flight failed */
                if (c->busy) {
                    status_of[c->req] = -1;
                    done_at[c->req] = now_ns();
                    done++;
                    errors++;
                }
                epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
                close(c->fd);
                c->fd = -1;
                c->busy = 0;
                open_conn(ep, c);
                break;
            }
        }
    }

    {
        int64_t  w0 = t0 + (int64_t) (warmup * 1e9);
        int64_t  w1 = t0 + (int64_t) (duration * 1e9);

        for (k = 0; k < total; k++) {
            if (done_at[k] >= w0 && done_at[k] < w1
                && status_of[k] >= 200 && status_of[k] < 300)
            {
                in_window++;
            }
        }
    }
    lat = malloc(sizeof(int64_t) * total);
    svc = malloc(sizeof(int64_t) * total);
    for (k = 0; k < total; k++) {
        if (due_at[k] < t0 + (int64_t) (warmup * 1e9) || done_at[k] == 0) {
            continue;
        }
        if (status_of[k] >= 200 && status_of[k] < 300) {
            ok++;
        } else if (status_of[k] > 0) {
            non2xx++;
        }
        lat[n] = (done_at[k] - due_at[k]) / 1000;
        svc[n] = (done_at[k] - sent_at[k]) / 1000;
        n++;
    }
    qsort(lat, n, sizeof(int64_t), cmp64);
    qsort(svc, n, sizeof(int64_t), cmp64);
    {
        double   window = duration - warmup;
        int64_t  unfinished = total - done;

        printf("{\"rate\":%.1f,\"due\":%lld,\"measured\":%lld,\"ok\":%lld,"
               "\"non2xx\":%lld,\"errors\":%lld,\"unfinished\":%lld,"
               "\"achieved_rps\":%.1f,\"max_queue\":%lld,\"conns\":%d,"
               "\"lat_us\":{\"p50\":%lld,\"p90\":%lld,\"p99\":%lld,"
               "\"p999\":%lld,\"max\":%lld},"
               "\"service_us\":{\"p50\":%lld,\"p90\":%lld,\"p99\":%lld,"
               "\"p999\":%lld,\"max\":%lld}}\n",
               rate, (long long) total, (long long) n, (long long) ok,
               (long long) non2xx, (long long) errors,
               (long long) unfinished,
               window > 0 ? (double) in_window / window : 0.0,
               (long long) maxq,
               open_n,
               (long long) pctl(lat, n, 50), (long long) pctl(lat, n, 90),
               (long long) pctl(lat, n, 99), (long long) pctl(lat, n, 99.9),
               (long long) (n ? lat[n - 1] : -1),
               (long long) pctl(svc, n, 50), (long long) pctl(svc, n, 90),
               (long long) pctl(svc, n, 99), (long long) pctl(svc, n, 99.9),
               (long long) (n ? svc[n - 1] : -1));
    }
    return 0;
}
