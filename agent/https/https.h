/* https.h - one HTTPS GET or POST with PKIX validation, for MTA-STS policy
 *           fetches (RFC 8461 §3.3) and TLSRPT report uploads (RFC 8460
 *           §3): transfers only, no policy
 *
 * https_get() fetches one https:// URL with libcurl: server certificate
 * validated against the given CA file or the system store (RFC 8461 §3.3
 * demands PKIX, RFC 6125 names), SNI sent, TLS 1.2 or later, https as the
 * only protocol, no redirects followed (any 3xx is HTTPS_HTTP_STATUS), no
 * proxy from the environment, no cookies, no .netrc, no compression asked
 * for. The body is accepted only from a 200 whose Content-Type has the
 * required media type (compared case-insensitively; parameters such as
 * charset are allowed, RFC 9110 §8.3.1) and only up to max_bytes: the
 * transfer stops as soon as the Content-Length or the bytes received pass
 * the cap. The status code and Content-Type are checked when the header
 * ends, so a wrong answer that then stalls does not hold the caller until
 * its deadline.
 *
 * https_post() sends a body with its Content-Type under the same rules and
 * succeeds on any 2xx answer (RFC 8460 §3: the report was accepted); the
 * answer's body is kept up to max_bytes, whatever its type.
 *
 * Addresses: libcurl never resolves a name here. The caller resolves the
 * URL's host itself (through the agent's own resolver and its upstreams,
 * agent/dns) and passes the addresses; https_get() pins the host and port of
 * the URL to them (CURLOPT_RESOLVE), so no query leaves through the system
 * resolver and what the caller looked up is what is connected to. The URL
 * must therefore name its host by an ASCII name (an A-label, not a U-label),
 * not by an address literal.
 *
 * Time: deadline_ms is absolute on clock_now_ms()'s clock (clock.h); the
 * whole fetch (connect, handshake, transfer) ends by then. A deadline
 * already passed is HTTPS_TIMEOUT without any connection.
 *
 * Library: libcurl (Debian's OpenSSL flavour) is opened with dlopen(3) on
 * the first call, as libgetdns is (agent/dns), so a process that fetches
 * nothing never maps it; it needs libcurl 7.85 or later.
 *
 * Ownership: the request and its strings are borrowed for the call. On
 * HTTPS_OK, out->body is owned by the caller (https_response_free); on any
 * other status it is NULL. Errors: every status but HTTPS_OK writes a
 * reason into why (truncated to whysize, always NUL-terminated), libcurl's
 * own words where it has them ("SSL certificate problem: certificate has
 * expired"). Not thread-safe: the first call initialises libcurl.
 *
 * Folder agent/https: HTTPS fetches over libcurl; may use util.
 */
#ifndef DANE_AGENT_HTTPS_H
#define DANE_AGENT_HTTPS_H

#include <stddef.h>
#include <stdint.h>

enum https_status {
    HTTPS_OK = 0,           /* 200, the media type required, body within the cap */
    HTTPS_LIBRARY,          /* libcurl (7.85 or later) cannot be loaded */
    HTTPS_CONNECT,          /* no TCP connection to any of the addresses */
    HTTPS_TLS,              /* the handshake or the certificate failed (RFC 8460
                             * §4.3.2.2 sts-webpki-invalid) */
    HTTPS_TIMEOUT,          /* the deadline passed first (or had already) */
    HTTPS_HTTP_STATUS,      /* an answer other than 200, 3xx included */
    HTTPS_CONTENT_TYPE,     /* a 200 without the required media type */
    HTTPS_TOO_BIG,          /* a 200 whose body is longer than max_bytes */
    HTTPS_OTHER,            /* anything else: a request refused before any
                             * connection (not https, bad address), a broken
                             * transfer, out of memory */
};

struct https_request {
    const char *url;                 /* https://host[:port]/path, host a name */
    const char *const *addresses;    /* the host's numeric IPv4/IPv6 addresses,
                                      * NULL-terminated, at least one; tried in
                                      * order (and both families, RFC 8305) */
    const char *ca_file;             /* PEM trust anchors; NULL: the system store */
    uint64_t deadline_ms;            /* clock_now_ms() time; UINT64_MAX: none */
    size_t max_bytes;                /* the longest body accepted */
    const char *content_type;        /* required media type, e.g. "text/plain";
                                      * NULL: any */
    const void *post_body;           /* https_post(): the body sent, borrowed */
    size_t post_len;
    const char *post_type;           /* https_post(): its Content-Type */
};

struct https_response {
    long status;            /* the HTTP status code; 0 when none arrived */
    char *body;             /* HTTPS_OK only: owned, NUL-terminated (not counted) */
    size_t len;             /* bytes of body */
};

/* https_get - GET req->url as above; *out always set, body on HTTPS_OK only */
enum https_status https_get(const struct https_request *req, struct https_response *out,
                            char *why, size_t whysize);

/* https_post - POST req->post_body (post_len bytes, Content-Type
 * req->post_type) to req->url; HTTPS_OK on a 2xx, the answer's body (any
 * type, up to max_bytes) in *out */
enum https_status https_post(const struct https_request *req, struct https_response *out,
                             char *why, size_t whysize);

/* https_response_free - free out->body and clear *out; NULL is a no-op */
void https_response_free(struct https_response *out);

#endif
