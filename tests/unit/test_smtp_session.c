/* test_smtp_session.c - smtp_session() against the scripted peer
 * (tests/testbed/peer.py) on 127.0.26.x: every stage's failure, STARTTLS
 * injection, timeouts, per-recipient results, and a full delivery over TLS.
 * Each case starts its own peer (by PID) and stops it in .fini. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "dane.h"
#include "smtp.h"
#include "test_helpers.h"
#include "tls.h"

static struct test_peer peer;
static struct tls_ctx *ctx;

/* peer_start_args - peer.py with a scenario and extra options (may be NULL)
 * on 127.0.26.(1 + slot % 20) and port 2525 + slot; waits until it listens */
static void peer_start_args(unsigned slot, const char *scenario,
                            const char *const *extra)
{
    char addr[32];

    snprintf(addr, sizeof(addr), "127.0.26.%u", 1 + slot % 20);
    test_peer_start(&peer, addr, 2525 + slot, scenario, extra);
}

/* peer_start - peer.py with a scenario and no other option */
static void peer_start(unsigned slot, const char *scenario)
{
    peer_start_args(slot, scenario, NULL);
}

static void setup(void)
{
    static const uint16_t groups[] = { 29, 23 };
    const struct tls_params tp = { .protocols = TLS_PROTO_TLS12 | TLS_PROTO_TLS13,
                                   .groups = groups, .ngroups = 2 };
    const char *why = NULL;

    signal(SIGPIPE, SIG_IGN);
    ctx = tls_ctx_new(&tp, &why);
    cr_assert_not_null(ctx, "tls_ctx_new: %s", why);
}

static void teardown(void)
{
    test_peer_stop(&peer);
    tls_ctx_free(ctx);
}

/* peer_file - contents of a file the peer wrote ("" when absent) */
static const char *peer_file(const char *name)
{
    return test_peer_file(&peer, name);
}

/* peer_saw - did a command line starting with verb reach the peer? */
static int peer_saw(const char *verb)
{
    const char *c = peer_file("commands");
    char line_start[32];

    snprintf(line_start, sizeof(line_start), "\n%s", verb);
    return strncmp(c, verb, strlen(verb)) == 0 || strstr(c, line_start) != NULL;
}

/* mail_sent - did a MAIL FROM reach the peer? */
static int mail_sent(void)
{
    return peer_saw("MAIL");
}

struct verify_arg {
    int fail;
    int untrusted;          /* TLS without authentication: Untrusted */
    int claim_verified;     /* a careless callback: Verified, always */
    int calls;
};

static enum smtp_peer_status test_verify(void *arg, const struct dane_chain *chain,
                                         const struct tls_facts *facts, const char **why)
{
    struct verify_arg *v = arg;

    (void)facts;
    v->calls++;
    if (v->fail) {
        *why = "no TLSA record matched the certificate chain";
        return SMTP_PEER_FAIL;
    }
    if (v->claim_verified)
        return SMTP_PEER_VERIFIED;
    if (v->untrusted)
        return SMTP_PEER_UNTRUSTED;
    return dane_chain_length(chain) > 0 ? SMTP_PEER_VERIFIED : SMTP_PEER_ANONYMOUS;
}

static const char body_text[] = "Subject: t\n\n.\nhello\r\n.\r\nMAIL FROM:<x>\n..dots\rlast";

static void params_init(struct smtp_params *p, enum smtp_tls_mode mode,
                        struct verify_arg *va)
{
    memset(p, 0, sizeof(*p));
    p->addr = (const struct sockaddr *)&peer.addr;
    p->addrlen = sizeof(peer.addr);
    p->host = "mx.peer.test";
    p->helo_name = "client.test";
    p->tls = mode;
    p->tls_ctx = ctx;
    p->sni = "mx.peer.test";
    p->verify = test_verify;
    p->verify_arg = va;
    p->deadline_ms = clock_now_ms() + 20000;
}

static void message_init(struct smtp_message *m, const char *const *rcpts, size_t n)
{
    memset(m, 0, sizeof(*m));
    m->sender = "sender@client.test";
    m->recipients = rcpts;
    m->nrecipients = n;
    m->fd = -1;
    m->buf = (const uint8_t *)body_text;
    m->len = strlen(body_text);
    m->size = m->len;
}

struct session_case {
    const char *name;
    const char *scenario;
    enum smtp_tls_mode tls;
    unsigned timeout_ms;        /* greeting and end-of-data timeouts; 0: default */
    int verify_fail;
    const char *rcpts[3];
    enum smtp_result want_result;
    enum smtp_stage want_stage;
    const char *want_enhanced;
    const char *want_reason;    /* substring */
    int want_mail_sent;
    enum smtp_result want_rcpt[3];
};

static const struct session_case cases[] = {
    { "rfc3207_tls_delivered", "ok", SMTP_TLS_REQUIRED, 0, 0, { "a@dest.test" },
      SMTP_SENT, SMTP_STAGE_DONE, "", "", 1, { SMTP_SENT } },
    { "rfc3207_s4_no_starttls_required_defers", "no-starttls", SMTP_TLS_REQUIRED, 0, 0,
      { "a@dest.test" }, SMTP_DEFER, SMTP_STAGE_STARTTLS, "4.7.4",
      "TLS is required, but was not offered by host mx.peer.test[127.0.26.", 0, { SMTP_DEFER } },
    { "rfc3207_no_starttls_opportunistic_cleartext", "no-starttls", SMTP_TLS_OPPORTUNISTIC,
      0, 0, { "a@dest.test" }, SMTP_SENT, SMTP_STAGE_DONE, "", "", 1, { SMTP_SENT } },
    { "rfc3207_starttls_454_required_defers", "starttls-454", SMTP_TLS_REQUIRED, 0, 0,
      { "a@dest.test" }, SMTP_DEFER, SMTP_STAGE_STARTTLS, "4.7.5", "refused to start TLS",
      0, { SMTP_DEFER } },
    { "rfc3207_s4_2_plaintext_injection_aborts", "inject", SMTP_TLS_REQUIRED, 0, 0,
      { "a@dest.test" }, SMTP_DEFER, SMTP_STAGE_STARTTLS, "4.7.5", "injection", 0,
      { SMTP_DEFER } },
    { "verification_failure_no_mail", "ok", SMTP_TLS_REQUIRED, 0, 1, { "a@dest.test" },
      SMTP_DEFER, SMTP_STAGE_VERIFY, "4.7.5", "no TLSA record matched", 0, { SMTP_DEFER } },
    { "drop_greeting", "drop-greeting", SMTP_TLS_REQUIRED, 0, 0, { "a@dest.test" },
      SMTP_DEFER, SMTP_STAGE_GREETING, "4.4.2",
      "lost connection with mx.peer.test[127.0.26.", 0, { SMTP_DEFER } },
    { "drop_ehlo", "drop-ehlo", SMTP_TLS_REQUIRED, 0, 0, { "a@dest.test" }, SMTP_DEFER,
      SMTP_STAGE_EHLO, "4.4.2", "while performing the EHLO handshake", 0, { SMTP_DEFER } },
    { "drop_starttls", "drop-starttls", SMTP_TLS_REQUIRED, 0, 0, { "a@dest.test" },
      SMTP_DEFER, SMTP_STAGE_STARTTLS, "4.4.2", "while sending STARTTLS", 0, { SMTP_DEFER } },
    { "drop_handshake", "drop-handshake", SMTP_TLS_REQUIRED, 0, 0, { "a@dest.test" },
      SMTP_DEFER, SMTP_STAGE_HANDSHAKE, "4.7.5", "Cannot start TLS", 0, { SMTP_DEFER } },
    { "drop_ehlo_tls", "drop-ehlo-tls", SMTP_TLS_REQUIRED, 0, 0, { "a@dest.test" },
      SMTP_DEFER, SMTP_STAGE_EHLO_TLS, "4.4.2", "while performing the EHLO handshake", 0,
      { SMTP_DEFER } },
    { "drop_mail", "drop-mail", SMTP_TLS_REQUIRED, 0, 0, { "a@dest.test" }, SMTP_DEFER,
      SMTP_STAGE_MAIL, "4.4.2", "while sending MAIL FROM", 1, { SMTP_DEFER } },
    { "drop_rcpt", "drop-rcpt", SMTP_TLS_REQUIRED, 0, 0, { "a@dest.test" }, SMTP_DEFER,
      SMTP_STAGE_RCPT, "4.4.2", "while sending RCPT TO", 1, { SMTP_DEFER } },
    { "drop_data", "drop-data", SMTP_TLS_REQUIRED, 0, 0, { "a@dest.test" }, SMTP_DEFER,
      SMTP_STAGE_DATA, "4.4.2", "while sending DATA command", 1, { SMTP_DEFER } },
    { "drop_after_dot_may_be_sent_twice", "drop-dot", SMTP_TLS_REQUIRED, 0, 0,
      { "a@dest.test" }, SMTP_DEFER, SMTP_STAGE_DOT, "4.4.2",
      "while sending end of data -- message may be sent more than once", 1, { SMTP_DEFER } },
    { "no_dot_reply_timeout_defers", "no-dot-reply", SMTP_TLS_REQUIRED, 1500, 0,
      { "a@dest.test" }, SMTP_DEFER, SMTP_STAGE_DOT, "4.4.2",
      "timed out while sending end of data -- message may be sent more than once", 1,
      { SMTP_DEFER } },
    { "dot_4xx_defers", "dot-4xx", SMTP_TLS_REQUIRED, 0, 0, { "a@dest.test" }, SMTP_DEFER,
      SMTP_STAGE_DOT, "4.3.0", "(in reply to end of DATA command)", 1, { SMTP_DEFER } },
    { "rfc5321_s4_2_garbage_greeting", "garbage-greeting", SMTP_TLS_REQUIRED, 0, 0,
      { "a@dest.test" }, SMTP_DEFER, SMTP_STAGE_GREETING, "4.5.0", "malformed reply", 0,
      { SMTP_DEFER } },
    { "rfc5321_s3_1_421_greeting", "421-greeting", SMTP_TLS_REQUIRED, 0, 0,
      { "a@dest.test" }, SMTP_DEFER, SMTP_STAGE_GREETING, "4.3.2",
      "refused to talk to me: 421 4.3.2 mx.peer.test Service shutting down", 0,
      { SMTP_DEFER } },
    /* Postfix smtp_skip_5xx_greeting: another server may take it */
    { "rfc5321_s3_1_554_greeting_defers", "554-greeting", SMTP_TLS_REQUIRED, 0, 0,
      { "a@dest.test" }, SMTP_DEFER, SMTP_STAGE_GREETING, "4.7.1",
      "refused to talk to me: 554 5.7.1", 0, { SMTP_DEFER } },
    { "rfc5321_s4_5_3_1_5_long_reply_line", "long-reply", SMTP_TLS_REQUIRED, 0, 0,
      { "a@dest.test" }, SMTP_DEFER, SMTP_STAGE_EHLO, "4.5.0", "reply line too long", 0,
      { SMTP_DEFER } },
    { "too_many_reply_lines", "many-lines", SMTP_TLS_REQUIRED, 0, 0, { "a@dest.test" },
      SMTP_DEFER, SMTP_STAGE_EHLO, "4.5.0", "too many lines", 0, { SMTP_DEFER } },
    { "drip_greeting_past_timeout", "drip", SMTP_TLS_REQUIRED, 1000, 0, { "a@dest.test" },
      SMTP_DEFER, SMTP_STAGE_GREETING, "4.4.2",
      "timed out while receiving the initial server greeting", 0, { SMTP_DEFER } },
    { "rfc5321_s3_8_421_mid_session", "421-rcpt", SMTP_TLS_REQUIRED, 0, 0,
      { "a@dest.test", "b@dest.test" }, SMTP_DEFER, SMTP_STAGE_RCPT, "4.4.2",
      "said: 421 4.4.2", 1, { SMTP_DEFER, SMTP_DEFER } },
    { "rfc5321_per_recipient_results", "mixed-rcpt", SMTP_TLS_REQUIRED, 0, 0,
      { "a@dest.test", "temp@dest.test", "perm@dest.test" }, SMTP_SENT, SMTP_STAGE_DONE,
      "", "", 1, { SMTP_SENT, SMTP_DEFER, SMTP_BOUNCE } },
    { "rfc1870_size_exceeded_refused_early", "size-limit", SMTP_TLS_REQUIRED, 0, 0,
      { "a@dest.test" }, SMTP_BOUNCE, SMTP_STAGE_MAIL, "5.3.4", "exceeds size limit 10 ", 0,
      { SMTP_BOUNCE } },
    { "rfc6531_smtputf8_not_offered", "ok", SMTP_TLS_REQUIRED, 0, 0,
      { "j\xc3\xb6rg@dest.test" }, SMTP_BOUNCE, SMTP_STAGE_MAIL, "5.6.7",
      "SMTPUTF8 is required, but was not offered", 0, { SMTP_BOUNCE } },
    { "rfc6531_smtputf8_offered", "smtputf8", SMTP_TLS_REQUIRED, 0, 0,
      { "j\xc3\xb6rg@dest.test" }, SMTP_SENT, SMTP_STAGE_DONE, "", "", 1, { SMTP_SENT } },
    { "rfc5321_ehlo_refused_helo_when_tls_optional", "no-ehlo", SMTP_TLS_OPPORTUNISTIC, 0, 0,
      { "a@dest.test" }, SMTP_SENT, SMTP_STAGE_DONE, "", "", 1, { SMTP_SENT } },
    { "rfc5321_ehlo_refused_tls_required_defers", "no-ehlo", SMTP_TLS_REQUIRED, 0, 0,
      { "a@dest.test" }, SMTP_DEFER, SMTP_STAGE_EHLO, "4.7.4", "refused EHLO", 0,
      { SMTP_DEFER } },
};

ParameterizedTestParameters(smtp_session, scenario)
{
    static size_t idx[sizeof(cases) / sizeof(cases[0])];
    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, smtp_session, scenario, .init = setup, .fini = teardown,
                  .timeout = 60)
{
    const struct session_case *c = &cases[*i];
    struct verify_arg va = { .fail = c->verify_fail };
    struct smtp_params p;
    struct smtp_message m;
    struct smtp_outcome o;
    size_t n = 0;

    while (n < 3 && c->rcpts[n] != NULL)
        n++;
    peer_start((unsigned)*i, c->scenario);
    params_init(&p, c->tls, &va);
    if (c->timeout_ms) {
        p.timeouts.greeting_ms = c->timeout_ms;
        p.timeouts.data_done_ms = c->timeout_ms;
    }
    message_init(&m, c->rcpts, n);
    smtp_session(&p, &m, &o);

    cr_assert_eq(o.result, c->want_result, "%s: got result %d, want %d (%s)", c->name,
                 o.result, c->want_result, o.reason);
    cr_assert_eq(o.stage, c->want_stage, "%s: got stage %d, want %d (%s)", c->name,
                 o.stage, c->want_stage, o.reason);
    if (c->want_enhanced[0])
        cr_assert_str_eq(o.enhanced, c->want_enhanced, "%s: got %s, want %s (%s)", c->name,
                         o.enhanced, c->want_enhanced, o.reason);
    cr_assert_not_null(strstr(o.reason, c->want_reason), "%s: reason '%s' lacks '%s'",
                       c->name, o.reason, c->want_reason);
    cr_assert_eq(mail_sent(), c->want_mail_sent, "%s: MAIL FROM %s", c->name,
                 c->want_mail_sent ? "not sent" : "sent where it must not be");
    cr_assert_eq(o.nrecipients, n);
    for (size_t k = 0; k < n; k++) {
        cr_assert_eq(o.recipients[k].result, c->want_rcpt[k],
                     "%s: recipient %zu got %d, want %d (%s)", c->name, k,
                     o.recipients[k].result, c->want_rcpt[k], o.recipients[k].reason);
        cr_assert(o.recipients[k].reason[0] != '\0', "%s: recipient %zu has no reason",
                  c->name, k);
    }
    smtp_outcome_free(&o);
}

/* The delivered bytes: CRLF line ends, dot-stuffed, no smuggled end of data. */
Test(smtp_session, rfc5321_s4_5_2_data_as_received, .init = setup, .fini = teardown,
     .timeout = 60)
{
    static const char *const rcpts[] = { "a@dest.test" };
    static const char want[] = "Subject: t\r\n\r\n..\r\nhello\r\n..\r\nMAIL FROM:<x>\r\n"
                               "...dots\r\nlast\r\n";
    struct verify_arg va = { 0 };
    struct smtp_params p;
    struct smtp_message m;
    struct smtp_outcome o;

    peer_start(40, "ok");
    params_init(&p, SMTP_TLS_REQUIRED, &va);
    message_init(&m, rcpts, 1);
    smtp_session(&p, &m, &o);
    cr_assert_eq(o.result, SMTP_SENT, "%s", o.reason);
    cr_assert_str_eq(peer_file("data"), want);
    cr_assert_eq(va.calls, 1);
    cr_assert_eq(o.peer, SMTP_PEER_VERIFIED);
    cr_assert_str_eq(o.recipients[0].enhanced, "2.0.0");
    cr_assert_eq(o.recipients[0].code, 250);
    cr_assert_not_null(strstr(o.recipients[0].reason, "250 2.0.0 Ok: queued as PEER1"));
    /* facts for the log line */
    cr_assert(o.tls);
    cr_assert_str_eq(o.facts.protocol, "TLSv1.3");
    cr_assert_str_eq(o.facts.cipher, "TLS_AES_256_GCM_SHA384");
    cr_assert_eq(o.facts.bits, 256);
    cr_assert_str_eq(o.facts.key_exchange, "X25519");
    cr_assert_str_eq(o.facts.server_signature, "ECDSA (P-256)");
    cr_assert_str_eq(o.facts.server_digest, "SHA256");
    cr_assert_eq(o.facts.anonymous, 0);
    cr_assert_eq(dane_chain_length(o.chain), 1);
    /* RFC 3207 §4.2: EHLO again after TLS; PIPELINING: MAIL before RCPT */
    const char *cmds = peer_file("commands");
    const char *tls = strstr(cmds, "TLS TLSv1.3");
    cr_assert_not_null(tls, "commands: %s", cmds);
    cr_assert_not_null(strstr(tls, "EHLO client.test"));
    cr_assert_not_null(strstr(tls, "MAIL FROM:<sender@client.test> SIZE="));
    smtp_outcome_free(&o);
}

Test(smtp_session, probe_transcript_no_mail, .init = setup, .fini = teardown, .timeout = 60)
{
    struct verify_arg va = { 0 };
    struct smtp_params p;
    struct smtp_message m;
    struct smtp_outcome o;

    peer_start(41, "ok");
    params_init(&p, SMTP_TLS_REQUIRED, &va);
    p.probe = 1;
    memset(&m, 0, sizeof(m));
    m.fd = -1;
    smtp_session(&p, &m, &o);
    cr_assert_eq(o.result, SMTP_SENT, "%s", o.reason);
    cr_assert_eq(mail_sent(), 0);
    cr_assert_not_null(o.transcript);
    cr_assert_not_null(strstr(o.transcript, "> EHLO client.test\n"), "%s", o.transcript);
    cr_assert_not_null(strstr(o.transcript, "< 220 2.0.0 Ready to start TLS\n"));
    cr_assert_not_null(strstr(o.transcript, "> QUIT\n"));
    cr_assert(o.tls);
    smtp_outcome_free(&o);
}

Test(smtp_session, bad_envelope_sends_nothing, .init = setup, .fini = teardown)
{
    static const char *const rcpts[] = { "a@dest.test>\r\nRCPT TO:<evil@x" };
    struct verify_arg va = { 0 };
    struct smtp_params p;
    struct smtp_message m;
    struct smtp_outcome o;

    memset(&peer.addr, 0, sizeof(peer.addr));
    peer.addr.sin_family = AF_INET;
    params_init(&p, SMTP_TLS_REQUIRED, &va);
    message_init(&m, rcpts, 1);
    smtp_session(&p, &m, &o);
    cr_assert_eq(o.result, SMTP_USAGE);
    cr_assert_eq(o.connected, 0);
    cr_assert_eq(o.recipients, NULL);
    smtp_outcome_free(&o);
}

Test(smtp_session, connect_refused_defers, .init = setup, .fini = teardown)
{
    static const char *const rcpts[] = { "a@dest.test" };
    struct verify_arg va = { 0 };
    struct smtp_params p;
    struct smtp_message m;
    struct smtp_outcome o;

    memset(&peer.addr, 0, sizeof(peer.addr));
    peer.addr.sin_family = AF_INET;
    peer.addr.sin_port = htons(2524);
    inet_pton(AF_INET, "127.0.26.20", &peer.addr.sin_addr);
    params_init(&p, SMTP_TLS_REQUIRED, &va);
    message_init(&m, rcpts, 1);
    smtp_session(&p, &m, &o);
    cr_assert_eq(o.result, SMTP_DEFER);
    cr_assert_str_eq(o.enhanced, "4.4.1");
    cr_assert_str_eq(o.reason,
                     "connect to mx.peer.test[127.0.26.20]:2524: Connection refused");
    cr_assert_eq(o.recipients[0].result, SMTP_DEFER);
    smtp_outcome_free(&o);
}

/* TLS variants: what is negotiated, what is refused, and the facts logged. */
struct tls_case {
    const char *name;
    const char *args[8];        /* peer.py options */
    int anonymous;              /* client context offers anonymous suites */
    int legacy_cbc;
    enum smtp_tls_mode mode;
    int want_ok;
    const char *want_protocol;
    const char *want_cipher;
    const char *want_kex;
    const char *want_sig;
    const char *want_digest;
};

static const struct tls_case tls_cases[] = {
    { "tls13_rsa_pss_signature", { "--key-type", "rsa" }, 0, 0, SMTP_TLS_REQUIRED, 1,
      "TLSv1.3", "TLS_AES_256_GCM_SHA384", "X25519", "RSA-PSS (2048 bits)", "SHA256" },
    { "tls12_ecdhe_ecdsa", { "--tls-max", "1.2" }, 0, 0, SMTP_TLS_REQUIRED, 1, "TLSv1.2",
      "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "X25519", "ECDSA (P-256)", "SHA256" },
    { "tls12_ecdhe_rsa", { "--key-type", "rsa", "--tls-max", "1.2" }, 0, 0,
      SMTP_TLS_REQUIRED, 1, "TLSv1.2", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "X25519",
      "RSA", "SHA256" },
    { "tls12_dhe_rsa", { "--key-type", "rsa", "--tls-max", "1.2", "--dh", "--ciphers",
      "DHE-RSA-AES256-GCM-SHA384" }, 0, 0, SMTP_TLS_REQUIRED, 1, "TLSv1.2",
      "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "DHE (2048 bits)", "RSA", "SHA256" },
    { "static_rsa_never_completes", { "--key-type", "rsa", "--tls-max", "1.2", "--ciphers",
      "AES256-GCM-SHA384:AES128-GCM-SHA256:AES256-SHA:AES128-SHA" }, 0, 0,
      SMTP_TLS_REQUIRED, 0, NULL, NULL, NULL, NULL, NULL },
    { "static_rsa_never_completes_even_at_may", { "--key-type", "rsa", "--tls-max", "1.2",
      "--ciphers", "AES256-GCM-SHA384:AES128-SHA" }, 1, 1, SMTP_TLS_OPPORTUNISTIC, 0,
      NULL, NULL, NULL, NULL, NULL },
    { "fs_cbc_refused_without_legacy", { "--tls-max", "1.2", "--ciphers",
      "ECDHE-ECDSA-AES128-SHA" }, 0, 0, SMTP_TLS_REQUIRED, 0, NULL, NULL, NULL, NULL, NULL },
    { "fs_cbc_with_legacy_switch", { "--tls-max", "1.2", "--ciphers",
      "ECDHE-ECDSA-AES128-SHA" }, 0, 1, SMTP_TLS_REQUIRED, 1, "TLSv1.2",
      "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "X25519", "ECDSA (P-256)", "" },
    { "anonymous_at_may", { "--anonymous" }, 1, 0, SMTP_TLS_OPPORTUNISTIC, 1, "TLSv1.2",
      "TLS_DH_anon_WITH_AES_256_GCM_SHA384", "DHE (2048 bits)", "", "" },
    { "anonymous_not_offered_above_may", { "--anonymous" }, 0, 0, SMTP_TLS_REQUIRED, 0,
      NULL, NULL, NULL, NULL, NULL },
};

ParameterizedTestParameters(smtp_session, tls)
{
    static size_t idx[sizeof(tls_cases) / sizeof(tls_cases[0])];
    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, smtp_session, tls, .init = setup, .fini = teardown,
                  .timeout = 60)
{
    static const char *const rcpts[] = { "a@dest.test" };
    static const uint16_t groups[] = { 29, 23, 256 };
    const struct tls_case *c = &tls_cases[*i];
    const struct tls_params tp = { .protocols = TLS_PROTO_TLS12 | TLS_PROTO_TLS13,
                                   .groups = groups, .ngroups = 3,
                                   .anonymous = c->anonymous, .legacy_cbc = c->legacy_cbc };
    struct verify_arg va = { 0 };
    struct smtp_params p;
    struct smtp_message m;
    struct smtp_outcome o;
    const char *why = NULL;
    struct tls_ctx *own = tls_ctx_new(&tp, &why);

    cr_assert_not_null(own, "%s: %s", c->name, why);
    peer_start_args(50 + (unsigned)*i, "ok", c->args);
    params_init(&p, c->mode, &va);
    p.tls_ctx = own;
    message_init(&m, rcpts, 1);
    smtp_session(&p, &m, &o);
    if (!c->want_ok) {
        cr_assert_eq(o.result, SMTP_DEFER, "%s: %s", c->name, o.reason);
        cr_assert_eq(o.stage, SMTP_STAGE_HANDSHAKE, "%s: stage %d: %s", c->name, o.stage,
                     o.reason);
        cr_assert_str_eq(o.enhanced, "4.7.5", "%s", c->name);
        cr_assert_eq(o.cleartext_retry_ok, c->mode == SMTP_TLS_OPPORTUNISTIC, "%s", c->name);
        cr_assert_eq(mail_sent(), 0, "%s: MAIL FROM sent", c->name);
    } else {
        cr_assert_eq(o.result, SMTP_SENT, "%s: %s", c->name, o.reason);
        cr_assert_str_eq(o.facts.protocol, c->want_protocol, "%s", c->name);
        cr_assert_str_eq(o.facts.cipher, c->want_cipher, "%s", c->name);
        cr_assert_str_eq(o.facts.key_exchange, c->want_kex, "%s", c->name);
        cr_assert_eq(strncmp(o.facts.server_signature, c->want_sig, strlen(c->want_sig)), 0,
                     "%s: got signature '%s', want '%s'", c->name, o.facts.server_signature,
                     c->want_sig);
        if (c->want_digest[0])
            cr_assert_str_eq(o.facts.server_digest, c->want_digest, "%s", c->name);
        cr_assert_eq(o.facts.anonymous, c->anonymous && c->want_sig[0] == '\0', "%s",
                     c->name);
        cr_assert_eq(o.peer, o.facts.anonymous ? SMTP_PEER_ANONYMOUS : SMTP_PEER_VERIFIED);
    }
    smtp_outcome_free(&o);
    tls_ctx_free(own);
}

/* The body from a file descriptor: pread from offset 0, whatever the file
 * offset, so that the caller can try the next address with the same fd. */
Test(smtp_session, body_from_fd_with_8bitmime, .init = setup, .fini = teardown, .timeout = 60)
{
    static const char *const rcpts[] = { "a@dest.test" };
    static const char text[] = "Subject: caf\xc3\xa9\n\nline\n.\n";
    static const char want[] = "Subject: caf\xc3\xa9\r\n\r\nline\r\n..\r\n";
    struct verify_arg va = { 0 };
    struct smtp_params p;
    struct smtp_message m;
    struct smtp_outcome o;
    int fd = test_unlinked_file(text, strlen(text));

    peer_start(42, "ok");
    params_init(&p, SMTP_TLS_REQUIRED, &va);
    message_init(&m, rcpts, 1);
    m.fd = fd;
    m.buf = NULL;
    m.size = strlen(text);
    m.body_8bit = 1;
    smtp_session(&p, &m, &o);
    close(fd);
    cr_assert_eq(o.result, SMTP_SENT, "%s", o.reason);
    cr_assert_str_eq(peer_file("data"), want);
    cr_assert_not_null(strstr(peer_file("commands"), " BODY=8BITMIME"));
    smtp_outcome_free(&o);
}

/* An anonymous session is never authenticated, whatever the callback says. */
Test(smtp_session, anonymous_session_never_verified, .init = setup, .fini = teardown,
     .timeout = 60)
{
    static const char *const rcpts[] = { "a@dest.test" };
    static const char *const args[] = { "--anonymous", NULL };
    const struct tls_params tp = { .protocols = TLS_PROTO_TLS12 | TLS_PROTO_TLS13,
                                   .anonymous = 1 };
    struct verify_arg va = { .claim_verified = 1 };
    struct smtp_params p;
    struct smtp_message m;
    struct smtp_outcome o;
    const char *why = NULL;
    struct tls_ctx *own = tls_ctx_new(&tp, &why);

    cr_assert_not_null(own, "%s", why);
    peer_start_args(43, "ok", args);
    params_init(&p, SMTP_TLS_REQUIRED, &va);
    p.tls_ctx = own;
    message_init(&m, rcpts, 1);
    smtp_session(&p, &m, &o);
    cr_assert_eq(o.result, SMTP_DEFER, "%s", o.reason);
    cr_assert_eq(o.stage, SMTP_STAGE_VERIFY);
    cr_assert_str_eq(o.enhanced, "4.7.5");
    cr_assert_not_null(strstr(o.reason, "presented no certificate"), "%s", o.reason);
    cr_assert_eq(mail_sent(), 0);
    smtp_outcome_free(&o);
    tls_ctx_free(own);
}

/* Replies out of step (RFC 5321 §4.2, RFC 2920 §3): a reply that arrives
 * before its command was sent, or one too many, or of a kind the command
 * cannot have, is a protocol error: the attempt defers, no recipient is
 * sent, and every peer scenario ends the data with 554 so that a client
 * taking the early reply as the answer to the dot would report "sent". */
struct sync_case {
    const char *name;
    const char *scenario;
    enum smtp_tls_mode tls;
    int big_body;               /* 8 MB from a file: still sending when the
                                 * early reply arrives */
    enum smtp_stage want_stage;
    const char *want_enhanced;
    const char *want_reason;    /* substring */
    int want_dot_sent;          /* the peer received the end of data */
    const char *want_absent;    /* a command the peer must not have seen */
    unsigned max_line, max_lines;   /* reply limits; 0: defaults */
    int race;                   /* caught at want_stage or later, whether
                                 * the early reply comes before the dot or
                                 * after it depends on timing */
};

static const struct sync_case sync_cases[] = {
    { "early_reply_with_354", "early-dot-reply", SMTP_TLS_REQUIRED, 0, SMTP_STAGE_BODY,
      "4.5.0", "sent a reply to no command while sending message body", 0, NULL, 0, 0, 0 },
    { "reply_while_body_sent", "reply-during-body", SMTP_TLS_REQUIRED, 1, SMTP_STAGE_BODY,
      "4.5.0", "sent a reply to no command while sending message body", 0, NULL, 0, 0, 0 },
    { "surplus_after_ehlo", "surplus-ehlo", SMTP_TLS_REQUIRED, 0, SMTP_STAGE_STARTTLS,
      "4.5.0", "sent a reply to no command while sending STARTTLS", 0, "STARTTLS", 0, 0, 0 },
    { "surplus_after_ehlo_cleartext", "surplus-ehlo", SMTP_TLS_NONE, 0, SMTP_STAGE_MAIL,
      "4.5.0", "sent a reply to no command while sending MAIL FROM", 0, "MAIL", 0, 0, 0 },
    { "2xx_to_data", "data-250", SMTP_TLS_REQUIRED, 0, SMTP_STAGE_DATA, "4.5.0",
      "unexpected reply 250 2.0.0 Ok: queued as EARLY while sending DATA", 0, NULL, 0, 0, 0 },
    { "3xx_to_dot", "dot-354", SMTP_TLS_REQUIRED, 0, SMTP_STAGE_DOT, "4.5.0",
      "unexpected reply 354", 1, NULL, 0, 0, 0 },
    { "3xx_to_rcpt", "rcpt-354", SMTP_TLS_REQUIRED, 0, SMTP_STAGE_RCPT, "4.5.0",
      "unexpected reply 354 go ahead while sending RCPT TO", 0, "DATA", 0, 0, 0 },
    /* a 2xx to the end of data that was sent before it: the real answer
     * follows it at once, or comes as the reply to QUIT */
    { "dot_reply_then_surplus", "dot-surplus", SMTP_TLS_REQUIRED, 0, SMTP_STAGE_DOT, "4.5.0",
      "sent a reply to no command after the end of data -- message may be sent more than "
      "once: 554 5.7.1", 1, NULL, 0, 0, 0 },
    { "early_reply_before_dot", "early-before-dot", SMTP_TLS_REQUIRED, 0, SMTP_STAGE_BODY,
      "4.5.0", "protocol error: host ", 1, NULL, 0, 0, 1 },
    { "refusal_in_reply_to_quit", "quit-554", SMTP_TLS_REQUIRED, 0, SMTP_STAGE_QUIT, "4.5.0",
      "answered QUIT with 554 5.7.1 Error: rejected at end of data after the end of data -- "
      "message may be sent more than once", 1, NULL, 0, 0, 0 },
    /* a reply that fills the buffer exactly hides nothing behind it */
    { "surplus_after_full_buffer", "full-ehlo", SMTP_TLS_NONE, 0, SMTP_STAGE_MAIL, "4.5.0",
      "sent a reply to no command while sending MAIL FROM: 250 2.0.0 surplus", 0, "MAIL",
      100, 3, 0 },
    /* Postfix smtp_skip_5xx_greeting: a 5xx EHLO, HELO, or EHLO after TLS
     * only skips the host */
    { "5xx_ehlo_after_tls_defers", "tls-ehlo-554", SMTP_TLS_REQUIRED, 0, SMTP_STAGE_EHLO_TLS,
      "4.7.1", "refused to talk to me: 554 5.7.1", 0, "MAIL", 0, 0, 0 },
    { "5xx_ehlo_and_helo_defer", "554-ehlo-helo", SMTP_TLS_OPPORTUNISTIC, 0,
      SMTP_STAGE_HELO, "4.7.1", "refused to talk to me: 554 5.7.1", 0, "MAIL", 0, 0, 0 },
};

ParameterizedTestParameters(smtp_session, out_of_step)
{
    static size_t idx[sizeof(sync_cases) / sizeof(sync_cases[0])];
    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

/* big_body_fd - an unlinked file of 8 MB of text lines (1000 x's each) */
static int big_body_fd(uint64_t *size)
{
    const size_t line = 1001, lines = 8u * 1024;
    char *text = malloc(lines * line);
    int fd;

    cr_assert_not_null(text);
    memset(text, 'x', lines * line);
    for (size_t i = 1; i <= lines; i++)
        text[i * line - 1] = '\n';
    fd = test_unlinked_file(text, lines * line);
    free(text);
    *size = lines * line;
    return fd;
}

ParameterizedTest(size_t *i, smtp_session, out_of_step, .init = setup, .fini = teardown,
                  .timeout = 60)
{
    static const char *const rcpts[] = { "a@dest.test", "b@dest.test" };
    const struct sync_case *c = &sync_cases[*i];
    struct verify_arg va = { 0 };
    struct smtp_params p;
    struct smtp_message m;
    struct smtp_outcome o;

    peer_start(70 + (unsigned)*i, c->scenario);
    params_init(&p, c->tls, &va);
    p.limits.max_line = c->max_line;
    p.limits.max_lines = c->max_lines;
    message_init(&m, rcpts, 2);
    if (c->big_body)
        m.fd = big_body_fd(&m.size);
    smtp_session(&p, &m, &o);
    if (c->big_body)
        close(m.fd);

    cr_assert_eq(o.result, SMTP_DEFER, "%s: result %d (%s)", c->name, o.result, o.reason);
    if (c->race)
        cr_assert_geq(o.stage, c->want_stage, "%s: stage %d (%s)", c->name, o.stage, o.reason);
    else
        cr_assert_eq(o.stage, c->want_stage, "%s: stage %d (%s)", c->name, o.stage, o.reason);
    cr_assert_str_eq(o.enhanced, c->want_enhanced, "%s: %s", c->name, o.reason);
    cr_assert_not_null(strstr(o.reason, c->want_reason), "%s: reason '%s' lacks '%s'",
                       c->name, o.reason, c->want_reason);
    for (size_t k = 0; k < 2; k++) {
        cr_assert_eq(o.recipients[k].result, SMTP_DEFER, "%s: recipient %zu: %d (%s)",
                     c->name, k, o.recipients[k].result, o.recipients[k].reason);
        cr_assert_eq(o.recipients[k].enhanced[0], '4', "%s: recipient %zu has %s", c->name,
                     k, o.recipients[k].enhanced);
    }
    cr_assert(c->race || (peer_file("data")[0] != '\0') == c->want_dot_sent,
                 "%s: the end of data was %s", c->name,
                 c->want_dot_sent ? "not received" : "sent after an early reply");
    if (c->want_absent != NULL)
        cr_assert_not(peer_saw(c->want_absent), "%s: the peer saw %s: %s", c->name,
                      c->want_absent, peer_file("commands"));
    smtp_outcome_free(&o);
}

/* The outcome is decided by the 2xx to the dot: a server that never answers
 * QUIT does not hold the delivery for the QUIT timeout. */
Test(smtp_session, quit_unanswered_bounded, .init = setup, .fini = teardown, .timeout = 60)
{
    static const char *const rcpts[] = { "a@dest.test" };
    struct verify_arg va = { 0 };
    struct smtp_params p;
    struct smtp_message m;
    struct smtp_outcome o;
    uint64_t t0;

    peer_start(90, "no-quit-reply");
    params_init(&p, SMTP_TLS_REQUIRED, &va);
    p.deadline_ms = clock_now_ms() + 50000;
    message_init(&m, rcpts, 1);
    t0 = clock_now_ms();
    smtp_session(&p, &m, &o);
    cr_assert_eq(o.result, SMTP_SENT, "%s", o.reason);
    cr_assert_eq(o.recipients[0].result, SMTP_SENT);
    cr_assert_lt(clock_now_ms() - t0, 10000, "QUIT held the session for %llu ms",
                 (unsigned long long)(clock_now_ms() - t0));
    smtp_outcome_free(&o);
}

/* send_8bit - an 8-bit message to a peer without 8BITMIME */
static void send_8bit(unsigned slot, const char *text, struct smtp_outcome *o)
{
    static const char *const rcpts[] = { "a@dest.test" };
    struct verify_arg va = { 0 };
    struct smtp_params p;
    struct smtp_message m;

    peer_start(slot, "no-8bitmime");
    params_init(&p, SMTP_TLS_REQUIRED, &va);
    message_init(&m, rcpts, 1);
    m.buf = (const uint8_t *)text;
    m.len = m.size = strlen(text);
    m.body_8bit = 1;
    smtp_session(&p, &m, o);
}

/* RFC 6152 §3: no 8-bit data to a server without 8BITMIME. A text part is
 * converted to quoted-printable (mime8.h), as Postfix does; the server gets
 * 7-bit data and no BODY=8BITMIME. */
Test(smtp_session, rfc6152_s3_downgraded_without_8bitmime, .init = setup, .fini = teardown,
     .timeout = 60)
{
    static const char want[] = "Subject: hi\r\nMIME-Version: 1.0\r\n"
                               "Content-Type: text/plain; charset=unknown-8bit\r\n"
                               "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                               "caf=C3=A9 =3D 1\r\n..\r\n";
    struct smtp_outcome o;

    send_8bit(91, "Subject: hi\n\ncaf\xc3\xa9 = 1\n.\n", &o);
    cr_assert_eq(o.result, SMTP_SENT, "%s", o.reason);
    cr_assert_str_eq(peer_file("data"), want);
    cr_assert_null(strstr(peer_file("commands"), "BODY="), "%s", peer_file("commands"));
    smtp_outcome_free(&o);
}

/* ... and where conversion is impossible (8-bit octets in a header), the
 * message bounces 5.6.3 before MAIL: nothing is sent. */
Test(smtp_session, rfc6152_s3_unconvertible_bounces, .init = setup, .fini = teardown,
     .timeout = 60)
{
    struct smtp_outcome o;

    send_8bit(92, "Subject: caf\xc3\xa9\n\nline\n", &o);
    cr_assert_eq(o.result, SMTP_BOUNCE, "%s", o.reason);
    cr_assert_str_eq(o.enhanced, "5.6.3");
    cr_assert_not_null(strstr(o.reason, "does not offer 8BITMIME"), "%s", o.reason);
    cr_assert_eq(o.recipients[0].result, SMTP_BOUNCE);
    cr_assert_not(mail_sent(), "MAIL sent for an unconvertible message");
    smtp_outcome_free(&o);
}

/* requiretls_session - a REQUIRETLS message (RFC 8689) to a peer */
static void requiretls_session(unsigned slot, const char *scenario, enum smtp_tls_mode mode,
                               struct verify_arg *va, struct smtp_outcome *o)
{
    static const char *const rcpts[] = { "a@dest.test", "b@dest.test" };
    struct smtp_params p;
    struct smtp_message m;

    peer_start(slot, scenario);
    params_init(&p, mode, va);
    message_init(&m, rcpts, 2);
    m.requiretls = 1;
    smtp_session(&p, &m, o);
}

/* RFC 8689 §4.2.1: a Verified peer that offers REQUIRETLS over TLS gets
 * "MAIL FROM:<...> REQUIRETLS" and the message. */
Test(smtp_session, rfc8689_requiretls_offered_sent, .init = setup, .fini = teardown,
     .timeout = 60)
{
    struct verify_arg va = { 0 };
    struct smtp_outcome o;

    requiretls_session(93, "requiretls", SMTP_TLS_REQUIRED, &va, &o);
    cr_assert_eq(o.result, SMTP_SENT, "%s", o.reason);
    cr_assert_eq(o.requiretls_unmet, 0);
    cr_assert(o.ext & SMTP_EXT_REQUIRETLS);
    cr_assert_not_null(strstr(peer_file("commands"), "MAIL FROM:<sender@client.test> SIZE="));
    cr_assert_not_null(strstr(peer_file("commands"), " REQUIRETLS\n"), "%s",
                       peer_file("commands"));
    cr_assert_eq(o.recipients[0].result, SMTP_SENT);
    cr_assert_eq(o.recipients[1].result, SMTP_SENT);
    smtp_outcome_free(&o);
}

struct requiretls_case {
    const char *scenario;
    enum smtp_tls_mode mode;
    int untrusted;
    const char *reason;         /* part of the reason */
};

/* RFC 8689 §4.2.1: without Verified TLS and REQUIRETLS offered after
 * STARTTLS, no MAIL command: QUIT, 4.7.30, every recipient deferred (the
 * next MX may do), requiretls_unmet for the caller. */
static const struct requiretls_case requiretls_cases[] = {
    { "ok", SMTP_TLS_REQUIRED, 0, "REQUIRETLS not offered by host mx.peer.test" },
    /* capabilities seen before TLS do not count (RFC 3207 §4.2) */
    { "requiretls-plain", SMTP_TLS_REQUIRED, 0, "REQUIRETLS not offered" },
    { "requiretls", SMTP_TLS_REQUIRED, 1, "no Verified TLS with host" },
    { "no-starttls", SMTP_TLS_OPPORTUNISTIC, 0, "no TLS with host" },
};

ParameterizedTestParameters(smtp_session, rfc8689_requiretls_unmet)
{
    static size_t idx[sizeof(requiretls_cases) / sizeof(requiretls_cases[0])];

    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, smtp_session, rfc8689_requiretls_unmet,
                  .init = setup, .fini = teardown, .timeout = 60)
{
    const struct requiretls_case *c = &requiretls_cases[*i];
    struct verify_arg va = { .untrusted = c->untrusted };
    struct smtp_outcome o;

    requiretls_session(94 + (unsigned)*i, c->scenario, c->mode, &va, &o);
    cr_assert_eq(o.result, SMTP_DEFER, "%s", o.reason);
    cr_assert_eq(o.requiretls_unmet, 1);
    cr_assert_eq(o.stage, SMTP_STAGE_MAIL);
    cr_assert_str_eq(o.enhanced, "4.7.30");
    cr_assert_not_null(strstr(o.reason, c->reason), "%s", o.reason);
    cr_assert_eq(mail_sent(), 0, "%s", peer_file("commands"));
    cr_assert(peer_saw("QUIT"));
    cr_assert_eq(o.recipients[0].result, SMTP_DEFER);
    cr_assert_eq(o.recipients[1].result, SMTP_DEFER);
    cr_assert_str_eq(o.recipients[1].enhanced, "4.7.30");
    smtp_outcome_free(&o);
}

/* ---- connection reuse (params.keep, params.reuse) ---- */

/* keep_session - one message to a@dest.test over TLS, kept or over link */
static void keep_session(struct smtp_link *reuse, int keep, struct verify_arg *va,
                         struct smtp_outcome *o)
{
    static const char *const rcpts[] = { "a@dest.test" };
    struct smtp_params p;
    struct smtp_message m;

    params_init(&p, SMTP_TLS_REQUIRED, va);
    p.reuse = reuse;
    p.keep = keep;
    message_init(&m, rcpts, 1);
    smtp_session(&p, &m, o);
}

/* count - occurrences of needle in haystack */
static size_t count(const char *haystack, const char *needle)
{
    size_t n = 0;

    for (const char *at = strstr(haystack, needle); at != NULL; at = strstr(at + 1, needle))
        n++;
    return n;
}

/* The peer serves one connection only: the second message can go only over
 * the kept one. RSET after the first, MAIL at once on the second (no EHLO,
 * no handshake, no verification), QUIT after it; the TLS facts and peer
 * status are the first session's. */
Test(smtp_session, kept_connection_carries_the_next_message, .init = setup,
     .fini = teardown, .timeout = 60)
{
    struct verify_arg va = { 0 };
    struct smtp_outcome o1, o2;
    const char *cmds;

    peer_start(100, "ok");
    keep_session(NULL, 1, &va, &o1);
    cr_assert_eq(o1.result, SMTP_SENT, "%s", o1.reason);
    cr_assert_not_null(o1.link, "kept after RSET");
    cr_assert_eq(o1.conn_use, 1);
    keep_session(o1.link, 0, &va, &o2);
    o1.link = NULL;         /* taken over by the second session */
    cr_assert_eq(o2.result, SMTP_SENT, "%s", o2.reason);
    cr_assert_eq(o2.conn_use, 2);
    cr_assert_null(o2.link);
    cr_assert_eq(o2.peer, SMTP_PEER_VERIFIED);
    cr_assert_str_eq(o2.facts.protocol, "TLSv1.3");
    cr_assert_eq(o2.recipients[0].code, 250);
    cr_assert_eq(va.calls, 1, "verified once, for the connection");
    cmds = peer_file("commands");
    cr_assert_eq(count(cmds, "MAIL FROM:"), 2, "commands: %s", cmds);
    cr_assert_eq(count(cmds, "EHLO"), 2, "EHLO before and after STARTTLS only");
    cr_assert_eq(count(cmds, "RSET"), 1);
    cr_assert_eq(count(cmds, "QUIT"), 1);
    cr_assert_lt(strstr(cmds, "RSET") - cmds, strstr(cmds, "QUIT") - cmds);
    smtp_outcome_free(&o1);
    smtp_outcome_free(&o2);
}

/* replaced_session - a kept connection the scenario's peer (two
 * connections on slot) makes unusable after pause_ms: the second message
 * must go over a new connection; va counts verifications, *o2 its outcome
 * (the caller frees it) */
static void replaced_session(unsigned slot, const char *scenario, unsigned pause_ms,
                             struct verify_arg *va, struct smtp_outcome *o2)
{
    static const char *const two[] = { "--connections", "2", NULL };
    struct smtp_outcome o1;

    peer_start_args(slot, scenario, two);
    keep_session(NULL, 1, va, &o1);
    cr_assert_eq(o1.result, SMTP_SENT, "%s", o1.reason);
    cr_assert_not_null(o1.link);
    usleep(pause_ms * 1000);
    keep_session(o1.link, 0, va, o2);
    o1.link = NULL;
    cr_assert_eq(o2->result, SMTP_SENT, "%s", o2->reason);
    cr_assert_eq(o2->conn_use, 1, "a new connection");
    smtp_outcome_free(&o1);
}

/* A kept connection the server closed: the message goes over a new
 * connection to the same address, as if none had been kept */
Test(smtp_session, stale_kept_connection_replaced_by_a_new_one, .init = setup,
     .fini = teardown, .timeout = 60)
{
    struct verify_arg va = { 0 };
    struct smtp_outcome o2;

    replaced_session(101, "rset-close", 200, &va, &o2);    /* the peer has closed */
    cr_assert_eq(va.calls, 2, "the new connection verified again");
    cr_assert_eq(count(peer_file("commands"), "MAIL FROM:"), 2);
    smtp_outcome_free(&o2);
}

/* A refusal to RSET after the accepted end of data is what QUIT's would
 * be: the 2xx taken for the data came early, nothing is kept */
Test(smtp_session, rset_refused_after_data_is_a_protocol_error, .init = setup,
     .fini = teardown, .timeout = 60)
{
    struct verify_arg va = { 0 };
    struct smtp_outcome o;

    peer_start(102, "rset-554");
    keep_session(NULL, 1, &va, &o);
    cr_assert_neq(o.result, SMTP_SENT);
    cr_assert_null(o.link);
    cr_assert_not_null(strstr(o.reason, "answered RSET with 554"), "%s", o.reason);
    cr_assert_not_null(strstr(o.reason, "may be sent more than once"));
    smtp_outcome_free(&o);
}

/* A kept connection on which the server spoke unasked after its 250 to
 * RSET is out of step: its bytes would pass for the reply to MAIL. It is
 * closed unused and the message goes over a new connection. */
Test(smtp_session, chattering_kept_connection_closed_unused, .init = setup,
     .fini = teardown, .timeout = 60)
{
    struct verify_arg va = { 0 };
    struct smtp_outcome o2;
    const char *cmds;

    replaced_session(103, "rset-chatter", 500, &va, &o2);  /* the unasked line is in */
    cmds = peer_file("commands");
    cr_assert_eq(count(cmds, "MAIL FROM:"), 2, "commands: %s", cmds);
    cr_assert_eq(count(cmds, "EHLO"), 4, "two connections, two EHLO each");
    smtp_outcome_free(&o2);
}

/* A kept connection the server gives up at MAIL (421): nothing was
 * accepted on it, so the message goes over a new connection */
Test(smtp_session, kept_connection_421_at_mail_replaced, .init = setup,
     .fini = teardown, .timeout = 60)
{
    struct verify_arg va = { 0 };
    struct smtp_outcome o2;

    replaced_session(104, "reuse-421", 0, &va, &o2);
    cr_assert_eq(count(peer_file("commands"), "MAIL FROM:"), 3, "one refused, two accepted");
    smtp_outcome_free(&o2);
}
