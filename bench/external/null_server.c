/*
 * The protocol floor: a MsgPack:1 plugin server that answers Kong's calls and does nothing else.
 *
 *     null_server SOCKET [LOG_FILE]
 *
 * It serves two plugins whose PDK calls are the benchmark pairs' (bench/external/steady_state.py,
 * access_added.sh): `null-hello` makes java-hello's and js-hello's calls in the access phase
 * (kong.request.get_header("host"), then kong.response.set_header twice) and `null-log` makes
 * java-file-log's call in the log phase (kong.log.serialize) and appends the record it gets as one line
to LOG_FILE (one write(2) on a descriptor opened once with O_APPEND; dropped without LOG_FILE). One thread, one
 * epoll loop, no allocation per message: what is left is what any server that sleeps between Kong's
 * calls pays per message on this machine (a wake-up, a read, a write). Its CPU per event is the
 * lowest a plugin server can reach here, so a target below it cannot be met by any server.
 *
 * Not a plugin server to use: no config, no schema, unknown methods answered with an error.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 4096
#define BUFFER_SIZE (1 << 20)
#define EVENT_SLOTS 65536

enum plugin { HELLO, LOG };

struct connection {
    unsigned char *in;
    size_t used;
};

struct reader {
    const unsigned char *p, *end;
};

struct writer {
    unsigned char buf[512];
    size_t n;
};

static struct connection connections[MAX_CONNECTIONS];
/* An event's plugin and calls made so far, by EventId: Steps of one event may come on other connections. */
static unsigned char event_plugin[EVENT_SLOTS], event_calls[EVENT_SLOTS];
static int64_t next_event_id = 1;
static int64_t first_instance_id, next_instance_id;
static enum plugin instance_plugin[1024];
static int log_file = -1;
static unsigned char line[BUFFER_SIZE + 1];

/* ---- MessagePack, only what Kong sends ---- */

static int need(struct reader *r, size_t n) { return (size_t)(r->end - r->p) >= n; }

static uint64_t be(const unsigned char *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

/* Skips one value; 0 when the buffer holds only part of it. */
static int skip(struct reader *r) {
    if (!need(r, 1)) return 0;
    unsigned t = *r->p++;
    size_t len = 0, items = 0;
    if (t <= 0x7f || t >= 0xe0 || t == 0xc0 || t == 0xc2 || t == 0xc3) return 1;
    if ((t & 0xf0) == 0x80) items = 2 * (t & 0x0f);
    else if ((t & 0xf0) == 0x90) items = t & 0x0f;
    else if ((t & 0xe0) == 0xa0) len = t & 0x1f;
    else {
        static const signed char fixed[] = {
            [0xca - 0xc4] = 4, [0xcb - 0xc4] = 8, [0xcc - 0xc4] = 1, [0xcd - 0xc4] = 2, [0xce - 0xc4] = 4,
            [0xcf - 0xc4] = 8, [0xd0 - 0xc4] = 1, [0xd1 - 0xc4] = 2, [0xd2 - 0xc4] = 4, [0xd3 - 0xc4] = 8,
            [0xd4 - 0xc4] = 2, [0xd5 - 0xc4] = 3, [0xd6 - 0xc4] = 5, [0xd7 - 0xc4] = 9, [0xd8 - 0xc4] = 17};
        int width;
        switch (t) {
        case 0xc4: case 0xd9: width = 1; break;
        case 0xc5: case 0xda: width = 2; break;
        case 0xc6: case 0xdb: width = 4; break;
        case 0xc7: case 0xc8: case 0xc9: /* ext: length, then a type byte */
            width = t == 0xc7 ? 1 : t == 0xc8 ? 2 : 4;
            if (!need(r, width)) return 0;
            len = be(r->p, width) + 1;
            r->p += width;
            goto bytes;
        case 0xdc: case 0xdd: case 0xde: case 0xdf:
            width = (t == 0xdc || t == 0xde) ? 2 : 4;
            if (!need(r, width)) return 0;
            items = be(r->p, width) * (t >= 0xde ? 2 : 1);
            r->p += width;
            goto values;
        default:
            if (t < 0xc4 || t > 0xd8 || fixed[t - 0xc4] == 0) return -1;
            len = fixed[t - 0xc4];
            goto bytes;
        }
        if (!need(r, width)) return 0;
        len = be(r->p, width);
        r->p += width;
    }
bytes:
    if (!need(r, len)) return 0;
    r->p += len;
values:
    for (size_t i = 0; i < items; i++) {
        int ok = skip(r);
        if (ok <= 0) return ok;
    }
    return 1;
}

static int read_int(struct reader *r, int64_t *v) {
    unsigned t = *r->p;
    if (t <= 0x7f) { *v = t; r->p++; return 1; }
    if (t >= 0xcc && t <= 0xcf) { int w = 1 << (t - 0xcc); *v = (int64_t)be(r->p + 1, w); r->p += 1 + w; return 1; }
    if (t >= 0xd0 && t <= 0xd3) {
        int w = 1 << (t - 0xd0);
        uint64_t u = be(r->p + 1, w);
        if (w < 8 && (u >> (8 * w - 1))) u |= ~0ULL << (8 * w);
        *v = (int64_t)u; r->p += 1 + w; return 1;
    }
    return skip(r) > 0 ? 0 : -1;
}

/* A string's bytes and length, or NULL for any other type (skipped). */
static const unsigned char *read_str(struct reader *r, size_t *len) {
    unsigned t = *r->p;
    int width = (t & 0xe0) == 0xa0 ? 0 : t == 0xd9 ? 1 : t == 0xda ? 2 : t == 0xdb ? 4 : -1;
    if (width < 0) { skip(r); return NULL; }
    *len = width == 0 ? (t & 0x1f) : be(r->p + 1, width);
    const unsigned char *s = r->p + 1 + width;
    r->p = s + *len;
    return s;
}

static size_t read_map(struct reader *r) {
    unsigned t = *r->p;
    if ((t & 0xf0) == 0x80) { r->p++; return t & 0x0f; }
    if (t == 0xde) { size_t n = be(r->p + 1, 2); r->p += 3; return n; }
    if (t == 0xdf) { size_t n = be(r->p + 1, 4); r->p += 5; return n; }
    skip(r);
    return 0;
}

static int is(const unsigned char *s, size_t len, const char *text) {
    return s && len == strlen(text) && memcmp(s, text, len) == 0;
}

static void put(struct writer *w, const void *bytes, size_t n) { memcpy(w->buf + w->n, bytes, n); w->n += n; }
static void put_byte(struct writer *w, unsigned char b) { w->buf[w->n++] = b; }
static void put_str(struct writer *w, const char *s) {
    size_t n = strlen(s);
    if (n < 32) put_byte(w, 0xa0 | n); else { put_byte(w, 0xd9); put_byte(w, n); }
    put(w, s, n);
}
static void put_int(struct writer *w, int64_t v) {
    if (v >= 0 && v < 128) { put_byte(w, v); return; }
    put_byte(w, 0xd3);
    for (int i = 7; i >= 0; i--) put_byte(w, (uint64_t)v >> (8 * i));
}

/* ---- the two plugins ---- */

/* The next answer of an event: a PDK call, or "ret" when its plugin has made all of them. */
static void put_event_step(struct writer *w, int64_t event) {
    int slot = event % EVENT_SLOTS, call = event_calls[slot]++;
    put_byte(w, 0x82);
    put_str(w, "EventId"); put_int(w, event);
    put_str(w, "Data");
    if (event_plugin[slot] == LOG && call == 0) {
        put_byte(w, 0x82); put_str(w, "Method"); put_str(w, "kong.log.serialize"); put_str(w, "Args"); put_byte(w, 0x90);
    } else if (event_plugin[slot] == HELLO && call == 0) {
        put_byte(w, 0x82); put_str(w, "Method"); put_str(w, "kong.request.get_header");
        put_str(w, "Args"); put_byte(w, 0x91); put_str(w, "host");
    } else if (event_plugin[slot] == HELLO && call <= 2) {
        put_byte(w, 0x82); put_str(w, "Method"); put_str(w, "kong.response.set_header");
        put_str(w, "Args"); put_byte(w, 0x92);
        put_str(w, call == 1 ? "x-hello-from-null" : "x-null-pid");
        put_str(w, call == 1 ? "null says bench" : "0");
    } else {
        put_str(w, "ret");
    }
}

/* Answers one call [0, msgid, method, [arg]]; 0 when the message is not one. */
static int answer(const unsigned char *message, size_t size, struct writer *w) {
    struct reader r = {message, message + size};
    int64_t kind, msgid;
    size_t method_len = 0;
    if (*r.p++ != 0x94 || read_int(&r, &kind) != 1 || kind != 0 || read_int(&r, &msgid) != 1) return 0;
    const unsigned char *method = read_str(&r, &method_len);
    /* the argument: the first element of the params array, a map */
    int64_t event = 0, instance = -1;
    const unsigned char *name = NULL, *record = NULL;
    size_t name_len = 0, record_len = 0;
    if ((*r.p & 0xf0) == 0x90 && (*r.p & 0x0f) > 0) {
        r.p++;
        if ((*r.p & 0xf0) == 0x80 || *r.p == 0xde || *r.p == 0xdf) {
            for (size_t i = read_map(&r); i > 0; i--) {
                size_t key_len;
                const unsigned char *key = read_str(&r, &key_len);
                if (is(key, key_len, "EventId")) read_int(&r, &event);
                else if (is(key, key_len, "InstanceId")) read_int(&r, &instance);
                else if (is(key, key_len, "Name")) name = read_str(&r, &name_len);
                else if (is(key, key_len, "Data")) record = read_str(&r, &record_len);
                else skip(&r);
            }
        }
    }
    put_byte(w, 0x94); put_byte(w, 1); put_int(w, msgid);
    if (is(method, method_len, "plugin.StartInstance") && name) {
        int64_t id = next_instance_id++;
        instance_plugin[(id - first_instance_id) % 1024] = is(name, name_len, "null-log") ? LOG : HELLO;
        put_byte(w, 0xc0);
        put_byte(w, 0x84);
        put_str(w, "Name"); put_str(w, is(name, name_len, "null-log") ? "null-log" : "null-hello");
        put_str(w, "Id"); put_int(w, id);
        put_str(w, "Config"); put_byte(w, 0x80);
        put_str(w, "StartTime"); put_byte(w, 0xcb); {
            double now = (double)time(NULL);
            uint64_t bits; memcpy(&bits, &now, 8);
            for (int i = 7; i >= 0; i--) put_byte(w, bits >> (8 * i));
        }
    } else if (is(method, method_len, "plugin.HandleEvent")) {
        if (instance < first_instance_id || instance >= next_instance_id) {
            char text[64];
            snprintf(text, sizeof text, "no plugin instance %lld", (long long)instance);
            put_str(w, text); put_byte(w, 0xc0);
            return 1;
        }
        event = next_event_id++;
        event_plugin[event % EVENT_SLOTS] = instance_plugin[(instance - first_instance_id) % 1024];
        event_calls[event % EVENT_SLOTS] = 0;
        put_byte(w, 0xc0);
        put_event_step(w, event);
    } else if (method_len >= 11 && memcmp(method, "plugin.Step", 11) == 0) {
        if (record && log_file >= 0 && event_plugin[event % EVENT_SLOTS] == LOG) {
            /* java-file-log's line is the record with its ai fields spliced in; here it is the record */
            memcpy(line, record, record_len);
            line[record_len] = '\n';
            if (write(log_file, line, record_len + 1) < 0) perror("null_server: log file");
        }
        put_byte(w, 0xc0);
        put_event_step(w, event);
    } else if (is(method, method_len, "plugin.CloseInstance")) {
        put_byte(w, 0xc0); put_byte(w, 0xc3);
    } else {
        put_str(w, "null_server: not served"); put_byte(w, 0xc0);
    }
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 2 && argc != 3) { fprintf(stderr, "usage: null_server SOCKET [LOG_FILE]\n"); return 2; }
    if (argc == 3 && (log_file = open(argv[2], O_WRONLY | O_APPEND | O_CREAT, 0644)) < 0) { perror(argv[2]); return 1; }
    /* instance ids a restarted server never repeats, so Kong's stale ids get "no plugin instance" */
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    first_instance_id = next_instance_id = ((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000) % 1000000000;
    signal(SIGPIPE, SIG_IGN); /* a peer gone mid-answer closes its connection, not the server */
    int listener = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    snprintf(address.sun_path, sizeof address.sun_path, "%s", argv[1]);
    unlink(argv[1]);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) || listen(listener, 512)) {
        perror(argv[1]);
        return 1;
    }
    int poll = epoll_create1(0);
    struct epoll_event ready[64], watch = {.events = EPOLLIN, .data.fd = listener};
    epoll_ctl(poll, EPOLL_CTL_ADD, listener, &watch);
    for (;;) {
        int n = epoll_wait(poll, ready, 64, -1);
        for (int i = 0; i < n; i++) {
            int fd = ready[i].data.fd;
            if (fd == listener) {
                int client = accept(listener, NULL, NULL);
                if (client < 0) continue;
                if (client >= MAX_CONNECTIONS) { close(client); continue; }
                if (!connections[client].in) connections[client].in = malloc(BUFFER_SIZE);
                connections[client].used = 0;
                watch.data.fd = client;
                epoll_ctl(poll, EPOLL_CTL_ADD, client, &watch);
                continue;
            }
            struct connection *c = &connections[fd];
            ssize_t got = read(fd, c->in + c->used, BUFFER_SIZE - c->used);
            if (got <= 0) {
                if (got < 0 && errno == EINTR) continue;
                close(fd);
                continue;
            }
            c->used += got;
            size_t start = 0;
            struct writer w = {.n = 0};
            int broken = 0;
            for (;;) {
                struct reader r = {c->in + start, c->in + c->used};
                int whole = skip(&r);
                if (whole < 0 || (whole == 0 && c->used - start == BUFFER_SIZE)) { broken = 1; break; }
                if (whole == 0) break;
                size_t size = r.p - (c->in + start);
                if (w.n > sizeof w.buf - 200) { write(fd, w.buf, w.n); w.n = 0; }
                answer(c->in + start, size, &w); /* a message that is not a call is dropped */
                start += size;
            }
            if (w.n && write(fd, w.buf, w.n) < 0) broken = 1;
            if (broken) { /* not MessagePack, or a message over the buffer: this connection is done */
                close(fd);
                c->used = 0;
                continue;
            }
            memmove(c->in, c->in + start, c->used - start);
            c->used -= start;
        }
    }
}
