/* conn.h - one TCP connection to one SMTP server address, with deadlines,
 *          upgraded in place to TLS (RFC 3207)
 *
 * Every operation takes an absolute deadline on the monotonic clock
 * (clock_now_ms() + timeout): a peer that drips bytes cannot stretch a
 * reply past it. Reads take a byte cap (the caller's buffer). The socket is
 * non-blocking with TCP_NODELAY; SIGPIPE must be ignored by the process (main
 * does, and so do the tests): writes to a closed peer then fail with EPIPE.
 *
 * STARTTLS: conn_starttls() refuses to start the handshake when the server
 * has already sent bytes after its 220 reply (RFC 3207 §4.2: such bytes were
 * not protected; a man in the middle can inject them), and after the
 * handshake checks the negotiated suite (tls_session_check()). From then on
 * conn_read/conn_write go through TLS.
 *
 * Resumption (session_cache.h): conn_starttls() offers the cached session
 * itself. An entry that cannot be offered, or whose handshake fails, is
 * dropped. A session is stored only when the caller says the peer chain
 * passed verification (conn_remember(), after the first reply over TLS:
 * TLS 1.3 tickets arrive after the handshake, RFC 8446 §4.6.1), never an
 * anonymous or resumed one; conn_forget() drops the entry of a resumed
 * session that failed verification. A cache failure never fails the
 * connection: it costs the resumption.
 *
 * Ownership: conn_connect() returns an owned connection; conn_close(NULL) is
 * a no-op; conn_close() sends a TLS close_notify when TLS is up, closes the
 * descriptor and frees the TLS session. The tls_ctx and the session cache
 * are borrowed and must outlive the connection. Failures set *why to a
 * static reason.
 *
 * Folder agent/tls: connections, wolfSSL contexts and sessions, resumption
 * (the only folder that includes wolfSSL's TLS API); may use store, dane,
 * policy, util.
 */
#ifndef DANE_AGENT_CONN_H
#define DANE_AGENT_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct dane_chain;
struct session_cache;
struct tls_ctx;
struct tls_facts;

enum conn_status {
    CONN_OK = 0,
    CONN_TIMEOUT,       /* the deadline passed */
    CONN_EOF,           /* the peer closed the connection */
    CONN_ERROR,         /* anything else: *why set */
};

struct conn;

/* conn_connect - non-blocking connect bounded by deadline; NULL with *st
 * and *why on failure */
struct conn *conn_connect(const struct sockaddr *sa, socklen_t salen,
                          uint64_t deadline, enum conn_status *st,
                          const char **why);
/* conn_local_address - our numeric address of the connection (RFC 8460
 * §4.4 sending-mta-ip) into out; 0, or -1 with out "" */
int conn_local_address(const struct conn *c, char *out, size_t size);
/* conn_close - shut down TLS, close, free; NULL is a no-op */
void conn_close(struct conn *c);

/* conn_read - read at least one byte, at most cap, into buf */
enum conn_status conn_read(struct conn *c, uint8_t *buf, size_t cap, size_t *n,
                           uint64_t deadline, const char **why);
/* conn_write - write all of buf */
enum conn_status conn_write(struct conn *c, const uint8_t *buf, size_t len,
                            uint64_t deadline, const char **why);
/* conn_read_now - conn_read() that never waits: CONN_OK with *n = 0 when
 * nothing is there yet (under TLS, records without application data, such
 * as TLS 1.3 session tickets, are consumed and give *n = 0) */
enum conn_status conn_read_now(struct conn *c, uint8_t *buf, size_t cap,
                               size_t *n, const char **why);
/* conn_plain_pending - 1 when unread plaintext bytes wait on the socket */
int conn_plain_pending(struct conn *c);

/* conn_starttls - TLS handshake over the same descriptor (SNI sni, may be
 * NULL), resuming through cache (NULL: none); with offer, the session stored
 * there is offered first. CONN_ERROR when plaintext is pending, the
 * handshake fails or the suite is not forward-secret; *refused is set when
 * an offered session did not get through (a timeout aside): a new
 * connection with a full handshake may succeed */
enum conn_status conn_starttls(struct conn *c, struct tls_ctx *ctx, const char *sni,
                               struct session_cache *cache, int offer, int *refused,
                               uint64_t deadline, const char **why);
/* conn_tls_facts - the negotiated parameters once conn_starttls()
 * succeeded, else zeros */
void conn_tls_facts(const struct conn *c, struct tls_facts *facts);
/* conn_peer_chain - append the peer's chain (leaf first, restored by a
 * resumed session) as DER to chain; 0, or -1 with *why; an anonymous
 * session appends nothing */
int conn_peer_chain(struct conn *c, struct dane_chain *chain, const char **why);
/* conn_remember - the peer passed verification: store the session in the
 * cache for later connections; call after application data was read */
void conn_remember(struct conn *c);
/* conn_forget - a resumed session failed verification: drop the cached
 * session, the next connection makes a full handshake */
void conn_forget(struct conn *c);

#endif
