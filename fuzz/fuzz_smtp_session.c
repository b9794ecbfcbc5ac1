/* fuzz_smtp_session.c - a whole SMTP session (cleartext) against a hostile
 * server whose bytes are the input: segments separated by NUL bytes are
 * written one after the other, each after the client has had a moment to
 * send its next command. Whatever the timing, two properties must hold:
 * - a recipient is reported sent only if the client had sent the end of data
 *   ("\r\n.\r\n") before the server wrote its last segment (RFC 5321 §4.1.1.4:
 *   only a reply after the dot can accept the message);
 * - every deferred or bounced outcome carries an enhanced code of its class
 *   (4.X.X or 5.X.X), for the session and for each recipient.
 * The input's last byte, when odd, asks for the connection to be kept
 * (RSET instead of QUIT, smtp.h params.keep): the same properties hold.
 * The server listens on 127.0.0.1 (an ephemeral port) in a thread. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "smtp.h"

#define MAX_SEGMENTS 48
#define WAIT_MS 3

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct server {
    int listener;
    const uint8_t *data;
    size_t size;
    int dot_seen;               /* the client sent the end of data */
    int wrote_after_dot;        /* a segment was written after that */
    uint8_t tail[5];            /* last bytes received, to spot "\r\n.\r\n" */
};

static int listener = -1;
static struct sockaddr_in listen_sa;

static void listen_once(void)
{
    socklen_t len = sizeof(listen_sa);
    int one = 1;

    signal(SIGPIPE, SIG_IGN);
    listener = socket(AF_INET, SOCK_STREAM, 0);
    memset(&listen_sa, 0, sizeof(listen_sa));
    listen_sa.sin_family = AF_INET;
    listen_sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (listener < 0 || bind(listener, (struct sockaddr *)&listen_sa, sizeof(listen_sa)) != 0
        || listen(listener, 4) != 0
        || getsockname(listener, (struct sockaddr *)&listen_sa, &len) != 0)
        __builtin_trap();
}

/* take - read what the client sent within ms; note the end of data */
static void take(struct server *sv, int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    uint8_t buf[4096];

    while (poll(&p, 1, ms) > 0) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            return;
        for (ssize_t i = 0; i < n; i++) {
            memmove(sv->tail, sv->tail + 1, sizeof(sv->tail) - 1);
            sv->tail[sizeof(sv->tail) - 1] = buf[i];
            if (memcmp(sv->tail, "\r\n.\r\n", 5) == 0)
                sv->dot_seen = 1;
        }
        ms = 0;
    }
}

static void *serve(void *arg)
{
    struct server *sv = arg;
    int fd = accept(sv->listener, NULL, NULL);
    size_t off = 0;

    if (fd < 0)
        return NULL;
    for (int seg = 0; seg < MAX_SEGMENTS && off <= sv->size; seg++) {
        const uint8_t *end = memchr(sv->data + off, 0, sv->size - off);
        size_t len = end != NULL ? (size_t)(end - (sv->data + off)) : sv->size - off;

        if (seg > 0)
            take(sv, fd, WAIT_MS);
        if (len > 0 && write(fd, sv->data + off, len) < 0)
            break;
        sv->wrote_after_dot |= sv->dot_seen && len > 0;
        off += len + 1;
    }
    shutdown(fd, SHUT_WR);
    take(sv, fd, WAIT_MS);
    close(fd);
    return NULL;
}

static void check_class(enum smtp_result result, const char *enhanced)
{
    if (result == SMTP_DEFER && enhanced[0] != '4')
        __builtin_trap();
    if (result == SMTP_BOUNCE && enhanced[0] != '5')
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const rcpts[] = { "a@dest.test", "b@dest.test" };
    static const char body[] = "Subject: t\n\n.\nhello\n";
    struct server sv = { .data = data, .size = size };
    struct smtp_params p;
    struct smtp_message m;
    struct smtp_outcome o;
    pthread_t t;

    if (listener < 0)
        listen_once();
    sv.listener = listener;
    memset(&p, 0, sizeof(p));
    p.addr = (const struct sockaddr *)&listen_sa;
    p.addrlen = sizeof(listen_sa);
    p.host = "mx.fuzz.test";
    p.helo_name = "client.test";
    p.tls = SMTP_TLS_NONE;
    p.timeouts = (struct smtp_timeouts){ 200, 50, 50, 50, 50, 50, 50, 50, 50, 50 };
    p.deadline_ms = clock_now_ms() + 1000;
    p.keep = size > 0 && (data[size - 1] & 1);  /* RSET and keep, or QUIT */
    memset(&m, 0, sizeof(m));
    m.sender = "s@client.test";
    m.recipients = rcpts;
    m.nrecipients = 2;
    m.fd = -1;
    m.buf = (const uint8_t *)body;
    m.len = m.size = sizeof(body) - 1;
    if (pthread_create(&t, NULL, serve, &sv) != 0)
        return 0;
    smtp_session(&p, &m, &o);
    pthread_join(t, NULL);
    check_class(o.result, o.enhanced);
    for (size_t i = 0; i < o.nrecipients; i++) {
        check_class(o.recipients[i].result, o.recipients[i].enhanced);
        if (o.recipients[i].result == SMTP_SENT && !sv.wrote_after_dot)
            __builtin_trap();
    }
    smtp_outcome_free(&o);
    return 0;
}
