/* test_session_resume.c - TLS resumption through smtp_session() with the
 * session cache (agent/smtp/smtp.h, agent/tls/conn.h,
 * agent/tls/session_cache.h) against the scripted peer (tests/testbed/peer.py
 * --record-resumption, 127.0.26.9, ports 2930-2949): the second session
 * resumes (RFC 8446 §2.2) and its restored chain is verified again, a failed
 * verification never stores a session, a resumed session that fails
 * verification is retried with a full handshake, anonymous sessions are
 * never stored, TLS 1.2 resumes too */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "conn.h"
#include "dane.h"
#include "policy.h"
#include "session_cache.h"
#include "smtp.h"
#include "test_helpers.h"
#include "tls.h"

#define PEER_ADDR "127.0.26.9"

static struct test_peer peer;
static char run_dir[64];        /* holds the cache */
static char cache_dir[96];
static struct tls_ctx *ctx;
static struct session_cache *cache;

/* peer_start - peer.py "ok" on PEER_ADDR:port serving conns connections,
 * recording resumptions; extra: more peer.py options (at most 4, may be NULL) */
static void peer_start(unsigned port, unsigned conns, const char *const *extra)
{
    char nconn[16];
    const char *options[8] = { "--connections", nconn, "--record-resumption" };

    snprintf(nconn, sizeof(nconn), "%u", conns);
    for (size_t k = 0; extra != NULL && extra[k] != NULL; k++) {
        cr_assert_lt(3 + k, 7u, "too many peer options");
        options[3 + k] = extra[k];
    }
    test_peer_start(&peer, PEER_ADDR, port, "ok", options);
}

static void setup(void)
{
    static const uint16_t groups[] = { 29, 23 };
    const struct tls_params tp = { .protocols = TLS_PROTO_TLS12 | TLS_PROTO_TLS13,
                                   .groups = groups, .ngroups = 2 };
    static const struct policy_entry entry = { .key = "defaults",
                                               .level = POLICY_LEVEL_ENCRYPT };
    const struct session_cache_key key = { .nexthop = "[" PEER_ADDR "]", .mx = PEER_ADDR,
                                           .address = PEER_ADDR, .port = 25,
                                           .sni = "mx.peer.test", .entry = &entry,
                                           .level = POLICY_LEVEL_ENCRYPT };
    const char *why = NULL;

    signal(SIGPIPE, SIG_IGN);
    test_tmpdir(run_dir, sizeof(run_dir), "dane-resume");
    snprintf(cache_dir, sizeof(cache_dir), "%s/cache", run_dir);
    ctx = tls_ctx_new(&tp, &why);
    cr_assert_not_null(ctx, "tls_ctx_new: %s", why);
    cache = session_cache_open(cache_dir, &key, &why);
    cr_assert_not_null(cache, "session_cache_open: %s", why);
}

static void teardown(void)
{
    test_peer_stop(&peer);
    session_cache_close(cache);
    tls_ctx_free(ctx);
    test_rm_tree(run_dir);
}

TestSuite(session_resume, .init = setup, .fini = teardown, .timeout = 60);

/* What the verification callback saw, and what it answers. */
struct seen {
    int calls;
    int fail;               /* always fail */
    int fail_resumed;       /* fail a resumed session only */
    size_t chain_len[4];    /* per call */
    int resumed[4];
};

static enum smtp_peer_status check(void *arg, const struct dane_chain *chain,
                                   const struct tls_facts *facts, const char **why)
{
    struct seen *v = arg;
    int i = v->calls++;

    if (i < 4) {
        v->chain_len[i] = dane_chain_length(chain);
        v->resumed[i] = facts->resumed;
    }
    if (v->fail || (v->fail_resumed && facts->resumed)) {
        *why = "no TLSA record matched the certificate chain";
        return SMTP_PEER_FAIL;
    }
    return dane_chain_length(chain) > 0 ? SMTP_PEER_VERIFIED : SMTP_PEER_ANONYMOUS;
}

/* deliver - one session with the cache; the outcome stays in out */
static void deliver(struct seen *v, struct smtp_outcome *out, enum smtp_tls_mode mode)
{
    static const char *const rcpts[] = { "a@dest.test" };
    static const char body[] = "Subject: t\n\nhello\n";
    struct smtp_params p;
    struct smtp_message m;

    memset(&p, 0, sizeof(p));
    p.addr = (const struct sockaddr *)&peer.addr;
    p.addrlen = sizeof(peer.addr);
    p.host = "mx.peer.test";
    p.helo_name = "client.test";
    p.tls = mode;
    p.tls_ctx = ctx;
    p.sni = "mx.peer.test";
    p.verify = check;
    p.verify_arg = v;
    p.deadline_ms = clock_now_ms() + 20000;
    p.session_cache = cache;
    memset(&m, 0, sizeof(m));
    m.sender = "s@client.test";
    m.recipients = rcpts;
    m.nrecipients = 1;
    m.fd = -1;
    m.buf = (const uint8_t *)body;
    m.len = m.size = sizeof(body) - 1;
    smtp_session(&p, &m, out);
}

/* stored - 1 when the cache holds an entry for the key */
static int stored(void)
{
    static uint8_t buf[SESSION_CACHE_MAX_SESSION];
    const char *why = NULL;
    size_t len = 0;

    return session_cache_get(cache, time(NULL), buf, sizeof(buf), &len, &why) == 1;
}

/* peer_sessions - the peer's tls-sessions: "new\nresumed\n..." */
static const char *peer_sessions(void)
{
    return test_peer_file(&peer, "tls-sessions");
}

Test(session_resume, rfc8446_s2_2_second_session_resumes_and_reverifies)
{
    struct seen v1 = { 0 }, v2 = { 0 };
    struct smtp_outcome o;

    peer_start(2930, 2, NULL);
    deliver(&v1, &o, SMTP_TLS_REQUIRED);
    cr_assert_eq(o.result, SMTP_SENT, "first: %s", o.reason);
    cr_expect_eq(o.facts.resumed, 0);
    cr_expect(stored(), "a verified session is stored");
    smtp_outcome_free(&o);
    deliver(&v2, &o, SMTP_TLS_REQUIRED);
    cr_assert_eq(o.result, SMTP_SENT, "second: %s", o.reason);
    cr_expect_eq(o.facts.resumed, 1, "second session resumed");
    cr_expect_str_eq(o.facts.protocol, "TLSv1.3");
    cr_expect_neq(o.facts.key_exchange[0], '\0', "psk_dhe_ke: a key share (%s)",
                  o.facts.key_exchange);
    cr_expect_eq(v2.calls, 1, "the callback runs on resumption");
    cr_expect_eq(v2.resumed[0], 1);
    cr_expect_eq(v2.chain_len[0], v1.chain_len[0], "restored chain: %zu certificates, want %zu",
                 v2.chain_len[0], v1.chain_len[0]);
    cr_expect_gt(v2.chain_len[0], 0);
    cr_expect_eq(o.peer, SMTP_PEER_VERIFIED);
    cr_expect_str_eq(peer_sessions(), "new\nresumed\n");
    smtp_outcome_free(&o);
}

Test(session_resume, failed_verification_never_stores)
{
    struct seen bad = { .fail = 1 }, good = { 0 };
    struct smtp_outcome o;

    peer_start(2931, 2, NULL);
    deliver(&bad, &o, SMTP_TLS_REQUIRED);
    cr_assert_eq(o.result, SMTP_DEFER);
    cr_expect_eq(o.stage, SMTP_STAGE_VERIFY);
    cr_expect_not(stored(), "nothing stored after a failed verification");
    smtp_outcome_free(&o);
    /* control: the same peer's next session is a full one, and is stored */
    deliver(&good, &o, SMTP_TLS_REQUIRED);
    cr_assert_eq(o.result, SMTP_SENT, "%s", o.reason);
    cr_expect_eq(o.facts.resumed, 0);
    cr_expect(stored());
    cr_expect_str_eq(peer_sessions(), "new\nnew\n");
    smtp_outcome_free(&o);
}

Test(session_resume, resumed_verification_failure_retries_full_handshake)
{
    struct seen v1 = { 0 }, v2 = { .fail_resumed = 1 };
    struct smtp_outcome o;

    peer_start(2932, 3, NULL);
    deliver(&v1, &o, SMTP_TLS_REQUIRED);
    cr_assert_eq(o.result, SMTP_SENT, "%s", o.reason);
    smtp_outcome_free(&o);
    deliver(&v2, &o, SMTP_TLS_REQUIRED);
    cr_expect_eq(v2.calls, 2, "resumed, then full");
    cr_expect_eq(v2.resumed[0], 1);
    cr_expect_eq(v2.resumed[1], 0);
    cr_assert_eq(o.result, SMTP_SENT, "the full handshake delivers: %s", o.reason);
    cr_expect_eq(o.facts.resumed, 0);
    cr_expect_str_eq(peer_sessions(), "new\nresumed\nnew\n");
    cr_expect(stored(), "the full handshake's session replaces the dropped one");
    smtp_outcome_free(&o);
}

Test(session_resume, corrupt_entry_means_full_handshake)
{
    struct seen v1 = { 0 }, v2 = { 0 };
    struct smtp_outcome o;
    static uint8_t junk[300];
    const char *why = NULL;

    peer_start(2933, 2, NULL);
    memset(junk, 0x30, sizeof(junk));   /* a valid entry whose session is junk */
    cr_assert_eq(session_cache_put(cache, time(NULL), 600, junk, sizeof(junk), &why), 0);
    deliver(&v1, &o, SMTP_TLS_REQUIRED);
    cr_assert_eq(o.result, SMTP_SENT, "%s", o.reason);
    cr_expect_eq(o.facts.resumed, 0);
    smtp_outcome_free(&o);
    deliver(&v2, &o, SMTP_TLS_REQUIRED);
    cr_expect_eq(o.facts.resumed, 1, "the junk was replaced by a real session");
    cr_expect_str_eq(peer_sessions(), "new\nresumed\n");
    smtp_outcome_free(&o);
}

Test(session_resume, tls12_resumes)
{
    static const char *const args[] = { "--tls-max", "1.2", NULL };
    struct seen v1 = { 0 }, v2 = { 0 };
    struct smtp_outcome o;

    peer_start(2934, 2, args);
    deliver(&v1, &o, SMTP_TLS_REQUIRED);
    cr_assert_eq(o.result, SMTP_SENT, "%s", o.reason);
    cr_expect_str_eq(o.facts.protocol, "TLSv1.2");
    smtp_outcome_free(&o);
    deliver(&v2, &o, SMTP_TLS_REQUIRED);
    cr_assert_eq(o.result, SMTP_SENT, "%s", o.reason);
    cr_expect_eq(o.facts.resumed, 1);
    cr_expect_gt(v2.chain_len[0], 0, "restored chain");
    cr_expect_str_eq(peer_sessions(), "new\nresumed\n");
    smtp_outcome_free(&o);
}

/* level may: an anonymous session authenticates nothing and would bring no
 * chain back, so it is never stored */
Test(session_resume, anonymous_session_never_stored)
{
    static const char *const args[] = { "--anonymous", NULL };
    static const uint16_t groups[] = { 29, 23, 256 };
    const struct tls_params tp = { .protocols = TLS_PROTO_TLS12 | TLS_PROTO_TLS13,
                                   .groups = groups, .ngroups = 3, .anonymous = 1 };
    struct seen v = { 0 };
    struct smtp_outcome o;
    const char *why = NULL;

    tls_ctx_free(ctx);
    ctx = tls_ctx_new(&tp, &why);
    cr_assert_not_null(ctx, "%s", why);
    peer_start(2935, 1, args);
    deliver(&v, &o, SMTP_TLS_OPPORTUNISTIC);
    cr_assert_eq(o.result, SMTP_SENT, "%s", o.reason);
    cr_expect_eq(o.peer, SMTP_PEER_ANONYMOUS);
    cr_expect_not(stored(), "no anonymous session in the cache");
    cr_expect_str_eq(peer_sessions(), "new\n");
    smtp_outcome_free(&o);
}
