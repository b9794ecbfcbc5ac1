/* test_report.c - the JSON writer (agent/util/json.h) and the report lines and
 * records (agent/report/report.h): exact Postfix-format lines
 * (FORWARD_SECRECY_README, log_adhoc.c), RFC 8259 escaping, every field of
 * the man page's record, and the record parsed back by python3's json module */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "json.h"
#include "report.h"
#include "test_helpers.h"

/* ---- JSON writer ---------------------------------------------------- */

/* Criterion re-executes each case in a child: parameters hold arrays only. */
struct escape_case {
    char name[48];
    char in[16];
    size_t inlen;
    char want[64];
};

ParameterizedTestParameters(json, rfc8259_s7_string_escapes)
{
    static struct escape_case cases[] = {
        {"plain", "mx.example", 10, "\"mx.example\""},
        {"quote_backslash", "a\"b\\c", 5, "\"a\\\"b\\\\c\""},
        {"short_escapes", "\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\""},
        {"control_u00XX", "\x01\x1f", 2, "\"\\u0001\\u001f\""},
        {"nul_inside", "a\0b", 3, "\"a\\u0000b\""},
        {"del_escaped", "\x7f", 1, "\"\\u007f\""},
        {"slash_not_escaped", "a/b", 3, "\"a/b\""},
        {"rfc3629_two_byte_kept", "caf\xc3\xa9", 5, "\"caf\xc3\xa9\""},
        {"rfc3629_four_byte_kept", "\xf0\x9f\x98\x80", 4, "\"\xf0\x9f\x98\x80\""},
        {"rfc3629_truncated", "a\xc3", 2, "\"a\\ufffd\""},
        {"rfc3629_overlong", "\xc0\xaf", 2, "\"\\ufffd\\ufffd\""},
        {"rfc3629_overlong_three", "\xe0\x80\xaf", 3, "\"\\ufffd\\ufffd\\ufffd\""},
        {"rfc3629_surrogate", "\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""},
        {"rfc3629_above_10ffff", "\xf4\x90\x80\x80", 4,
         "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
        {"lone_continuation", "\x80z", 2, "\"\\ufffdz\""},
        {"byte_ff", "\xff", 1, "\"\\ufffd\""},
    };
    return cr_make_param_array(struct escape_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct escape_case *c, json, rfc8259_s7_string_escapes)
{
    struct json *j = json_new(1024);
    const char *why = NULL, *got;
    size_t len = 0;

    json_string_n(j, c->in, c->inlen);
    got = json_text(j, &len, &why);
    cr_assert_not_null(got, "%s: %s", c->name, why ? why : "");
    cr_assert_str_eq(got, c->want, "%s: got %s, want %s", c->name, got, c->want);
    cr_assert_eq(len, strlen(c->want));
    json_free(j);
}

Test(json, nested_members_and_numbers)
{
    struct json *j = json_new(1024);
    const char *why = NULL, *got;
    size_t len;

    json_object_begin(j);
    json_key(j, "a");
    json_array_begin(j);
    json_uint(j, UINT64_MAX);
    json_int(j, INT64_MIN);
    json_int(j, -1);
    json_bool(j, 1);
    json_bool(j, 0);
    json_null(j);
    json_string(j, NULL);
    json_object_begin(j);
    json_object_end(j);
    json_array_end(j);
    json_key(j, "b");
    json_string(j, "");
    json_object_end(j);
    got = json_text(j, &len, &why);
    cr_assert_not_null(got, "%s", why);
    cr_assert_str_eq(got, "{\"a\":[18446744073709551615,-9223372036854775808,"
                          "-1,true,false,null,null,{}],\"b\":\"\"}");
    json_free(j);
}

/* Each misuse leaves the writer in a sticky error: no partial record. */
enum misuse { VALUE_WITHOUT_KEY, KEY_AT_TOP, KEY_IN_ARRAY, KEY_TWICE,
              UNBALANCED, WRONG_END, TWO_TOP_VALUES, UNCLOSED, NOTHING,
              TOO_DEEP, OVER_CEILING };

struct misuse_case {
    char name[32];
    enum misuse what;
};

ParameterizedTestParameters(json, misuse_is_an_error)
{
    static struct misuse_case cases[] = {
        {"value_without_key", VALUE_WITHOUT_KEY}, {"key_at_top", KEY_AT_TOP},
        {"key_in_array", KEY_IN_ARRAY}, {"key_twice", KEY_TWICE},
        {"unbalanced", UNBALANCED}, {"wrong_end", WRONG_END},
        {"two_top_values", TWO_TOP_VALUES}, {"unclosed", UNCLOSED},
        {"nothing", NOTHING}, {"too_deep", TOO_DEEP},
        {"over_ceiling", OVER_CEILING},
    };
    return cr_make_param_array(struct misuse_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct misuse_case *c, json, misuse_is_an_error)
{
    struct json *j = json_new(c->what == OVER_CEILING ? 8 : 1024);
    const char *why = NULL;
    size_t len = 0;
    int i;

    switch (c->what) {
    case VALUE_WITHOUT_KEY: json_object_begin(j); json_uint(j, 1);
        json_object_end(j); break;
    case KEY_AT_TOP: json_key(j, "k"); json_uint(j, 1); break;
    case KEY_IN_ARRAY: json_array_begin(j); json_key(j, "k"); json_uint(j, 1);
        json_array_end(j); break;
    case KEY_TWICE: json_object_begin(j); json_key(j, "k"); json_key(j, "l");
        json_uint(j, 1); json_object_end(j); break;
    case UNBALANCED: json_array_end(j); break;
    case WRONG_END: json_array_begin(j); json_object_end(j); break;
    case TWO_TOP_VALUES: json_uint(j, 1); json_uint(j, 2); break;
    case UNCLOSED: json_array_begin(j); break;
    case NOTHING: break;
    case TOO_DEEP:
        for (i = 0; i <= JSON_MAX_DEPTH; i++)
            json_array_begin(j);
        for (i = 0; i <= JSON_MAX_DEPTH; i++)
            json_array_end(j);
        break;
    case OVER_CEILING: json_string(j, "123456789"); break;
    }
    cr_assert_null(json_text(j, &len, &why), "%s: accepted", c->name);
    cr_assert_not_null(why, "%s: no reason", c->name);
    json_free(j);
}

Test(json, free_null_is_noop)
{
    json_free(NULL);
}

/* ---- delay notation (Postfix format_tv, 2 digits, 2 decimals) -------- */

struct delay_case {
    unsigned ms;
    char want[16];
};

ParameterizedTestParameters(report, postfix_delay_format)
{
    static struct delay_case cases[] = {
        {0, "0"}, {4, "0"}, {5, "0.01"}, {10, "0.01"}, {50, "0.05"},
        {95, "0.1"}, {500, "0.5"}, {530, "0.53"}, {999, "1"}, {1000, "1"},
        {1234, "1.2"}, {1250, "1.3"}, {9960, "10"}, {12400, "12"},
        {12700, "13"}, {100000, "100"}, {4294967295u, "4294967"},
    };
    return cr_make_param_array(struct delay_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct delay_case *c, report, postfix_delay_format)
{
    char got[24];

    report_format_delay(c->ms, got, sizeof(got));
    cr_assert_str_eq(got, c->want, "%u ms: got %s, want %s", c->ms, got, c->want);
}

/* ---- TLS line ------------------------------------------------------- */

/* Strings are set inside each test (pointers cannot cross into the
 * re-executed child), hence one Test per FORWARD_SECRECY_README variant. */
static struct report_attempt base_attempt(void)
{
    struct report_attempt a;

    memset(&a, 0, sizeof(a));
    a.destination = "dane.test";
    a.mx = "mx1.example";
    a.address = "192.0.2.1";
    a.port = 25;
    a.connected = 1;
    a.conn_use = 1;
    a.verification = "Verified";
    a.tls.version = "TLSv1.3";
    a.tls.cipher = "TLS_AES_256_GCM_SHA384";
    a.tls.bits = 256;
    a.tls.key_exchange = "X25519";
    a.tls.server_signature = "ECDSA (P-256)";
    a.tls.server_digest = "SHA256";
    return a;
}

static void assert_tls_line(const struct report_attempt *a, const char *want)
{
    char got[REPORT_LINE_MAX];
    size_t n = report_tls_line(a, got, sizeof(got));

    cr_assert_str_eq(got, want, "got  %s\nwant %s", got, want);
    cr_assert_eq(n, strlen(want));
}

Test(report, tls_line_tls13_ecdsa_design_example)
{
    struct report_attempt a = base_attempt();

    assert_tls_line(&a, "Verified TLS connection established to "
        "mx1.example[192.0.2.1]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 "
        "(256/256 bits) key-exchange X25519 server-signature ECDSA (P-256) "
        "server-digest SHA256");
}

Test(report, tls_line_tls12_dhe_rsa_pss)
{
    struct report_attempt a = base_attempt();

    a.mx = "mx.dane.test";
    a.address = "127.0.25.13";
    a.verification = "Untrusted";
    a.tls.version = "TLSv1.2";
    a.tls.cipher = "DHE-RSA-AES256-GCM-SHA384";
    a.tls.key_exchange = "DHE (2048 bits)";
    a.tls.server_signature = "RSA-PSS (2048 bits)";
    assert_tls_line(&a, "Untrusted TLS connection established to "
        "mx.dane.test[127.0.25.13]:25: TLSv1.2 with cipher "
        "DHE-RSA-AES256-GCM-SHA384 (256/256 bits) key-exchange DHE (2048 bits) "
        "server-signature RSA-PSS (2048 bits) server-digest SHA256");
}

Test(report, tls_line_ecdhe_curve_and_alg_bits)
{
    struct report_attempt a = base_attempt();

    a.verification = "Trusted";
    a.tls.cipher = "TLS_AES_128_GCM_SHA256";
    a.tls.bits = 128;
    a.tls.alg_bits = 128;
    a.tls.key_exchange = "ECDHE (P-256)";
    assert_tls_line(&a, "Trusted TLS connection established to "
        "mx1.example[192.0.2.1]:25: TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 "
        "(128/128 bits) key-exchange ECDHE (P-256) server-signature ECDSA "
        "(P-256) server-digest SHA256");
}

/* Ed25519 signs without a separate digest: no server-digest. */
Test(report, tls_line_ed25519_has_no_digest)
{
    struct report_attempt a = base_attempt();

    a.tls.server_signature = "ED25519";
    a.tls.server_digest = "";
    assert_tls_line(&a, "Verified TLS connection established to "
        "mx1.example[192.0.2.1]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 "
        "(256/256 bits) key-exchange X25519 server-signature ED25519");
}

/* A resumed session has no signature facts, and a digest without a
 * signature is not printed (Postfix prints it only after the signature); it
 * is "established" as in Postfix, whose "reused" means a cached connection. */
Test(report, tls_line_resumed_without_signature_facts)
{
    struct report_attempt a = base_attempt();

    a.tls.resumed = 1;
    a.tls.server_signature = NULL;
    assert_tls_line(&a, "Verified TLS connection established to "
        "mx1.example[192.0.2.1]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 "
        "(256/256 bits) key-exchange X25519");
}

Test(report, tls_line_anonymous_suite)
{
    struct report_attempt a = base_attempt();

    a.verification = "Anonymous";
    a.tls.version = "TLSv1.2";
    a.tls.cipher = "ADH-AES256-GCM-SHA384";
    a.tls.key_exchange = "DHE (3072 bits)";
    a.tls.server_signature = NULL;
    a.tls.server_digest = NULL;
    assert_tls_line(&a, "Anonymous TLS connection established to "
        "mx1.example[192.0.2.1]:25: TLSv1.2 with cipher ADH-AES256-GCM-SHA384 "
        "(256/256 bits) key-exchange DHE (3072 bits)");
}

Test(report, tls_line_no_key_exchange_known)
{
    struct report_attempt a = base_attempt();

    a.verification = NULL;      /* unknown: never claims more than Untrusted */
    a.tls.key_exchange = NULL;
    a.tls.server_signature = NULL;
    assert_tls_line(&a, "Untrusted TLS connection established to "
        "mx1.example[192.0.2.1]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 "
        "(256/256 bits)");
}

Test(report, tls_line_ipv6_and_unknown_name)
{
    struct report_attempt a = base_attempt();

    a.mx = NULL;
    a.address = "2001:db8::1";
    a.port = 2525;
    a.tls.server_signature = NULL;
    a.tls.key_exchange = NULL;
    assert_tls_line(&a, "Verified TLS connection established to "
        "2001:db8::1[2001:db8::1]:2525: TLSv1.3 with cipher "
        "TLS_AES_256_GCM_SHA384 (256/256 bits)");
}

Test(report, tls_line_empty_without_tls)
{
    struct report_attempt a = base_attempt();
    char got[64] = "junk";

    a.tls.version = NULL;
    cr_assert_eq(report_tls_line(&a, got, sizeof(got)), 0);
    cr_assert_str_eq(got, "");
}

Test(report, tls_line_peer_bytes_made_printable)
{
    struct report_attempt a = base_attempt();

    a.tls.cipher = "EVIL\r\nInjected: line\x1b[0m\xc3\xa9";
    a.tls.server_signature = NULL;
    a.tls.key_exchange = NULL;
    assert_tls_line(&a, "Verified TLS connection established to "
        "mx1.example[192.0.2.1]:25: TLSv1.3 with cipher "
        "EVIL??Injected: line?[0m?? (256/256 bits)");
}

Test(report, tls_line_cut_when_too_long)
{
    struct report_attempt a = base_attempt();
    char got[40];
    size_t n = report_tls_line(&a, got, sizeof(got));

    cr_assert_eq(n, sizeof(got) - 1);
    cr_assert_str_eq(got, "Verified TLS connection established ...");
}

/* ---- delivery lines --------------------------------------------------- */

static void assert_delivery(const struct report_attempt *a, size_t i,
                            const char *want)
{
    char got[REPORT_LINE_MAX];
    size_t n = report_delivery_line(a, i, got, sizeof(got));

    cr_assert_str_eq(got, want, "got  %s\nwant %s", got, want);
    cr_assert_eq(n, strlen(want));
}

Test(report, delivery_line_sent)
{
    struct report_attempt a = base_attempt();
    struct report_rcpt r = {.address = "alice@dane.test", .code = 250,
        .enhanced = "2.0.0", .text = "Ok: queued as 4Bx", .result = REPORT_SENT};

    a.rcpts = &r;
    a.nrcpts = 1;
    a.timings.total_ms = 530;
    a.timings.setup_ms = 300;
    a.timings.transfer_ms = 220;
    assert_delivery(&a, 0, "to=<alice@dane.test>, relay=mx1.example[192.0.2.1]:25, "
        "delay=0.53, delays=0.01/0/0.3/0.22, dsn=2.0.0, "
        "status=sent (250 2.0.0 Ok: queued as 4Bx)");
}

/* Postfix log_adhoc(): a reused connection says how many deliveries it
 * has carried, this one included, right after the relay */
Test(report, delivery_line_reused_connection_says_conn_use)
{
    struct report_attempt a = base_attempt();
    struct report_rcpt r = {.address = "alice@dane.test", .code = 250,
        .enhanced = "2.0.0", .text = "Ok: queued as 4By", .result = REPORT_SENT};

    a.rcpts = &r;
    a.nrcpts = 1;
    a.conn_use = 3;
    a.timings.total_ms = 20;
    a.timings.transfer_ms = 10;
    assert_delivery(&a, 0, "to=<alice@dane.test>, relay=mx1.example[192.0.2.1]:25, "
        "conn_use=3, delay=0.02, delays=0.01/0/0/0.01, dsn=2.0.0, "
        "status=sent (250 2.0.0 Ok: queued as 4By)");
}

Test(report, delivery_line_deferred_without_connection)
{
    struct report_attempt a = base_attempt();
    struct report_rcpt r = {.address = "bob@dane.test", .result = REPORT_DEFERRED,
        .enhanced = "4.7.5"};

    a.connected = 0;
    a.tls.version = NULL;
    a.reason = "TLSA lookup error for _25._tcp.mx1.example: SERVFAIL";
    a.rcpts = &r;
    a.nrcpts = 1;
    a.timings.total_ms = 12700;
    assert_delivery(&a, 0, "to=<bob@dane.test>, relay=none, delay=13, "
        "delays=13/0/0/0, dsn=4.7.5, status=deferred (TLSA lookup error for "
        "_25._tcp.mx1.example: SERVFAIL)");
}

Test(report, delivery_line_bounced_with_postfix_status_text)
{
    struct report_attempt a = base_attempt();
    struct report_rcpt r[2] = {
        {.address = "ok@dane.test", .code = 250, .enhanced = "2.1.5",
         .text = "Ok", .result = REPORT_SENT},
        {.address = "reject@dane.test", .code = 550, .enhanced = "5.1.1",
         .text = "testbed: recipient rejected", .result = REPORT_BOUNCED,
         .status = "host mx1.example[192.0.2.1] said: 550 5.1.1 testbed: "
                   "recipient rejected (in reply to RCPT TO command)"},
    };

    a.rcpts = r;
    a.nrcpts = 2;
    a.timings.total_ms = 1234;
    a.timings.setup_ms = 1000;
    a.timings.transfer_ms = 234;
    assert_delivery(&a, 1, "to=<reject@dane.test>, relay=mx1.example[192.0.2.1]:25, "
        "delay=1.2, delays=0/0/1/0.23, dsn=5.1.1, status=bounced (host "
        "mx1.example[192.0.2.1] said: 550 5.1.1 testbed: recipient rejected "
        "(in reply to RCPT TO command))");
}

/* RFC 3463 class from the result when the server gave no enhanced code. */
Test(report, delivery_line_default_dsn_and_sanitised_reply)
{
    struct report_attempt a = base_attempt();
    struct report_rcpt r = {.address = "\xe7\x94\xa8\xe6\x88\xb7@dane.test\x01",
        .code = 452, .text = "too many\r\nrecipients\x80", .result = REPORT_DEFERRED};

    a.rcpts = &r;
    a.nrcpts = 1;
    assert_delivery(&a, 0, "to=<\xe7\x94\xa8\xe6\x88\xb7@dane.test?>, "
        "relay=mx1.example[192.0.2.1]:25, delay=0, delays=0/0/0/0, dsn=4.0.0, "
        "status=deferred (452 4.0.0 too many??recipients?)");
}

Test(report, delivery_line_cut_at_utf8_boundary)
{
    struct report_attempt a = base_attempt();
    char addr[200], got[64];
    struct report_rcpt r = {.result = REPORT_SENT, .code = 250};
    size_t i;

    for (i = 0; i + 2 < sizeof(addr); i += 2) {
        addr[i] = '\xc3';
        addr[i + 1] = '\xa9';
    }
    addr[i] = '\0';
    r.address = addr;
    a.rcpts = &r;
    a.nrcpts = 1;
    /* "to=<" then 28 whole é (56 bytes) and "...": 4 + 56 + 3 */
    cr_assert_eq(report_delivery_line(&a, 0, got, sizeof(got)), 63);
    cr_assert_eq(memcmp(got, "to=<", 4), 0);
    cr_assert_str_eq(got + 60, "...");
    cr_assert_eq((unsigned char)got[59], 0xa9);
    /* one byte less would split an é: the cut moves back a whole character */
    cr_assert_eq(report_delivery_line(&a, 0, got, sizeof(got) - 1), 61);
    cr_assert_str_eq(got + 58, "...");
    cr_assert_eq((unsigned char)got[57], 0xa9);
}

/* ---- JSON record -------------------------------------------------------- */

static struct report_attempt full_attempt(struct report_rcpt *r)
{
    struct report_attempt a = base_attempt();

    a.when = 1795467387;        /* 2026-11-23T20:56:27Z */
    a.destination = "dane.test";
    a.mx = "mx.dane.test";
    a.address = "127.0.25.10";
    a.sending_ip = "127.0.0.1";
    a.level = "dane";
    a.effective_level = "dane";
    a.dnssec.mx = "secure";
    a.dnssec.address = "secure";
    a.dnssec.tlsa = "secure";
    a.tlsa_base_domain = "mx.dane.test";
    a.sni = "mx.dane.test";
    a.tlsa_match.matched = 1;
    a.tlsa_match.usage = 2;
    a.tlsa_match.selector = 1;
    a.tlsa_match.mtype = 1;
    a.tlsa_match.depth = 1;
    a.authenticated_by = "dane";
    r[0] = (struct report_rcpt){.address = "alice@dane.test", .code = 250,
        .enhanced = "2.0.0", .text = "Ok: queued as 4Bx", .result = REPORT_SENT};
    r[1] = (struct report_rcpt){.address = "defer@dane.test", .code = 450,
        .enhanced = "4.2.0", .text = "testbed: recipient deferred",
        .result = REPORT_DEFERRED};
    a.rcpts = r;
    a.nrcpts = 2;
    a.result = REPORT_SENT;
    a.timings = (struct report_timings){.total_ms = 530, .dns_ms = 12,
        .connect_ms = 1, .tls_ms = 40, .setup_ms = 300, .transfer_ms = 220};
    return a;
}

Test(report, json_record_exact)
{
    struct report_rcpt r[2];
    struct report_attempt a = full_attempt(r);
    const char *why = NULL;
    size_t len = 0;
    char *got = report_json(&a, &len, &why);
    const char *want =
        "{\"time\":\"2026-11-23T20:56:27Z\",\"destination\":\"dane.test\","
        "\"mx\":\"mx.dane.test\",\"address\":\"127.0.25.10\",\"port\":25,"
        "\"sending_ip\":\"127.0.0.1\",\"level\":\"dane\",\"effective_level\":\"dane\","
        "\"dnssec\":{\"mx\":\"secure\",\"address\":\"secure\",\"tlsa\":\"secure\"},"
        "\"tlsa_base_domain\":\"mx.dane.test\",\"sni\":\"mx.dane.test\","
        "\"tls\":{\"version\":\"TLSv1.3\",\"cipher\":\"TLS_AES_256_GCM_SHA384\","
        "\"bits\":256,\"key_exchange\":\"X25519\",\"server_signature\":"
        "\"ECDSA (P-256)\",\"server_digest\":\"SHA256\",\"resumed\":false},"
        "\"verification\":\"Verified\",\"authenticated_by\":\"dane\","
        "\"tlsa_match\":{\"usage\":2,\"selector\":1,\"mtype\":1,\"depth\":1},"
        "\"recipients\":[{\"address\":\"alice@dane.test\",\"code\":250,"
        "\"enhanced\":\"2.0.0\",\"text\":\"Ok: queued as 4Bx\",\"result\":\"sent\","
        "\"status\":\"250 2.0.0 Ok: queued as 4Bx\"},"
        "{\"address\":\"defer@dane.test\",\"code\":450,\"enhanced\":\"4.2.0\","
        "\"text\":\"testbed: recipient deferred\",\"result\":\"deferred\","
        "\"status\":\"450 4.2.0 testbed: recipient deferred\"}],"
        "\"result\":\"sent\",\"reason\":null,\"rfc8460_result_type\":null,"
        "\"policy_type\":null,\"policy_string\":[],\"policy_domain\":null,"
        "\"mx_host_pattern\":null,\"requiretls\":false,\"tls_required_no\":false,"
        "\"conn_use\":1,\"timings\":{\"total_ms\":530,\"dns_ms\":12,\"connect_ms\":1,"
        "\"tls_ms\":40,\"setup_ms\":300,\"transfer_ms\":220}}\n";

    cr_assert_not_null(got, "%s", why);
    cr_assert_str_eq(got, want, "got  %s\nwant %s", got, want);
    cr_assert_eq(len, strlen(want));
    free(got);
}

/* issue 9: a resumed session says so in the JSON record only */
Test(report, json_record_resumed_true)
{
    struct report_rcpt r[2];
    struct report_attempt a = full_attempt(r);
    const char *why = NULL;
    size_t len = 0;
    char *got;

    a.tls.resumed = 1;
    a.tls.server_signature = NULL;
    a.tls.server_digest = NULL;
    got = report_json(&a, &len, &why);
    cr_assert_not_null(got, "%s", why);
    cr_expect_not_null(strstr(got, "\"server_signature\":null,\"server_digest\":null,"
                              "\"resumed\":true}"), "got %s", got);
    free(got);
}

Test(report, json_record_failure_has_nulls_and_rfc8460_type)
{
    struct report_rcpt r[2];
    struct report_attempt a = full_attempt(r);
    const char *why = NULL;
    size_t len = 0;
    char *got;

    a.when = 0;
    a.tls = (struct report_tls){0};
    a.verification = NULL;
    a.authenticated_by = NULL;
    a.tlsa_match.matched = 0;
    a.sni = NULL;
    a.dnssec.tlsa = NULL;
    a.result = REPORT_DEFERRED;
    a.reason = "4.7.5 certificate has expired";
    a.rfc8460 = "certificate-expired";
    a.nrcpts = 0;
    got = report_json(&a, &len, &why);
    cr_assert_not_null(got, "%s", why);
    cr_assert_eq(strncmp(got, "{\"destination\":", 15), 0, "%s", got);
    cr_assert_not_null(strstr(got, "\"tlsa\":null}"), "%s", got);
    cr_assert_not_null(strstr(got, "\"sni\":null,\"tls\":null,"
                                   "\"verification\":\"none\",\"authenticated_by\":null,\"tlsa_match\":null,"
                                   "\"recipients\":[],\"result\":\"deferred\","
                                   "\"reason\":\"4.7.5 certificate has expired\","
                                   "\"rfc8460_result_type\":\"certificate-expired\""),
                       "%s", got);
    free(got);
}

/* python3 parses the record back and checks every field of the record, so the
 * escaping is judged by an independent JSON parser, not by this writer. */
static void python_check(const char *record, size_t len, const char *script)
{
    char path[64], cmd[4096];
    int rc;

    test_tmpfile(path, sizeof(path), "test_report", record, len);
    rc = snprintf(cmd, sizeof(cmd), "python3 -c '%s' %s", script, path);
    cr_assert(rc > 0 && (size_t)rc < sizeof(cmd));
    rc = system(cmd);
    unlink(path);
    cr_assert_eq(rc, 0, "python3 rejected the record: %s", record);
}

Test(report, json_record_parses_back_with_hostile_peer_text)
{
    struct report_rcpt r[2];
    struct report_attempt a = full_attempt(r);
    const char *why = NULL;
    size_t len = 0;
    char *got;

    r[1].text = "bad \"quote\" \\ back\r\nslash \x01\x7f\xff\xc3";
    r[1].address = "\xe7\x94\xa8\xe6\x88\xb7@dane.test";
    a.reason = "host said: \"x\"\ttab";
    a.rfc8460 = "validation-failure";
    a.result = REPORT_DEFERRED;
    got = report_json(&a, &len, &why);
    cr_assert_not_null(got, "%s", why);
    cr_assert_eq(got[len - 1], '\n');
    cr_assert_null(memchr(got, '\n', len - 1), "one line per record");
    python_check(got, len,
        "import json,sys\n"
        "lines=open(sys.argv[1],encoding=\"utf-8\").read().split(\"\\n\")\n"
        "assert len(lines)==2 and lines[1]==\"\", lines\n"
        "r=json.loads(lines[0])\n"
        "want={\"time\",\"destination\",\"mx\",\"address\",\"port\",\"sending_ip\","
        "\"level\",\"effective_level\",\"dnssec\",\"tlsa_base_domain\",\"sni\",\"tls\","
        "\"verification\",\"authenticated_by\",\"tlsa_match\",\"recipients\",\"result\",\"reason\","
        "\"rfc8460_result_type\",\"policy_type\",\"policy_string\","
        "\"policy_domain\",\"mx_host_pattern\",\"requiretls\",\"tls_required_no\","
        "\"conn_use\",\"timings\"}\n"
        "assert set(r)==want, set(r)^want\n"
        "assert set(r[\"dnssec\"])=={\"mx\",\"address\",\"tlsa\"}\n"
        "assert set(r[\"tls\"])=={\"version\",\"cipher\",\"bits\",\"key_exchange\","
        "\"server_signature\",\"server_digest\",\"resumed\"}\n"
        "assert set(r[\"tlsa_match\"])=={\"usage\",\"selector\",\"mtype\",\"depth\"}\n"
        "x=r[\"recipients\"][1]\n"
        "assert set(x)=={\"address\",\"code\",\"enhanced\",\"text\",\"result\",\"status\"}\n"
        "assert x[\"text\"]==\"bad \\\"quote\\\" \\\\ back??slash ????\", x[\"text\"]\n"
        "assert x[\"address\"]==\"\\u7528\\u6237@dane.test\", x[\"address\"]\n"
        "assert r[\"reason\"]==\"host said: \\\"x\\\"?tab\", r[\"reason\"]\n"
        "assert r[\"rfc8460_result_type\"]==\"validation-failure\"\n"
        "assert r[\"timings\"][\"total_ms\"]==530\n");
    free(got);
}

/* ---- report file: append, one line per record ------------------------- */

Test(report, report_file_appends_whole_lines)
{
    char dir[64], path[96], buf[8192], err[512];
    struct report_rcpt r[2];
    struct report_attempt a = full_attempt(r);
    const char *why = NULL;
    int fd, i;
    size_t n;

    test_tmpdir(dir, sizeof(dir), "test_report_dir");
    snprintf(path, sizeof(path), "%s/report.jsonl", dir);
    for (i = 0; i < 2; i++) {   /* a second open appends, never truncates */
        fd = report_open(path, err, sizeof(err));
        cr_assert(fd >= 0, "%s", err);
        cr_assert_eq(report_write_json(fd, &a, &why), 0, "%s", why);
        cr_assert(fcntl(fd, F_GETFL) & O_APPEND);
        close(fd);
    }
    n = test_read_file(path, buf, sizeof(buf) - 1);
    buf[n] = '\0';
    test_rm_tree(dir);
    cr_assert_eq(strchr(buf, '\n') - buf + 1, (ssize_t)n / 2, "two equal lines");
    cr_assert_eq(memcmp(buf, buf + n / 2, n / 2), 0);
}

Test(report, report_open_failure_names_path_and_errno)
{
    char err[512] = "";

    cr_assert_eq(report_open("/nonexistent-dir/report.jsonl", err, sizeof(err)), -1);
    cr_assert_neq(strstr(err, "/nonexistent-dir/report.jsonl"), NULL, "%s", err);
    cr_assert_neq(strstr(err, strerror(ENOENT)), NULL, "%s", err);
}

/* A FIFO without a reader would block open(2) for ever without O_NONBLOCK;
 * with one it is still no place for records: only regular files. */
Test(report, report_open_refuses_fifo_without_blocking, .timeout = 5)
{
    char dir[64], path[256], err[512] = "";
    int reader;

    test_tmpdir(dir, sizeof(dir), "test_report");
    snprintf(path, sizeof(path), "%s/fifo", dir);
    cr_assert_eq(mkfifo(path, 0600), 0);
    cr_assert_eq(report_open(path, err, sizeof(err)), -1);
    cr_assert_neq(strstr(err, path), NULL, "%s", err);
    cr_assert_neq(strstr(err, strerror(ENXIO)), NULL, "%s", err);
    reader = open(path, O_RDONLY | O_NONBLOCK);
    cr_assert(reader >= 0);
    err[0] = '\0';
    cr_assert_eq(report_open(path, err, sizeof(err)), -1);
    cr_assert_neq(strstr(err, "not a regular file"), NULL, "%s", err);
    close(reader);
    test_rm_tree(dir);
}

Test(report, report_open_refuses_directory)
{
    char err[512] = "";

    cr_assert_eq(report_open("/tmp", err, sizeof(err)), -1);
    cr_assert_neq(strstr(err, "/tmp"), NULL, "%s", err);
}

Test(report, report_write_failure_has_reason)
{
    struct report_rcpt r[2];
    struct report_attempt a = full_attempt(r);
    const char *why = NULL;
    int fd = open("/dev/null", O_RDONLY);

    cr_assert_eq(report_write_json(fd, &a, &why), -1);
    cr_assert_not_null(why);
    close(fd);
}

/* ---- log lines: stderr copy ---------------------------------------------- */

Test(report, log_attempt_copies_lines_to_stderr_stream)
{
    struct report_rcpt r[2];
    struct report_attempt a = full_attempt(r);
    char buf[4096];
    size_t n;
    FILE *err = tmpfile();

    cr_assert_not_null(err);
    report_log_open();
    report_log_attempt(&a, err);
    report_log_line(LOG_INFO, "peer\r\nline", err);
    rewind(err);
    n = fread(buf, 1, sizeof(buf) - 1, err);
    buf[n] = '\0';
    fclose(err);
    cr_assert_str_eq(buf,
        "dane-agent: Verified TLS connection established to "
        "mx.dane.test[127.0.25.10]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 "
        "(256/256 bits) key-exchange X25519 server-signature ECDSA (P-256) "
        "server-digest SHA256\n"
        "dane-agent: mx.dane.test[127.0.25.10]:25: Verified via DANE (TLSA 2 1 1 at depth 1)\n"
        "dane-agent: to=<alice@dane.test>, relay=mx.dane.test[127.0.25.10]:25, "
        "delay=0.53, delays=0.01/0/0.3/0.22, dsn=2.0.0, status=sent (250 2.0.0 "
        "Ok: queued as 4Bx)\n"
        "dane-agent: to=<defer@dane.test>, relay=mx.dane.test[127.0.25.10]:25, "
        "delay=0.53, delays=0.01/0/0.3/0.22, dsn=4.2.0, status=deferred (450 "
        "4.2.0 testbed: recipient deferred)\n"
        "dane-agent: peer??line\n");
}

Test(report, rfc8460_s4_4_policy_members)
{
    static const char *const lines[] = {"version: STSv1", "mode: enforce",
                                        "mx: *.dane.test", "max_age: 86400"};
    struct report_rcpt r[2];
    struct report_attempt a = full_attempt(r);
    const char *why = NULL;
    size_t len = 0;
    char *got;

    a.policy.type = "sts";
    a.policy.domain = "dane.test";
    a.policy.strings = lines;
    a.policy.nstrings = 4;
    a.policy.mx_host_pattern = "*.dane.test";
    got = report_json(&a, &len, &why);
    cr_assert_not_null(got, "%s", why);
    cr_assert_not_null(strstr(got, "\"policy_type\":\"sts\",\"policy_string\":"
                              "[\"version: STSv1\",\"mode: enforce\",\"mx: *.dane.test\","
                              "\"max_age: 86400\"],\"policy_domain\":\"dane.test\","
                              "\"mx_host_pattern\":\"*.dane.test\""), "%s", got);
    free(got);
}

/* How a Verified peer was authenticated gets a line of its own after
 * Postfix's TLS line, which stays as Postfix writes it. */
Test(report, auth_line_says_dane_or_mta_sts)
{
    struct report_rcpt r[2];
    struct report_attempt a = full_attempt(r);
    char got[REPORT_LINE_MAX];

    cr_assert_gt(report_auth_line(&a, got, sizeof(got)), 0);
    cr_assert_str_eq(got, "mx.dane.test[127.0.25.10]:25: Verified via DANE "
                     "(TLSA 2 1 1 at depth 1)");
    a.authenticated_by = "mta-sts";
    a.policy.domain = "sts.test";
    a.policy.mx_host_pattern = "*.sts.test";
    report_auth_line(&a, got, sizeof(got));
    cr_assert_str_eq(got, "mx.dane.test[127.0.25.10]:25: Verified via MTA-STS policy "
                     "of sts.test (mx pattern *.sts.test)");
    a.authenticated_by = "pkix";
    report_auth_line(&a, got, sizeof(got));
    cr_assert_str_eq(got, "mx.dane.test[127.0.25.10]:25: Verified via PKIX");
    a.authenticated_by = NULL;
    cr_assert_eq(report_auth_line(&a, got, sizeof(got)), 0);
    cr_assert_str_eq(got, "");
}
