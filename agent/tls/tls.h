/* tls.h - wolfSSL client contexts and sessions for SMTP STARTTLS: forward-
 *         secret suites only (TLS 1.3; ECDHE/DHE with AEAD; FS CBC suites on
 *         request), TLS >= 1.2, groups by IANA id, per-connection facts for
 *         the Postfix log line (FORWARD_SECRECY_README), the peer chain as DER
 *
 * Verification is not done here: the context uses verify mode NONE and the
 * caller judges the peer chain (tls_session_chain() feeds dane/dane.h).
 * An anonymous suite completes without a certificate: tls_facts.anonymous
 * and an empty chain say so, and only a context built with anonymous = 1
 * (level may) offers such suites at all.
 *
 * tls_ctx_new() expands the cipher list and aborts (returns NULL) if a suite
 * without forward secrecy appears: wolfSSL silently skips names it does not
 * know. After each handshake tls_session_check() refuses a negotiated suite
 * without forward secrecy. Renegotiation is not compiled into Debian's
 * wolfSSL 5.5.4 (no HAVE_SECURE_RENEGOTIATION), so none can happen.
 *
 * Server signature and digest: wolfSSL 5.5.4 has no getter. PK verify
 * callbacks (ECDSA, RSA PKCS#1, RSA-PSS, Ed25519) record them; they replace
 * wolfSSL's internal verification and therefore verify with wolfCrypt for
 * real. A resumed session has no signature: the fields stay empty.
 *
 * Resumption (session_cache.h): a resumed session restores the peer chain
 * of the original handshake, so tls_session_chain() still feeds the
 * caller's verification. tls_session_check() refuses a TLS 1.3 resumption
 * without an (EC)DHE key share (psk_ke, RFC 8446 §4.2.9): forward secrecy
 * holds for resumed sessions too.
 *
 * Ownership: tls_ctx_new() returns an owned context (tls_ctx_free(NULL) is a
 * no-op) that must outlive its sessions; a session is owned by its creator
 * (in practice struct conn) and does not own the file descriptor.
 * Library init: the caller (main, tests) calls wolfSSL_Init() once;
 * tls_ctx_new() does so itself when needed (wolfSSL counts the calls).
 */
#ifndef DANE_AGENT_TLS_H
#define DANE_AGENT_TLS_H

#include <stddef.h>
#include <stdint.h>

struct dane_chain;

#define TLS_PROTO_TLS12 0x1u    /* same values as POLICY_PROTO_* */
#define TLS_PROTO_TLS13 0x2u

struct tls_params {
    unsigned protocols;         /* TLS_PROTO_* bits, not 0 */
    const uint16_t *groups;     /* IANA ids, preferred first (X25519 29,
                                 * P-256 23, P-384 24, P-521 25, X448 30,
                                 * ffdhe2048 256, ffdhe3072 257); none:
                                 * X25519, P-256, P-384, ffdhe2048 */
    size_t ngroups;
    int legacy_cbc;             /* also offer ECDHE/DHE CBC suites */
    int anonymous;              /* also offer anonymous DH suites (level may) */
};

struct tls_ctx;
struct tls_session;

/* tls_ctx_new - a client context; NULL with *why on bad parameters or when
 * the expanded cipher list holds a suite without forward secrecy */
struct tls_ctx *tls_ctx_new(const struct tls_params *params, const char **why);
/* tls_ctx_free - release; NULL is a no-op */
void tls_ctx_free(struct tls_ctx *ctx);
/* tls_suite_is_forward_secret - is this wolfSSL (OpenSSL-style) suite name
 * one of the forward-secret suites this module may ever offer? */
int tls_suite_is_forward_secret(const char *name);

/* Per-connection facts, all printable, "" when unknown. */
struct tls_facts {
    char protocol[16];          /* "TLSv1.3" */
    char cipher[64];            /* IANA name, "TLS_AES_256_GCM_SHA384" */
    int bits;                   /* cipher strength in bits */
    char key_exchange[32];      /* "X25519", "ECDHE (P-256)", "DHE (2048 bits)" */
    char server_signature[32];  /* "ECDSA (P-256)", "RSA-PSS (2048 bits)",
                                 * "RSA (2048 bits)", "ED25519" */
    char server_digest[16];     /* "SHA256"; "" for Ed25519 */
    int resumed;
    int anonymous;              /* no peer certificate */
};

enum tls_io {
    TLS_IO_DONE = 0,
    TLS_IO_WANT_READ,           /* not an error: wait for readability */
    TLS_IO_WANT_WRITE,          /* not an error: wait for writability */
    TLS_IO_CLOSED,              /* the peer closed the TLS session */
    TLS_IO_ERROR,               /* *why set */
};

/* tls_session_new - a session over fd (non-blocking, not owned); sni may be
 * NULL or an IP literal (then no SNI is sent, RFC 6066 §3) */
struct tls_session *tls_session_new(struct tls_ctx *ctx, int fd,
                                    const char *sni, const char **why);
/* tls_session_free - release (no close_notify: see tls_session_shutdown) */
void tls_session_free(struct tls_session *s);
/* tls_handshake_step - drive the handshake; call again on WANT_* */
enum tls_io tls_handshake_step(struct tls_session *s, const char **why);
/* tls_session_check - after the handshake: a forward-secret suite, else -1
 * with *why; 0 otherwise */
int tls_session_check(struct tls_session *s, const char **why);
/* tls_session_facts - the negotiated parameters */
void tls_session_facts(struct tls_session *s, struct tls_facts *facts);
/* tls_session_chain - append the peer's chain (leaf first) as DER to chain;
 * 0, or -1 with *why; an anonymous session appends nothing */
int tls_session_chain(struct tls_session *s, struct dane_chain *chain,
                      const char **why);
/* tls_read_step - read up to cap bytes; DONE with *n > 0 */
enum tls_io tls_read_step(struct tls_session *s, uint8_t *buf, size_t cap,
                          size_t *n, const char **why);
/* tls_write_step - write up to len bytes; DONE with *n > 0 */
enum tls_io tls_write_step(struct tls_session *s, const uint8_t *buf,
                           size_t len, size_t *n, const char **why);
/* tls_session_offer - before the handshake: offer to resume a session
 * serialized by tls_session_export(); 0, or -1 with *why (unreadable or
 * expired: the handshake is then a full one) */
int tls_session_offer(struct tls_session *s, const uint8_t *der, size_t len,
                      const char **why);
/* tls_session_export - after application data was read (TLS 1.3 tickets
 * arrive after the handshake, RFC 8446 §4.6.1): serialize the session into
 * buf; 1 with *len and *lifetime (seconds the server lets it be resumed),
 * 0 when there is nothing resumable, -1 with *why */
int tls_session_export(struct tls_session *s, uint8_t *buf, size_t cap,
                       size_t *len, unsigned *lifetime, const char **why);
/* tls_pending - decrypted bytes buffered inside wolfSSL */
size_t tls_pending(struct tls_session *s);
/* tls_session_shutdown - send close_notify once, do not wait for the peer */
void tls_session_shutdown(struct tls_session *s);

#endif
