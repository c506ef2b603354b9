/*
 * mcload: a small memcached text-protocol load generator in the shape of redis-benchmark,
 * for bench/run.sh. Debian 12's memcaslap cannot pipeline and reports latency only as a
 * log2 histogram, so this tool does what redis-benchmark does for Redis:
 *   - one thread, C connections, epoll;
 *   - each connection writes P requests in one write, waits for the P replies, repeats;
 *   - latency of a request = time from its batch's write to its reply (as redis-benchmark);
 *   - stops after N requests (bounded), or fails after the time limit (-T).
 * Output: one CSV line, the same columns as `redis-benchmark --csv`:
 *   "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
 * Build: cc -O2 -o mcload mcload.c
 * Use:   mcload -h 127.0.0.1 -p 11211 -t get|set -c 50 -n 100000 -P 1 -d 32 [-T 60]
 * Only sends to the host given (run.sh passes 127.0.0.1).
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

#define HIST_US 2000000 /* 1 us buckets up to 2 s; beyond goes to the last bucket */

typedef struct {
    int fd;
    char *in; size_t inlen, incap;
    size_t out_off;           /* bytes of the batch already written */
    size_t out_len;           /* bytes of the current batch */
    int outstanding;          /* replies still expected for the current batch */
    int parse_data;           /* 1: inside a VALUE payload */
    long data_left;           /* payload bytes (+2 for CRLF) still to skip */
    int in_value;             /* saw VALUE, waiting for END */
    uint64_t batch_start_ns;
} conn_t;

static uint64_t now_ns(void) {
    struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *m) { perror(m); exit(2); }

static char *batch; static size_t batch_len; static size_t req_len;
static long total_n, issued, done, errors;
static uint32_t *hist; static uint64_t lat_sum_ns, lat_min_ns = UINT64_MAX, lat_max_ns;
static int pipeline;

static void record(uint64_t lat) {
    uint64_t us = lat / 1000; if (us >= HIST_US) us = HIST_US - 1;
    hist[us]++; lat_sum_ns += lat;
    if (lat < lat_min_ns) lat_min_ns = lat;
    if (lat > lat_max_ns) lat_max_ns = lat;
}

static int start_batch(conn_t *c) {
    if (issued >= total_n) return 0;
    long k = total_n - issued < pipeline ? total_n - issued : pipeline;
    issued += k; c->outstanding = (int)k; c->out_off = 0;
    c->batch_start_ns = now_ns();
    size_t len = (size_t)k * req_len; c->out_len = len;
    while (c->out_off < len) {
        ssize_t w = write(c->fd, batch + c->out_off, len - c->out_off);
        if (w < 0) { if (errno == EAGAIN) break; die("write"); }
        c->out_off += (size_t)w;
    }
    return 1;
}

static void flush_rest(conn_t *c) {
    size_t len = c->out_len;
    while (c->out_off < len) {
        ssize_t w = write(c->fd, batch + c->out_off, len - c->out_off);
        if (w < 0) { if (errno == EAGAIN) return; die("write"); }
        c->out_off += (size_t)w;
    }
}

/* Consumes complete replies from c->in; returns replies completed. */
static int parse(conn_t *c) {
    size_t pos = 0; int replies = 0;
    for (;;) {
        if (c->parse_data) {
            size_t avail = c->inlen - pos;
            if ((long)avail < c->data_left) { c->data_left -= (long)avail; pos = c->inlen; break; }
            pos += (size_t)c->data_left; c->data_left = 0; c->parse_data = 0;
            continue;
        }
        char *s = c->in + pos; size_t avail = c->inlen - pos;
        char *nl = memmem(s, avail, "\r\n", 2);
        if (!nl) break;
        size_t ll = (size_t)(nl - s);
        if (ll >= 6 && memcmp(s, "VALUE ", 6) == 0) {
            char *p = nl; while (p > s && p[-1] != ' ') p--; /* last field: bytes (no cas asked) */
            c->data_left = strtol(p, NULL, 10) + 2; c->parse_data = 1; c->in_value = 1;
        } else if (ll == 3 && memcmp(s, "END", 3) == 0) {
            replies++; c->in_value = 0;
        } else {
            if (!(ll == 6 && memcmp(s, "STORED", 6) == 0)) errors++;
            replies++;
        }
        pos += ll + 2;
    }
    memmove(c->in, c->in + pos, c->inlen - pos); c->inlen -= pos;
    return replies;
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *test = "get"; int port = 11211, conns = 50, size = 32;
    double limit_s = 120; total_n = 100000; pipeline = 1;
    int o;
    while ((o = getopt(argc, argv, "h:p:t:c:n:P:d:T:")) != -1) {
        switch (o) {
        case 'h': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 't': test = optarg; break;
        case 'c': conns = atoi(optarg); break;
        case 'n': total_n = atol(optarg); break;
        case 'P': pipeline = atoi(optarg); break;
        case 'd': size = atoi(optarg); break;
        case 'T': limit_s = atof(optarg); break;
        default: fprintf(stderr, "usage: mcload -h HOST -p PORT -t get|set -c C -n N -P P -d SIZE [-T SECONDS]\n"); return 2;
        }
    }
    int is_set = strcmp(test, "set") == 0;
    if (!is_set && strcmp(test, "get") != 0) { fprintf(stderr, "mcload: -t get or set\n"); return 2; }
    const char *key = "key:__rand_int__"; /* one key, as redis-benchmark without -r */
    char *value = malloc((size_t)size); memset(value, 'x', (size_t)size);
    char *setreq; size_t setlen;
    {
        char hdr[128]; int h = snprintf(hdr, sizeof hdr, "set %s 0 0 %d\r\n", key, size);
        setlen = (size_t)h + (size_t)size + 2; setreq = malloc(setlen);
        memcpy(setreq, hdr, (size_t)h); memcpy(setreq + h, value, (size_t)size); memcpy(setreq + h + size, "\r\n", 2);
    }
    char getreq[128]; size_t getlen = (size_t)snprintf(getreq, sizeof getreq, "get %s\r\n", key);
    const char *one = is_set ? setreq : getreq; req_len = is_set ? setlen : getlen;
    batch_len = req_len * (size_t)pipeline; batch = malloc(batch_len);
    for (int i = 0; i < pipeline; i++) memcpy(batch + (size_t)i * req_len, one, req_len);
    hist = calloc(HIST_US, sizeof *hist);

    struct sockaddr_in sa = {0}; sa.sin_family = AF_INET; sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) { fprintf(stderr, "mcload: bad host %s\n", host); return 2; }

    conn_t *cs = calloc((size_t)conns, sizeof *cs);
    int ep = epoll_create1(0);
    for (int i = 0; i < conns; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0); if (fd < 0) die("socket");
        if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("connect");
        int one_i = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one_i, sizeof one_i);
        cs[i].fd = fd; cs[i].incap = 1 << 16; cs[i].in = malloc(cs[i].incap);
        if (i == 0 && !is_set) { /* the key must hold a value of SIZE bytes for get to hit */
            if (write(fd, setreq, setlen) != (ssize_t)setlen) die("write");
            char b[64]; ssize_t r = read(fd, b, sizeof b);
            if (r < 8 || memcmp(b, "STORED", 6) != 0) { fprintf(stderr, "mcload: preload set failed\n"); return 1; }
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = &cs[i] };
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
    }
    uint64_t t0 = now_ns(), deadline = t0 + (uint64_t)(limit_s * 1e9);
    for (int i = 0; i < conns; i++) start_batch(&cs[i]);
    struct epoll_event evs[256];
    while (done < total_n) {
        int n = epoll_wait(ep, evs, 256, 100);
        if (n < 0) { if (errno == EINTR) continue; die("epoll_wait"); }
        if (now_ns() > deadline) {
            fprintf(stderr, "mcload: time limit %.0fs reached after %ld of %ld replies\n", limit_s, done, total_n);
            return 3;
        }
        for (int i = 0; i < n; i++) {
            conn_t *c = evs[i].data.ptr;
            if (evs[i].events & EPOLLOUT && c->out_off < c->out_len) flush_rest(c);
            if (!(evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) continue;
            for (;;) {
                if (c->incap - c->inlen < 4096) { c->incap *= 2; c->in = realloc(c->in, c->incap); }
                ssize_t r = read(c->fd, c->in + c->inlen, c->incap - c->inlen);
                if (r < 0) { if (errno == EAGAIN) break; die("read"); }
                if (r == 0) { fprintf(stderr, "mcload: server closed the connection\n"); return 1; }
                c->inlen += (size_t)r;
                int got = parse(c);
                if (got) {
                    uint64_t t = now_ns(), lat = t - c->batch_start_ns;
                    for (int k = 0; k < got; k++) record(lat);
                    done += got; c->outstanding -= got;
                    if (c->outstanding <= 0) { c->outstanding = 0; start_batch(c); }
                }
            }
        }
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    double pct[3] = {0.50, 0.95, 0.99}; double pv[3]; uint64_t cum = 0; int pi = 0;
    for (long us = 0; us < HIST_US && pi < 3; us++) {
        cum += hist[us];
        while (pi < 3 && cum >= (uint64_t)(pct[pi] * (double)done + 0.5)) { pv[pi] = (double)(us + 1) / 1000.0; pi++; }
    }
    while (pi < 3) pv[pi++] = (double)HIST_US / 1000.0;
    printf("\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"\n");
    printf("\"%s\",\"%.2f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\"\n", is_set ? "SET" : "GET",
           (double)done / secs, (double)lat_sum_ns / (double)done / 1e6, (double)lat_min_ns / 1e6,
           pv[0], pv[1], pv[2], (double)lat_max_ns / 1e6);
    if (errors) { fprintf(stderr, "mcload: %ld error replies\n", errors); return 1; }
    return 0;
}
