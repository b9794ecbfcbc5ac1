/* conn.c - a TCP connection with deadlines, upgraded to TLS (see conn.h)
 *
 * SYNOPSIS
 *   conn_connect, conn_read, conn_write, conn_starttls, conn_close
 *   conn_tls_facts, conn_peer_chain, conn_remember, conn_forget
 *
 * DESCRIPTION
 *   One poll() per wait, always bounded by the remaining time to the
 *   caller's deadline. wolfSSL runs over the same non-blocking descriptor:
 *   WANT_READ/WANT_WRITE turn into a poll for that direction. Resumption
 *   reads the session cache before the handshake and writes it only when
 *   the caller says the peer was verified (conn_remember).
 */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "session_cache.h"
#include "tls.h"

struct conn {
    int fd;
    struct tls_session *tls;
    int tls_up;         /* handshake done and checked */
    struct tls_facts facts;         /* of the handshake, once tls_up */
    struct session_cache *cache;    /* borrowed; NULL: no resumption */
};

/* wait_fd - poll for events until the deadline */
static enum conn_status wait_fd(int fd, short events, uint64_t deadline,
                                const char **why)
{
    switch (clock_wait_fd(fd, events, deadline)) {
    case CLOCK_READY:
        return CONN_OK;
    case CLOCK_EXPIRED:
        *why = "timed out";
        return CONN_TIMEOUT;
    default:
        *why = "poll failed";
        return CONN_ERROR;
    }
}

/* connect_reason - a sentence for a connect errno */
static const char *connect_reason(int err)
{
    switch (err) {
    case ECONNREFUSED: return "Connection refused";
    case ETIMEDOUT: return "Connection timed out";
    case ENETUNREACH: return "Network is unreachable";
    case EHOSTUNREACH: return "No route to host";
    case EADDRNOTAVAIL: return "Cannot assign requested address";
    default: return "connect failed";
    }
}

int conn_local_address(const struct conn *c, char *out, size_t size)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    const void *addr = NULL;

    out[0] = '\0';
    if (getsockname(c->fd, (struct sockaddr *)&ss, &len) != 0)
        return -1;
    if (ss.ss_family == AF_INET)
        addr = &((const struct sockaddr_in *)&ss)->sin_addr;
    else if (ss.ss_family == AF_INET6)
        addr = &((const struct sockaddr_in6 *)&ss)->sin6_addr;
    if (addr == NULL || inet_ntop(ss.ss_family, addr, out, (socklen_t)size) == NULL) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

struct conn *conn_connect(const struct sockaddr *sa, socklen_t salen,
                          uint64_t deadline, enum conn_status *st,
                          const char **why)
{
    struct conn *c = calloc(1, sizeof(*c));
    int one = 1, err = 0;
    socklen_t errlen = sizeof(err);

    *st = CONN_ERROR;
    if (c == NULL) {
        *why = "out of memory";
        return NULL;
    }
    c->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        *why = "cannot create a socket";
        free(c);
        return NULL;
    }
    /* SMTP commands are small and latency-bound: no Nagle delay */
    (void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(c->fd, sa, salen) != 0) {
        if (errno != EINPROGRESS) {
            *why = connect_reason(errno);
            conn_close(c);
            return NULL;
        }
        *st = wait_fd(c->fd, POLLOUT, deadline, why);
        if (*st == CONN_OK &&
            (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &errlen) != 0 || err != 0)) {
            *why = connect_reason(err);
            *st = CONN_ERROR;
        }
        if (*st != CONN_OK) {
            if (*st == CONN_TIMEOUT)
                *why = "Connection timed out";
            conn_close(c);
            return NULL;
        }
    }
    *st = CONN_OK;
    return c;
}

void conn_close(struct conn *c)
{
    if (c == NULL)
        return;
    if (c->tls_up)
        tls_session_shutdown(c->tls);
    tls_session_free(c->tls);
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

/* tls_wait - turn a WANT_* into a poll; other results are final */
static enum conn_status tls_wait(struct conn *c, enum tls_io io, uint64_t deadline,
                                 const char **why)
{
    switch (io) {
    case TLS_IO_WANT_READ:
        return wait_fd(c->fd, POLLIN, deadline, why);
    case TLS_IO_WANT_WRITE:
        return wait_fd(c->fd, POLLOUT, deadline, why);
    case TLS_IO_CLOSED:
        *why = "lost connection";
        return CONN_EOF;
    case TLS_IO_DONE:
        return CONN_OK;
    case TLS_IO_ERROR:
        return CONN_ERROR;
    }
    abort();
}

/* quick_ack - acknowledge what arrives at once instead of delaying the ACK:
 * after the TLS 1.3 handshake the server sends its session tickets and
 * Nagle holds the second until our ACK, which Linux would delay by ~40 ms
 * (our EHLO left before the tickets came, so nothing carries the ACK).
 * TCP_QUICKACK is not sticky: it is set again before every read. */
static void quick_ack(const struct conn *c)
{
#ifdef TCP_QUICKACK
    int one = 1;

    (void)setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
#else
    (void)c;
#endif
}

static enum conn_status plain_read(struct conn *c, uint8_t *buf, size_t cap,
                                   size_t *n, uint64_t deadline, const char **why)
{
    for (;;) {
        ssize_t r;
        enum conn_status st;

        quick_ack(c);
        r = recv(c->fd, buf, cap, 0);
        if (r > 0) {
            *n = (size_t)r;
            return CONN_OK;
        }
        if (r == 0) {
            *why = "lost connection";
            return CONN_EOF;
        }
        if (errno == ECONNRESET) {
            *why = "lost connection";
            return CONN_EOF;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            *why = "read error";
            return CONN_ERROR;
        }
        st = wait_fd(c->fd, POLLIN, deadline, why);
        if (st != CONN_OK)
            return st;
    }
}

enum conn_status conn_read(struct conn *c, uint8_t *buf, size_t cap, size_t *n,
                           uint64_t deadline, const char **why)
{
    *n = 0;
    if (cap == 0) {
        *why = "read buffer full";
        return CONN_ERROR;
    }
    if (!c->tls_up)
        return plain_read(c, buf, cap, n, deadline, why);
    for (;;) {
        enum tls_io io;

        quick_ack(c);
        io = tls_read_step(c->tls, buf, cap, n, why);
        enum conn_status st;

        if (io == TLS_IO_DONE)
            return CONN_OK;
        st = tls_wait(c, io, deadline, why);
        if (st != CONN_OK)
            return st;
    }
}

enum conn_status conn_read_now(struct conn *c, uint8_t *buf, size_t cap,
                               size_t *n, const char **why)
{
    enum conn_status st = conn_read(c, buf, cap, n, clock_now_ms(), why);

    if (st == CONN_TIMEOUT) {
        *n = 0;
        return CONN_OK;
    }
    return st;
}

/* write_step - one send or TLS write; *n bytes taken */
static enum conn_status write_step(struct conn *c, const uint8_t *buf, size_t len,
                                   size_t *n, uint64_t deadline, const char **why)
{
    ssize_t r;

    if (c->tls_up) {
        enum tls_io io = tls_write_step(c->tls, buf, len, n, why);
        return io == TLS_IO_DONE ? CONN_OK : tls_wait(c, io, deadline, why);
    }
    r = send(c->fd, buf, len, MSG_NOSIGNAL);
    *n = 0;
    if (r > 0) {
        *n = (size_t)r;
        return CONN_OK;
    }
    if (r < 0 && (errno == EPIPE || errno == ECONNRESET)) {
        *why = "lost connection";
        return CONN_EOF;
    }
    if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        *why = "write error";
        return CONN_ERROR;
    }
    return wait_fd(c->fd, POLLOUT, deadline, why);
}

enum conn_status conn_write(struct conn *c, const uint8_t *buf, size_t len,
                            uint64_t deadline, const char **why)
{
    size_t off = 0;

    while (off < len) {
        size_t n = 0;
        enum conn_status st = write_step(c, buf + off, len - off, &n, deadline, why);
        if (st != CONN_OK)
            return st;
        off += n;
        if (n == 0 && clock_now_ms() >= deadline) {
            *why = "timed out";
            return CONN_TIMEOUT;
        }
    }
    return CONN_OK;
}

int conn_plain_pending(struct conn *c)
{
    uint8_t b;

    return recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/* read_cached - the session stored in cache, in a buffer to free(): *len
 * > 0 on a hit, 0 on a miss, an unreadable entry or no memory */
static uint8_t *read_cached(struct session_cache *cache, size_t *len)
{
    uint8_t *buf = malloc(SESSION_CACHE_MAX_SESSION);
    const char *ignored = NULL;

    *len = 0;
    if (buf != NULL &&
        session_cache_get(cache, time(NULL), buf, SESSION_CACHE_MAX_SESSION, len,
                          &ignored) != 1)
        *len = 0;
    return buf;
}

/* handshake - the TLS handshake, first offering session (NULL: none);
 * *offered says whether it could be offered: an unreadable or expired
 * session means a full handshake, not an error */
static enum conn_status handshake(struct conn *c, struct tls_ctx *ctx, const char *sni,
                                  const uint8_t *session, size_t session_len,
                                  int *offered, uint64_t deadline, const char **why)
{
    const char *ignored = NULL;

    *offered = 0;
    if (c->tls != NULL) {
        *why = "TLS already started on this connection";
        return CONN_ERROR;
    }
    /* RFC 3207 §4.2: nothing received before the handshake may be used */
    if (conn_plain_pending(c)) {
        *why = "plaintext received after the 220 reply to STARTTLS (possible injection)";
        return CONN_ERROR;
    }
    c->tls = tls_session_new(ctx, c->fd, sni, why);
    if (c->tls == NULL)
        return CONN_ERROR;
    /* an unusable cached session only costs the resumption */
    if (session != NULL && tls_session_offer(c->tls, session, session_len, &ignored) == 0)
        *offered = 1;
    for (;;) {
        enum tls_io io = tls_handshake_step(c->tls, why);
        enum conn_status st;

        if (io == TLS_IO_DONE)
            break;
        if (io == TLS_IO_ERROR)
            return CONN_ERROR;
        st = tls_wait(c, io, deadline, why);
        if (st != CONN_OK)
            return st;
    }
    if (tls_session_check(c->tls, why) != 0)
        return CONN_ERROR;
    tls_session_facts(c->tls, &c->facts);
    c->tls_up = 1;
    return CONN_OK;
}

enum conn_status conn_starttls(struct conn *c, struct tls_ctx *ctx, const char *sni,
                               struct session_cache *cache, int offer, int *refused,
                               uint64_t deadline, const char **why)
{
    uint8_t *cached = NULL;
    size_t len = 0;
    int offered = 0;
    enum conn_status st;

    c->cache = cache;
    if (cache != NULL && offer)
        cached = read_cached(cache, &len);
    st = handshake(c, ctx, sni, len > 0 ? cached : NULL, len, &offered, deadline, why);
    free(cached);
    /* an entry that cannot be offered or did not get us through is dropped:
     * the next attempt makes a full handshake */
    if (len > 0 && (!offered || st != CONN_OK))
        session_cache_drop(cache);
    /* a refused resumption (e.g. "binder does not verify") costs nothing but
     * this connection: a new one with a full handshake may succeed */
    *refused = offered && st != CONN_OK && st != CONN_TIMEOUT;
    return st;
}

void conn_tls_facts(const struct conn *c, struct tls_facts *facts)
{
    if (c->tls_up)
        *facts = c->facts;
    else
        memset(facts, 0, sizeof(*facts));
}

int conn_peer_chain(struct conn *c, struct dane_chain *chain, const char **why)
{
    if (!c->tls_up) {
        *why = "TLS is not up on this connection";
        return -1;
    }
    return tls_session_chain(c->tls, chain, why);
}

void conn_remember(struct conn *c)
{
    uint8_t *buf;
    size_t len = 0;
    unsigned lifetime = 0;
    const char *why = NULL;

    /* only sessions with a certificate are cached: a resumed session must
     * bring back the chain its verification needs. wolfSSL 5.5.4 exports a
     * session from a resumed TLS 1.3 connection that servers refuse on the
     * next resumption (bad PSK binder): keep the entry of the full
     * handshake instead */
    if (c->cache == NULL || !c->tls_up || c->facts.anonymous || c->facts.resumed)
        return;
    buf = malloc(SESSION_CACHE_MAX_SESSION);
    if (buf != NULL &&
        tls_session_export(c->tls, buf, SESSION_CACHE_MAX_SESSION, &len, &lifetime,
                           &why) == 1)
        (void)session_cache_put(c->cache, time(NULL), lifetime, buf, len, &why);
    free(buf);
}

void conn_forget(struct conn *c)
{
    session_cache_drop(c->cache);
}
