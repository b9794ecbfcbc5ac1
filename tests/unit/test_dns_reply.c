/* test_dns_reply.c - getdns reply to facts (agent/dns_reply.h), over real
 * replies captured from the testbed's unbound (fuzz/corpus/dns_reply/: byte
 * 0 the DNSSEC status index 400+i, bytes 1-2 query type and name indexes as
 * in fuzz_dns_reply.c, then the DNS message) */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "dns_reply.h"

struct reply_case {
    char rule[80];
    char file[40];
    char qname[48];
    uint16_t qtype;
    enum dns_status want;
    size_t want_n;          /* records kept (MX, A, AAAA) or TLSA total */
    size_t want_usable;     /* TLSA */
    char want_owner[48];
    char want_first[48];    /* first MX host / address, "" none */
};

ParameterizedTestParameters(dns_reply, corpus)
{
    static struct reply_case cases[] = {
        {"rfc4035_s5_secure_mx", "mx_secure", "dane.test", DNS_TYPE_MX,
         DNS_SECURE, 1, 0, "dane.test", "mx.dane.test"},
        {"getdns16_bogus_mx_is_never_nxdomain", "mx_bogus", "dsmismatch.test",
         DNS_TYPE_MX, DNS_BOGUS, 1, 0, "dsmismatch.test", "mx.dsmismatch.test"},
        {"rfc7505_null_mx_is_one_empty_host", "mx_nullmx", "nullmx.test",
         DNS_TYPE_MX, DNS_SECURE, 1, 0, "nullmx.test", ""},
        {"rfc4035_s3_1_3_2_secure_nodata_mx", "mx_nodata", "nomx.test",
         DNS_TYPE_MX, DNS_NODATA_SECURE, 0, 0, "nomx.test", ""},
        {"rfc4035_s3_1_3_2_secure_nxdomain", "mx_nxdomain", "nosuch.dane.test",
         DNS_TYPE_MX, DNS_NXDOMAIN_SECURE, 0, 0, "nosuch.dane.test", ""},
        {"rfc4035_s5_insecure_mx", "mx_insecure", "unsigned.test", DNS_TYPE_MX,
         DNS_INSECURE, 1, 0, "unsigned.test", "mx.unsigned.test"},
        {"rfc5321_s5_1_four_mx_records_kept", "mx_multi", "multi.test",
         DNS_TYPE_MX, DNS_SECURE, 4, 0, "multi.test", ""},
        {"rfc4035_s5_secure_address", "a_secure", "mx.dane.test", DNS_TYPE_A,
         DNS_SECURE, 1, 0, "mx.dane.test", "127.0.25.10"},
        {"rfc4035_s5_secure_aaaa_nodata", "aaaa_nodata", "mx.dane.test",
         DNS_TYPE_AAAA, DNS_NODATA_SECURE, 0, 0, "mx.dane.test", ""},
        {"rfc1034_s3_6_2_cname_chain_followed", "a_cname", "mx.cname.test",
         DNS_TYPE_A, DNS_SECURE, 1, 0, "mx.dane.test", "127.0.25.10"},
        {"rfc1034_s3_6_2_two_link_chain", "a_cname_two", "mx-two.cname.test",
         DNS_TYPE_A, DNS_SECURE, 1, 0, "mx.nsec.test", "127.0.25.10"},
        {"rfc6698_s2_secure_tlsa_set", "tlsa_secure", "_25._tcp.mx.dane.test",
         DNS_TYPE_TLSA, DNS_SECURE, 2, 2, "_25._tcp.mx.dane.test", ""},
        {"rfc7672_s2_2_bogus_tlsa_keeps_status", "tlsa_badsig",
         "_25._tcp.mx.badsig.test", DNS_TYPE_TLSA, DNS_BOGUS, 1, 1,
         "_25._tcp.mx.badsig.test", ""},
        {"rfc5155_secure_nodata_tlsa_nsec3", "tlsa_nodata_nsec3",
         "_25._tcp.mx.nsec3.test", DNS_TYPE_TLSA, DNS_NODATA_SECURE, 0, 0,
         "_25._tcp.mx.nsec3.test", ""},
        {"rfc7672_s3_1_3_pkix_usages_unusable", "tlsa_unusable",
         "_25._tcp.unusable.dane.test", DNS_TYPE_TLSA, DNS_SECURE, 2, 0,
         "_25._tcp.unusable.dane.test", ""},
        {"rfc1035_s4_1_1_servfail_rcode", "servfail", "dane.test", DNS_TYPE_MX,
         DNS_SERVFAIL, 0, 0, "dane.test", ""},
        {"rfc1035_s4_1_1_short_header_rejected", "truncated_header", "dane.test",
         DNS_TYPE_MX, DNS_SERVFAIL, 0, 0, "", ""},
    };
    return cr_make_param_array(struct reply_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct reply_case *c, dns_reply, corpus)
{
    static uint8_t buf[65536];
    static struct dns_answer got;
    static const uint32_t statuses[] = { 400, 401, 402, 403, 999 };
    char path[512];
    FILE *fp;
    size_t len;

    snprintf(path, sizeof path, "%s/fuzz/corpus/dns_reply/%s", DANE_TEST_SRCDIR, c->file);
    fp = fopen(path, "rb");
    cr_assert_not_null(fp, "%s: cannot open %s", c->rule, path);
    len = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    cr_assert_gt(len, 3);
    dns_reply_from_wire(buf + 3, len - 3, statuses[buf[0] % 5], c->qname, c->qtype, &got);
    cr_expect_eq(got.status, c->want, "%s: status %s, want %s", c->rule,
                 dns_status_name(got.status), dns_status_name(c->want));
    if (c->qtype == DNS_TYPE_TLSA) {
        cr_expect_eq(got.tlsa_total, c->want_n, "%s: %zu TLSA", c->rule, got.tlsa_total);
        cr_expect_eq(got.tlsa_usable, c->want_usable, "%s: %zu usable", c->rule,
                     got.tlsa_usable);
    } else {
        cr_expect_eq(got.nrr, c->want_n, "%s: %zu records", c->rule, got.nrr);
    }
    cr_expect_str_eq(got.owner, c->want_owner, "%s: owner %s", c->rule, got.owner);
    if (c->want_first[0] || (c->qtype == DNS_TYPE_MX && c->want_n == 1))
        cr_expect_str_eq(got.rr[0].text, c->want_first, "%s: first %s", c->rule,
                         got.rr[0].text);
    if (dns_status_is_error(got.status))
        cr_expect_not_null(got.why, "%s: an error without a reason", c->rule);
    dns_answer_clear(&got);
}

/* names: wire to text, bounded, never trusting label lengths */
struct name_case {
    char rule[64];
    uint8_t wire[24];
    size_t len;
    int ok;
    char text[32];
};

ParameterizedTestParameters(dns_reply, names)
{
    static struct name_case cases[] = {
        {"rfc1035_s3_1_root", {0}, 1, 1, ""},
        {"rfc1035_s3_1_lower_cased", {2, 'M', 'X', 4, 'T', 'e', 's', 't', 0}, 9, 1, "mx.test"},
        {"rfc1035_s3_1_escaped_byte", {3, 'a', '.', 'b', 0}, 5, 1, "a\\046b"},
        {"rfc1035_s3_1_label_overruns", {5, 'a', 'b', 0}, 4, 0, ""},
        {"rfc1035_s4_1_4_pointer_rejected", {0xc0, 0x0c}, 2, 0, ""},
        {"rfc1035_s3_1_missing_root", {1, 'a'}, 2, 0, ""},
        {"rfc1035_s3_1_bytes_after_root", {1, 'a', 0, 1}, 4, 0, ""},
        {"rfc1035_s3_1_empty_input", {0}, 0, 0, ""},
    };
    return cr_make_param_array(struct name_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct name_case *c, dns_reply, names)
{
    char out[DNS_NAME_MAX + 1];
    int rc = dns_wire_name_text(c->wire, c->len, out, sizeof out);

    cr_expect_eq(rc == 0, c->ok, "%s: rc %d", c->rule, rc);
    if (c->ok)
        cr_expect_str_eq(out, c->text, "%s: got %s", c->rule, out);
}

Test(dns_reply, rfc1035_s2_3_4_name_longer_than_buffer_rejected)
{
    uint8_t wire[] = { 10, 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 0 };
    char out[8];

    cr_expect_eq(dns_wire_name_text(wire, sizeof wire, out, sizeof out), -1);
}
