/* tls.c - wolfSSL client contexts and sessions (see tls.h)
 *
 * SYNOPSIS
 *   tls_ctx_new(params, why), tls_ctx_free(ctx)
 *   tls_session_new(ctx, fd, sni, why) ... tls_session_free(s)
 *   tls_handshake_step, tls_session_check, tls_session_facts,
 *   tls_session_chain, tls_read_step, tls_write_step, tls_pending
 *   tls_session_offer, tls_session_export (resumption)
 *
 * DESCRIPTION
 *   The cipher list is built from a fixed table of forward-secret suites
 *   (wolfSSL names), expanded by wolfSSL, and checked name by name against
 *   the same table before any connection is made. wolfSSL errors become a
 *   TLS_IO_* result and one static sentence at this boundary.
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/ed25519.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/rsa.h>

#include "tls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "dane.h"

enum suite_class {
    SUITE_TLS13 = 0,    /* TLS 1.3: forward secrecy always */
    SUITE_AEAD,         /* TLS 1.2 ECDHE/DHE with AEAD */
    SUITE_CBC,          /* TLS 1.2 ECDHE/DHE with CBC: legacy_cbc only */
    SUITE_ANON,         /* anonymous DH with AEAD: level may only */
    SUITE_ANON_CBC,     /* anonymous DH with CBC: may and legacy_cbc */
};

/* Preference order: AES-256 first, ChaCha20 for hosts without AES-NI, ECDHE
 * before DHE, ECDSA before RSA. No CCM-8, no -OLD ChaCha drafts, no NULL, PSK,
 * RC4, 3DES or static RSA: they are simply not in the table. */
static const struct {
    const char *name;
    enum suite_class cls;
} suites[] = {
    { "TLS13-AES256-GCM-SHA384", SUITE_TLS13 },
    { "TLS13-CHACHA20-POLY1305-SHA256", SUITE_TLS13 },
    { "TLS13-AES128-GCM-SHA256", SUITE_TLS13 },
    { "ECDHE-ECDSA-AES256-GCM-SHA384", SUITE_AEAD },
    { "ECDHE-RSA-AES256-GCM-SHA384", SUITE_AEAD },
    { "ECDHE-ECDSA-CHACHA20-POLY1305", SUITE_AEAD },
    { "ECDHE-RSA-CHACHA20-POLY1305", SUITE_AEAD },
    { "ECDHE-ECDSA-AES128-GCM-SHA256", SUITE_AEAD },
    { "ECDHE-RSA-AES128-GCM-SHA256", SUITE_AEAD },
    { "DHE-RSA-AES256-GCM-SHA384", SUITE_AEAD },
    { "DHE-RSA-CHACHA20-POLY1305", SUITE_AEAD },
    { "DHE-RSA-AES128-GCM-SHA256", SUITE_AEAD },
    { "ECDHE-ECDSA-AES256-SHA384", SUITE_CBC },
    { "ECDHE-RSA-AES256-SHA384", SUITE_CBC },
    { "ECDHE-ECDSA-AES128-SHA256", SUITE_CBC },
    { "ECDHE-RSA-AES128-SHA256", SUITE_CBC },
    { "ECDHE-ECDSA-AES256-SHA", SUITE_CBC },
    { "ECDHE-RSA-AES256-SHA", SUITE_CBC },
    { "ECDHE-ECDSA-AES128-SHA", SUITE_CBC },
    { "ECDHE-RSA-AES128-SHA", SUITE_CBC },
    { "DHE-RSA-AES256-SHA256", SUITE_CBC },
    { "DHE-RSA-AES128-SHA256", SUITE_CBC },
    { "DHE-RSA-AES256-SHA", SUITE_CBC },
    { "DHE-RSA-AES128-SHA", SUITE_CBC },
    { "ADH-AES256-GCM-SHA384", SUITE_ANON },
    { "ADH-AES128-SHA", SUITE_ANON_CBC },
};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

/* RFC 7919 ffdhe2048 is the smallest finite-field group we accept */
#define TLS_MIN_DH_BITS 2048

struct tls_ctx {
    WOLFSSL_CTX *ctx;
    unsigned allowed;   /* bit per enum suite_class */
};

struct tls_session {
    WOLFSSL *ssl;
    const struct tls_ctx *ctx;
    char signature[32]; /* recorded by the PK verify callbacks */
    char digest[16];
    int shut;
};

int tls_suite_is_forward_secret(const char *name)
{
    for (size_t i = 0; i < NSUITES; i++)
        if (strcmp(name, suites[i].name) == 0)
            return 1;
    return 0;
}

/* suite_allowed - the name is in the table and its class enabled */
static int suite_allowed(const struct tls_ctx *c, const char *name)
{
    for (size_t i = 0; i < NSUITES; i++)
        if (strcmp(name, suites[i].name) == 0)
            return (c->allowed >> suites[i].cls) & 1u;
    return 0;
}

/* suite_classes - the classes the parameters enable */
static unsigned suite_classes(const struct tls_params *p)
{
    unsigned bits = 0;

    if (p->protocols & TLS_PROTO_TLS13)
        bits |= 1u << SUITE_TLS13;
    if (p->protocols & TLS_PROTO_TLS12) {
        bits |= 1u << SUITE_AEAD;
        if (p->legacy_cbc)
            bits |= 1u << SUITE_CBC;
        if (p->anonymous)
            bits |= 1u << SUITE_ANON;
        if (p->anonymous && p->legacy_cbc)
            bits |= 1u << SUITE_ANON_CBC;
    }
    return bits;
}

/* cipher_list - "a:b:c" of the enabled suites; 0 or -1 if it does not fit */
static int cipher_list(unsigned allowed, char *buf, size_t size)
{
    size_t n = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < NSUITES; i++) {
        size_t len = strlen(suites[i].name);
        if (!((allowed >> suites[i].cls) & 1u))
            continue;
        if (n + len + 2 > size)
            return -1;
        if (n > 0)
            buf[n++] = ':';
        memcpy(buf + n, suites[i].name, len + 1);
        n += len;
    }
    return 0;
}

/* check_expanded - every suite wolfSSL will offer is one we asked for */
static int check_expanded(struct tls_ctx *c, const char **why)
{
    WOLFSSL *ssl = wolfSSL_new(c->ctx);
    WOLF_STACK_OF(WOLFSSL_CIPHER) *sk;
    int n, ok = 1;

    if (ssl == NULL) {
        *why = "cannot create a TLS session to check the cipher list";
        return -1;
    }
    sk = wolfSSL_get_ciphers_compat(ssl);
    n = sk != NULL ? wolfSSL_sk_SSL_CIPHER_num(sk) : 0;
    for (int i = 0; i < n; i++) {
        const char *name = wolfSSL_CIPHER_get_name(wolfSSL_sk_SSL_CIPHER_value(sk, i));
        if (name == NULL || !suite_allowed(c, name))
            ok = 0;
    }
    wolfSSL_free(ssl);
    if (n == 0 || !ok) {
        *why = n == 0 ? "no forward-secret cipher suite is available"
                      : "the expanded cipher list holds a suite without forward secrecy";
        return -1;
    }
    return 0;
}

/* set_protocols - TLS 1.2 minimum; an upper bound when 1.3 is not wanted */
static int set_protocols(WOLFSSL_CTX *ctx, unsigned protocols, const char **why)
{
    int min = (protocols & TLS_PROTO_TLS12) ? WOLFSSL_TLSV1_2 : WOLFSSL_TLSV1_3;

    if ((protocols & (TLS_PROTO_TLS12 | TLS_PROTO_TLS13)) == 0) {
        *why = "no TLS protocol version enabled";
        return -1;
    }
    if (wolfSSL_CTX_SetMinVersion(ctx, min) != WOLFSSL_SUCCESS ||
        (!(protocols & TLS_PROTO_TLS13) &&
         wolfSSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != WOLFSSL_SUCCESS)) {
        *why = "cannot set the TLS protocol versions";
        return -1;
    }
    return 0;
}

/* set_groups - key exchange groups by IANA id (wolfSSL uses the same ids) */
static int set_groups(WOLFSSL_CTX *ctx, const struct tls_params *p, const char **why)
{
    static const uint16_t fallback[] = { 29, 23, 24, 256 };
    const uint16_t *g = p->ngroups ? p->groups : fallback;
    size_t n = p->ngroups ? p->ngroups : sizeof(fallback) / sizeof(fallback[0]);
    int ids[32];

    if (n > sizeof(ids) / sizeof(ids[0])) {
        *why = "too many key exchange groups";
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        ids[i] = g[i];
    if (wolfSSL_CTX_set_groups(ctx, ids, (int)n) != WOLFSSL_SUCCESS) {
        *why = "key exchange group list rejected by wolfSSL";
        return -1;
    }
    return 0;
}

static int ecc_verify_cb(WOLFSSL *, const unsigned char *, unsigned int,
                         const unsigned char *, unsigned int,
                         const unsigned char *, unsigned int, int *, void *);
static int rsa_verify_cb(WOLFSSL *, unsigned char *, unsigned int,
                         unsigned char **, const unsigned char *, unsigned int,
                         void *);
static int rsapss_verify_cb(WOLFSSL *, unsigned char *, unsigned int,
                            unsigned char **, int, int, const unsigned char *,
                            unsigned int, void *);
static int ed25519_verify_cb(WOLFSSL *, const unsigned char *, unsigned int,
                             const unsigned char *, unsigned int,
                             const unsigned char *, unsigned int, int *, void *);

/* configure - everything but the check of the expanded list */
static int configure(struct tls_ctx *c, const struct tls_params *p, const char **why)
{
    char list[1024];

    if (set_protocols(c->ctx, p->protocols, why) != 0 || set_groups(c->ctx, p, why) != 0)
        return -1;
    if (cipher_list(c->allowed, list, sizeof(list)) != 0 ||
        wolfSSL_CTX_set_cipher_list(c->ctx, list) != WOLFSSL_SUCCESS) {
        *why = "cipher list rejected by wolfSSL";
        return -1;
    }
    if (p->anonymous && wolfSSL_CTX_allow_anon_cipher(c->ctx) != WOLFSSL_SUCCESS) {
        *why = "cannot enable anonymous cipher suites";
        return -1;
    }
    /* RFC 5077: TLS 1.2 sessions resume from tickets (session_cache.h) */
    if (wolfSSL_CTX_UseSessionTicket(c->ctx) != WOLFSSL_SUCCESS) {
        *why = "cannot enable TLS session tickets";
        return -1;
    }
    if (wolfSSL_CTX_SetMinDhKey_Sz(c->ctx, TLS_MIN_DH_BITS) != WOLFSSL_SUCCESS) {
        *why = "cannot set the minimum DH size";
        return -1;
    }
    /* verification is the caller's (dane/verify); we only collect the chain */
    wolfSSL_CTX_set_verify(c->ctx, WOLFSSL_VERIFY_NONE, NULL);
    wolfSSL_CTX_SetEccVerifyCb(c->ctx, ecc_verify_cb);
    wolfSSL_CTX_SetRsaVerifyCb(c->ctx, rsa_verify_cb);
    wolfSSL_CTX_SetRsaPssVerifyCb(c->ctx, rsapss_verify_cb);
    wolfSSL_CTX_SetEd25519VerifyCb(c->ctx, ed25519_verify_cb);
    return 0;
}

struct tls_ctx *tls_ctx_new(const struct tls_params *p, const char **why)
{
    struct tls_ctx *c;

    if (wolfSSL_Init() != WOLFSSL_SUCCESS) {
        *why = "wolfSSL initialisation failed";
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        *why = "out of memory";
        wolfSSL_Cleanup();
        return NULL;
    }
    c->allowed = suite_classes(p);
    c->ctx = wolfSSL_CTX_new(wolfTLS_client_method());
    if (c->ctx == NULL) {
        *why = "cannot create a TLS context";
        tls_ctx_free(c);
        return NULL;
    }
    if (configure(c, p, why) != 0 || check_expanded(c, why) != 0) {
        tls_ctx_free(c);
        return NULL;
    }
    return c;
}

void tls_ctx_free(struct tls_ctx *c)
{
    if (c == NULL)
        return;
    wolfSSL_CTX_free(c->ctx);
    free(c);
    wolfSSL_Cleanup();  /* balances the wolfSSL_Init() of tls_ctx_new */
}

/* is_ip_literal - RFC 6066 §3: literal IPv4 and IPv6 addresses are not
 * permitted in SNI */
static int is_ip_literal(const char *name)
{
    unsigned char buf[16];

    return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

struct tls_session *tls_session_new(struct tls_ctx *ctx, int fd,
                                    const char *sni, const char **why)
{
    struct tls_session *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        *why = "out of memory";
        return NULL;
    }
    s->ctx = ctx;
    s->ssl = wolfSSL_new(ctx->ctx);
    if (s->ssl == NULL || wolfSSL_set_fd(s->ssl, fd) != WOLFSSL_SUCCESS) {
        *why = "cannot create a TLS session";
        tls_session_free(s);
        return NULL;
    }
    if (sni != NULL && sni[0] != '\0' && !is_ip_literal(sni) &&
        (strlen(sni) > 255 ||
         wolfSSL_UseSNI(s->ssl, WOLFSSL_SNI_HOST_NAME, sni,
                        (unsigned short)strlen(sni)) != WOLFSSL_SUCCESS)) {
        *why = "cannot set the TLS server name (SNI)";
        tls_session_free(s);
        return NULL;
    }
    wolfSSL_SetEccVerifyCtx(s->ssl, s);
    wolfSSL_SetRsaVerifyCtx(s->ssl, s);
    wolfSSL_SetRsaPssVerifyCtx(s->ssl, s);
    wolfSSL_SetEd25519VerifyCtx(s->ssl, s);
    return s;
}

void tls_session_free(struct tls_session *s)
{
    if (s == NULL)
        return;
    wolfSSL_free(s->ssl);
    free(s);
}

/* io_result - map a wolfSSL return and error to our result */
static enum tls_io io_result(struct tls_session *s, int ret, const char **why,
                             const char *what)
{
    int err = wolfSSL_get_error(s->ssl, ret);

    switch (err) {
    case WOLFSSL_ERROR_WANT_READ:
        return TLS_IO_WANT_READ;
    case WOLFSSL_ERROR_WANT_WRITE:
        return TLS_IO_WANT_WRITE;
    case WOLFSSL_ERROR_ZERO_RETURN:
        return TLS_IO_CLOSED;
    case SOCKET_PEER_CLOSED_E:
    case SOCKET_ERROR_E:
        if (ret == 0 || err == SOCKET_PEER_CLOSED_E)
            return TLS_IO_CLOSED;
        *why = what;
        return TLS_IO_ERROR;
    default:
        *why = what;
        return TLS_IO_ERROR;
    }
}

/* alert_reason - the fatal alert the server sent during the handshake
 * (RFC 8446 §6.2) */
static const char *alert_reason(struct tls_session *s)
{
    WOLFSSL_ALERT_HISTORY h;

    if (wolfSSL_get_alert_history(s->ssl, &h) != WOLFSSL_SUCCESS)
        return "TLS handshake failed: fatal alert from the server";
    switch (h.last_rx.code) {
    case 40:
        return "TLS handshake failed: server alert handshake_failure "
               "(no common forward-secret cipher suite?)";
    case 70:
        return "TLS handshake failed: server alert protocol_version";
    case 71:
        return "TLS handshake failed: server alert insufficient_security";
    case 112:
        return "TLS handshake failed: server alert unrecognized_name (SNI)";
    default:
        return "TLS handshake failed: fatal alert from the server";
    }
}

enum tls_io tls_handshake_step(struct tls_session *s, const char **why)
{
    int ret = wolfSSL_connect(s->ssl);

    if (ret == WOLFSSL_SUCCESS)
        return TLS_IO_DONE;
    switch (wolfSSL_get_error(s->ssl, ret)) {
    case WOLFSSL_ERROR_WANT_READ:
        return TLS_IO_WANT_READ;
    case WOLFSSL_ERROR_WANT_WRITE:
        return TLS_IO_WANT_WRITE;
    case MATCH_SUITE_ERROR:
    case VERSION_ERROR:
        *why = "TLS handshake failed: no common protocol version or forward-secret cipher suite";
        return TLS_IO_ERROR;
    case DH_KEY_SIZE_E:
        *why = "TLS handshake failed: server DH group smaller than 2048 bits";
        return TLS_IO_ERROR;
    case SOCKET_PEER_CLOSED_E:
    case SOCKET_ERROR_E:
        *why = "TLS handshake failed: connection closed by the server";
        return TLS_IO_ERROR;
    case FATAL_ERROR:
        *why = alert_reason(s);
        return TLS_IO_ERROR;
    default:
        *why = "TLS handshake failed";
        return TLS_IO_ERROR;
    }
}

int tls_session_check(struct tls_session *s, const char **why)
{
    const char *name = wolfSSL_get_cipher_name(s->ssl);

    if (wolfSSL_version(s->ssl) < TLS1_2_VERSION) {
        *why = "TLS protocol version below TLSv1.2 negotiated";
        return -1;
    }
    if (name == NULL || !suite_allowed(s->ctx, name)) {
        *why = "negotiated cipher suite without forward secrecy";
        return -1;
    }
    /* RFC 8446 §4.2.9: psk_ke resumes without a key share */
    if (wolfSSL_session_reused(s->ssl) == 1 && wolfSSL_version(s->ssl) >= TLS1_3_VERSION &&
        wolfSSL_get_curve_name(s->ssl) == NULL && wolfSSL_GetDhKey_Sz(s->ssl) <= 0) {
        *why = "TLS session resumed without an (EC)DHE key exchange";
        return -1;
    }
    return 0;
}

/* peer_chain_count - certificates the server presented (0: anonymous) */
static int peer_chain_count(struct tls_session *s)
{
    WOLFSSL_X509_CHAIN *chain = wolfSSL_get_peer_chain(s->ssl);

    return chain != NULL ? wolfSSL_get_chain_count(chain) : 0;
}

/* key_exchange - Postfix's spelling: X25519, X448, ECDHE (P-256), DHE (n bits) */
static void key_exchange(struct tls_session *s, char *out, size_t size)
{
    static const struct {
        const char *wolf;
        const char *shown;
    } names[] = {
        { "X25519", "X25519" }, { "X448", "X448" },
        { "SECP256R1", "ECDHE (P-256)" }, { "SECP384R1", "ECDHE (P-384)" },
        { "SECP521R1", "ECDHE (P-521)" },
        { "FFDHE_2048", "DHE (2048 bits)" }, { "FFDHE_3072", "DHE (3072 bits)" },
        { "FFDHE_4096", "DHE (4096 bits)" },
    };
    const char *curve = wolfSSL_get_curve_name(s->ssl);
    int dh;

    out[0] = '\0';
    if (curve != NULL) {
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            if (strcmp(curve, names[i].wolf) == 0) {
                snprintf(out, size, "%s", names[i].shown);
                return;
            }
        }
        snprintf(out, size, "ECDHE (%s)", curve);
        return;
    }
    dh = wolfSSL_GetDhKey_Sz(s->ssl);
    if (dh > 0)
        snprintf(out, size, "DHE (%d bits)", dh);
}

void tls_session_facts(struct tls_session *s, struct tls_facts *f)
{
    const char *v = wolfSSL_get_version(s->ssl);
    int suite = wolfSSL_get_current_cipher_suite(s->ssl);
    const char *iana = wolfSSL_get_cipher_name_iana_from_suite(
        (unsigned char)((suite >> 8) & 0xff), (unsigned char)(suite & 0xff));

    memset(f, 0, sizeof(*f));
    snprintf(f->protocol, sizeof(f->protocol), "%s", v != NULL ? v : "");
    snprintf(f->cipher, sizeof(f->cipher), "%s", iana != NULL ? iana : "");
    f->bits = wolfSSL_CIPHER_get_bits(wolfSSL_get_current_cipher(s->ssl), NULL);
    key_exchange(s, f->key_exchange, sizeof(f->key_exchange));
    snprintf(f->server_signature, sizeof(f->server_signature), "%s", s->signature);
    snprintf(f->server_digest, sizeof(f->server_digest), "%s", s->digest);
    f->resumed = wolfSSL_session_reused(s->ssl) == 1;
    f->anonymous = peer_chain_count(s) == 0;
}

int tls_session_chain(struct tls_session *s, struct dane_chain *chain,
                      const char **why)
{
    WOLFSSL_X509_CHAIN *peer = wolfSSL_get_peer_chain(s->ssl);
    int n = peer != NULL ? wolfSSL_get_chain_count(peer) : 0;

    for (int i = 0; i < n; i++) {
        const unsigned char *der = wolfSSL_get_chain_cert(peer, i);
        int len = wolfSSL_get_chain_length(peer, i);
        if (der == NULL || len <= 0) {
            *why = "cannot read the server certificate chain";
            return -1;
        }
        if (dane_chain_add_der(chain, der, (size_t)len, why) != 0)
            return -1;
    }
    return 0;
}

enum tls_io tls_read_step(struct tls_session *s, uint8_t *buf, size_t cap,
                          size_t *n, const char **why)
{
    int ret = wolfSSL_read(s->ssl, buf, cap > 16384 ? 16384 : (int)cap);

    *n = 0;
    if (ret > 0) {
        *n = (size_t)ret;
        return TLS_IO_DONE;
    }
    return io_result(s, ret, why, "TLS read error");
}

enum tls_io tls_write_step(struct tls_session *s, const uint8_t *buf,
                           size_t len, size_t *n, const char **why)
{
    int ret = wolfSSL_write(s->ssl, buf, len > 16384 ? 16384 : (int)len);

    *n = 0;
    if (ret > 0) {
        *n = (size_t)ret;
        return TLS_IO_DONE;
    }
    return io_result(s, ret, why, "TLS write error");
}

int tls_session_offer(struct tls_session *s, const uint8_t *der, size_t len,
                      const char **why)
{
    const unsigned char *p = der;
    WOLFSSL_SESSION *sess;
    int rc;

    if (len == 0 || len > 65536) {
        *why = "cached TLS session has a bad size";
        return -1;
    }
    sess = wolfSSL_d2i_SSL_SESSION(NULL, &p, (long)len);
    if (sess == NULL || p != der + len) {
        wolfSSL_SESSION_free(sess);
        *why = "cached TLS session is unreadable";
        return -1;
    }
    rc = wolfSSL_set_session(s->ssl, sess);     /* copies the session */
    wolfSSL_SESSION_free(sess);
    if (rc != WOLFSSL_SUCCESS) {
        *why = "cached TLS session refused (expired or unusable)";
        return -1;
    }
    return 0;
}

/* session_lifetime - how long the server lets the session be resumed */
static unsigned session_lifetime(WOLFSSL_SESSION *sess)
{
    unsigned long hint = wolfSSL_SESSION_get_ticket_lifetime_hint(sess);
    long timeout = wolfSSL_SESSION_get_timeout(sess);

    if (hint > 0)   /* RFC 8446 §4.6.1: ticket_lifetime, at most 7 days */
        return hint > 604800ul ? 604800u : (unsigned)hint;
    return timeout > 0 && timeout <= 604800 ? (unsigned)timeout : 0;
}

int tls_session_export(struct tls_session *s, uint8_t *buf, size_t cap,
                       size_t *len, unsigned *lifetime, const char **why)
{
    WOLFSSL_SESSION *sess = wolfSSL_get1_session(s->ssl);
    unsigned char *p = buf;
    int n;

    *len = 0;
    *lifetime = 0;
    if (sess == NULL)
        return 0;
    if (wolfSSL_SESSION_is_resumable(sess) != 1) {
        wolfSSL_SESSION_free(sess);
        return 0;
    }
    n = wolfSSL_i2d_SSL_SESSION(sess, NULL);
    if (n <= 0 || (size_t)n > cap || wolfSSL_i2d_SSL_SESSION(sess, &p) != n) {
        wolfSSL_SESSION_free(sess);
        *why = n <= 0 ? "cannot serialize the TLS session"
                      : "serialized TLS session too large";
        return -1;
    }
    *len = (size_t)n;
    *lifetime = session_lifetime(sess);
    wolfSSL_SESSION_free(sess);
    return 1;
}

size_t tls_pending(struct tls_session *s)
{
    int n = wolfSSL_pending(s->ssl);

    return n > 0 ? (size_t)n : 0;
}

void tls_session_shutdown(struct tls_session *s)
{
    if (s->shut)
        return;
    s->shut = 1;
    (void)wolfSSL_shutdown(s->ssl);
}

/* ---- PK verify callbacks: record the server signature, verify for real ---- */

/* digest_by_size - the digest of a hash of this length */
static const char *digest_by_size(unsigned int size)
{
    switch (size) {
    case 20: return "SHA1";
    case 28: return "SHA224";
    case 32: return "SHA256";
    case 48: return "SHA384";
    case 64: return "SHA512";
    default: return "";
    }
}

static void record(struct tls_session *s, const char *sig, const char *digest)
{
    snprintf(s->signature, sizeof(s->signature), "%s", sig);
    snprintf(s->digest, sizeof(s->digest), "%s", digest);
}

static int ecc_verify_cb(WOLFSSL *ssl, const unsigned char *sig, unsigned int sigSz,
                         const unsigned char *hash, unsigned int hashSz,
                         const unsigned char *keyDer, unsigned int keySz,
                         int *result, void *ctx)
{
    struct tls_session *s = ctx;
    ecc_key key;
    word32 idx = 0;
    int ret;

    (void)ssl;
    *result = 0;
    if (wc_ecc_init(&key) != 0)
        return -1;
    ret = wc_EccPublicKeyDecode(keyDer, &idx, &key, keySz);
    if (ret == 0)
        ret = wc_ecc_verify_hash(sig, sigSz, hash, hashSz, result, &key);
    if (ret == 0 && *result == 1 && s != NULL) {
        int id = wc_ecc_get_curve_id(key.idx);
        record(s, id == ECC_SECP256R1 ? "ECDSA (P-256)"
                : id == ECC_SECP384R1 ? "ECDSA (P-384)"
                : id == ECC_SECP521R1 ? "ECDSA (P-521)" : "ECDSA",
               digest_by_size(hashSz));
    }
    wc_ecc_free(&key);
    return ret;
}

/* rsa_bits - "RSA (2048 bits)" style name */
static void rsa_name(struct tls_session *s, const char *alg, RsaKey *key,
                     const char *digest)
{
    char name[32];

    snprintf(name, sizeof(name), "%s (%d bits)", alg, wc_RsaEncryptSize(key) * 8);
    record(s, name, digest);
}

/* rsa_key - decode the peer's RSA public key */
static int rsa_key(RsaKey *key, const unsigned char *der, unsigned int len)
{
    word32 idx = 0;

    if (wc_InitRsaKey(key, NULL) != 0)
        return -1;
    if (wc_RsaPublicKeyDecode(der, &idx, key, len) != 0) {
        wc_FreeRsaKey(key);
        return -1;
    }
    return 0;
}

/* TLS 1.2 RSA PKCS#1 v1.5: the output is a DigestInfo; its length names the
 * digest (RFC 8017 §9.2 note 1) */
static int rsa_verify_cb(WOLFSSL *ssl, unsigned char *sig, unsigned int sigSz,
                         unsigned char **out, const unsigned char *keyDer,
                         unsigned int keySz, void *ctx)
{
    struct tls_session *s = ctx;
    RsaKey key;
    int ret;

    (void)ssl;
    if (rsa_key(&key, keyDer, keySz) != 0)
        return -1;
    ret = wc_RsaSSL_VerifyInline(sig, sigSz, out, &key);
    if (ret > 0 && s != NULL)
        rsa_name(s, "RSA", &key, ret == 35 ? "SHA1" : ret == 51 ? "SHA256"
                                : ret == 67 ? "SHA384" : ret == 83 ? "SHA512" : "");
    wc_FreeRsaKey(&key);
    return ret;
}

static int rsapss_verify_cb(WOLFSSL *ssl, unsigned char *sig, unsigned int sigSz,
                            unsigned char **out, int hash, int mgf,
                            const unsigned char *keyDer, unsigned int keySz,
                            void *ctx)
{
    struct tls_session *s = ctx;
    enum wc_HashType type = wc_OidGetHash(hash);   /* hash is an OID sum */
    RsaKey key;
    int ret;

    (void)ssl;
    if (rsa_key(&key, keyDer, keySz) != 0)
        return -1;
    ret = wc_RsaPSS_VerifyInline(sig, sigSz, out, type, mgf, &key);
    if (ret > 0 && s != NULL) {
        int dsize = wc_HashGetDigestSize(type);
        rsa_name(s, "RSA-PSS", &key, digest_by_size(dsize > 0 ? (unsigned)dsize : 0));
    }
    wc_FreeRsaKey(&key);
    return ret;
}

static int ed25519_verify_cb(WOLFSSL *ssl, const unsigned char *sig,
                             unsigned int sigSz, const unsigned char *msg,
                             unsigned int msgSz, const unsigned char *keyDer,
                             unsigned int keySz, int *result, void *ctx)
{
    struct tls_session *s = ctx;
    ed25519_key key;
    word32 idx = 0;
    int ret;

    (void)ssl;
    *result = 0;
    if (wc_ed25519_init(&key) != 0)
        return -1;
    if (keySz == ED25519_PUB_KEY_SIZE)
        ret = wc_ed25519_import_public(keyDer, keySz, &key);
    else
        ret = wc_Ed25519PublicKeyDecode(keyDer, &idx, &key, keySz);
    if (ret == 0)
        ret = wc_ed25519_verify_msg(sig, sigSz, msg, msgSz, result, &key);
    if (ret == 0 && *result == 1 && s != NULL)
        record(s, "ED25519", "");   /* no separate digest (FORWARD_SECRECY_README) */
    wc_ed25519_free(&key);
    return ret;
}
