/* test_dns_reply.c - getdns reply to facts (agent/dns/dns_reply.h), over real
 * replies captured from the testbed's unbound (fuzz/corpus/dns_reply/: byte
 * 0 the DNSSEC status index 400+i, bytes 1-2 query type and name indexes as
 * in fuzz_dns_reply.c, then the DNS message) */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns_reply.h"
#include "test_helpers.h"

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
        /* header counts far beyond the message: rejected before getdns's
         * parser, which would read past the end (found by fuzz_dns_reply) */
        {"rfc1035_s4_1_1_counts_beyond_message_rejected", "regress-counts-beyond-message",
         "dane.test", DNS_TYPE_MX, DNS_SERVFAIL, 0, 0, "", ""},
    };
    return cr_make_param_array(struct reply_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct reply_case *c, dns_reply, corpus)
{
    static struct dns_answer got;
    static const uint32_t statuses[] = { 400, 401, 402, 403, 999 };
    char path[512];
    uint8_t *buf;
    size_t len;

    snprintf(path, sizeof path, "%s/fuzz/corpus/dns_reply/%s", DANE_TEST_SRCDIR, c->file);
    buf = (uint8_t *)test_slurp(path, &len);
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
    free(buf);
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

/* ---- how long an answer may be kept (struct dns_answer.ttl) ----
 * Messages are built here in wire format for the query name ttl.test:
 * answer records are A (or an RRSIG over A), authority records an SOA of
 * test, an NSEC or an RRSIG over the SOA. An RRSIG's signature expiration
 * is given relative to the time of the test. */

#define TTL_QNAME "ttl.test"

struct ttl_rr {
    uint16_t type;          /* DNS_TYPE_A, 6 (SOA), 46 (RRSIG), 47 (NSEC) */
    uint32_t ttl;
    int32_t expires_in;     /* RRSIG: signature expiration - now */
    uint32_t minimum;       /* SOA: the MINIMUM field */
};

struct ttl_case {
    char rule[72];
    uint8_t rcode;
    uint32_t dnssec;        /* 400 secure, 401 bogus, 402 indeterminate, 403 insecure */
    struct ttl_rr an[4];
    size_t nan;
    struct ttl_rr ns[4];
    size_t nns;
    enum dns_status want;
    uint32_t want_min, want_max;    /* ttl within [min, max] */
};

struct wire {
    uint8_t b[65535];       /* RFC 1035 §4.2.2: a message fits 16 bits */
    size_t len;
};

static void w_u8(struct wire *w, uint32_t v)
{
    cr_assert_lt(w->len, sizeof w->b);
    w->b[w->len++] = (uint8_t)v;
}

static void w_u16(struct wire *w, uint32_t v)
{
    w_u8(w, v >> 8);
    w_u8(w, v);
}

static void w_u32(struct wire *w, uint32_t v)
{
    w_u16(w, v >> 16);
    w_u16(w, v);
}

/* w_name - "a.b" as uncompressed labels */
static void w_name(struct wire *w, const char *name)
{
    while (*name != '\0') {
        size_t n = strcspn(name, ".");

        w_u8(w, (uint32_t)n);
        for (size_t i = 0; i < n; i++)
            w_u8(w, (uint8_t)name[i]);
        name += n + (name[n] == '.');
    }
    w_u8(w, 0);
}

/* w_rr - one record; the RDLENGTH is patched in after the rdata */
static void w_rr(struct wire *w, const struct ttl_rr *rr, time_t now)
{
    size_t rdlength;

    w_name(w, rr->type == 6 ? "test" : TTL_QNAME);
    w_u16(w, rr->type);
    w_u16(w, 1);            /* IN */
    w_u32(w, rr->ttl);
    rdlength = w->len;
    w_u16(w, 0);
    switch (rr->type) {
    case DNS_TYPE_A:
        w_u32(w, 0x7f00190a);                   /* 127.0.25.10 */
        break;
    case 6:                                     /* SOA, RFC 1035 §3.3.13 */
        w_name(w, "ns.test");
        w_name(w, "hostmaster.test");
        w_u32(w, 1);
        w_u32(w, 3600);
        w_u32(w, 600);
        w_u32(w, 86400);
        w_u32(w, rr->minimum);
        break;
    case 46:                                    /* RRSIG, RFC 4034 §3.1 */
        w_u16(w, DNS_TYPE_A);
        w_u8(w, 13);
        w_u8(w, 2);
        w_u32(w, rr->ttl);
        w_u32(w, (uint32_t)now + (uint32_t)rr->expires_in);
        w_u32(w, (uint32_t)now - 3600u);
        w_u16(w, 12345);
        w_name(w, "test");
        for (int i = 0; i < 64; i++)
            w_u8(w, (uint32_t)i);
        break;
    case 47:                                    /* NSEC, RFC 4034 §4.1 */
        w_name(w, "zzz.test");
        w_u8(w, 0);
        w_u8(w, 1);
        w_u8(w, 0x40);                          /* A */
        break;
    default:
        cr_assert_fail("type %u not built", rr->type);
    }
    w->b[rdlength] = (uint8_t)((w->len - rdlength - 2) >> 8);
    w->b[rdlength + 1] = (uint8_t)(w->len - rdlength - 2);
}

static void build_message(const struct ttl_case *c, time_t now, struct wire *w)
{
    w->len = 0;
    w_u16(w, 0x1234);
    w_u16(w, 0x8180u | c->rcode);               /* QR RD RA */
    w_u16(w, 1);
    w_u16(w, (uint32_t)c->nan);
    w_u16(w, (uint32_t)c->nns);
    w_u16(w, 0);
    w_name(w, TTL_QNAME);
    w_u16(w, DNS_TYPE_A);
    w_u16(w, 1);
    for (size_t i = 0; i < c->nan; i++)
        w_rr(w, &c->an[i], now);
    for (size_t i = 0; i < c->nns; i++)
        w_rr(w, &c->ns[i], now);
}

#define A_RR(t) { DNS_TYPE_A, (t), 0, 0 }
#define SIG_RR(t, in) { 46, (t), (in), 0 }
#define SOA_RR(t, min) { 6, (t), 0, (min) }
#define NSEC_RR(t) { 47, (t), 0, 0 }

ParameterizedTestParameters(dns_reply, ttl)
{
    static struct ttl_case cases[] = {
        {"rfc2181_s5_2_least_ttl_of_the_answer", 0, 400,
         {A_RR(300), A_RR(120), A_RR(600)}, 3, {{0}}, 0, DNS_SECURE, 120, 120},
        {"rfc2181_s5_2_insecure_least_ttl", 0, 403,
         {A_RR(300), A_RR(250)}, 2, {{0}}, 0, DNS_INSECURE, 250, 250},
        {"rfc4035_s5_3_3_rrsig_expiration_caps_ttl", 0, 400,
         {A_RR(3600), SIG_RR(3600, 100)}, 2, {{0}}, 0, DNS_SECURE, 95, 100},
        {"rfc4035_s5_3_3_later_expiration_leaves_ttl", 0, 400,
         {A_RR(300), SIG_RR(300, 86400)}, 2, {{0}}, 0, DNS_SECURE, 300, 300},
        {"rfc4035_s5_3_1_expired_rrsig_not_kept", 0, 400,
         {A_RR(3600), SIG_RR(3600, -10)}, 2, {{0}}, 0, DNS_SECURE, 0, 0},
        {"rfc2308_s5_nxdomain_soa_minimum", 3, 400,
         {{0}}, 0, {SOA_RR(3600, 300)}, 1, DNS_NXDOMAIN_SECURE, 300, 300},
        {"rfc2308_s5_nxdomain_soa_ttl_below_minimum", 3, 400,
         {{0}}, 0, {SOA_RR(100, 300)}, 1, DNS_NXDOMAIN_SECURE, 100, 100},
        {"rfc2308_s5_nodata_least_authority_ttl", 0, 400,
         {{0}}, 0, {SOA_RR(3600, 900), NSEC_RR(200)}, 2, DNS_NODATA_SECURE, 200, 200},
        {"rfc2308_s5_nodata_insecure_soa", 0, 403,
         {{0}}, 0, {SOA_RR(600, 900)}, 1, DNS_NODATA_INSECURE, 600, 600},
        {"rfc2308_s5_negative_soa_signature_expiry", 3, 400,
         {{0}}, 0, {SOA_RR(3600, 3600), SIG_RR(3600, 100)}, 2, DNS_NXDOMAIN_SECURE, 95, 100},
        {"rfc2308_s5_nxdomain_without_soa_not_kept", 3, 400,
         {{0}}, 0, {NSEC_RR(300)}, 1, DNS_NXDOMAIN_SECURE, 0, 0},
        {"rfc2308_s5_nodata_without_soa_not_kept", 0, 400,
         {{0}}, 0, {{0}}, 0, DNS_NODATA_SECURE, 0, 0},
        {"rfc4033_s5_bogus_keeps_ttl_zero", 0, 401,
         {A_RR(300)}, 1, {{0}}, 0, DNS_BOGUS, 0, 0},
        {"rfc4033_s5_indeterminate_keeps_ttl_zero", 0, 402,
         {A_RR(300)}, 1, {{0}}, 0, DNS_INDETERMINATE, 0, 0},
        {"rfc1035_s4_1_1_servfail_keeps_ttl_zero", 2, 400,
         {{0}}, 0, {SOA_RR(300, 300)}, 1, DNS_SERVFAIL, 0, 0},
    };
    return cr_make_param_array(struct ttl_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct ttl_case *c, dns_reply, ttl)
{
    static struct wire w;
    static struct dns_answer got;
    time_t now = time(NULL);

    build_message(c, now, &w);
    cr_assert_eq(dns_reply_from_wire(w.b, w.len, c->dnssec, TTL_QNAME, DNS_TYPE_A, &got), 0,
                 "%s: %s", c->rule, got.why ? got.why : "");
    cr_expect_eq(got.status, c->want, "%s: status %s", c->rule, dns_status_name(got.status));
    cr_expect(got.ttl >= c->want_min && got.ttl <= c->want_max, "%s: ttl %u, want %u..%u",
              c->rule, got.ttl, c->want_min, c->want_max);
    dns_answer_clear(&got);
}

/* ---- TXT records (MTA-STS RFC 8461 §3.1, TLSRPT RFC 8460 §3) ----
 * Messages for _mta-sts.dane.test TXT built in wire format: each record's
 * rdata is given as its character-strings (RFC 1035 §3.3.14); a negative
 * answer carries the SOA of test. */

#define TXT_QNAME "_mta-sts.dane.test"
#define STS_RECORD "v=STSv1; id=20261205T000000;"

/* One TXT record to build: its rdata octets. */
struct txt_rdata {
    uint8_t b[4096];
    size_t len;
};

/* rd_string - one character-string of n octets (n <= 255) */
static void rd_string(struct txt_rdata *rd, const void *p, size_t n)
{
    cr_assert_leq(n, 255);
    cr_assert_leq(rd->len + 1 + n, sizeof rd->b);
    rd->b[rd->len++] = (uint8_t)n;
    memcpy(rd->b + rd->len, p, n);
    rd->len += n;
}

/* rd_text - a record of one character-string holding a C string */
static void rd_text(struct txt_rdata *rd, const char *text)
{
    rd->len = 0;
    rd_string(rd, text, strlen(text));
}

/* rd_filled - a record of len octets of 'x', in strings of at most 255 */
static void rd_filled(struct txt_rdata *rd, size_t len)
{
    static const char x[255] = { [0 ... 254] = 'x' };

    rd->len = 0;
    do {
        size_t n = len < sizeof x ? len : sizeof x;

        rd_string(rd, x, n);
        len -= n;
    } while (len > 0);
}

/* w_txt - one TXT record of owner with the given rdata */
static void w_txt(struct wire *w, const char *owner, uint32_t ttl,
                  const struct txt_rdata *rd)
{
    w_name(w, owner);
    w_u16(w, DNS_TYPE_TXT);
    w_u16(w, 1);            /* IN */
    w_u32(w, ttl);
    w_u16(w, (uint32_t)rd->len);
    for (size_t i = 0; i < rd->len; i++)
        w_u8(w, rd->b[i]);
}

/* txt_message - a reply with rcode and the n records at TXT_QNAME (each
 * with ttls[i], or 300 when ttls is NULL); with no record, the SOA of a
 * negative answer */
static void txt_message(struct wire *w, uint8_t rcode, const struct txt_rdata *rds,
                        size_t n, const uint32_t *ttls)
{
    static const struct ttl_rr soa = SOA_RR(600, 600);

    w->len = 0;
    w_u16(w, 0x1234);
    w_u16(w, 0x8180u | rcode);
    w_u16(w, 1);
    w_u16(w, (uint32_t)n);
    w_u16(w, n == 0 ? 1 : 0);
    w_u16(w, 0);
    w_name(w, TXT_QNAME);
    w_u16(w, DNS_TYPE_TXT);
    w_u16(w, 1);
    for (size_t i = 0; i < n; i++)
        w_txt(w, TXT_QNAME, ttls != NULL ? ttls[i] : 300, &rds[i]);
    if (n == 0)
        w_rr(w, &soa, time(NULL));
}

/* txt_convert - the built message as getdns would give it with dnssec */
static void txt_convert(const struct wire *w, uint32_t dnssec, struct dns_answer *got)
{
    cr_assert_eq(dns_reply_from_wire(w->b, w->len, dnssec, TXT_QNAME, DNS_TYPE_TXT, got),
                 0, "%s", got->why ? got->why : "");
    cr_assert_eq(got->qtype, DNS_TYPE_TXT);
}

/* expect_txt - record i holds exactly len octets of want */
static void expect_txt(const struct dns_answer *got, size_t i, const void *want, size_t len)
{
    cr_assert_not_null(got->txt);
    cr_assert_lt(i, got->ntxt);
    cr_expect_eq(got->txt[i].len, len, "record %zu: %zu octets, want %zu", i,
                 got->txt[i].len, len);
    cr_expect_eq(memcmp(got->txt[i].text, want, len), 0, "record %zu differs", i);
    cr_expect_eq(got->txt[i].text[len], '\0', "record %zu: no NUL after it", i);
}

/* expect_none_kept - records present, none kept, and why */
static void expect_none_kept(const struct dns_answer *got, size_t seen, const char *why)
{
    cr_expect_eq(got->status, DNS_SECURE, "status %s: the RRset exists",
                 dns_status_name(got->status));
    cr_expect_eq(got->nrr_seen, seen, "%zu seen", got->nrr_seen);
    cr_expect_eq(got->ntxt, 0, "%zu kept", got->ntxt);
    cr_expect_null(got->txt);
    cr_assert_not_null(got->why);
    cr_expect_str_eq(got->why, why);
}

Test(dns_reply, rfc7208_s3_3_txt_strings_concatenated)
{
    static struct wire w;
    static struct dns_answer got;
    struct txt_rdata rd = { .len = 0 };

    rd_string(&rd, "v=STSv1; ", 9);
    rd_string(&rd, "id=20261205T000000;", 19);
    txt_message(&w, 0, &rd, 1, NULL);
    txt_convert(&w, 400, &got);
    cr_expect_eq(got.status, DNS_SECURE, "status %s", dns_status_name(got.status));
    cr_expect_eq(got.nrr_seen, 1);
    cr_expect_eq(got.ntxt, 1);
    cr_expect_null(got.why, "why %s", got.why);
    cr_expect_eq(got.nrr, 0, "rr[] is not for TXT");
    expect_txt(&got, 0, STS_RECORD, strlen(STS_RECORD));
    cr_expect_str_eq(got.owner, TXT_QNAME);
    cr_expect_eq(got.ttl, 300);
    dns_answer_clear(&got);
    cr_expect_null(got.txt, "dns_answer_clear leaves the records");
}

Test(dns_reply, rfc1035_s3_3_14_sixteen_records_kept_in_order)
{
    static struct wire w;
    static struct dns_answer got;
    static struct txt_rdata rds[DNS_MAX_TXT];
    char text[8];

    for (size_t i = 0; i < DNS_MAX_TXT; i++) {
        snprintf(text, sizeof text, "r%02zu", i);
        rd_text(&rds[i], text);
    }
    txt_message(&w, 0, rds, DNS_MAX_TXT, NULL);
    txt_convert(&w, 400, &got);
    cr_expect_eq(got.status, DNS_SECURE);
    cr_assert_eq(got.ntxt, DNS_MAX_TXT);
    cr_expect_eq(got.nrr_seen, DNS_MAX_TXT);
    for (size_t i = 0; i < DNS_MAX_TXT; i++) {
        snprintf(text, sizeof text, "r%02zu", i);
        expect_txt(&got, i, text, 3);
    }
    dns_answer_clear(&got);
}

/* one record more than kept: none is kept, so a part of the RRset (which
 * might hide a second STSv1 record, RFC 8461 §3.1) is never the whole */
Test(dns_reply, rfc8461_s3_1_seventeen_records_none_kept)
{
    static struct wire w;
    static struct dns_answer got;
    static struct txt_rdata rds[DNS_MAX_TXT + 1];

    rd_text(&rds[0], STS_RECORD);
    for (size_t i = 1; i <= DNS_MAX_TXT; i++)
        rd_text(&rds[i], "v=spf1 -all");
    txt_message(&w, 0, rds, DNS_MAX_TXT + 1, NULL);
    txt_convert(&w, 400, &got);
    expect_none_kept(&got, DNS_MAX_TXT + 1, DNS_WHY_TXT_TOO_MANY);
    dns_answer_clear(&got);
}

Test(dns_reply, rfc1035_s3_3_empty_strings)
{
    static struct wire w;
    static struct dns_answer got;
    struct txt_rdata rds[2] = { { .len = 0 }, { .len = 0 } };

    rd_string(&rds[0], "", 0);                  /* TXT "" */
    rd_string(&rds[1], "", 0);                  /* TXT "" "ab" "" */
    rd_string(&rds[1], "ab", 2);
    rd_string(&rds[1], "", 0);
    txt_message(&w, 0, rds, 2, NULL);
    txt_convert(&w, 400, &got);
    cr_expect_eq(got.status, DNS_SECURE);
    cr_assert_eq(got.ntxt, 2);
    expect_txt(&got, 0, "", 0);
    expect_txt(&got, 1, "ab", 2);
    dns_answer_clear(&got);
}

Test(dns_reply, rfc1035_s3_3_nul_octet_kept_with_the_length)
{
    static struct wire w;
    static struct dns_answer got;
    static const char text[] = "v=STSv1;\0id=1;";
    struct txt_rdata rd = { .len = 0 };

    rd_string(&rd, text, sizeof text - 1);
    rd_string(&rd, "\0", 1);
    txt_message(&w, 0, &rd, 1, NULL);
    txt_convert(&w, 403, &got);
    cr_expect_eq(got.status, DNS_INSECURE);
    cr_assert_eq(got.ntxt, 1);
    expect_txt(&got, 0, "v=STSv1;\0id=1;\0", sizeof text);
    dns_answer_clear(&got);
}

Test(dns_reply, txt_record_of_2048_octets_kept)
{
    static struct wire w;
    static struct dns_answer got;
    static struct txt_rdata rd;
    static char want[DNS_TXT_MAX_LEN];

    memset(want, 'x', sizeof want);
    rd_filled(&rd, DNS_TXT_MAX_LEN);
    txt_message(&w, 0, &rd, 1, NULL);
    txt_convert(&w, 400, &got);
    cr_assert_eq(got.ntxt, 1);
    expect_txt(&got, 0, want, DNS_TXT_MAX_LEN);
    dns_answer_clear(&got);
}

/* an oversized record next to a valid STSv1 record: neither is kept */
Test(dns_reply, rfc8461_s3_1_oversized_record_none_kept)
{
    static struct wire w;
    static struct dns_answer got;
    static struct txt_rdata rds[2];

    rd_text(&rds[0], STS_RECORD);
    rd_filled(&rds[1], DNS_TXT_MAX_LEN + 1);
    memcpy(rds[1].b + 1, "v=STSv1; id=2;", 14);
    txt_message(&w, 0, rds, 2, NULL);
    txt_convert(&w, 400, &got);
    expect_none_kept(&got, 2, DNS_WHY_TXT_OVERSIZED);
    dns_answer_clear(&got);
}

/* rdata of no character-string at all, or one whose length overruns it */
Test(dns_reply, rfc1035_s3_3_14_malformed_rdata_none_kept)
{
    static struct wire w;
    static struct dns_answer got;
    struct txt_rdata rds[2] = { { .len = 0 }, { .len = 0 } };

    rd_text(&rds[0], STS_RECORD);
    txt_message(&w, 0, rds, 2, NULL);           /* rds[1]: empty rdata */
    txt_convert(&w, 400, &got);
    expect_none_kept(&got, 2, DNS_WHY_TXT_MALFORMED);
    dns_answer_clear(&got);
    rd_text(&rds[1], "abc");
    rds[1].b[0] = 4;                            /* one octet more than there is */
    txt_message(&w, 0, rds, 2, NULL);
    txt_convert(&w, 400, &got);                 /* getdns passes the rdata on */
    expect_none_kept(&got, 2, DNS_WHY_TXT_MALFORMED);
    dns_answer_clear(&got);
}

Test(dns_reply, rfc1034_s3_6_2_txt_of_another_owner_ignored)
{
    static struct wire w;
    static struct dns_answer got;
    struct txt_rdata rds[2];

    rd_text(&rds[0], STS_RECORD);
    rd_text(&rds[1], "v=STSv1; id=other;");
    txt_message(&w, 0, rds, 1, NULL);
    w_txt(&w, "_mta-sts.other.test", 300, &rds[1]);
    w.b[7] = 2;                                 /* ANCOUNT */
    txt_convert(&w, 400, &got);
    cr_expect_eq(got.nrr_seen, 1);
    cr_assert_eq(got.ntxt, 1);
    expect_txt(&got, 0, STS_RECORD, strlen(STS_RECORD));
    dns_answer_clear(&got);
}

Test(dns_reply, rfc2181_s5_2_txt_least_ttl)
{
    static struct wire w;
    static struct dns_answer got;
    static const uint32_t ttls[] = { 3600, 120, 900 };
    struct txt_rdata rds[3];

    rd_text(&rds[0], "a");
    rd_text(&rds[1], "b");
    rd_text(&rds[2], "c");
    txt_message(&w, 0, rds, 3, ttls);
    txt_convert(&w, 400, &got);
    cr_expect_eq(got.ntxt, 3);
    cr_expect_eq(got.ttl, 120, "ttl %u", got.ttl);
    dns_answer_clear(&got);
}

/* one DNSSEC status per TXT answer, as for the other types */
struct txt_status_case {
    char rule[64];
    uint8_t rcode;
    uint32_t dnssec;        /* 400 secure, 401 bogus, 402 indeterminate, 403 insecure */
    int records;            /* 1: the STSv1 record, 0: a negative answer */
    enum dns_status want;
    int kept;               /* 1: the record is in txt[] */
};

ParameterizedTestParameters(dns_reply, txt_status)
{
    static struct txt_status_case cases[] = {
        {"rfc4035_s5_secure_txt", 0, 400, 1, DNS_SECURE, 1},
        {"rfc4035_s5_insecure_txt", 0, 403, 1, DNS_INSECURE, 1},
        {"rfc4033_s5_bogus_txt", 0, 401, 1, DNS_BOGUS, 1},
        {"rfc4033_s5_indeterminate_txt", 0, 402, 1, DNS_INDETERMINATE, 1},
        {"rfc4035_s3_1_3_2_nodata_secure_txt", 0, 400, 0, DNS_NODATA_SECURE, 0},
        {"rfc4035_s5_nodata_insecure_txt", 0, 403, 0, DNS_NODATA_INSECURE, 0},
        {"rfc4035_s3_1_3_2_nxdomain_secure_txt", 3, 400, 0, DNS_NXDOMAIN_SECURE, 0},
        {"rfc4035_s5_nxdomain_insecure_txt", 3, 403, 0, DNS_NXDOMAIN_INSECURE, 0},
        {"rfc4033_s5_nxdomain_bogus_txt", 3, 401, 0, DNS_BOGUS, 0},
        {"rfc1035_s4_1_1_servfail_txt", 2, 400, 0, DNS_SERVFAIL, 0},
    };
    return cr_make_param_array(struct txt_status_case, cases,
                               sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct txt_status_case *c, dns_reply, txt_status)
{
    static struct wire w;
    static struct dns_answer got;
    struct txt_rdata rd;

    rd_text(&rd, STS_RECORD);
    txt_message(&w, c->rcode, &rd, (size_t)c->records, NULL);
    txt_convert(&w, c->dnssec, &got);
    cr_expect_eq(got.status, c->want, "%s: status %s", c->rule, dns_status_name(got.status));
    cr_expect_eq(got.ntxt, (size_t)c->kept, "%s: %zu kept", c->rule, got.ntxt);
    if (c->kept)
        expect_txt(&got, 0, STS_RECORD, strlen(STS_RECORD));
    if (dns_status_is_error(got.status)) {
        cr_expect_not_null(got.why, "%s: an error without a reason", c->rule);
        cr_expect_eq(got.ttl, 0, "%s: an error is never kept", c->rule);
    } else {
        cr_expect_gt(got.ttl, 0, "%s: ttl", c->rule);
    }
    dns_answer_clear(&got);
}
