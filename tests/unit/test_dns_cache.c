/* test_dns_cache.c - DNS answers shared between processes
 * (agent/dns/dns_cache.h): the entry encoding round trip, what is never kept,
 * the bounded decoder's rejections, and the cache in a scratch directory
 * (hits, misses on another name or type, TTL expiry and the max TTL cap,
 * keys bound to the trust anchors and upstreams, errors never kept, the
 * capability check mark, unusable directories) */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dns_cache.h"
#include "test_helpers.h"
#include "tlsa.h"

#define T0 ((time_t)1700000000)
#define BUF_CAP DNS_CACHE_MAX_ENTRY

/* ---- answers ---- */

static void set_name(char out[DNS_NAME_MAX + 1], const char *name)
{
    size_t n = strlen(name);

    cr_assert_leq(n, DNS_NAME_MAX);
    memcpy(out, name, n + 1);
}

/* base - an asked answer for (qname, qtype) with status and ttl */
static void base(struct dns_answer *a, const char *qname, uint16_t qtype,
                 enum dns_status status, uint32_t ttl)
{
    memset(a, 0, sizeof *a);
    a->asked = 1;
    a->status = status;
    a->qtype = qtype;
    a->ttl = ttl;
    a->rcode = status == DNS_NXDOMAIN_SECURE || status == DNS_NXDOMAIN_INSECURE ? 3 : 0;
    set_name(a->qname, qname);
    set_name(a->owner, qname);
}

static void add_rr(struct dns_answer *a, uint16_t preference, const char *text)
{
    cr_assert_lt(a->nrr, DNS_MAX_RRS);
    a->rr[a->nrr].preference = preference;
    set_name(a->rr[a->nrr].text, text);
    a->nrr++;
    a->nrr_seen++;
}

static void mx_secure(struct dns_answer *a)
{
    base(a, "dane.test", DNS_TYPE_MX, DNS_SECURE, 3600);
    add_rr(a, 10, "mx1.dane.test");
    add_rr(a, 20, "mx2.dane.test");
    add_rr(a, 0, "");           /* RFC 7505 null MX text kept as "" */
    add_rr(a, 65535, "backup.example");
    a->nrr_seen = 6;            /* more seen than kept */
}

static void a_insecure(struct dns_answer *a)
{
    base(a, "mx.unsigned.test", DNS_TYPE_A, DNS_INSECURE, 300);
    add_rr(a, 0, "192.0.2.1");
    add_rr(a, 0, "192.0.2.2");
}

static void aaaa_nodata(struct dns_answer *a)
{
    base(a, "mx.dane.test", DNS_TYPE_AAAA, DNS_NODATA_SECURE, 60);
}

static void nxdomain_secure(struct dns_answer *a)
{
    base(a, "nosuch.dane.test", DNS_TYPE_MX, DNS_NXDOMAIN_SECURE, 900);
}

static const uint8_t sha256_a[32] = { 0x01, 0x02, 0x03, [31] = 0xff };
static const uint8_t sha512_b[64] = { 0xaa, [63] = 0x55 };
static const uint8_t sha256_c[32] = { 0xc0, 0xff, 0xee };

static void tlsa_secure(struct dns_answer *a)
{
    const char *why = NULL;

    base(a, "_25._tcp.mx.dane.test", DNS_TYPE_TLSA, DNS_SECURE, 1800);
    a->tlsa = tlsa_set_new();
    cr_assert_not_null(a->tlsa);
    cr_assert_eq(tlsa_set_add_rr(a->tlsa, 3, 1, 1, sha256_a, sizeof sha256_a, &why), 0);
    cr_assert_eq(tlsa_set_add_rr(a->tlsa, 3, 1, 2, sha512_b, sizeof sha512_b, &why), 0);
    cr_assert_eq(tlsa_set_add_rr(a->tlsa, 2, 0, 1, sha256_c, sizeof sha256_c, &why), 0);
    a->tlsa_total = tlsa_set_count(a->tlsa);
    a->tlsa_usable = tlsa_set_usable_count(a->tlsa);
    a->nrr_seen = 3;
}

static void cname_chain(struct dns_answer *a)
{
    base(a, "mx-two.cname.test", DNS_TYPE_A, DNS_SECURE, 120);
    a->ncnames = 2;
    set_name(a->cnames[0], "mx.cname.test");
    set_name(a->cnames[1], "mx.nsec.test");
    set_name(a->owner, "mx.nsec.test");
    add_rr(a, 0, "127.0.25.10");
}

static void note_kept(struct dns_answer *a)
{
    tlsa_secure(a);
    a->why = "malformed TLSA record ignored";
    a->nrr_seen = 4;
}

/* add_txt - one more TXT record of len octets of text */
static void add_txt(struct dns_answer *a, const void *text, size_t len)
{
    if (a->txt == NULL)
        a->txt = calloc(DNS_MAX_TXT, sizeof *a->txt);
    cr_assert_not_null(a->txt);
    cr_assert_lt(a->ntxt, DNS_MAX_TXT);
    cr_assert_leq(len, DNS_TXT_MAX_LEN);
    memcpy(a->txt[a->ntxt].text, text, len);
    a->txt[a->ntxt].len = len;
    a->ntxt++;
    a->nrr_seen = a->ntxt;
}

/* txt_secure - MTA-STS and other records: one with a NUL, one empty */
static void txt_secure(struct dns_answer *a)
{
    base(a, "_mta-sts.dane.test", DNS_TYPE_TXT, DNS_SECURE, 300);
    add_txt(a, "v=STSv1; id=20261205T000000;", 28);
    add_txt(a, "a\0b", 3);
    add_txt(a, "", 0);
}

/* txt_full - the most kept: DNS_MAX_TXT records of DNS_TXT_MAX_LEN octets */
static void txt_full(struct dns_answer *a)
{
    static char big[DNS_TXT_MAX_LEN];

    base(a, "_smtp._tls.dane.test", DNS_TYPE_TXT, DNS_INSECURE, 60);
    for (size_t i = 0; i < DNS_MAX_TXT; i++) {
        memset(big, 'a' + (int)i, sizeof big);
        add_txt(a, big, sizeof big);
    }
}

/* txt_none_kept - an RRset over the bounds: records seen, none kept */
static void txt_none_kept(struct dns_answer *a)
{
    base(a, "_mta-sts.big.test", DNS_TYPE_TXT, DNS_SECURE, 300);
    a->nrr_seen = DNS_MAX_TXT + 1;
    a->why = DNS_WHY_TXT_TOO_MANY;
}

/* expect_same - every fact of want in got, and got served from the cache */
static void expect_same(const struct dns_answer *got, const struct dns_answer *want,
                        const char *rule)
{
    cr_expect_eq(got->asked, 1, "%s: asked", rule);
    cr_expect_eq(got->cached, 1, "%s: cached", rule);
    cr_expect_eq(got->status, want->status, "%s: status %s", rule,
                 dns_status_name(got->status));
    cr_expect_eq(got->qtype, want->qtype, "%s: qtype", rule);
    cr_expect_eq(got->rcode, want->rcode, "%s: rcode", rule);
    cr_expect_eq(got->ttl, want->ttl, "%s: ttl %u", rule, got->ttl);
    cr_expect_str_eq(got->qname, want->qname, "%s: qname", rule);
    cr_expect_str_eq(got->owner, want->owner, "%s: owner", rule);
    if (want->why == NULL)
        cr_expect_null(got->why, "%s: why %s", rule, got->why);
    else
        cr_expect_str_eq(got->why, want->why, "%s: why", rule);
    cr_expect_eq(got->ncnames, want->ncnames, "%s: ncnames", rule);
    for (size_t i = 0; i < want->ncnames && i < got->ncnames; i++)
        cr_expect_str_eq(got->cnames[i], want->cnames[i], "%s: cname %zu", rule, i);
    cr_expect_eq(got->nrr, want->nrr, "%s: nrr", rule);
    cr_expect_eq(got->nrr_seen, want->nrr_seen, "%s: nrr_seen", rule);
    for (size_t i = 0; i < want->nrr && i < got->nrr; i++) {
        cr_expect_eq(got->rr[i].preference, want->rr[i].preference, "%s: pref %zu", rule, i);
        cr_expect_str_eq(got->rr[i].text, want->rr[i].text, "%s: rr %zu", rule, i);
    }
    cr_expect_eq(got->ntxt, want->ntxt, "%s: ntxt", rule);
    cr_expect_eq(got->txt == NULL, want->txt == NULL, "%s: txt", rule);
    for (size_t i = 0; i < want->ntxt && i < got->ntxt && got->txt != NULL; i++)
        cr_expect(got->txt[i].len == want->txt[i].len
                  && memcmp(got->txt[i].text, want->txt[i].text, want->txt[i].len) == 0
                  && got->txt[i].text[got->txt[i].len] == '\0',
                  "%s: TXT record %zu differs", rule, i);
    cr_expect_eq(got->tlsa_total, want->tlsa_total, "%s: tlsa_total", rule);
    cr_expect_eq(got->tlsa_usable, want->tlsa_usable, "%s: tlsa_usable", rule);
    cr_expect_eq(got->tlsa == NULL, want->tlsa == NULL, "%s: tlsa set", rule);
    if (got->tlsa == NULL || want->tlsa == NULL)
        return;
    cr_expect_eq(tlsa_set_count(got->tlsa), tlsa_set_count(want->tlsa), "%s: set", rule);
    for (size_t i = 0; i < tlsa_set_count(want->tlsa) && i < tlsa_set_count(got->tlsa); i++) {
        const struct tlsa_rr *g = tlsa_set_record(got->tlsa, i);
        const struct tlsa_rr *w = tlsa_set_record(want->tlsa, i);

        cr_expect(g->usage == w->usage && g->selector == w->selector
                  && g->mtype == w->mtype && g->len == w->len
                  && memcmp(g->data, w->data, w->len) == 0,
                  "%s: TLSA record %zu differs", rule, i);
    }
}

/* ---- encode / decode round trip ---- */

/* makers[] by index: Criterion copies parameters into another process
 * image, so they hold no pointers */
static void (*const makers[])(struct dns_answer *) = {
    mx_secure, a_insecure, aaaa_nodata, nxdomain_secure, tlsa_secure, cname_chain,
    note_kept, txt_secure, txt_full, txt_none_kept,
};
#define NMAKERS (sizeof makers / sizeof makers[0])

struct round_case {
    char rule[64];
    size_t make;        /* index into makers[] */
};

ParameterizedTestParameters(dns_cache, round_trip)
{
    static struct round_case cases[] = {
        {"rfc5321_s5_1_mx_secure_preferences_and_names", 0},
        {"rfc4035_s5_a_insecure", 1},
        {"rfc4035_s3_1_3_2_aaaa_nodata_secure", 2},
        {"rfc2308_s5_nxdomain_secure_kept", 3},
        {"rfc6698_s2_tlsa_secure_set", 4},
        {"rfc1034_s3_6_2_cname_chain_kept", 5},
        {"dns_reply_note_survives", 6},
        {"rfc7208_s3_3_txt_octets_and_lengths", 7},
        {"txt_sixteen_records_of_2048_octets", 8},
        {"rfc8461_s3_1_txt_none_kept_survives", 9},
    };
    return cr_make_param_array(struct round_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct round_case *c, dns_cache, round_trip)
{
    static uint8_t buf[BUF_CAP];
    struct dns_answer *want = calloc(1, sizeof *want), *got = calloc(1, sizeof *got);
    const char *why = NULL;
    size_t len;

    cr_assert(want != NULL && got != NULL);
    cr_assert_lt(c->make, NMAKERS);
    makers[c->make](want);
    len = dns_cache_encode(want, buf, sizeof buf);
    cr_assert_gt(len, 0, "%s: not encoded", c->rule);
    cr_assert_eq(dns_cache_decode(buf, len, got, &why), 0, "%s: %s", c->rule, why);
    expect_same(got, want, c->rule);
    if (want->qtype == DNS_TYPE_TLSA) {
        cr_expect_eq(got->tlsa_total, 3, "%s: three records", c->rule);
        cr_expect_eq(got->tlsa_usable, 2, "%s: RFC 7671 §9 agility", c->rule);
    }
    dns_answer_clear(want);
    dns_answer_clear(got);
    free(want);
    free(got);
}

Test(dns_cache, encode_needs_room)
{
    static uint8_t buf[BUF_CAP];
    struct dns_answer a;
    size_t len;

    mx_secure(&a);
    len = dns_cache_encode(&a, buf, sizeof buf);
    cr_assert_gt(len, 0);
    cr_expect_eq(dns_cache_encode(&a, buf, len - 1), 0, "a short buffer is no encoding");
    cr_expect_eq(dns_cache_encode(&a, buf, len), len);
}

/* ---- never kept ---- */

struct unkept_case {
    char rule[64];
    enum dns_status status;
    uint32_t ttl;
    int asked;
    char why[32];       /* "" none */
};

ParameterizedTestParameters(dns_cache, never_kept)
{
    static struct unkept_case cases[] = {
        {"rfc4033_s5_bogus_never_kept", DNS_BOGUS, 300, 1, ""},
        {"rfc4033_s5_indeterminate_never_kept", DNS_INDETERMINATE, 300, 1, ""},
        {"servfail_never_kept", DNS_SERVFAIL, 300, 1, ""},
        {"timeout_never_kept", DNS_TIMEOUT, 300, 1, ""},
        {"rfc1035_s3_2_1_ttl_zero_not_kept", DNS_SECURE, 0, 1, ""},
        {"never_asked_not_kept", DNS_SECURE, 300, 0, ""},
        {"reason_outside_the_notes_not_kept", DNS_SECURE, 300, 1, "out of memory"},
    };
    return cr_make_param_array(struct unkept_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct unkept_case *c, dns_cache, never_kept)
{
    static uint8_t buf[BUF_CAP];
    struct dns_answer a;

    base(&a, "dane.test", DNS_TYPE_MX, c->status, c->ttl);
    add_rr(&a, 10, "mx.dane.test");
    a.asked = c->asked;
    a.why = c->why[0] ? c->why : NULL;
    cr_expect_eq(dns_cache_keepable(&a), 0, "%s: keepable", c->rule);
    cr_expect_eq(dns_cache_encode(&a, buf, sizeof buf), 0, "%s: encoded", c->rule);
}

/* ---- decode rejects ---- */

/* small - an encoding of a tiny answer: qname and owner "a", no CNAME, no
 * record; offsets: 0 version, 1 status, 2 rcode, 3 note, 4-5 qtype, 6-9
 * ttl, 10-11 qname, 12-13 owner, 14 ncnames, 15-18 nrr_seen, 19 nrr,
 * 20 ntxt, 21-22 ntlsa */
#define OFF_VERSION 0
#define OFF_STATUS 1
#define OFF_NOTE 3
#define OFF_QTYPE 4
#define OFF_TTL 6
#define OFF_QNAME 10
#define OFF_NCNAMES 14
#define OFF_NRR 19
#define OFF_NTXT 20
#define SMALL_LEN 23u

static size_t small(uint8_t *buf, size_t cap)
{
    struct dns_answer a;
    size_t len;

    base(&a, "a", DNS_TYPE_A, DNS_NODATA_SECURE, 60);
    len = dns_cache_encode(&a, buf, cap);
    cr_assert_eq(len, SMALL_LEN, "the layout of dns_cache.c changed: %zu", len);
    return len;
}

static void expect_rejected(const uint8_t *buf, size_t len, const char *rule,
                            const char *want_why)
{
    struct dns_answer *got = calloc(1, sizeof *got);
    const char *why = NULL;

    cr_assert_not_null(got);
    cr_expect_eq(dns_cache_decode(buf, len, got, &why), -1, "%s: accepted", rule);
    cr_expect_not_null(why, "%s: no reason", rule);
    if (want_why != NULL && why != NULL)
        cr_expect_str_eq(why, want_why, "%s: why %s", rule, why);
    cr_expect_eq(got->asked, 0, "%s: out not cleared", rule);
    cr_expect_null(got->tlsa, "%s: TLSA set left behind", rule);
    cr_expect(got->txt == NULL && got->ntxt == 0, "%s: TXT records left behind", rule);
    cr_expect_eq(got->nrr + got->ncnames + got->ttl, 0, "%s: facts left behind", rule);
    dns_answer_clear(got);
    free(got);
}

Test(dns_cache, decode_rejects_every_truncation)
{
    static uint8_t buf[BUF_CAP];
    char rule[64];

    for (size_t m = 0; m < NMAKERS; m++) {
        struct dns_answer a;
        size_t len;

        makers[m](&a);
        len = dns_cache_encode(&a, buf, sizeof buf);
        cr_assert_gt(len, 0);
        for (size_t cut = 0; cut < len; cut++) {
            snprintf(rule, sizeof rule, "answer %zu cut at %zu of %zu", m, cut, len);
            expect_rejected(buf, cut, rule, "truncated");
        }
        dns_answer_clear(&a);
    }
}

struct reject_case {
    char rule[64];
    size_t off;         /* byte to change in the small encoding */
    uint8_t value;
    int append;         /* 1: add value at the end instead */
    char want_why[32];  /* the decoder's reason: the rule, not a truncation */
};

ParameterizedTestParameters(dns_cache, decode_rejects)
{
    static struct reject_case cases[] = {
        {"trailing_byte", 0, 0, 1, "trailing bytes"},
        {"version_before_txt", OFF_VERSION, 1, 0, "unknown encoding version"},
        {"version_next", OFF_VERSION, 3, 0, "unknown encoding version"},
        {"version_zero", OFF_VERSION, 0, 0, "unknown encoding version"},
        {"rfc4033_s5_bogus_status_byte", OFF_STATUS, DNS_BOGUS, 0, "status that is never kept"},
        {"servfail_status_byte", OFF_STATUS, DNS_SERVFAIL, 0, "status that is never kept"},
        {"timeout_status_byte", OFF_STATUS, DNS_TIMEOUT, 0, "status that is never kept"},
        {"status_out_of_range", OFF_STATUS, 200, 0, "status that is never kept"},
        {"unknown_note", OFF_NOTE, 7, 0, "unknown note"},
        {"unknown_note_high", OFF_NOTE, 255, 0, "unknown note"},
        {"txt_records_beyond_nrr_seen", OFF_NTXT, 1, 0, "bad TXT record count"},
        {"ncnames_over_max", OFF_NCNAMES, DNS_MAX_CNAMES + 1, 0, "too many CNAMEs"},
        {"nrr_over_nrr_seen", OFF_NRR, 1, 0, "bad record count"},
        {"name_with_nul", OFF_QNAME + 1, 0, 0, "bad name"},
        {"rfc1035_s3_2_1_ttl_zero", OFF_TTL + 3, 0, 0, "zero TTL"},
    };
    return cr_make_param_array(struct reject_case, cases, sizeof cases / sizeof cases[0]);
}

ParameterizedTest(struct reject_case *c, dns_cache, decode_rejects)
{
    uint8_t buf[SMALL_LEN + 1];
    size_t len = small(buf, sizeof buf);
    struct dns_answer *ok = calloc(1, sizeof *ok);
    const char *why = NULL;

    cr_assert_not_null(ok);
    cr_assert_eq(dns_cache_decode(buf, len, ok, &why), 0, "the unchanged encoding: %s", why);
    dns_answer_clear(ok);
    free(ok);
    if (c->append)
        buf[len++] = c->value;
    else
        buf[c->off] = c->value;
    expect_rejected(buf, len, c->rule, c->want_why);
}

Test(dns_cache, decode_rejects_nrr_over_max)
{
    uint8_t buf[SMALL_LEN];
    size_t len = small(buf, sizeof buf);

    buf[OFF_NRR - 1] = 0xff;        /* nrr_seen large */
    buf[OFF_NRR] = DNS_MAX_RRS + 1;
    expect_rejected(buf, len, "nrr_over_DNS_MAX_RRS", "bad record count");
}

/* txt_encoded - the encoding of txt_secure() and the offset of its ntxt */
static size_t txt_encoded(uint8_t *buf, size_t cap, size_t *off_ntxt)
{
    struct dns_answer a;
    size_t len;

    txt_secure(&a);
    len = dns_cache_encode(&a, buf, cap);
    cr_assert_gt(len, 0);
    /* header 10, qname and owner 2 + 18 each, ncnames 1, nrr_seen 4, nrr 1 */
    *off_ntxt = 10 + 19 + 19 + 1 + 4 + 1;
    cr_assert_eq(buf[*off_ntxt], 3, "the layout of dns_cache.c changed");
    dns_answer_clear(&a);
    return len;
}

/* a part of a TXT RRset is never restored as the whole (dns_answer.h) */
Test(dns_cache, decode_rejects_txt_count_other_than_the_rrset)
{
    static uint8_t buf[BUF_CAP];
    size_t off, len = txt_encoded(buf, sizeof buf, &off);

    buf[off - 2] = 4;                   /* nrr_seen 4, three records kept */
    expect_rejected(buf, len, "txt_part_of_the_rrset", "bad TXT record count");
    buf[off - 2] = 3;
    buf[off] = DNS_MAX_TXT + 1;
    buf[off - 2] = DNS_MAX_TXT + 1;
    expect_rejected(buf, len, "txt_over_DNS_MAX_TXT", "bad TXT record count");
}

Test(dns_cache, decode_rejects_txt_in_another_type)
{
    static uint8_t buf[BUF_CAP];
    size_t off, len = txt_encoded(buf, sizeof buf, &off);

    buf[OFF_QTYPE + 1] = DNS_TYPE_MX;
    expect_rejected(buf, len, "txt_in_an_mx_answer", "bad TXT record count");
}

Test(dns_cache, decode_rejects_txt_over_2048_octets)
{
    static uint8_t buf[BUF_CAP];
    struct dns_answer a;
    size_t len, off;

    txt_full(&a);
    len = dns_cache_encode(&a, buf, sizeof buf);
    cr_assert_gt(len, 0);
    /* header 10, qname and owner 2 + 20 each, ncnames 1, nrr_seen 4, nrr 1 */
    off = 10 + 21 + 21 + 1 + 4 + 1;
    cr_assert_eq(buf[off], DNS_MAX_TXT, "the layout of dns_cache.c changed");
    cr_assert_eq(buf[off + 1] << 8 | buf[off + 2], DNS_TXT_MAX_LEN);
    buf[off + 2] = 1;                   /* 2049 */
    expect_rejected(buf, len, "txt_record_2049_octets", "TXT record too long");
    dns_answer_clear(&a);
}

Test(dns_cache, encode_refuses_txt_over_the_bounds)
{
    static uint8_t buf[BUF_CAP];
    struct dns_answer a;

    txt_secure(&a);
    a.txt[1].len = DNS_TXT_MAX_LEN + 1;
    cr_expect_eq(dns_cache_encode(&a, buf, sizeof buf), 0, "a record over 2048 octets");
    a.txt[1].len = 3;
    a.ntxt = DNS_MAX_TXT + 1;
    cr_expect_eq(dns_cache_encode(&a, buf, sizeof buf), 0, "more than 16 records");
    a.ntxt = 3;
    dns_answer_clear(&a);
}

/* ---- the cache in a scratch directory ---- */

static char scratch[64];
static char cache_dir[96];
static char anchors[96];
static const char anchor_text[] =
    ". 3600 IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n";
static const struct dns_upstream upstream_a[] = { { "127.0.0.1", 5353 } };
static const struct dns_upstream upstream_b[] = { { "127.0.0.2", 5353 } };

/* write_anchors - the trust anchor file holds text */
static void write_anchors(const char *text)
{
    test_write_file(anchors, text, strlen(text));
}

static void setup(void)
{
    test_tmpdir(scratch, sizeof scratch, "test_dns_cache");
    cr_assert_eq(chmod(scratch, 0700), 0);
    snprintf(cache_dir, sizeof cache_dir, "%s/cache", scratch);
    snprintf(anchors, sizeof anchors, "%s/anchors", scratch);
    write_anchors(anchor_text);
}

static void teardown(void)
{
    test_rm_tree(scratch);
}

static struct dns_config config_with(const struct dns_upstream *up, unsigned max_ttl)
{
    struct dns_config config = {
        .upstreams = up, .nupstreams = 1, .trust_anchors = anchors,
        .cache_dir = cache_dir, .cache_max_ttl = max_ttl,
    };
    return config;
}

static struct dns_cache *open_with(const struct dns_upstream *up, unsigned max_ttl)
{
    struct dns_config config = config_with(up, max_ttl);
    const char *why = NULL;
    struct dns_cache *c = dns_cache_open(&config, &why);

    cr_assert_not_null(c, "dns_cache_open: %s", why ? why : "");
    return c;
}

static struct dns_answer *new_answer(void)
{
    struct dns_answer *a = calloc(1, sizeof *a);

    cr_assert_not_null(a);
    return a;
}

/* hits - 1 when (qname, qtype) is served at now; got's facts checked against want */
static int hits(struct dns_cache *c, const char *qname, uint16_t qtype, time_t now,
                const struct dns_answer *want, const char *rule)
{
    struct dns_answer *got = new_answer();
    int hit = dns_cache_get(c, qname, qtype, now, got);

    if (hit && want != NULL)
        expect_same(got, want, rule);
    if (!hit)
        cr_expect_eq(got->asked, 0, "%s: a miss leaves facts behind", rule);
    dns_answer_clear(got);
    free(got);
    return hit;
}

TestSuite(dns_cache_dir, .init = setup, .fini = teardown);

Test(dns_cache_dir, put_then_get_hits_with_the_same_facts)
{
    struct dns_cache *c = open_with(upstream_a, 0);

    for (size_t m = 0; m < NMAKERS; m++) {
        struct dns_answer *a = new_answer();

        makers[m](a);
        dns_cache_put(c, a, T0);
        cr_expect(hits(c, a->qname, a->qtype, T0 + 1, a, a->qname), "%zu: miss", m);
        dns_answer_clear(a);
        free(a);
    }
    dns_cache_close(c);
}

Test(dns_cache_dir, kept_across_handles)
{
    struct dns_cache *c = open_with(upstream_a, 0);
    struct dns_answer a;

    mx_secure(&a);
    dns_cache_put(c, &a, T0);
    dns_cache_close(c);
    c = open_with(upstream_a, 0);
    cr_expect(hits(c, "dane.test", DNS_TYPE_MX, T0 + 5, &a, "another process"));
    dns_cache_close(c);
}

Test(dns_cache_dir, another_qtype_or_qname_misses)
{
    struct dns_cache *c = open_with(upstream_a, 0);
    struct dns_answer a;

    mx_secure(&a);
    dns_cache_put(c, &a, T0);
    cr_expect_not(hits(c, "dane.test", DNS_TYPE_A, T0, NULL, "qtype"));
    cr_expect_not(hits(c, "dane.test", DNS_TYPE_TLSA, T0, NULL, "qtype"));
    cr_expect_not(hits(c, "other.test", DNS_TYPE_MX, T0, NULL, "qname"));
    cr_expect_not(hits(c, "dane.test.example", DNS_TYPE_MX, T0, NULL, "qname"));
    cr_expect(hits(c, "dane.test", DNS_TYPE_MX, T0, &a, "the kept one still hits"));
    dns_cache_close(c);
}

/* RFC 4343 §2: DNS names compare without regard to ASCII case, and the key
 * is built from the lower-case name, so any spelling finds the entry and
 * a lookup in another case must not remove it */
Test(dns_cache_dir, rfc4343_s2_qname_case_insensitive)
{
    struct dns_cache *c = open_with(upstream_a, 0);
    struct dns_answer a;

    mx_secure(&a);
    dns_cache_put(c, &a, T0);
    cr_expect(hits(c, "DANE.Test", DNS_TYPE_MX, T0 + 1, NULL, "upper case"),
              "a lookup in upper case misses");
    cr_expect(hits(c, "dane.test", DNS_TYPE_MX, T0 + 2, &a, "after upper case"),
              "the entry is gone after a lookup in upper case");
    dns_cache_close(c);
}

Test(dns_cache_dir, rfc1035_s3_2_1_expires_after_ttl)
{
    struct dns_cache *c = open_with(upstream_a, 0);
    struct dns_answer a;

    a_insecure(&a);
    a.ttl = 30;
    dns_cache_put(c, &a, T0);
    cr_expect(hits(c, a.qname, DNS_TYPE_A, T0 + 29, &a, "inside the TTL"));
    cr_expect_not(hits(c, a.qname, DNS_TYPE_A, T0 + 31, NULL, "after the TTL"));
    dns_cache_close(c);
}

Test(dns_cache_dir, cache_max_ttl_caps)
{
    struct dns_cache *c = open_with(upstream_a, 10);
    struct dns_answer a;

    mx_secure(&a);
    cr_assert_eq(a.ttl, 3600);
    dns_cache_put(c, &a, T0);
    cr_expect(hits(c, a.qname, DNS_TYPE_MX, T0 + 9, &a, "inside the max TTL"));
    cr_expect_not(hits(c, a.qname, DNS_TYPE_MX, T0 + 11, NULL, "after the max TTL"));
    dns_cache_close(c);
}

Test(dns_cache_dir, default_max_ttl_caps)
{
    struct dns_cache *c = open_with(upstream_a, 0);
    struct dns_answer a;

    mx_secure(&a);
    a.ttl = 86400;
    dns_cache_put(c, &a, T0);
    cr_expect(hits(c, a.qname, DNS_TYPE_MX, T0 + DNS_DEFAULT_CACHE_MAX_TTL - 1, NULL, "in"));
    cr_expect_not(hits(c, a.qname, DNS_TYPE_MX, T0 + DNS_DEFAULT_CACHE_MAX_TTL + 1,
                       NULL, "after the default max TTL"));
    dns_cache_close(c);
}

Test(dns_cache_dir, rfc4035_s4_3_new_trust_anchors_start_empty)
{
    struct dns_cache *c = open_with(upstream_a, 0);
    struct dns_answer a;

    mx_secure(&a);
    dns_cache_put(c, &a, T0);
    dns_cache_close(c);
    write_anchors("test. 3600 IN DS 1 8 2 00\n");
    c = open_with(upstream_a, 0);
    cr_expect_not(hits(c, a.qname, DNS_TYPE_MX, T0 + 1, NULL, "other anchors"));
    dns_cache_close(c);
    write_anchors(anchor_text);
    c = open_with(upstream_a, 0);
    cr_expect(hits(c, a.qname, DNS_TYPE_MX, T0 + 1, &a, "the first anchors again"));
    dns_cache_close(c);
}

Test(dns_cache_dir, other_upstreams_start_empty)
{
    struct dns_cache *c = open_with(upstream_a, 0);
    struct dns_answer a;

    mx_secure(&a);
    dns_cache_put(c, &a, T0);
    dns_cache_close(c);
    c = open_with(upstream_b, 0);
    cr_expect_not(hits(c, a.qname, DNS_TYPE_MX, T0 + 1, NULL, "other upstream"));
    dns_cache_close(c);
}

Test(dns_cache_dir, rfc4033_s5_errors_never_stored)
{
    static const enum dns_status errors[] = {
        DNS_BOGUS, DNS_INDETERMINATE, DNS_SERVFAIL, DNS_TIMEOUT,
    };
    struct dns_cache *c = open_with(upstream_a, 0);
    struct dns_answer a;

    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++) {
        mx_secure(&a);
        a.status = errors[i];
        a.why = "DNSSEC validation failed (bogus)";
        dns_cache_put(c, &a, T0);
        cr_expect_not(hits(c, a.qname, DNS_TYPE_MX, T0 + 1, NULL, "error"),
                      "%s was kept", dns_status_name(errors[i]));
    }
    dns_cache_close(c);
}

Test(dns_cache_dir, check_mark_round_trip_and_expiry)
{
    struct dns_cache *c = open_with(upstream_a, 0);

    cr_expect_eq(dns_cache_get_check(c, T0), 0, "no mark yet");
    dns_cache_put_check(c, 30, T0);
    cr_expect_eq(dns_cache_get_check(c, T0 + 29), 1);
    cr_expect_eq(dns_cache_get_check(c, T0 + 31), 0, "the mark expires");
    dns_cache_put_check(c, 0, T0);
    cr_expect_eq(dns_cache_get_check(c, T0), 0, "ttl 0 keeps nothing");
    dns_cache_close(c);
    c = open_with(upstream_b, 0);
    dns_cache_put_check(c, 3600, T0);
    dns_cache_close(c);
    c = open_with(upstream_a, 0);
    cr_expect_eq(dns_cache_get_check(c, T0 + 1), 0, "another upstream's mark");
    dns_cache_close(c);
}

Test(dns_cache_dir, check_mark_capped_by_max_ttl)
{
    struct dns_cache *c = open_with(upstream_a, 10);

    dns_cache_put_check(c, 3600, T0);
    cr_expect_eq(dns_cache_get_check(c, T0 + 9), 1);
    cr_expect_eq(dns_cache_get_check(c, T0 + 11), 0);
    dns_cache_close(c);
}

Test(dns_cache_dir, group_writable_directory_refused)
{
    struct dns_config config = config_with(upstream_a, 0);
    const char *why = NULL;

    cr_assert_eq(mkdir(cache_dir, 0700), 0);
    cr_assert_eq(chmod(cache_dir, 0770), 0);
    cr_expect_null(dns_cache_open(&config, &why));
    cr_assert_not_null(why);
    cr_expect_not_null(strstr(why, "DNS cache"), "why: %s", why);
}

Test(dns_cache_dir, missing_trust_anchor_file_refused)
{
    struct dns_config config = config_with(upstream_a, 0);
    const char *why = NULL;

    cr_assert_eq(unlink(anchors), 0);
    cr_expect_null(dns_cache_open(&config, &why));
    cr_assert_not_null(why);
    cr_expect_not_null(strstr(why, "DNS cache"), "why: %s", why);
}

/* the whole anchor file is part of every key: one too large to hash whole
 * is refused rather than hashed in part */
Test(dns_cache_dir, oversized_trust_anchor_file_refused)
{
    struct dns_config config = config_with(upstream_a, 0);
    const char *why = NULL;
    FILE *fp = fopen(anchors, "a");
    struct dns_cache *c;

    cr_assert_not_null(fp);
    for (size_t i = 0; i < 64 * 1024 / 8; i++)     /* 15 bytes each: ~120 KiB */
        fputs("; padding line\n", fp);
    fclose(fp);
    c = dns_cache_open(&config, &why);
    cr_expect_null(c);
    cr_assert_not_null(why);
    cr_expect_not_null(strstr(why, "64 KiB"), "why: %s", why);
    dns_cache_close(c);
}
