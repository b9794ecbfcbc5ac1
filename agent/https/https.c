/* https.c - one HTTPS GET or POST over libcurl (https.h)
 *
 * One easy handle per call, configured from two fixed tables (what every
 * fetch forbids or demands) and the request (URL, addresses, trust anchors,
 * time left, cap). The header callback refuses a final answer that is not a
 * 200 of the required media type as soon as its header ends; the write
 * callback keeps the body and refuses the byte that passes the cap. The
 * status is decided afterwards from the HTTP status code, the Content-Type
 * and the CURLcode, in that order: a wrong answer is reported as such even
 * when the transfer was then stopped.
 */
#include "https.h"

#include <arpa/inet.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "curl_lib.h"

#define HTTPS_BODY_CHUNK 4096u          /* first size of the body buffer */
#define HTTPS_RESOLVE_MAX 2048u         /* "host:port:addr,addr,..." */

/* What every fetch sets to a number. */
static const struct {
    CURLoption option;
    long value;
} long_options[] = {
    { CURLOPT_NOSIGNAL, 1L },                   /* no SIGALRM, no SIGPIPE */
    { CURLOPT_FOLLOWLOCATION, 0L },             /* RFC 8461 §3.3: no redirects */
    { CURLOPT_SSL_VERIFYPEER, 1L },
    { CURLOPT_SSL_VERIFYHOST, 2L },             /* the URL's host in the certificate */
    { CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2 },     /* or later */
    { CURLOPT_NETRC, (long)CURL_NETRC_IGNORED },
};

/* What every fetch sets to a string. */
static const struct {
    CURLoption option;
    const char *value;
} string_options[] = {
    { CURLOPT_PROTOCOLS_STR, "https" },
    { CURLOPT_REDIR_PROTOCOLS_STR, "https" },
    { CURLOPT_PROXY, "" },                      /* none, whatever the environment says */
    { CURLOPT_USERAGENT, "dane-agent/" DANE_AGENT_VERSION },
};

/* One fetch: the request, the handle and the body as it arrives. */
struct fetch {
    const struct curl_lib *lib;
    const struct https_request *req;
    CURL *easy;
    CURLU *url;
    struct curl_slist *resolve;
    struct curl_slist *headers;     /* POST: its Content-Type */
    long code;                  /* the HTTP status code, 0 before any */
    int header_done;            /* a final answer's header has ended */
    char *body;
    size_t len, cap;
    int too_big;                /* the body passed req->max_bytes */
    char error[CURL_ERROR_SIZE];
};

/* say - the reason into why, formatted and truncated */
__attribute__((format(printf, 3, 4)))
static void say(char *why, size_t whysize, const char *fmt, ...)
{
    va_list ap;

    if (whysize == 0)
        return;
    va_start(ap, fmt);
    (void)vsnprintf(why, whysize, fmt, ap);
    va_end(ap);
}

/* media_type_is - value's media type (before any parameter) is want,
 * compared case-insensitively (RFC 9110 §8.3.1) */
static int media_type_is(const char *value, const char *want)
{
    size_t n = strlen(want);

    if (value == NULL)
        return 0;
    value += strspn(value, " \t");
    if (strncasecmp(value, want, n) != 0)
        return 0;
    value += n;
    value += strspn(value, " \t");
    return *value == '\0' || *value == ';';
}

/* code_acceptable - a GET wants 200, a POST any 2xx */
static int code_acceptable(const struct fetch *f, long code)
{
    return f->req->post_body != NULL ? code >= 200 && code <= 299 : code == 200;
}

/* answer_acceptable - the status code wanted and the media type the one required */
static int answer_acceptable(const struct fetch *f)
{
    long code = 0;
    char *type = NULL;

    f->lib->easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &code);
    f->lib->easy_getinfo(f->easy, CURLINFO_CONTENT_TYPE, &type);
    return code_acceptable(f, code)
           && (f->req->content_type == NULL || media_type_is(type, f->req->content_type));
}

/* on_header - libcurl's header callback: at the end of a final answer's
 * header, stop unless that answer is acceptable */
static size_t on_header(char *line, size_t size, size_t n, void *arg)
{
    struct fetch *f = arg;
    size_t len = size * n;
    long code = 0;

    if (!(len == 2 && line[0] == '\r') && !(len == 1 && line[0] == '\n'))
        return len;
    f->lib->easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &code);
    if (code < 200)
        return len;                 /* an interim 1xx: another header follows */
    f->header_done = 1;
    return answer_acceptable(f) ? len : 0;
}

/* on_body - libcurl's write callback: append, or stop at the cap */
static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    struct fetch *f = arg;
    size_t len = size * n;

    if (len > f->req->max_bytes - f->len) {
        f->too_big = 1;
        return 0;
    }
    if (f->len + len + 1 > f->cap) {
        size_t cap = f->cap ? f->cap : HTTPS_BODY_CHUNK;
        char *grown;

        while (cap < f->len + len + 1)
            cap *= 2;
        grown = realloc(f->body, cap);
        if (grown == NULL)
            return 0;
        f->body = grown;
        f->cap = cap;
    }
    memcpy(f->body + f->len, data, len);
    f->len += len;
    f->body[f->len] = '\0';
    return len;
}

/* host_is_name - an ASCII host name (letters, digits, hyphens, dots), not an
 * IPv4 literal: the only hosts an address list can be pinned to */
static int host_is_name(const char *host)
{
    struct in_addr v4;

    return host[0] != '\0'
           && strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                           "0123456789-.") == strlen(host)
           && inet_pton(AF_INET, host, &v4) != 1;
}

/* add_address - append ",addr" ("[addr]" for IPv6) to the entry at *used */
static int add_address(char *entry, size_t *used, const char *addr)
{
    unsigned char bin[sizeof(struct in6_addr)];
    int v6 = inet_pton(AF_INET6, addr, bin) == 1;
    int n;

    if (!v6 && inet_pton(AF_INET, addr, bin) != 1)
        return -1;
    n = snprintf(entry + *used, HTTPS_RESOLVE_MAX - *used, "%s%s%s%s",
                 entry[*used - 1] == ':' ? "" : ",", v6 ? "[" : "", addr, v6 ? "]" : "");
    if (n < 0 || (size_t)n >= HTTPS_RESOLVE_MAX - *used)
        return -1;
    *used += (size_t)n;
    return 0;
}

/* pin_addresses - the CURLOPT_RESOLVE list "host:port:addr,..." for the
 * parsed URL; 0, or -1 with why */
static int pin_addresses(struct fetch *f, const char *host, const char *port,
                         char *why, size_t whysize)
{
    const char *const *addr = f->req->addresses;
    char entry[HTTPS_RESOLVE_MAX];
    size_t used;
    int n = snprintf(entry, sizeof entry, "%s:%s:", host, port);

    if (n < 0 || (size_t)n >= sizeof entry || addr == NULL || *addr == NULL) {
        say(why, whysize, "no address for %s", host);
        return -1;
    }
    used = (size_t)n;
    for (; *addr != NULL; addr++) {
        if (add_address(entry, &used, *addr) != 0) {
            say(why, whysize, "not a numeric address (or too many): %s", *addr);
            return -1;
        }
    }
    f->resolve = f->lib->slist_append(NULL, entry);
    if (f->resolve == NULL) {
        say(why, whysize, "out of memory");
        return -1;
    }
    return 0;
}

/* parse_url - parse req->url with libcurl's own parser (the one that will
 * connect), require https and a host name, pin it; 0, or -1 with why */
static int parse_url(struct fetch *f, char *why, size_t whysize)
{
    const struct curl_lib *lib = f->lib;
    char *scheme = NULL, *host = NULL, *port = NULL;
    int rc = -1;

    f->url = lib->url();
    if (f->url == NULL)
        say(why, whysize, "out of memory");
    else if (lib->url_set(f->url, CURLUPART_URL, f->req->url, 0) != CURLUE_OK
             || lib->url_get(f->url, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK
             || lib->url_get(f->url, CURLUPART_HOST, &host, 0) != CURLUE_OK
             || lib->url_get(f->url, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK)
        say(why, whysize, "not a URL: %s", f->req->url);
    else if (strcmp(scheme, "https") != 0)
        say(why, whysize, "not an https URL: %s", f->req->url);
    else if (!host_is_name(host))
        say(why, whysize, "the URL's host is not an ASCII host name: %s", host);
    else
        rc = pin_addresses(f, host, port, why, whysize);
    lib->free(scheme);
    lib->free(host);
    lib->free(port);
    return rc;
}

/* time_left - milliseconds until deadline for CURLOPT_TIMEOUT_MS (0: no
 * deadline), or -1 when it has passed */
static long time_left(uint64_t deadline)
{
    uint64_t now = clock_now_ms();

    if (deadline == UINT64_MAX)
        return 0;
    if (deadline <= now)
        return -1;
    return deadline - now > (uint64_t)LONG_MAX ? LONG_MAX : (long)(deadline - now);
}

/* configure_post - the body and its Content-Type; no "Expect: 100-continue"
 * round trip for a report of a few kilobytes */
static CURLcode configure_post(struct fetch *f)
{
    const struct curl_lib *lib = f->lib;
    char type[256];
    CURLcode rc;

    snprintf(type, sizeof type, "Content-Type: %s", f->req->post_type);
    f->headers = lib->slist_append(NULL, type);
    if (f->headers != NULL)
        f->headers = lib->slist_append(f->headers, "Expect:");
    if (f->headers == NULL)
        return CURLE_OUT_OF_MEMORY;
    rc = lib->easy_setopt(f->easy, CURLOPT_POST, 1L);
    if (rc == CURLE_OK)
        rc = lib->easy_setopt(f->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)f->req->post_len);
    if (rc == CURLE_OK)
        rc = lib->easy_setopt(f->easy, CURLOPT_POSTFIELDS, f->req->post_body);
    if (rc == CURLE_OK)
        rc = lib->easy_setopt(f->easy, CURLOPT_HTTPHEADER, f->headers);
    return rc;
}

/* configure - every option of the handle; the first failure, or CURLE_OK */
static CURLcode configure(struct fetch *f, long timeout)
{
    const struct curl_lib *lib = f->lib;
    CURLcode rc = CURLE_OK;

    for (size_t i = 0; rc == CURLE_OK && i < sizeof long_options / sizeof long_options[0]; i++)
        rc = lib->easy_setopt(f->easy, long_options[i].option, long_options[i].value);
    for (size_t i = 0; rc == CURLE_OK && i < sizeof string_options / sizeof string_options[0]; i++)
        rc = lib->easy_setopt(f->easy, string_options[i].option, string_options[i].value);
    if (rc == CURLE_OK)
        rc = lib->easy_setopt(f->easy, CURLOPT_ERRORBUFFER, f->error);
    if (rc == CURLE_OK)
        rc = lib->easy_setopt(f->easy, CURLOPT_CURLU, f->url);
    if (rc == CURLE_OK)
        rc = lib->easy_setopt(f->easy, CURLOPT_RESOLVE, f->resolve);
    if (rc == CURLE_OK)
        rc = lib->easy_setopt(f->easy, CURLOPT_TIMEOUT_MS, timeout);
    if (rc == CURLE_OK)
        rc = lib->easy_setopt(f->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->req->max_bytes);
    if (rc == CURLE_OK && f->req->ca_file != NULL)
        rc = lib->easy_setopt(f->easy, CURLOPT_CAINFO, f->req->ca_file);
    if (rc == CURLE_OK && f->req->ca_file != NULL)   /* that file only, not the system's */
        rc = lib->easy_setopt(f->easy, CURLOPT_CAPATH, (char *)NULL);
    if (rc == CURLE_OK)
        rc = lib->easy_setopt(f->easy, CURLOPT_HEADERFUNCTION, on_header);
    if (rc == CURLE_OK)
        rc = lib->easy_setopt(f->easy, CURLOPT_HEADERDATA, (void *)f);
    if (rc == CURLE_OK)
        rc = lib->easy_setopt(f->easy, CURLOPT_WRITEFUNCTION, on_body);
    if (rc == CURLE_OK)
        rc = lib->easy_setopt(f->easy, CURLOPT_WRITEDATA, (void *)f);
    if (rc == CURLE_OK && f->req->post_body != NULL)
        rc = configure_post(f);
    return rc;
}

/* transport_status - the status a failed transfer's CURLcode stands for */
static enum https_status transport_status(CURLcode rc)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return HTTPS_TIMEOUT;
    case CURLE_COULDNT_CONNECT:
        return HTTPS_CONNECT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return HTTPS_TLS;
    default:
        return HTTPS_OTHER;
    }
}

/* classify - the status of a finished perform, its reason into why: the
 * status line first, then the complete header, then the transfer */
static enum https_status classify(struct fetch *f, CURLcode rc, char *why, size_t whysize)
{
    char *type = NULL;

    f->lib->easy_getinfo(f->easy, CURLINFO_CONTENT_TYPE, &type);
    if (f->code >= 200 && !code_acceptable(f, f->code)) {
        say(why, whysize, "HTTP status %ld, not %s", f->code,
            f->req->post_body != NULL ? "2xx" : "200");
        return HTTPS_HTTP_STATUS;
    }
    if (f->header_done && !answer_acceptable(f)) {
        say(why, whysize, "Content-Type %s, not %s", type ? type : "absent",
            f->req->content_type);
        return HTTPS_CONTENT_TYPE;
    }
    if (f->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
        say(why, whysize, "the body is longer than %zu bytes", f->req->max_bytes);
        return HTTPS_TOO_BIG;
    }
    if (rc == CURLE_OK)
        return HTTPS_OK;
    say(why, whysize, "%s", f->error[0] ? f->error : f->lib->easy_strerror(rc));
    return transport_status(rc);
}

/* perform - set up the handle, run the transfer, decide; the status */
static enum https_status perform(struct fetch *f, char *why, size_t whysize)
{
    long timeout;
    CURLcode rc = CURLE_OK;

    if (parse_url(f, why, whysize) != 0)
        return HTTPS_OTHER;
    timeout = time_left(f->req->deadline_ms);
    if (timeout < 0) {
        say(why, whysize, "the deadline passed before the fetch");
        return HTTPS_TIMEOUT;
    }
    f->easy = f->lib->easy_init();
    if (f->easy == NULL || (rc = configure(f, timeout)) != CURLE_OK) {
        say(why, whysize, "cannot set up the transfer: %s",
            f->easy ? f->lib->easy_strerror(rc) : "out of memory");
        return HTTPS_OTHER;
    }
    rc = f->lib->easy_perform(f->easy);
    f->lib->easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &f->code);
    return classify(f, rc, why, whysize);
}

/* transfer - load libcurl, run the request, hand the body over on HTTPS_OK */
static enum https_status transfer(const struct https_request *req, struct https_response *out,
                                  char *why, size_t whysize)
{
    struct fetch f = { .req = req };
    enum https_status status;
    const char *load_why = NULL;

    memset(out, 0, sizeof *out);
    f.lib = curl_lib_load(&load_why);
    if (f.lib == NULL) {
        say(why, whysize, "%s", load_why);
        return HTTPS_LIBRARY;
    }
    status = perform(&f, why, whysize);
    out->status = f.code;
    if (status == HTTPS_OK && f.body == NULL)
        f.body = calloc(1, 1);          /* an empty body is still a body */
    if (status == HTTPS_OK && f.body == NULL) {
        say(why, whysize, "out of memory");
        status = HTTPS_OTHER;
    }
    if (status == HTTPS_OK) {
        out->body = f.body;
        out->len = f.len;
        f.body = NULL;
    }
    free(f.body);
    f.lib->easy_cleanup(f.easy);
    f.lib->url_cleanup(f.url);
    f.lib->slist_free_all(f.resolve);
    f.lib->slist_free_all(f.headers);
    return status;
}

enum https_status https_get(const struct https_request *req, struct https_response *out,
                            char *why, size_t whysize)
{
    struct https_request get = *req;

    get.post_body = NULL;
    return transfer(&get, out, why, whysize);
}

enum https_status https_post(const struct https_request *req, struct https_response *out,
                             char *why, size_t whysize)
{
    if (req->post_body == NULL || req->post_type == NULL) {
        memset(out, 0, sizeof *out);
        say(why, whysize, "nothing to post");
        return HTTPS_OTHER;
    }
    return transfer(req, out, why, whysize);
}

/* https_response_free - the body, then a cleared response */
void https_response_free(struct https_response *out)
{
    if (out == NULL)
        return;
    free(out->body);
    memset(out, 0, sizeof *out);
}
