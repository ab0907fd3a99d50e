/*
 * sse_client: timestamps every SSE event of many concurrent streams.
 *
 * Part of scripts/bench (QuotaLane). One thread, epoll, non-blocking
 * sockets, one fresh connection per stream. For each stream it records the
 * time from writing the request to the end of the first event (TTFE), the
 * time of every later event, and how many read() calls completed more than
 * one event at once ("merged": a sign that something buffered events).
 *
 *   sse_client -p PORT [-a 127.0.0.1] [-u /v1/messages] [-H 'name: value']...
 *              [-b BODY] -n STREAMS -c CONCURRENCY [-e EVENTS] [-t TIMEOUT_S]
 *
 * An event is counted at every "\n\n" in the raw bytes. The body is
 * HTTP/1.1 chunked; chunk framing only ever adds "\r\n", so it never forms
 * "\n\n", and the JSON in data lines has its newlines escaped. A stream is
 * complete when EVENTS events arrived and the terminating "0\r\n\r\n"
 * chunk was seen (or the server closed after EVENTS events).
 *
 * Output, one line per stream, times in microseconds:
 *   S <index> <http status> <ok 0|1> <ttfe> <total> <events> <merged> \
 *     <gap_1> ... <gap_n-1>
 * and a last line "T <wall seconds> <ok streams> <failed streams>".
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
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEADERS  32

typedef struct {
    int        fd;
    int        idx;
    int        state;        /* 0 idle, 1 connecting, 2 reading, 3 done */
    int        status;
    int        ok;
    int        events;
    int        merged;
    int        head_done;
    int        ended;
    size_t     sent;
    int64_t    t_start;      /* request written (ns) */
    int64_t    t_last;
    int64_t    ttfe;
    int64_t   *stamps;       /* event arrival times (ns) */
    int        nstamps;
    int        cap;
    char       tail[8];      /* last bytes of the previous read */
    int        ntail;
    char       head[256];    /* start of the response head (status line) */
    int        nhead;
} stream_t;

static const char  *addr = "127.0.0.1";
static int          port;
static const char  *uri = "/v1/messages";
static const char  *headers[MAX_HEADERS];
static int          nheaders;
static const char  *body = "{}";
static int          nstreams = 1, conc = 1, expect_events = 0;
static double       timeout_s = 60;
static char        *request;
static size_t       request_len;

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
start_stream(int ep, stream_t *s)
{
    struct sockaddr_in  sa;
    struct epoll_event  ev;
    int                 one = 1;

    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (s->fd < 0) {
        perror("socket");
        return -1;
    }
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    inet_pton(AF_INET, addr, &sa.sin_addr);
    if (connect(s->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0
        && errno != EINPROGRESS)
    {
        perror("connect");
        close(s->fd);
        s->fd = -1;
        return -1;
    }
    s->state = 1;
    s->cap = expect_events > 0 ? expect_events + 8 : 256;
    s->stamps = malloc(sizeof(int64_t) * s->cap);
    ev.events = EPOLLOUT | EPOLLIN;
    ev.data.ptr = s;
    epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
    return 0;
}

static void
finish(int ep, stream_t *s, int ok)
{
    if (s->fd >= 0) {
        epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
        close(s->fd);
        s->fd = -1;
    }
    s->state = 3;
    s->ok = ok && s->status == 200
            && (expect_events == 0 || s->events == expect_events);
}

static void
on_data(stream_t *s, const char *buf, size_t n, int64_t t)
{
    char    scan[sizeof(s->tail) + 65536];
    size_t  i, len, from;
    int     got = 0;

    if (!s->head_done) {
        size_t  k = n < sizeof(s->head) - 1 - s->nhead
                    ? n : sizeof(s->head) - 1 - s->nhead;
        const char  *e;

        memcpy(s->head + s->nhead, buf, k);
        s->nhead += k;
        s->head[s->nhead] = '\0';
        if (s->status == 0 && strncmp(s->head, "HTTP/1.", 7) == 0
            && s->nhead >= 12)
        {
            s->status = atoi(s->head + 9);
        }
        /* events only count after the response head */
        e = memmem(buf, n, "\r\n\r\n", 4);
        if (e == NULL) {
            return;
        }
        s->head_done = 1;
        from = (size_t) (e + 4 - buf);
        buf += from;
        n -= from;
        s->ntail = 0;
    }

    memcpy(scan, s->tail, s->ntail);
    memcpy(scan + s->ntail, buf, n);
    len = s->ntail + n;

    for (i = 1; i < len; i++) {
        if (i < (size_t) s->ntail) {
            continue;   /* both bytes seen before */
        }
        if (scan[i] == '\n' && scan[i - 1] == '\n') {
            got++;
            if (s->nstamps == s->cap) {
                s->cap *= 2;
                s->stamps = realloc(s->stamps, sizeof(int64_t) * s->cap);
            }
            s->stamps[s->nstamps++] = t;
            s->events++;
            if (s->events == 1) {
                s->ttfe = t - s->t_start;
            }
        }
    }
    if (got > 1) {
        s->merged++;
    }
    if (len >= 5 && memcmp(scan + len - 5, "0\r\n\r\n", 5) == 0
        && (expect_events == 0 || s->events >= expect_events))
    {
        s->ended = 1;
    }
    s->ntail = len < sizeof(s->tail) ? (int) len : (int) sizeof(s->tail);
    memcpy(s->tail, scan + len - s->ntail, s->ntail);
    s->t_last = t;
}

static void
usage(void)
{
    fprintf(stderr, "usage: sse_client -p PORT [-a ADDR] [-u URI] "
            "[-H 'h: v']... [-b BODY] -n STREAMS -c CONC [-e EVENTS] "
            "[-t TIMEOUT_S]\n");
    exit(2);
}

int
main(int argc, char **argv)
{
    stream_t            *st;
    struct epoll_event   evs[256];
    int                  ep, opt, i, k, started = 0, done = 0, active = 0;
    int                  okn = 0;
    int64_t              t0, deadline;
    char                 buf[65536];

    while ((opt = getopt(argc, argv, "a:p:u:H:b:n:c:e:t:")) != -1) {
        switch (opt) {
        case 'a': addr = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 'u': uri = optarg; break;
        case 'H':
            if (nheaders == MAX_HEADERS) usage();
            headers[nheaders++] = optarg;
            break;
        case 'b': body = optarg; break;
        case 'n': nstreams = atoi(optarg); break;
        case 'c': conc = atoi(optarg); break;
        case 'e': expect_events = atoi(optarg); break;
        case 't': timeout_s = atof(optarg); break;
        default: usage();
        }
    }
    if (port <= 0 || nstreams <= 0 || conc <= 0) {
        usage();
    }

    build_request();
    st = calloc(nstreams, sizeof(stream_t));
    ep = epoll_create1(0);
    t0 = now_ns();
    deadline = t0 + (int64_t) (timeout_s * 1e9);

    for (i = 0; i < nstreams; i++) {
        st[i].fd = -1;
        st[i].idx = i;
    }

    while (done < nstreams) {
        int  n;

        while (active < conc && started < nstreams) {
            if (start_stream(ep, &st[started]) != 0) {
                finish(ep, &st[started], 0);
                done++;
            } else {
                active++;
            }
            started++;
        }
        if (now_ns() > deadline) {
            break;
        }
        n = epoll_wait(ep, evs, 256, 100);
        for (k = 0; k < n; k++) {
            stream_t  *s = evs[k].data.ptr;

            if (s->state == 1 && (evs[k].events & (EPOLLOUT | EPOLLERR))) {
                int        err = 0;
                socklen_t  l = sizeof(err);
                ssize_t    w;

                getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l);
                if (err) {
                    finish(ep, s, 0);
                    active--; done++;
                    continue;
                }
                s->t_start = now_ns();
                w = write(s->fd, request + s->sent, request_len - s->sent);
                if (w > 0) {
                    s->sent += w;
                }
                if (s->sent == request_len) {
                    struct epoll_event  ev;

                    s->state = 2;
                    ev.events = EPOLLIN;
                    ev.data.ptr = s;
                    epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
                }
                continue;
            }
            if (s->state == 2) {
                for ( ;; ) {
                    ssize_t  r = read(s->fd, buf, sizeof(buf));
                    int64_t  t = now_ns();

                    if (r > 0) {
                        on_data(s, buf, r, t);
                        if (s->ended) {
                            finish(ep, s, 1);
                            active--; done++;
                            break;
                        }
                        if ((size_t) r < sizeof(buf)) {
                            break;
                        }
                        continue;
                    }
                    if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
                        break;
                    }
                    /* closed by the server, or an error */
                    finish(ep, s, r == 0);
                    active--; done++;
                    break;
                }
            }
        }
    }

    for (i = 0; i < nstreams; i++) {
        stream_t  *s = &st[i];
        int        j;

        if (s->state != 3) {
            finish(ep, s, 0);
        }
        okn += s->ok;
        printf("S %d %d %d %lld %lld %d %d", i, s->status, s->ok,
               (long long) (s->ttfe / 1000),
               (long long) (s->nstamps ? (s->stamps[s->nstamps - 1]
                                          - s->t_start) / 1000 : 0),
               s->events, s->merged);
        for (j = 1; j < s->nstamps; j++) {
            printf(" %lld",
                   (long long) ((s->stamps[j] - s->stamps[j - 1]) / 1000));
        }
        printf("\n");
    }
    printf("T %.3f %d %d\n", (now_ns() - t0) / 1e9, okn, nstreams - okn);
    return 0;
}
