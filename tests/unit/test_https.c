/* test_https.c - https_get() (agent/https/https.h) against the HTTPS testbed:
 * a private nginx on 127.0.27.10-.12 and .14 port 443
 * (tests/testbed/https/start.sh, run once before the cases; stop.sh stops
 * it by its PID after them). The good policy and its body, each status (but
 * HTTPS_LIBRARY, which test_https_nolib.c meets), the cap at and past its
 * edge with and without a Content-Length, the deadline (a drip and a stall
 * stop within a second of it; a wrong answer that then stalls stops at
 * once), the pinned addresses, SNI and certificates (wrong name, expired,
 * self-signed, a CA not trusted, the system store). Every answer is checked
 * over HTTP/2 (127.0.27.10) and HTTP/1.1 (.14): libcurl ends their headers
 * differently. 127.0.27.13 and [::1]:27443 must have no listener. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "https.h"
#include "test_helpers.h"

#define RUN_DIR DANE_TEST_BINDIR "/tests/https-testbed"
#define START DANE_TEST_SRCDIR "/tests/testbed/https/start.sh"
#define STOP DANE_TEST_SRCDIR "/tests/testbed/https/stop.sh"
#define CA_FILE RUN_DIR "/certs/server/ecdsa/ca.pem"
#define OTHER_CA_FILE RUN_DIR "/certs/server/selfsigned/ca.pem"
#define GOOD "127.0.27.10"      /* mta-sts.dane.test by SNI, else wrongname */
#define GOOD_H1 "127.0.27.14"   /* mta-sts.dane.test, HTTP/1.1 only */
#define EXPIRED "127.0.27.11"
#define SELFSIGNED "127.0.27.12"
#define CLOSED "127.0.27.13"
#define URL(path) "https://mta-sts.dane.test" path
#define POLICY_URL URL("/.well-known/mta-sts.txt")
#define POLICY "version: STSv1\r\nmode: enforce\r\nmx: mx.dane.test\r\nmax_age: 86400\r\n"
#define CAP 65536u              /* RFC 8461 §3.3's 64 KiB */
#define SLACK_MS 1000u          /* how late a deadline may be honoured */

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    test_run_script(START, RUN_DIR, "test_https");
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    test_run_script(STOP, RUN_DIR, "test_https");
}

TestSuite(https, .timeout = 60);

/* The good servers: HTTP/2 and HTTP/1.1. */
static const char *const good[] = { GOOD, GOOD_H1 };
#define NGOOD (sizeof good / sizeof good[0])

/* One fetch and what came of it. */
struct result {
    const char *via;            /* the first address */
    enum https_status status;
    struct https_response out;
    char why[256];
    uint64_t elapsed_ms;
};

/* request - the defaults: one address, the testbed's CA, 10 s, 64 KiB, text/plain */
static struct https_request request(const char *url, const char *const *addresses)
{
    struct https_request req = { .url = url, .addresses = addresses, .ca_file = CA_FILE,
                                 .deadline_ms = clock_now_ms() + 10000,
                                 .max_bytes = CAP, .content_type = "text/plain" };
    return req;
}

/* run - https_get(req), timed; the caller frees r->out */
static void run(const struct https_request *req, struct result *r)
{
    uint64_t start = clock_now_ms();

    r->via = req->addresses != NULL && req->addresses[0] != NULL ? req->addresses[0] : "-";
    r->why[0] = '\0';
    r->status = https_get(req, &r->out, r->why, sizeof r->why);
    r->elapsed_ms = clock_now_ms() - start;
}

/* get - url from addr with the defaults */
static void get(const char *url, const char *addr, struct result *r)
{
    const char *addresses[] = { addr, NULL };
    struct https_request req = request(url, addresses);

    run(&req, r);
}

/* expect - status want, no body unless HTTPS_OK, then free */
static void expect(struct result *r, enum https_status want, long http)
{
    cr_expect_eq(r->status, want, "via %s: status %d, expected %d (%s)", r->via,
                 r->status, want, r->why);
    cr_expect_eq(r->out.status, http, "via %s: HTTP status %ld, expected %ld", r->via,
                 r->out.status, http);
    if (want != HTTPS_OK)
        cr_expect_null(r->out.body, "via %s: a body with status %d", r->via, r->status);
    cr_expect(want == HTTPS_OK || r->why[0] != '\0', "via %s: no reason given", r->via);
    https_response_free(&r->out);
}

/* The policy: only with SNI does nginx pick the server whose certificate
 * names mta-sts.dane.test (without, the wrongname one answers). */
Test(https, policy_body_exact)
{
    struct result r;

    for (size_t i = 0; i < NGOOD; i++) {
        get(POLICY_URL, good[i], &r);
        cr_assert_eq(r.status, HTTPS_OK, "via %s: %s", r.via, r.why);
        cr_expect_eq(r.out.status, 200);
        cr_expect_eq(r.out.len, strlen(POLICY));
        cr_expect_str_eq(r.out.body, POLICY);
        https_response_free(&r.out);
        cr_expect_null(r.out.body);
    }
}

Test(https, empty_body_is_a_body)
{
    struct result r;

    for (size_t i = 0; i < NGOOD; i++) {
        get(URL("/empty"), good[i], &r);
        cr_assert_eq(r.status, HTTPS_OK, "via %s: %s", r.via, r.why);
        cr_expect_eq(r.out.len, 0);
        cr_assert_not_null(r.out.body);
        cr_expect_str_eq(r.out.body, "");
        https_response_free(&r.out);
    }
}

Test(https, media_type_case_and_parameters)
{
    struct result r;

    for (size_t i = 0; i < NGOOD; i++) {
        get(URL("/upper"), good[i], &r);        /* TEXT/Plain; charset=US-ASCII */
        expect(&r, HTTPS_OK, 200);
        get(URL("/plainish"), good[i], &r);     /* text/plainish */
        expect(&r, HTTPS_CONTENT_TYPE, 200);
        get(URL("/html"), good[i], &r);
        expect(&r, HTTPS_CONTENT_TYPE, 200);
    }
}

Test(https, any_media_type_when_none_required)
{
    const char *addresses[] = { GOOD, NULL };
    struct https_request req = request(URL("/html"), addresses);
    struct result r;

    req.content_type = NULL;
    run(&req, &r);
    cr_assert_eq(r.status, HTTPS_OK, "%s", r.why);
    cr_expect_str_eq(r.out.body, "<p>x</p>");
    https_response_free(&r.out);
}

Test(https, not_200)
{
    struct result r;

    for (size_t i = 0; i < NGOOD; i++) {
        get(URL("/missing"), good[i], &r);
        expect(&r, HTTPS_HTTP_STATUS, 404);
    }
}

Test(https, redirect_not_followed)
{
    struct result r;

    for (size_t i = 0; i < NGOOD; i++) {
        get(URL("/redirect"), good[i], &r);     /* to the good policy */
        expect(&r, HTTPS_HTTP_STATUS, 301);
    }
}

/* cap_get - url from addr with a cap of max_bytes */
static void cap_get(const char *url, const char *addr, size_t max_bytes, struct result *r)
{
    const char *addresses[] = { addr, NULL };
    struct https_request req = request(url, addresses);

    req.max_bytes = max_bytes;
    run(&req, r);
}

/* The cap holds to the byte, against a Content-Length and without one. */
Test(https, cap_edge)
{
    struct result r;

    for (size_t i = 0; i < NGOOD; i++) {
        get(URL("/exact"), good[i], &r);        /* 65536 bytes */
        cr_expect_eq(r.out.len, CAP, "via %s", r.via);
        expect(&r, HTTPS_OK, 200);
        cap_get(POLICY_URL, good[i], strlen(POLICY), &r);
        expect(&r, HTTPS_OK, 200);
        cap_get(POLICY_URL, good[i], strlen(POLICY) - 1, &r);
        expect(&r, HTTPS_TOO_BIG, 200);
        cap_get(URL("/big-chunked"), good[i], 70000, &r);
        cr_expect_eq(r.out.len, 70000, "via %s", r.via);
        expect(&r, HTTPS_OK, 200);
        cap_get(URL("/big-chunked"), good[i], 69999, &r);
        expect(&r, HTTPS_TOO_BIG, 200);
    }
}

Test(https, too_big_with_and_without_length)
{
    struct result r;

    for (size_t i = 0; i < NGOOD; i++) {
        get(URL("/big"), good[i], &r);          /* Content-Length: 70000 */
        expect(&r, HTTPS_TOO_BIG, 200);
        get(URL("/big-chunked"), good[i], &r);  /* 70000 bytes, no length */
        expect(&r, HTTPS_TOO_BIG, 200);
    }
}

/* fetch_by - url from addr with a deadline timeout_ms from now */
static void fetch_by(const char *url, const char *addr, uint64_t timeout_ms, struct result *r)
{
    const char *addresses[] = { addr, NULL };
    struct https_request req = request(url, addresses);

    req.deadline_ms = clock_now_ms() + timeout_ms;
    run(&req, r);
}

/* expect_on_time - r ended at its deadline of timeout_ms, give or take */
static void expect_on_time(const struct result *r, uint64_t timeout_ms)
{
    cr_expect_geq(r->elapsed_ms, timeout_ms - 100, "via %s: took %llu ms", r->via,
                  (unsigned long long)r->elapsed_ms);
    cr_expect_lt(r->elapsed_ms, timeout_ms + SLACK_MS, "via %s: took %llu ms", r->via,
                 (unsigned long long)r->elapsed_ms);
}

Test(https, deadline_drip)
{
    struct result r;

    for (size_t i = 0; i < NGOOD; i++) {
        fetch_by(URL("/slow"), good[i], 1500, &r);     /* a 200 dripping for 30 s */
        expect_on_time(&r, 1500);
        expect(&r, HTTPS_TIMEOUT, 200);
    }
}

Test(https, deadline_stall)
{
    struct result r;

    for (size_t i = 0; i < NGOOD; i++) {
        fetch_by(URL("/stall"), good[i], 1500, &r);    /* no header for 30 s */
        expect_on_time(&r, 1500);
        expect(&r, HTTPS_TIMEOUT, 0);
    }
}

Test(https, deadline_already_passed)
{
    struct result r;

    fetch_by(POLICY_URL, GOOD, 0, &r);
    cr_expect_lt(r.elapsed_ms, 500);
    expect(&r, HTTPS_TIMEOUT, 0);
}

/* A wrong answer is final when its header ends: its stalled body is not
 * waited for. */
Test(https, wrong_answer_not_waited_for)
{
    struct result r;

    for (size_t i = 0; i < NGOOD; i++) {
        fetch_by(URL("/slow-404"), good[i], 10000, &r);
        cr_expect_lt(r.elapsed_ms, SLACK_MS, "via %s: took %llu ms", r.via,
                     (unsigned long long)r.elapsed_ms);
        expect(&r, HTTPS_HTTP_STATUS, 404);
        fetch_by(URL("/slow-html"), good[i], 10000, &r);
        cr_expect_lt(r.elapsed_ms, SLACK_MS, "via %s: took %llu ms", r.via,
                     (unsigned long long)r.elapsed_ms);
        expect(&r, HTTPS_CONTENT_TYPE, 200);
    }
}

Test(https, certificate_wrong_name)
{
    struct result r;

    get("https://mta-sts.wrong.test/.well-known/mta-sts.txt", GOOD, &r);
    expect(&r, HTTPS_TLS, 0);
}

Test(https, certificate_expired)
{
    struct result r;

    get(POLICY_URL, EXPIRED, &r);
    cr_expect(strstr(r.why, "expired") != NULL, "%s", r.why);
    expect(&r, HTTPS_TLS, 0);
}

Test(https, certificate_self_signed)
{
    struct result r;

    get(POLICY_URL, SELFSIGNED, &r);
    expect(&r, HTTPS_TLS, 0);
}

/* The good server's chain under another CA file, and under the system
 * store, which does not hold the testbed's root. */
Test(https, certificate_untrusted)
{
    const char *addresses[] = { GOOD, NULL };
    struct https_request req = request(POLICY_URL, addresses);
    struct result r;

    req.ca_file = OTHER_CA_FILE;
    run(&req, &r);
    expect(&r, HTTPS_TLS, 0);
    req.ca_file = NULL;
    run(&req, &r);
    expect(&r, HTTPS_TLS, 0);
}

Test(https, connect_refused)
{
    struct result r;

    get(POLICY_URL, CLOSED, &r);
    expect(&r, HTTPS_CONNECT, 0);
}

/* The URL's port and every address, IPv6 in brackets, are pinned: a
 * refused one is followed by the next, and none is ever looked up (a name
 * libcurl had to resolve would fail as HTTPS_OTHER). */
Test(https, pinned_addresses)
{
    const char *both[] = { CLOSED, GOOD, NULL };
    const char *v6[] = { "::1", NULL };
    struct https_request req = request(POLICY_URL, both);
    struct result r;

    run(&req, &r);
    expect(&r, HTTPS_OK, 200);
    req = request("https://mta-sts.dane.test:27443/.well-known/mta-sts.txt", v6);
    run(&req, &r);
    expect(&r, HTTPS_CONNECT, 0);
}

/* Refused before any connection: not https, not a URL, an address for a
 * host, no address or one that is not numeric. */
Test(https, refused_requests)
{
    const char *none[] = { NULL };
    const char *name[] = { "mta-sts.dane.test", NULL };
    struct https_request req = request(POLICY_URL, none);
    struct result r;

    get("http://mta-sts.dane.test/.well-known/mta-sts.txt", GOOD, &r);
    expect(&r, HTTPS_OTHER, 0);
    get("mta-sts.dane.test/.well-known/mta-sts.txt", GOOD, &r);
    expect(&r, HTTPS_OTHER, 0);
    get("https://" GOOD "/.well-known/mta-sts.txt", GOOD, &r);
    expect(&r, HTTPS_OTHER, 0);
    run(&req, &r);
    expect(&r, HTTPS_OTHER, 0);
    req = request(POLICY_URL, NULL);
    run(&req, &r);
    expect(&r, HTTPS_OTHER, 0);
    req = request(POLICY_URL, name);
    run(&req, &r);
    expect(&r, HTTPS_OTHER, 0);
}

/* https_post - post body to url at GOOD_H1 with the defaults */
static enum https_status post(const char *url, const char *body, struct https_response *out,
                              char *why, size_t whysize)
{
    const char *addresses[] = { GOOD_H1, NULL };
    struct https_request req = request(url, addresses);

    req.content_type = NULL;
    req.max_bytes = 4096;
    req.post_body = body;
    req.post_len = strlen(body);
    req.post_type = "application/tlsrpt+gzip";
    return https_post(&req, out, why, whysize);
}

/* RFC 8460 §3: a report is uploaded by POST; nginx logs the body and the
 * type it got (posts.log, JSON-escaped: the newline is "\n") and answers 200 */
Test(https, post_body_arrives)
{
    static const char body[] = "report-body-7f3a\n";
    struct https_response out;
    char why[256] = "";
    char cmd[512];

    cr_assert_eq(post(URL("/tlsrpt"), body, &out, why, sizeof why), HTTPS_OK, "%s", why);
    cr_assert_eq(out.status, 200);
    cr_assert_str_eq(out.body, "accepted\n");
    https_response_free(&out);
    snprintf(cmd, sizeof cmd,
             "grep -F '\"type\":\"application/tlsrpt+gzip\",\"body\":\"report-body-7f3a\\n\"'"
             " %s/posts.log >/dev/null", RUN_DIR);
    cr_assert_eq(system(cmd), 0, "the posted body is not in nginx's posts.log");
}

/* Anything but a 2xx is a failure, with the status in the reason */
Test(https, post_not_2xx)
{
    struct https_response out;
    char why[256] = "";

    cr_assert_eq(post(URL("/missing"), "x", &out, why, sizeof why), HTTPS_HTTP_STATUS);
    cr_assert_eq(out.status, 404);
    cr_assert_null(out.body);
    cr_assert_not_null(strstr(why, "not 2xx"), "%s", why);
}

/* No body, no request */
Test(https, post_without_body_refused)
{
    const char *addresses[] = { GOOD_H1, NULL };
    struct https_request req = request(URL("/tlsrpt"), addresses);
    struct https_response out;
    char why[256] = "";

    cr_assert_eq(https_post(&req, &out, why, sizeof why), HTTPS_OTHER);
    cr_assert_str_eq(why, "nothing to post");
}
