/* test_dns_lookup.c - dns_lookup_txt() (agent/dns/dns.h) through the real
 * resolver: getdns validating the replies of the DNS testbed's unbound
 * (tests/testbed/dns/start.sh, run once before the cases into
 * DANE_TEST_BINDIR/tests/dns-testbed; stop.sh stops it by its PID after
 * them). The TXT records of MTA-STS (RFC 8461 §3.1) and TLSRPT (RFC 8460
 * §3) listed in tests/testbed/dns/README.md: secure with the exact text,
 * insecure, bogus, no such name, no such type, and a second lookup served
 * by the DNS cache with the same facts. The testbed's addresses are fixed
 * (127.0.53.1/.2): ctest runs this test alone with the integration tests
 * (RESOURCE_LOCK testbed), and start.sh waits while another run holds them. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "dns.h"
#include "test_helpers.h"

#define RUN_DIR DANE_TEST_BINDIR "/tests/dns-testbed"
#define START DANE_TEST_SRCDIR "/tests/testbed/dns/start.sh"
#define STOP DANE_TEST_SRCDIR "/tests/testbed/dns/stop.sh"
#define ANCHORS RUN_DIR "/trust-anchors.key"

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    test_run_script(START, RUN_DIR, "test_dns_lookup");
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    test_run_script(STOP, RUN_DIR, "test_dns_lookup");
}

TestSuite(dns_lookup, .timeout = 60);

static const struct dns_upstream resolver[] = { { "127.0.53.2", 53 } };

/* new_resolver - the testbed's unbound and trust anchor, cache_dir or none */
static struct dns_resolver *new_resolver(const char *cache_dir)
{
    struct dns_config config = {
        .upstreams = resolver, .nupstreams = 1, .trust_anchors = ANCHORS,
        .timeout_ms = 5000, .cache_dir = cache_dir,
    };
    const char *why = NULL;
    struct dns_resolver *r = dns_resolver_new(&config, &why);

    cr_assert_not_null(r, "dns_resolver_new: %s", why ? why : "");
    return r;
}

struct txt_case {
    char rule[64];
    char name[48];
    enum dns_status want;
    char text[48];          /* the one record, "" none */
};

ParameterizedTestParameters(dns_lookup, txt)
{
    static struct txt_case cases[] = {
        {"rfc8461_s3_1_secure_mta_sts_record", "_mta-sts.dane.test", DNS_SECURE,
         "v=STSv1; id=20261205T000000;"},
        {"rfc8460_s3_secure_tlsrpt_record", "_smtp._tls.dane.test", DNS_SECURE,
         "v=TLSRPTv1; rua=mailto:tlsrpt@dane.test"},
        {"rfc4035_s5_insecure_txt_unsigned_zone", "_mta-sts.unsigned.test", DNS_INSECURE,
         "v=STSv1; id=unsigned1;"},
        {"rfc4033_s5_bogus_txt_corrupted_rrsig", "_mta-sts.badsig.test", DNS_BOGUS, ""},
        {"rfc4035_s3_1_3_2_nxdomain_secure_txt", "_mta-sts.nsec.test",
         DNS_NXDOMAIN_SECURE, ""},
        {"rfc4035_s3_1_3_2_nodata_secure_txt", "mx.dane.test", DNS_NODATA_SECURE, ""},
    };
    return cr_make_param_array(struct txt_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct txt_case *c, dns_lookup, txt)
{
    struct dns_resolver *r = new_resolver(NULL);
    struct dns_answer got;

    memset(&got, 0, sizeof got);
    dns_lookup_txt(r, c->name, &got);
    cr_expect_eq(got.status, c->want, "%s: status %s (%s), want %s", c->rule,
                 dns_status_name(got.status), got.why ? got.why : "",
                 dns_status_name(c->want));
    cr_expect_eq(got.qtype, DNS_TYPE_TXT, "%s: qtype", c->rule);
    cr_expect_eq(got.cached, 0, "%s: no cache configured", c->rule);
    if (c->text[0] != '\0') {
        cr_assert_eq(got.ntxt, 1, "%s: %zu records (%zu seen)", c->rule, got.ntxt,
                     got.nrr_seen);
        cr_expect_eq(got.txt[0].len, strlen(c->text), "%s: %zu octets", c->rule,
                     got.txt[0].len);
        cr_expect_str_eq(got.txt[0].text, c->text, "%s", c->rule);
        cr_expect_gt(got.ttl, 0, "%s: ttl", c->rule);
    }
    if (c->want == DNS_BOGUS)
        cr_expect_not_null(got.why, "%s: bogus without a reason", c->rule);
    dns_answer_clear(&got);
    dns_resolver_free(r);
}

/* the second lookup comes from the cache, with the same record */
Test(dns_lookup, txt_kept_in_the_dns_cache)
{
    char dir[64], cache[96];
    struct dns_resolver *r;
    struct dns_answer got;

    test_tmpdir(dir, sizeof dir, "test_dns_lookup");
    snprintf(cache, sizeof cache, "%s/cache", dir);
    memset(&got, 0, sizeof got);
    for (int round = 0; round < 2; round++) {
        r = new_resolver(cache);
        cr_assert_null(dns_resolver_cache_why(r), "%s", dns_resolver_cache_why(r));
        dns_lookup_txt(r, "_mta-sts.dane.test", &got);
        cr_expect_eq(got.cached, round, "round %d: cached %d", round, got.cached);
        cr_expect_eq(got.status, DNS_SECURE, "round %d: %s", round,
                     dns_status_name(got.status));
        cr_assert_eq(got.ntxt, 1, "round %d: %zu records", round, got.ntxt);
        cr_expect_str_eq(got.txt[0].text, "v=STSv1; id=20261205T000000;");
        dns_answer_clear(&got);
        dns_resolver_free(r);
    }
    test_rm_tree(dir);
}

/* A resolver kept across deliveries (a serve worker's) takes each one's
 * deadline: past it nothing is asked; with a new one the same resolver
 * (and its getdns context) answers again, and a passed capability check
 * holds without a question (the deadline has passed, yet it passes) */
Test(dns_lookup, kept_resolver_takes_each_deliverys_deadline)
{
    struct dns_resolver *r = new_resolver(NULL);
    struct dns_answer got;
    char msg[256];

    memset(&got, 0, sizeof got);
    dns_resolver_set_deadline(r, clock_now_ms() + 10000);
    cr_assert_eq(dns_resolver_check(r, msg, sizeof msg), 0, "%s", msg);
    dns_lookup_txt(r, "_mta-sts.dane.test", &got);
    cr_expect_eq(got.status, DNS_SECURE, "%s", dns_status_name(got.status));
    dns_answer_clear(&got);
    dns_resolver_set_deadline(r, clock_now_ms() - 1);
    dns_lookup_txt(r, "_mta-sts.dane.test", &got);
    cr_expect_eq(got.status, DNS_TIMEOUT, "past the deadline: %s",
                 dns_status_name(got.status));
    cr_expect_eq(dns_resolver_check(r, msg, sizeof msg), 0, "check held: %s", msg);
    dns_answer_clear(&got);
    dns_resolver_set_deadline(r, clock_now_ms() + 10000);
    dns_lookup_txt(r, "_smtp._tls.dane.test", &got);
    cr_expect_eq(got.status, DNS_SECURE, "a new deadline: %s", dns_status_name(got.status));
    cr_expect_eq(got.ntxt, 1);
    dns_answer_clear(&got);
    dns_resolver_free(r);
}
