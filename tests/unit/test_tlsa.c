/* test_tlsa.c - TLSA record model (tlsa/tlsa.h): presentation text (RFC 6698
 * §2.2), wire rdata (RFC 6698 §2.1), SMTP usability (RFC 7672 §3.1.3), digest
 * agility (RFC 7671 §9), fingerprint and formatting */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>

#include "tlsa.h"

/* Criterion runs each case in a re-executed child (PIE): parameters hold
 * arrays, never pointers into this process. */

#define H32A "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"
#define H32B "FFEEDDCCBBAA99887766554433221100FFEEDDCCBBAA99887766554433221100"
#define H31 "00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEE"
#define H33 H32A "01"
#define H64A H32A H32B
#define H64B H32B H32A
#define H63 H32A H31
#define HFULL "308201"  /* Full(0) data is opaque to tlsa/ */

static struct tlsa_set *set;

static void setup(void)
{
    set = tlsa_set_new();
    cr_assert_not_null(set);
}

static void teardown(void)
{
    tlsa_set_free(set);
    set = NULL;
}

/* hex_to_bytes - test helper; returns the byte count */
static size_t hex_to_bytes(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex) / 2;

    cr_assert_leq(n, cap);
    for (size_t i = 0; i < n; i++) {
        char b[3] = {hex[2 * i], hex[2 * i + 1], 0};
        out[i] = (uint8_t)strtoul(b, NULL, 16);
    }
    return n;
}

/* ---- presentation text ------------------------------------------------ */

struct text_want {
    int ok;
    uint8_t usage, selector, mtype;
    size_t len;
    char why[64];   /* rejects: expected reason */
};

struct text_case {
    char name[64];
    char text[200];
    struct text_want want;
};

ParameterizedTestParameters(tlsa_text, table)
{
    static struct text_case cases[] = {
        {"rfc6698_s2_2_three_fields_and_hex", "3 1 1 " H32A, {1, 3, 1, 1, 32, ""}},
        {"rfc6698_s2_2_whitespace_inside_hex", "3 1 1 0011 2233 4455\t6677\n8899",
         {1, 3, 1, 1, 10, ""}},
        {"rfc6698_s2_2_lower_case_hex", "2 0 1 abcdef", {1, 2, 0, 1, 3, ""}},
        {"rfc6698_s2_2_surrounding_whitespace", "  3\t0  2 " H64A " \n",
         {1, 3, 0, 2, 64, ""}},
        {"rfc6698_s2_2_fields_up_to_255", "255 255 255 00", {1, 255, 255, 255, 1, ""}},
        {"rfc6698_s2_2_leading_zeros", "003 01 000 AB", {1, 3, 1, 0, 1, ""}},
        {"rfc6698_s2_2_field_256_rejected", "256 1 1 " H32A,
         {0, 0, 0, 0, 0, "field value out of range 0-255"}},
        {"rfc6698_s2_2_field_four_digits_rejected", "0003 1 1 " H32A,
         {0, 0, 0, 0, 0, "field value out of range 0-255"}},
        {"rfc6698_s2_2_selector_999_rejected", "3 999 1 " H32A,
         {0, 0, 0, 0, 0, "field value out of range 0-255"}},
        {"rfc6698_s2_2_negative_field_rejected", "-3 1 1 " H32A,
         {0, 0, 0, 0, 0, "field is not a decimal number"}},
        {"rfc6698_s2_2_plus_sign_rejected", "+3 1 1 " H32A,
         {0, 0, 0, 0, 0, "field is not a decimal number"}},
        {"rfc6698_s2_2_hex_field_rejected", "0x3 1 1 " H32A,
         {0, 0, 0, 0, 0, "field is not a decimal number"}},
        {"rfc6698_s2_2_mnemonic_rejected", "DANE-EE SPKI SHA2-256 " H32A,
         {0, 0, 0, 0, 0, "field is not a decimal number"}},
        {"rfc6698_s2_2_field_glued_to_hex_rejected", "3 1 1AB" H32A,
         {0, 0, 0, 0, 0, "field is not a decimal number"}},
        {"rfc6698_s2_2_empty_rejected", "", {0, 0, 0, 0, 0, "missing certificate usage"}},
        {"rfc6698_s2_2_blank_rejected", " \t ", {0, 0, 0, 0, 0, "missing certificate usage"}},
        {"rfc6698_s2_2_missing_selector_rejected", "3", {0, 0, 0, 0, 0, "missing selector"}},
        {"rfc6698_s2_2_missing_mtype_rejected", "3 1 ", {0, 0, 0, 0, 0, "missing matching type"}},
        {"rfc6698_s2_2_missing_data_rejected", "3 1 1",
         {0, 0, 0, 0, 0, "missing certificate association data"}},
        {"rfc6698_s2_2_missing_data_blank_rejected", "3 1 1   ",
         {0, 0, 0, 0, 0, "missing certificate association data"}},
        {"rfc6698_s2_2_odd_hex_rejected", "3 1 1 ABC", {0, 0, 0, 0, 0, "odd number of hex digits"}},
        {"rfc6698_s2_2_odd_hex_split_rejected", "3 1 1 AB C", {0, 0, 0, 0, 0, "odd number of hex digits"}},
        {"rfc6698_s2_2_non_hex_rejected", "3 1 1 " H31 "GG",
         {0, 0, 0, 0, 0, "invalid character in hex data"}},
        {"rfc6698_s2_2_colon_hex_rejected", "3 1 1 AB:CD",
         {0, 0, 0, 0, 0, "invalid character in hex data"}},
        {"rfc6698_s2_2_zone_parentheses_rejected", "3 1 1 ( ABCD )",
         {0, 0, 0, 0, 0, "invalid character in hex data"}},
        {"rfc6698_s2_2_base64_rejected", "3 1 1 q83vEjRWeJA=",
         {0, 0, 0, 0, 0, "invalid character in hex data"}},
    };
    return cr_make_param_array(struct text_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct text_case *c, tlsa_text, table, .init = setup, .fini = teardown)
{
    const char *why = NULL;
    int rc = tlsa_set_add_text(set, c->text, strlen(c->text), &why);

    cr_assert_eq(rc == 0, c->want.ok, "%s: got rc %d (%s), want ok=%d", c->name, rc,
                 why ? why : "", c->want.ok);
    if (!c->want.ok) {
        cr_assert_not_null(why, "%s: reject without a reason", c->name);
        cr_assert_str_eq(why, c->want.why, "%s: got why \"%s\", want \"%s\"", c->name, why,
                         c->want.why);
        cr_assert_eq(tlsa_set_count(set), 0, "%s: a reject changed the set", c->name);
        return;
    }
    cr_assert_eq(tlsa_set_count(set), 1, "%s", c->name);
    const struct tlsa_rr *rr = tlsa_set_record(set, 0);
    cr_assert_eq(rr->usage, c->want.usage, "%s: usage got %u", c->name, rr->usage);
    cr_assert_eq(rr->selector, c->want.selector, "%s: selector got %u", c->name, rr->selector);
    cr_assert_eq(rr->mtype, c->want.mtype, "%s: mtype got %u", c->name, rr->mtype);
    cr_assert_eq(rr->len, c->want.len, "%s: len got %zu, want %zu", c->name, rr->len,
                 c->want.len);
}

Test(tlsa_text, rfc6698_s2_2_length_is_explicit_not_nul, .init = setup, .fini = teardown)
{
    static const char text[] = "3 1 1 " H32A "FF";
    const char *why = NULL;

    /* the trailing "FF" lies past len and must not be read */
    cr_assert_eq(tlsa_set_add_text(set, text, strlen(text) - 2, &why), 0);
    cr_assert_eq(tlsa_set_record(set, 0)->len, 32);
}

Test(tlsa_text, rfc6698_s2_2_nul_byte_rejected, .init = setup, .fini = teardown)
{
    static const char text[] = "3 1 1 AB\0CD";
    const char *why = NULL;

    cr_assert_eq(tlsa_set_add_text(set, text, sizeof(text) - 1, &why), -1);
    cr_assert_str_eq(why, "invalid character in hex data");
}

/* make_text - "3 1 0 " followed by nbytes of hex "AB", heap-allocated */
static char *make_text(size_t nbytes, size_t *len)
{
    char *t = malloc(6 + 2 * nbytes + 1);

    cr_assert_not_null(t);
    memcpy(t, "3 1 0 ", 6);
    memset(t + 6, 'A', 2 * nbytes);
    *len = 6 + 2 * nbytes;
    t[*len] = '\0';
    return t;
}

Test(tlsa_text, rfc6698_s2_1_largest_data_accepted, .init = setup, .fini = teardown)
{
    size_t len;
    char *t = make_text(TLSA_MAX_DATA, &len);
    const char *why = NULL;

    cr_assert_eq(tlsa_set_add_text(set, t, len, &why), 0, "%s", why ? why : "");
    cr_assert_eq(tlsa_set_record(set, 0)->len, TLSA_MAX_DATA);
    free(t);
}

Test(tlsa_text, rfc6698_s2_1_data_over_rdata_limit_rejected, .init = setup, .fini = teardown)
{
    size_t len;
    char *t = make_text(TLSA_MAX_DATA + 1, &len);
    const char *why = NULL;

    cr_assert_eq(tlsa_set_add_text(set, t, len, &why), -1);
    cr_assert_str_eq(why, "certificate association data too long");
    free(t);
}

Test(tlsa_text, bounded_text_length_rejected, .init = setup, .fini = teardown)
{
    size_t len = TLSA_MAX_TEXT + 1;
    char *t = malloc(len);
    const char *why = NULL;

    cr_assert_not_null(t);
    memset(t, ' ', len);
    cr_assert_eq(tlsa_set_add_text(set, t, len, &why), -1);
    cr_assert_str_eq(why, "TLSA text too long");
    free(t);
}

/* ---- wire rdata ------------------------------------------------------- */

struct rdata_case {
    char name[64];
    char hex[160];
    int ok;
    size_t count;   /* records kept afterwards */
    size_t usable;
    char why[64];
};

ParameterizedTestParameters(tlsa_rdata, table)
{
    static struct rdata_case cases[] = {
        {"rfc6698_s2_1_dane_ee_spki_sha256", "030101" H32A, 1, 1, 1, ""},
        {"rfc6698_s2_1_dane_ta_cert_sha512", "020002" H64A, 1, 1, 1, ""},
        {"rfc6698_s2_1_full_cert", "020000" HFULL, 1, 1, 1, ""},
        {"rfc6698_s2_1_header_only_kept_unusable", "030100", 1, 1, 0, ""},
        {"rfc6698_s2_1_unknown_usage_kept_unusable", "040101" H32A, 1, 1, 0, ""},
        {"rfc6698_s7_4_privmatch_255_dropped", "0301FF" H32A, 1, 0, 0, ""},
        {"rfc6698_s7_4_privmatch_255_empty_dropped", "0301FF", 1, 0, 0, ""},
        {"rfc6698_s2_1_two_octets_rejected", "0301", 0, 0, 0, "TLSA rdata shorter than 3 octets"},
        {"rfc6698_s2_1_empty_rejected", "", 0, 0, 0, "TLSA rdata shorter than 3 octets"},
    };
    return cr_make_param_array(struct rdata_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct rdata_case *c, tlsa_rdata, table, .init = setup, .fini = teardown)
{
    uint8_t rdata[80];
    size_t n = hex_to_bytes(c->hex, rdata, sizeof(rdata));
    const char *why = NULL;
    int rc = tlsa_set_add_rdata(set, rdata, n, &why);

    cr_assert_eq(rc == 0, c->ok, "%s: got rc %d (%s)", c->name, rc, why ? why : "");
    if (!c->ok)
        cr_assert_str_eq(why, c->why, "%s: got why \"%s\", want \"%s\"", c->name, why, c->why);
    cr_assert_eq(tlsa_set_count(set), c->count, "%s: count got %zu, want %zu", c->name,
                 tlsa_set_count(set), c->count);
    cr_assert_eq(tlsa_set_usable_count(set), c->usable, "%s: usable got %zu, want %zu",
                 c->name, tlsa_set_usable_count(set), c->usable);
}

Test(tlsa_rdata, rfc6698_s2_1_oversized_rdata_rejected, .init = setup, .fini = teardown)
{
    size_t len = 3 + TLSA_MAX_DATA + 1;
    uint8_t *rd = calloc(1, len);
    const char *why = NULL;

    cr_assert_not_null(rd);
    rd[0] = 3;
    cr_assert_eq(tlsa_set_add_rdata(set, rd, len, &why), -1);
    cr_assert_str_eq(why, "certificate association data too long");
    cr_assert_eq(tlsa_set_add_rdata(set, rd, len - 1, &why), 0);
    free(rd);
}

Test(tlsa_rdata, rfc6698_s2_1_rdata_equals_text, .init = setup, .fini = teardown)
{
    uint8_t rdata[40];
    size_t n = hex_to_bytes("030101" H32A, rdata, sizeof(rdata));
    const char *why = NULL;
    const struct tlsa_rr *a, *b;

    cr_assert_eq(tlsa_set_add_rdata(set, rdata, n, &why), 0);
    struct tlsa_set *other = tlsa_set_new();
    cr_assert_eq(tlsa_set_add_text(other, "3 1 1 " H32A, strlen("3 1 1 " H32A), &why), 0);
    a = tlsa_set_record(set, 0);
    b = tlsa_set_record(other, 0);
    cr_assert_eq(a->len, b->len);
    cr_assert_eq(memcmp(a->data, b->data, a->len), 0);
    tlsa_set_free(other);
}

/* ---- usability for SMTP ------------------------------------------------ */

struct usable_case {
    char name[64];
    char text[200];
    int usable;
    char why[64];
};

ParameterizedTestParameters(tlsa_usable, table)
{
    static struct usable_case cases[] = {
        {"rfc7672_s3_1_3_dane_ta_cert_sha256", "2 0 1 " H32A, 1, ""},
        {"rfc7672_s3_1_3_dane_ta_spki_full", "2 1 0 " HFULL, 1, ""},
        {"rfc7672_s3_1_3_dane_ee_spki_sha256", "3 1 1 " H32A, 1, ""},
        {"rfc7672_s3_1_3_dane_ee_cert_sha512", "3 0 2 " H64A, 1, ""},
        {"rfc7672_s3_1_3_dane_ee_cert_full", "3 0 0 " HFULL, 1, ""},
        {"rfc7672_s3_1_3_pkix_ta_unusable", "0 0 1 " H32A, 0,
         "PKIX-TA(0) and PKIX-EE(1) are unusable for SMTP"},
        {"rfc7672_s3_1_3_pkix_ee_unusable", "1 1 1 " H32A, 0,
         "PKIX-TA(0) and PKIX-EE(1) are unusable for SMTP"},
        {"rfc7672_s3_1_3_unknown_usage_unusable", "4 1 1 " H32A, 0, "unknown certificate usage"},
        {"rfc7672_s3_1_3_usage_255_unusable", "255 1 1 " H32A, 0, "unknown certificate usage"},
        {"rfc7672_s3_1_3_unknown_selector_unusable", "3 2 1 " H32A, 0, "unknown selector"},
        {"rfc7672_s3_1_3_selector_255_unusable", "3 255 1 " H32A, 0, "unknown selector"},
        {"rfc7672_s3_1_3_unknown_mtype_unusable", "3 1 3 " H32A, 0, "unknown matching type"},
        {"rfc7672_s3_1_3_privmatch_text_unusable", "3 1 255 " H32A, 0, "unknown matching type"},
        {"rfc7672_s3_1_3_sha256_short_unusable", "3 1 1 " H31, 0, "SHA2-256 data is not 32 bytes"},
        {"rfc7672_s3_1_3_sha256_long_unusable", "3 1 1 " H33, 0, "SHA2-256 data is not 32 bytes"},
        {"rfc7672_s3_1_3_sha256_with_sha512_length_unusable", "3 1 1 " H64A, 0,
         "SHA2-256 data is not 32 bytes"},
        {"rfc7672_s3_1_3_sha512_short_unusable", "2 0 2 " H63, 0, "SHA2-512 data is not 64 bytes"},
        {"rfc7672_s3_1_3_sha512_with_sha256_length_unusable", "3 1 2 " H32A, 0,
         "SHA2-512 data is not 64 bytes"},
    };
    return cr_make_param_array(struct usable_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct usable_case *c, tlsa_usable, table, .init = setup, .fini = teardown)
{
    const char *why = NULL;

    cr_assert_eq(tlsa_set_add_text(set, c->text, strlen(c->text), &why), 0,
                 "%s: unusable is not an error, got %s", c->name, why ? why : "");
    cr_assert_eq(tlsa_set_count(set), 1, "%s: record not kept", c->name);
    why = NULL;
    cr_assert_eq(tlsa_rr_usable(tlsa_set_record(set, 0), &why), c->usable,
                 "%s: got usable=%d, want %d", c->name, !c->usable, c->usable);
    cr_assert_eq(tlsa_set_usable_count(set), (size_t)c->usable, "%s", c->name);
    if (!c->usable)
        cr_assert_str_eq(why, c->why, "%s: got why \"%s\", want \"%s\"", c->name,
                         why ? why : "(null)", c->why);
}

Test(tlsa_usable, rfc7672_s3_1_3_full_empty_unusable, .init = setup, .fini = teardown)
{
    static const uint8_t rdata[] = {3, 1, 0};
    const char *why = NULL;

    cr_assert_eq(tlsa_set_add_rdata(set, rdata, sizeof(rdata), &why), 0);
    cr_assert_eq(tlsa_rr_usable(tlsa_set_record(set, 0), &why), 0);
    cr_assert_str_eq(why, "Full(0) data is empty");
}

/* ---- digest agility --------------------------------------------------- */

#define MAX_RECS 5

struct agility_case {
    char name[72];
    char recs[MAX_RECS][160];
    size_t nrecs;
    uint8_t order[2];   /* norder 0: the default order */
    size_t norder;
    size_t want[MAX_RECS];  /* indexes of recs[] that stay usable, in order */
    size_t nwant;
};

ParameterizedTestParameters(tlsa_agility, table)
{
    static struct agility_case cases[] = {
        {"rfc7671_s9_sha512_preferred_over_sha256", {"3 1 1 " H32A, "3 1 2 " H64A}, 2,
         {0}, 0, {1}, 1},
        {"rfc7671_s9_sha512_preferred_whatever_the_insertion_order",
         {"3 1 2 " H64A, "3 1 1 " H32A}, 2, {0}, 0, {0}, 1},
        {"rfc7671_s9_sha256_used_when_strongest_present", {"3 1 1 " H32A, "3 1 1 " H32B}, 2,
         {0}, 0, {0, 1}, 2},
        {"rfc7671_s9_all_records_of_strongest_kept",
         {"3 1 2 " H64A, "3 1 1 " H32A, "3 1 2 " H64B}, 3, {0}, 0, {0, 2}, 2},
        {"rfc7671_s9_full_kept_beside_strongest_digest",
         {"3 1 0 " HFULL, "3 1 1 " H32A, "3 1 2 " H64A}, 3, {0}, 0, {0, 2}, 2},
        {"rfc7671_s9_per_selector", {"3 1 2 " H64A, "3 0 1 " H32A}, 2, {0}, 0, {0, 1}, 2},
        {"rfc7671_s9_per_usage", {"2 0 1 " H32A, "3 0 2 " H64A}, 2, {0}, 0, {0, 1}, 2},
        {"rfc7671_s9_same_usage_selector_weaker_dropped",
         {"2 0 1 " H32A, "2 0 2 " H64A, "3 1 1 " H32B}, 3, {0}, 0, {1, 2}, 2},
        {"rfc7671_s9_unusable_sha512_does_not_suppress_sha256",
         {"3 1 2 " H32B, "3 1 1 " H32A}, 2, {0}, 0, {1}, 1},
        {"rfc7671_s9_pkix_sha512_does_not_suppress_dane_sha256",
         {"1 1 2 " H64A, "3 1 1 " H32A}, 2, {0}, 0, {1}, 1},
        {"rfc7671_s9_configured_sha256_first", {"3 1 1 " H32A, "3 1 2 " H64A}, 2,
         {1, 2}, 2, {0}, 1},
        {"rfc7671_s9_configured_sha512_first", {"3 1 1 " H32A, "3 1 2 " H64A}, 2,
         {2, 1}, 2, {1}, 1},
        {"rfc7671_s9_digest_outside_order_unsupported", {"3 1 2 " H64A}, 1, {1}, 1, {0}, 0},
        {"rfc7671_s9_digest_outside_order_full_still_kept", {"3 1 2 " H64A, "3 1 0 " HFULL},
         2, {1}, 1, {1}, 1},
        {"rfc7671_s9_sha512_only_order_keeps_sha512", {"3 1 1 " H32A, "3 1 2 " H64A}, 2,
         {2}, 1, {1}, 1},
    };
    return cr_make_param_array(struct agility_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct agility_case *c, tlsa_agility, table, .init = setup, .fini = teardown)
{
    const char *why = NULL;

    if (c->norder > 0)
        cr_assert_eq(tlsa_set_digest_order(set, c->order, c->norder, &why), 0, "%s: %s",
                     c->name, why);
    for (size_t i = 0; i < c->nrecs; i++)
        cr_assert_eq(tlsa_set_add_text(set, c->recs[i], strlen(c->recs[i]), &why), 0,
                     "%s: record %zu: %s", c->name, i, why);
    cr_assert_eq(tlsa_set_usable_count(set), c->nwant, "%s: got %zu usable, want %zu", c->name,
                 tlsa_set_usable_count(set), c->nwant);
    for (size_t i = 0; i < c->nwant; i++)
        cr_assert_eq(tlsa_set_usable(set, i), tlsa_set_record(set, c->want[i]),
                     "%s: usable %zu is not record %zu", c->name, i, c->want[i]);
    cr_assert_null(tlsa_set_usable(set, c->nwant));
}

Test(tlsa_agility, rfc7671_s9_order_change_recomputes, .init = setup, .fini = teardown)
{
    static const uint8_t sha256_first[] = {TLSA_MTYPE_SHA256, TLSA_MTYPE_SHA512};
    const char *why = NULL;

    cr_assert_eq(tlsa_set_add_text(set, "3 1 1 " H32A, strlen("3 1 1 " H32A), &why), 0);
    cr_assert_eq(tlsa_set_add_text(set, "3 1 2 " H64A, strlen("3 1 2 " H64A), &why), 0);
    cr_assert_eq(tlsa_set_usable(set, 0)->mtype, TLSA_MTYPE_SHA512);
    cr_assert_eq(tlsa_set_digest_order(set, sha256_first, 2, &why), 0);
    cr_assert_eq(tlsa_set_usable_count(set), 1);
    cr_assert_eq(tlsa_set_usable(set, 0)->mtype, TLSA_MTYPE_SHA256);
}

struct order_case {
    char name[64];
    uint8_t mtypes[3];
    size_t n;
    int ok;
    char why[64];
};

ParameterizedTestParameters(tlsa_order, set_table)
{
    static struct order_case cases[] = {
        {"rfc7671_s9_order_sha512_sha256", {2, 1}, 2, 1, ""},
        {"rfc7671_s9_order_sha256_only", {1}, 1, 1, ""},
        {"rfc7671_s9_order_empty_rejected", {0}, 0, 0, "digest order needs one or two algorithms"},
        {"rfc7671_s9_order_three_rejected", {2, 1, 2}, 3, 0,
         "digest order needs one or two algorithms"},
        {"rfc7671_s9_order_full_rejected", {0, 1}, 2, 0,
         "digest order may name only SHA2-256 and SHA2-512"},
        {"rfc7671_s9_order_private_rejected", {255}, 1, 0,
         "digest order may name only SHA2-256 and SHA2-512"},
        {"rfc7671_s9_order_repeat_rejected", {1, 1}, 2, 0, "digest order names an algorithm twice"},
    };
    return cr_make_param_array(struct order_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct order_case *c, tlsa_order, set_table, .init = setup, .fini = teardown)
{
    const char *why = NULL;
    int rc = tlsa_set_digest_order(set, c->mtypes, c->n, &why);

    cr_assert_eq(rc == 0, c->ok, "%s: got rc %d (%s)", c->name, rc, why ? why : "");
    if (!c->ok)
        cr_assert_str_eq(why, c->why, "%s: got why \"%s\", want \"%s\"", c->name, why, c->why);
}

struct order_parse_case {
    char name[64];
    char text[64];
    int ok;
    uint8_t want[2];
    size_t n;
};

ParameterizedTestParameters(tlsa_order, parse_table)
{
    static struct order_parse_case cases[] = {
        {"rfc7671_s9_parse_default_spelling", "sha512,sha256", 1, {2, 1}, 2},
        {"rfc7671_s9_parse_sha256_first", "sha256, sha512", 1, {1, 2}, 2},
        {"rfc7671_s9_parse_any_case_and_sha2_names", "SHA2-256 Sha2-512", 1, {1, 2}, 2},
        {"rfc7671_s9_parse_single", "sha512", 1, {2}, 1},
        {"rfc7671_s9_parse_empty_rejected", "", 0, {0}, 0},
        {"rfc7671_s9_parse_commas_only_rejected", ",,", 0, {0}, 0},
        {"rfc7671_s9_parse_unknown_rejected", "sha1,sha256", 0, {0}, 0},
        {"rfc7671_s9_parse_repeat_rejected", "sha256,sha256", 0, {0}, 0},
        {"rfc7671_s9_parse_three_rejected", "sha512,sha256,sha512", 0, {0}, 0},
        {"rfc7671_s9_parse_prefix_rejected", "sha25", 0, {0}, 0},
    };
    return cr_make_param_array(struct order_parse_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct order_parse_case *c, tlsa_order, parse_table)
{
    uint8_t got[2] = {0, 0};
    size_t n = 0;
    const char *why = NULL;
    int rc = tlsa_digest_order_parse(c->text, strlen(c->text), got, &n, &why);

    cr_assert_eq(rc == 0, c->ok, "%s: got rc %d (%s)", c->name, rc, why ? why : "");
    if (!c->ok) {
        cr_assert_not_null(why);
        return;
    }
    cr_assert_eq(n, c->n, "%s: got %zu entries, want %zu", c->name, n, c->n);
    cr_assert_eq(memcmp(got, c->want, n), 0, "%s", c->name);
}

/* ---- set semantics, fingerprint, formatting ---------------------------- */

/* set_of - a new set holding the records of a table */
static struct tlsa_set *set_of(const char *const *recs, size_t n)
{
    struct tlsa_set *s = tlsa_set_new();
    const char *why = NULL;

    cr_assert_not_null(s);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(tlsa_set_add_text(s, recs[i], strlen(recs[i]), &why), 0, "%s", why);
    return s;
}

static int same_fingerprint(const struct tlsa_set *a, const struct tlsa_set *b)
{
    uint8_t fa[32], fb[32];

    tlsa_set_fingerprint(a, fa);
    tlsa_set_fingerprint(b, fb);
    return memcmp(fa, fb, 32) == 0;
}

Test(tlsa_set, rfc2181_s5_duplicate_record_kept_once, .init = setup, .fini = teardown)
{
    const char *why = NULL;

    cr_assert_eq(tlsa_set_add_text(set, "3 1 1 " H32A, strlen("3 1 1 " H32A), &why), 0);
    cr_assert_eq(tlsa_set_add_text(set, "3 1 1 " H32A, strlen("3 1 1 " H32A), &why), 0);
    cr_assert_eq(tlsa_set_count(set), 1);
    cr_assert_eq(tlsa_set_add_text(set, "3 1 1 " H32B, strlen("3 1 1 " H32B), &why), 0);
    cr_assert_eq(tlsa_set_count(set), 2);
    cr_assert_null(tlsa_set_record(set, 2));
}

Test(tlsa_set, record_count_bounded, .init = setup, .fini = teardown)
{
    uint8_t rd[5] = {3, 0, 0, 0, 0};
    const char *why = NULL;

    for (size_t i = 0; i < TLSA_MAX_RECORDS; i++) {
        rd[3] = (uint8_t)(i >> 8);
        rd[4] = (uint8_t)i;
        cr_assert_eq(tlsa_set_add_rdata(set, rd, sizeof(rd), &why), 0);
    }
    rd[3] = 0xff;
    cr_assert_eq(tlsa_set_add_rdata(set, rd, sizeof(rd), &why), -1);
    cr_assert_str_eq(why, "too many TLSA records");
    cr_assert_eq(tlsa_set_count(set), TLSA_MAX_RECORDS);
}

Test(tlsa_set, free_null_is_noop)
{
    tlsa_set_free(NULL);
}

Test(tlsa_fingerprint, empty_set_is_sha256_of_nothing, .init = setup, .fini = teardown)
{
    uint8_t got[32], want[32];

    hex_to_bytes("E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", want, 32);
    tlsa_set_fingerprint(set, got);
    cr_assert_eq(memcmp(got, want, 32), 0);
}

Test(tlsa_fingerprint, independent_of_insertion_order)
{
    static const char *const a[] = {"3 1 1 " H32A, "2 0 1 " H32B, "3 0 0 " HFULL, "3 1 1 " H32B};
    static const char *const b[] = {"3 1 1 " H32B, "3 0 0 " HFULL, "2 0 1 " H32B, "3 1 1 " H32A};
    struct tlsa_set *sa = set_of(a, 4), *sb = set_of(b, 4);

    cr_assert(same_fingerprint(sa, sb));
    tlsa_set_free(sa);
    tlsa_set_free(sb);
}

Test(tlsa_fingerprint, differs_when_usable_records_differ)
{
    static const char *const a[] = {"3 1 1 " H32A, "2 0 1 " H32B};
    static const char *const b[] = {"3 1 1 " H32A, "2 0 1 " H32A};
    static const char *const c[] = {"3 1 1 " H32A};
    struct tlsa_set *sa = set_of(a, 2), *sb = set_of(b, 2), *sc = set_of(c, 1);

    cr_assert_not(same_fingerprint(sa, sb));
    cr_assert_not(same_fingerprint(sa, sc));
    tlsa_set_free(sa);
    tlsa_set_free(sb);
    tlsa_set_free(sc);
}

Test(tlsa_fingerprint, record_boundaries_are_bound)
{
    /* same bytes overall, split differently between two Full(0) records */
    static const char *const a[] = {"3 0 0 AABB", "3 0 0 CC"};
    static const char *const b[] = {"3 0 0 AA", "3 0 0 BBCC"};
    struct tlsa_set *sa = set_of(a, 2), *sb = set_of(b, 2);

    cr_assert_not(same_fingerprint(sa, sb));
    tlsa_set_free(sa);
    tlsa_set_free(sb);
}

Test(tlsa_fingerprint, rfc7672_s3_1_3_unusable_records_ignored)
{
    static const char *const a[] = {"3 1 1 " H32A};
    static const char *const b[] = {"1 1 1 " H32B, "3 1 1 " H32A, "3 1 2 " H32B};
    struct tlsa_set *sa = set_of(a, 1), *sb = set_of(b, 3);

    cr_assert(same_fingerprint(sa, sb));
    tlsa_set_free(sa);
    tlsa_set_free(sb);
}

Test(tlsa_fingerprint, rfc7671_s9_follows_agility)
{
    static const char *const a[] = {"3 1 2 " H64A};
    static const char *const b[] = {"3 1 1 " H32A, "3 1 2 " H64A};
    static const uint8_t sha256_first[] = {TLSA_MTYPE_SHA256, TLSA_MTYPE_SHA512};
    struct tlsa_set *sa = set_of(a, 1), *sb = set_of(b, 2);
    const char *why = NULL;

    cr_assert(same_fingerprint(sa, sb), "the weaker digest is not part of the usable set");
    cr_assert_eq(tlsa_set_digest_order(sb, sha256_first, 2, &why), 0);
    cr_assert_not(same_fingerprint(sa, sb));
    tlsa_set_free(sa);
    tlsa_set_free(sb);
}

struct format_case {
    char name[64];
    char text[200];
    char want[200];
};

ParameterizedTestParameters(tlsa_format, table)
{
    static struct format_case cases[] = {
        {"rfc6698_s2_2_canonical_upper_case", "3 1 1 " H32A, "3 1 1 " H32A},
        {"rfc6698_s2_2_whitespace_removed", "  2 0 1 ab cd\tef ", "2 0 1 ABCDEF"},
        {"rfc6698_s2_2_leading_zeros_removed", "003 001 000 0a", "3 1 0 0A"},
        {"rfc6698_s2_2_three_digit_fields", "255 100 10 00", "255 100 10 00"},
    };
    return cr_make_param_array(struct format_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct format_case *c, tlsa_format, table, .init = setup, .fini = teardown)
{
    char buf[200];
    const char *why = NULL;
    size_t need;

    cr_assert_eq(tlsa_set_add_text(set, c->text, strlen(c->text), &why), 0, "%s", why);
    need = tlsa_rr_format(tlsa_set_record(set, 0), buf, sizeof(buf));
    cr_assert_str_eq(buf, c->want, "%s: got \"%s\", want \"%s\"", c->name, buf, c->want);
    cr_assert_eq(need, strlen(c->want));
}

Test(tlsa_format, truncated_and_sized, .init = setup, .fini = teardown)
{
    char buf[8];
    const char *why = NULL;

    cr_assert_eq(tlsa_set_add_text(set, "3 1 1 ABCDEF", 12, &why), 0);
    cr_assert_eq(tlsa_rr_format(tlsa_set_record(set, 0), NULL, 0), 12);
    cr_assert_eq(tlsa_rr_format(tlsa_set_record(set, 0), buf, sizeof(buf)), 12);
    cr_assert_str_eq(buf, "3 1 1 A");
    cr_assert_eq(tlsa_rr_format(tlsa_set_record(set, 0), buf, 1), 12);
    cr_assert_str_eq(buf, "");
}

Test(tlsa_format, empty_data_has_no_hex, .init = setup, .fini = teardown)
{
    static const uint8_t rdata[] = {3, 1, 0};
    char buf[16];
    const char *why = NULL;

    cr_assert_eq(tlsa_set_add_rdata(set, rdata, sizeof(rdata), &why), 0);
    cr_assert_eq(tlsa_rr_format(tlsa_set_record(set, 0), buf, sizeof(buf)), 5);
    cr_assert_str_eq(buf, "3 1 0");
}
