/* test_dane.c - dane/: DANE-EE, DANE-TA (in and out of the chain), path
 *               checks, SMTP name checks, pins, PKIX, chain input
 *
 * Certificates come from tests/certs/mkcerts.sh, run once before the tests
 * (ReportHook(PRE_ALL)) into DANE_TEST_BINDIR/tests/certs when that is absent
 * or older than the script. TLSA data is computed here from the DER files
 * openssl wrote (certificate and SPKI), with wolfCrypt's SHA-2, so the module's
 * own extraction is checked against openssl's. Every case is named after the
 * rule it proves; each rule has accepting and rejecting cases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include <wolfssl/wolfcrypt/sha512.h>

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <criterion/parameterized.h>

#include "certs_fixture.h"
#include "dane.h"
#include "test_helpers.h"
#include "tlsa.h"

#define CERTS DANE_TEST_BINDIR "/tests/certs"

/* Fixed times: NOW lies inside 2020-2099 and outside 2001-2002 / 2090-2095. */
#define NOW ((time_t)1767225600)      /* 2026-01-01T00:00:00Z */
#define IN_2092 ((time_t)3849984000)  /* 2092-01-01T00:00:00Z */

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    certs_fixture_make(CERTS, "test_dane");
}

static void setup(void)
{
    wolfSSL_Init();
}

static void teardown(void)
{
    wolfSSL_Cleanup();
}

struct rec {
    uint8_t usage, selector, mtype;
    const char *cert;   /* data from this certificate (NULL: end of list) */
    const char *hex;    /* or literal data */
    char from;          /* 'c' certificate or 'k' SPKI instead of the selector's */
};

/* add_rec - "U S M HEX" computed from the named certificate */
static void add_rec(struct tlsa_set *set, const struct rec *r)
{
    uint8_t digest[64], *data = NULL, *in;
    size_t len, i, n = 0;
    char *text;
    const char *why = NULL;
    int spki = r->from ? r->from == 'k' : r->selector == 1;

    if (r->hex == NULL) {
        in = certs_fixture_file(CERTS, r->cert, spki ? "spki" : "der", &len);
        if (r->mtype == 1) {
            wc_Sha256Hash(in, (word32)len, digest);
            data = digest;
            n = 32;
        } else if (r->mtype == 2) {
            wc_Sha512Hash(in, (word32)len, digest);
            data = digest;
            n = 64;
        } else {
            data = in;
            n = len;
        }
        text = malloc(16 + 2 * n);
        len = (size_t)snprintf(text, 16, "%u %u %u ", r->usage, r->selector, r->mtype);
        for (i = 0; i < n; i++)
            len += (size_t)snprintf(text + len, 3, "%02X", data[i]);
        free(in);
    } else {
        text = malloc(16 + strlen(r->hex));
        len = (size_t)snprintf(text, 16 + strlen(r->hex), "%u %u %u %s", r->usage,
                               r->selector, r->mtype, r->hex);
    }
    cr_assert_eq(tlsa_set_add_text(set, text, len, &why), 0, "add %s: %s", text, why);
    free(text);
}

#define ZERO32 "0000000000000000000000000000000000000000000000000000000000000000"

struct want {
    enum dane_status status;
    uint8_t usage, selector, mtype;
    size_t depth;
    const char *why;    /* substring of the reason when not DANE_MATCH */
    enum dane_failure failure;  /* its kind (RFC 8460 §4.3.2.1) */
};

struct verify_case {
    const char *name;
    const char *chain;
    struct rec recs[4];
    const char *names[3];
    time_t now;
    struct want want;
};

#define R(u, s, m, cert) { u, s, m, cert, NULL, 0 }
#define RH(u, s, m, hex) { u, s, m, NULL, hex, 0 }
#define RF(u, s, m, cert, from) { u, s, m, cert, NULL, from }
#define MX { "mx.dane.test" }
#define M(u, s, m, d) { DANE_MATCH, u, s, m, d, NULL, DANE_FAIL_NONE }
#define NOPE(w) { DANE_NO_MATCH, 0, 0, 0, 0, w, DANE_FAIL_OTHER }
#define NOPE_EXPIRED(w) { DANE_NO_MATCH, 0, 0, 0, 0, w, DANE_FAIL_EXPIRED }
#define NOPE_NAME(w) { DANE_NO_MATCH, 0, 0, 0, 0, w, DANE_FAIL_NAME }
#define UNUSABLE { DANE_NO_USABLE, 0, 0, 0, 0, "no usable", DANE_FAIL_OTHER }

static const struct verify_case verify_cases[] = {
    /* DANE-EE(3): leaf only, no name and no date checks (RFC 7672 §3.1.1) */
    { "rfc7672_s3_1_1_dane_ee_spki_sha256", "ec_leaf ec_int", {R(3, 1, 1, "ec_leaf")}, MX, NOW, M(3, 1, 1, 0) },
    { "rfc7672_s3_1_1_dane_ee_cert_sha256", "ec_leaf ec_int", {R(3, 0, 1, "ec_leaf")}, MX, NOW, M(3, 0, 1, 0) },
    { "rfc7672_s3_1_1_dane_ee_cert_sha512", "ec_leaf ec_int", {R(3, 0, 2, "ec_leaf")}, MX, NOW, M(3, 0, 2, 0) },
    { "rfc7672_s3_1_1_dane_ee_spki_sha512", "ec_leaf", {R(3, 1, 2, "ec_leaf")}, MX, NOW, M(3, 1, 2, 0) },
    { "rfc7672_s3_1_1_dane_ee_spki_full", "ec_leaf ec_int", {R(3, 1, 0, "ec_leaf")}, MX, NOW, M(3, 1, 0, 0) },
    { "rfc7672_s3_1_1_dane_ee_cert_full", "ec_leaf ec_int", {R(3, 0, 0, "ec_leaf")}, MX, NOW, M(3, 0, 0, 0) },
    { "rfc7672_s3_1_1_dane_ee_rsa_spki", "rsa_leaf rsa_int", {R(3, 1, 1, "rsa_leaf")}, MX, NOW, M(3, 1, 1, 0) },
    { "rfc7672_s3_1_1_dane_ee_rsa_spki_full", "rsa_leaf", {R(3, 1, 0, "rsa_leaf")}, MX, NOW, M(3, 1, 0, 0) },
    { "rfc7672_s3_1_1_dane_ee_ignores_expiry", "ec_leaf_expired ec_int", {R(3, 1, 1, "ec_leaf_expired")}, MX, NOW, M(3, 1, 1, 0) },
    { "rfc7672_s3_1_1_dane_ee_ignores_not_yet_valid", "ec_leaf_future", {R(3, 0, 1, "ec_leaf_future")}, MX, NOW, M(3, 0, 1, 0) },
    { "rfc7672_s3_1_1_dane_ee_ignores_names", "ec_leaf_wrongname ec_int", {R(3, 1, 1, "ec_leaf_wrongname")}, MX, NOW, M(3, 1, 1, 0) },
    { "rfc7672_s3_1_1_dane_ee_selfsigned_leaf", "ec_selfsigned", {R(3, 1, 1, "ec_selfsigned")}, MX, NOW, M(3, 1, 1, 0) },
    { "rfc7672_s3_1_1_dane_ee_untrusted_issuer_irrelevant", "ec_leaf_forged ec_int", {R(3, 1, 1, "ec_leaf_forged")}, MX, NOW, M(3, 1, 1, 0) },
    { "rfc6698_s2_1_dane_ee_other_key_no_match", "ec_leaf ec_int", {R(3, 1, 1, "other_leaf")}, MX, NOW, NOPE("no TLSA record matches") },
    { "rfc6698_s2_1_3_dane_ee_wrong_digest_no_match", "ec_leaf ec_int", {RH(3, 1, 1, ZERO32)}, MX, NOW, NOPE("no TLSA record matches") },
    { "rfc6698_s2_1_2_dane_ee_selector_cert_is_not_spki", "ec_leaf", {RF(3, 0, 1, "ec_leaf", 'k')}, MX, NOW, NOPE("no TLSA record matches") },
    { "rfc6698_s2_1_2_dane_ee_selector_spki_is_not_cert", "ec_leaf", {RF(3, 1, 1, "ec_leaf", 'c')}, MX, NOW, NOPE("no TLSA record matches") },
    { "rfc7672_s3_1_1_dane_ee_only_at_leaf", "ec_leaf ec_int", {R(3, 1, 1, "ec_int")}, MX, NOW, NOPE("no TLSA record matches") },

    /* DANE-TA(2) in the chain (RFC 7671 §5.2) */
    { "rfc7671_s5_2_dane_ta_root_cert_sha256", "ec_leaf ec_int ec_root", {R(2, 0, 1, "ec_root")}, MX, NOW, M(2, 0, 1, 2) },
    { "rfc7671_s5_2_dane_ta_intermediate_spki_sha256", "ec_leaf ec_int", {R(2, 1, 1, "ec_int")}, MX, NOW, M(2, 1, 1, 1) },
    { "rfc7671_s5_2_dane_ta_intermediate_cert_sha512", "ec_leaf ec_int ec_root", {R(2, 0, 2, "ec_int")}, MX, NOW, M(2, 0, 2, 1) },
    { "rfc7671_s5_2_dane_ta_root_full_cert_sent", "ec_leaf ec_int ec_root", {R(2, 0, 0, "ec_root")}, MX, NOW, M(2, 0, 0, 2) },
    { "rfc7671_s5_2_dane_ta_rsa_chain", "rsa_leaf rsa_int rsa_root", {R(2, 0, 1, "rsa_root")}, MX, NOW, M(2, 0, 1, 2) },
    { "rfc7671_s5_2_dane_ta_depth3", "ec_leaf3 ec_sub ec_mid ec_root", {R(2, 0, 1, "ec_root")}, MX, NOW, M(2, 0, 1, 3) },
    { "rfc7671_s5_2_dane_ta_depth1_leaf_under_root", "ec_leaf1 ec_root", {R(2, 1, 1, "ec_root")}, MX, NOW, M(2, 1, 1, 1) },
    { "rfc7671_s5_2_dane_ta_without_key_identifiers", "noid_leaf noid_int noid_root", {R(2, 0, 1, "noid_root")}, MX, NOW, M(2, 0, 1, 2) },
    { "rfc8446_s4_4_2_dane_ta_unordered_chain", "ec_leaf ec_root other_root ec_int", {R(2, 0, 1, "ec_root")}, MX, NOW, M(2, 0, 1, 2) },
    { "rfc7671_s5_2_dane_ta_unrelated_ca_no_match", "ec_leaf ec_int ec_root", {R(2, 0, 1, "other_root")}, MX, NOW, NOPE("no TLSA record matches") },
    { "rfc7671_s5_2_dane_ta_extra_cert_not_on_path", "ec_leaf ec_int other_root", {R(2, 0, 1, "other_root")}, MX, NOW, NOPE("does not chain up") },
    { "rfc7671_s5_2_dane_ta_digest_matching_selfsigned_leaf_is_no_ta", "ec_selfsigned", {R(2, 0, 1, "ec_selfsigned")}, MX, NOW, NOPE("only the leaf") },
    { "rfc7671_s5_2_dane_ta_full_matching_selfsigned_leaf_is_no_ta", "ec_selfsigned", {R(2, 0, 0, "ec_selfsigned")}, MX, NOW, NOPE("only the leaf") },
    { "rfc7671_s5_2_dane_ta_spki_matching_leaf_is_no_ta", "ec_leaf ec_int", {R(2, 1, 1, "ec_leaf")}, MX, NOW, NOPE("only the leaf") },

    /* Cross-signed chains: the path stops at the lowest certificate the TA
     * vouches for, as OpenSSL's test/dane-cross.in (RFC 7671 §5.2.2) */
    { "rfc7671_s5_2_2_cross_ta_not_sent_matches_at_depth2", "ec_leaf ec_int ec_root_cross other_root", {R(2, 0, 0, "ec_root")}, MX, NOW, M(2, 0, 0, 2) },
    { "rfc7671_s5_2_3_cross_ta_key_matches_cross_cert_at_depth2", "ec_leaf ec_int ec_root_cross other_root", {R(2, 1, 0, "ec_root")}, MX, NOW, M(2, 1, 0, 2) },
    { "rfc7671_s5_2_cross_outer_root_matches_at_depth3", "ec_leaf ec_int ec_root_cross other_root", {R(2, 0, 1, "other_root")}, MX, NOW, M(2, 0, 1, 3) },
    { "rfc7671_s5_2_cross_lowest_of_two_anchors", "ec_leaf ec_int ec_root_cross other_root", {R(2, 0, 1, "other_root"), R(2, 0, 0, "ec_root")}, MX, NOW, M(2, 0, 1, 3) },
    { "rfc7671_s5_2_cross_intermediate_first", "ec_leaf ec_int ec_root_cross other_root", {R(2, 0, 1, "other_root"), R(2, 1, 1, "ec_int")}, MX, NOW, M(2, 1, 1, 1) },

    /* A bare TA key that signed a self-signed leaf sent alone is its trust
     * anchor, names checked (RFC 7671 §5.2.3; OpenSSL's check_dane_pkeys) */
    { "rfc7671_s5_2_3_key_signed_selfsigned_leaf", "ec_selfsigned", {R(2, 1, 0, "ec_selfsigned")}, MX, NOW, M(2, 1, 0, 0) },
    { "rfc7671_s5_2_3_key_signed_selfsigned_leaf_wrong_name", "ec_selfsigned", {R(2, 1, 0, "ec_selfsigned")}, { "mx.wrong.example" }, NOW, NOPE_NAME("reference names") },
    { "rfc7671_s5_2_3_key_signed_selfsigned_leaf_dates", "ec_selfsigned", {R(2, 1, 0, "ec_selfsigned")}, MX, IN_2092 + 300L * 365 * 86400, NOPE_EXPIRED("leaf certificate has expired") },
    { "rfc7671_s5_2_3_key_of_leaf_not_selfsigned_is_no_ta", "ec_leaf ec_int", {R(2, 1, 0, "ec_leaf")}, MX, NOW, NOPE("only the leaf") },

    /* Lowest matching depth and its record */
    { "rfc7671_s5_lowest_depth_ee_before_ta", "ec_leaf ec_int ec_root", {R(2, 0, 1, "ec_root"), R(3, 1, 1, "ec_leaf")}, MX, NOW, M(3, 1, 1, 0) },
    { "rfc7671_s5_lowest_depth_intermediate_before_root", "ec_leaf ec_int ec_root", {R(2, 0, 1, "ec_root"), R(2, 1, 1, "ec_int")}, MX, NOW, M(2, 1, 1, 1) },
    { "rfc7671_s5_lowest_depth_skips_unmatched_record", "ec_leaf ec_int", {R(3, 1, 1, "other_leaf"), R(2, 0, 1, "ec_int")}, MX, NOW, M(2, 0, 1, 1) },
    { "rfc7671_s5_lowest_depth_in_chain_before_absent_ta", "ec_leaf ec_int", {R(2, 0, 0, "ec_root"), R(2, 0, 1, "ec_int")}, MX, NOW, M(2, 0, 1, 1) },

    /* DANE-TA not sent by the server: full records only (RFC 7671 §5.2.2, §5.2.3) */
    { "rfc7671_s5_2_2_ta_not_in_chain_full_cert", "ec_leaf ec_int", {R(2, 0, 0, "ec_root")}, MX, NOW, M(2, 0, 0, 2) },
    { "rfc7671_s5_2_3_ta_not_in_chain_full_spki", "ec_leaf ec_int", {R(2, 1, 0, "ec_root")}, MX, NOW, M(2, 1, 0, 1) },
    { "rfc7671_s5_2_3_ta_not_in_chain_full_spki_rsa", "rsa_leaf rsa_int", {R(2, 1, 0, "rsa_root")}, MX, NOW, M(2, 1, 0, 1) },
    { "rfc7671_s5_2_2_ta_not_in_chain_issues_leaf", "ec_leaf1", {R(2, 0, 0, "ec_root")}, MX, NOW, M(2, 0, 0, 1) },
    { "rfc7671_s5_2_3_ta_key_not_in_chain_depth_of_signed_cert", "ec_leaf3 ec_sub ec_mid", {R(2, 1, 0, "ec_root")}, MX, NOW, M(2, 1, 0, 2) },
    { "rfc7671_s5_2_2_ta_cert_not_in_chain_depth3", "ec_leaf3 ec_sub ec_mid", {R(2, 0, 0, "ec_root")}, MX, NOW, M(2, 0, 0, 3) },
    { "rfc7671_s5_2_2_ta_not_in_chain_digest_cannot_match", "ec_leaf ec_int", {R(2, 0, 1, "ec_root")}, MX, NOW, NOPE("no TLSA record matches") },
    { "rfc7671_s5_2_3_ta_not_in_chain_spki_digest_cannot_match", "ec_leaf ec_int", {R(2, 1, 2, "ec_root")}, MX, NOW, NOPE("no TLSA record matches") },
    { "rfc7671_s5_2_2_ta_not_in_chain_unrelated_cert", "ec_leaf ec_int", {R(2, 0, 0, "other_root")}, MX, NOW, NOPE("no TLSA record matches") },
    { "rfc7671_s5_2_3_ta_not_in_chain_unrelated_key", "ec_leaf ec_int", {R(2, 1, 0, "other_root")}, MX, NOW, NOPE("no TLSA record matches") },
    { "rfc7671_s5_2_3_ta_not_in_chain_expired_intermediate", "ec_leaf_under_expired ec_int_expired", {R(2, 1, 0, "ec_root")}, MX, NOW, NOPE_EXPIRED("intermediate certificate has expired") },
    { "rfc7671_s5_2_2_ta_not_in_chain_wrong_name", "ec_leaf_wrongname ec_int", {R(2, 0, 0, "ec_root")}, MX, NOW, NOPE_NAME("reference names") },
    { "rfc7671_s5_2_2_ta_not_in_chain_garbage_data", "ec_leaf ec_int", {RH(2, 0, 0, "300300")}, MX, NOW, NOPE("not a certificate") },

    /* Path validation to the TA (RFC 5280 §6.1 as RFC 7671 §5.2 requires) */
    { "rfc5280_s6_1_3_signature_forged_leaf", "ec_leaf_forged ec_int ec_root", {R(2, 0, 1, "ec_root")}, MX, NOW, NOPE("does not chain up") },
    { "rfc5280_s6_1_3_signature_forged_leaf_ta_intermediate", "ec_leaf_forged ec_int", {R(2, 0, 1, "ec_int")}, MX, NOW, NOPE("does not chain up") },
    { "rfc5280_s6_1_3_signature_genuine_issuer", "ec_leaf_forged ec_evil_int ec_root", {R(2, 0, 1, "ec_root")}, MX, NOW, M(2, 0, 1, 2) },
    { "rfc5280_s6_1_3_leaf_expired", "ec_leaf_expired ec_int", {R(2, 0, 1, "ec_int")}, MX, NOW, NOPE_EXPIRED("leaf certificate has expired") },
    { "rfc5280_s6_1_3_leaf_not_yet_valid", "ec_leaf_future ec_int", {R(2, 0, 1, "ec_int")}, MX, NOW, NOPE("leaf certificate is not yet valid") },
    { "rfc5280_s6_1_3_dates_at_caller_time", "ec_leaf_future ec_int", {R(2, 0, 1, "ec_int")}, MX, IN_2092, M(2, 0, 1, 1) },
    { "rfc5280_s6_1_3_intermediate_expired", "ec_leaf_under_expired ec_int_expired ec_root", {R(2, 0, 1, "ec_root")}, MX, NOW, NOPE_EXPIRED("intermediate certificate has expired") },
    { "rfc5280_s6_1_3_intermediate_not_yet_valid", "ec_leaf_under_future ec_int_future ec_root", {R(2, 0, 1, "ec_root")}, MX, NOW, NOPE("intermediate certificate is not yet valid") },
    { "rfc5280_s6_1_3_ta_certificate_expired", "ec_leaf_under_xroot ec_int_under_xroot ec_root_expired", {R(2, 0, 1, "ec_root_expired")}, MX, NOW, NOPE_EXPIRED("trust anchor certificate has expired") },
    { "rfc5280_s6_1_3_valid_ta_below_expired_root", "ec_leaf_under_xroot ec_int_under_xroot ec_root_expired", {R(2, 0, 1, "ec_int_under_xroot")}, MX, NOW, M(2, 0, 1, 1) },
    { "rfc5280_s4_2_1_9_intermediate_not_ca", "ec_leaf_noca ec_int_noca ec_root", {R(2, 0, 1, "ec_root")}, MX, NOW, NOPE("not a CA") },
    { "rfc5280_s4_2_1_9_ta_not_ca", "ec_leaf_noca ec_int_noca", {R(2, 0, 1, "ec_int_noca")}, MX, NOW, NOPE("not a CA") },
    { "rfc5280_s4_2_1_9_no_basic_constraints", "ec_leaf_nobc ec_int_nobc ec_root", {R(2, 0, 1, "ec_root")}, MX, NOW, NOPE("not a CA") },
    { "rfc5280_s4_2_1_3_keyusage_without_keycertsign", "ec_leaf_noku ec_int_noku ec_root", {R(2, 0, 1, "ec_root")}, MX, NOW, NOPE("keyCertSign") },
    { "rfc5280_s4_2_1_3_no_keyusage_extension_ok", "ec_leaf_nokuext ec_int_nokuext ec_root", {R(2, 0, 1, "ec_root")}, MX, NOW, M(2, 0, 1, 2) },
    { "rfc5280_s4_2_1_9_pathlen_exceeded", "ec_leaf_pl ec_sub_pl ec_int_pl0 ec_root", {R(2, 0, 1, "ec_root")}, MX, NOW, NOPE("pathLen") },
    { "rfc5280_s4_2_1_9_pathlen_exceeded_at_ta", "ec_leaf_pl ec_sub_pl ec_int_pl0", {R(2, 0, 1, "ec_int_pl0")}, MX, NOW, NOPE("pathLen") },
    { "rfc5280_s4_2_1_9_pathlen_respected_below", "ec_leaf_pl ec_sub_pl ec_int_pl0", {R(2, 0, 1, "ec_sub_pl")}, MX, NOW, M(2, 0, 1, 1) },
    { "rfc5280_s4_2_1_9_pathlen0_issuing_leaf_ok", "ec_leaf ec_int ec_root", {R(2, 1, 1, "ec_root")}, MX, NOW, M(2, 1, 1, 2) },
    { "rfc5280_s6_1_3_issuer_name_mismatch", "ec_leaf other_root", {R(2, 0, 1, "other_root")}, MX, NOW, NOPE("does not chain up") },

    /* Names for DANE-TA (RFC 7672 §3.2.2) */
    { "rfc7672_s3_2_2_ta_san_exact", "ec_leaf ec_int", {R(2, 0, 1, "ec_int")}, MX, NOW, M(2, 0, 1, 1) },
    { "rfc7672_s3_2_2_ta_san_wildcard", "ec_leaf_wild ec_int", {R(2, 0, 1, "ec_int")}, { "any.dane.test" }, NOW, M(2, 0, 1, 1) },
    { "rfc7672_s3_2_2_ta_wildcard_one_label_only", "ec_leaf_wild ec_int", {R(2, 0, 1, "ec_int")}, { "a.b.dane.test" }, NOW, NOPE_NAME("reference names") },
    { "rfc7672_s3_2_2_ta_wildcard_not_parent", "ec_leaf_wild ec_int", {R(2, 0, 1, "ec_int")}, { "dane.test" }, NOW, NOPE_NAME("reference names") },
    { "rfc7672_s3_2_2_ta_cn_when_no_san", "ec_leaf_cnonly ec_int", {R(2, 0, 1, "ec_int")}, MX, NOW, M(2, 0, 1, 1) },
    { "rfc6125_s6_4_4_ta_cn_ignored_when_san_present", "ec_leaf_sanother ec_int", {R(2, 0, 1, "ec_int")}, MX, NOW, NOPE_NAME("reference names") },
    { "rfc6125_s6_4_4_ta_san_used_when_present", "ec_leaf_sanother ec_int", {R(2, 0, 1, "ec_int")}, { "other.dane.test" }, NOW, M(2, 0, 1, 1) },
    { "rfc7672_s3_2_2_ta_wrong_name", "ec_leaf_wrongname ec_int", {R(2, 0, 1, "ec_int")}, MX, NOW, NOPE_NAME("reference names") },
    { "rfc7672_s3_2_2_ta_any_reference_name", "ec_leaf_wrongname ec_int", {R(2, 0, 1, "ec_int")}, { "mx.dane.test", "mx.wrong.example" }, NOW, M(2, 0, 1, 1) },
    { "rfc7672_s3_2_2_ta_partial_wildcard_refused", "ec_leaf_partial ec_int", {R(2, 0, 1, "ec_int")}, MX, NOW, NOPE_NAME("reference names") },
    { "rfc7672_s3_2_2_ta_nonleftmost_wildcard_refused", "ec_leaf_nonleft ec_int", {R(2, 0, 1, "ec_int")}, { "mx.dane.test" }, NOW, NOPE_NAME("reference names") },
    { "rfc7672_s3_2_2_ta_trailing_dot", "ec_leaf ec_int", {R(2, 0, 1, "ec_int")}, { "mx.dane.test." }, NOW, M(2, 0, 1, 1) },
    { "rfc7672_s3_2_2_ta_case_insensitive", "ec_leaf ec_int", {R(2, 0, 1, "ec_int")}, { "MX.Dane.TEST" }, NOW, M(2, 0, 1, 1) },
    { "rfc7672_s3_2_2_ta_no_names_skips_check", "ec_leaf_wrongname ec_int", {R(2, 0, 1, "ec_int")}, { NULL }, NOW, M(2, 0, 1, 1) },

    /* Usability and digest agility (RFC 7672 §3.1.3, RFC 7671 §9) */
    { "rfc7672_s3_1_3_pkix_ta_unusable", "ec_leaf ec_int ec_root", {R(0, 0, 1, "ec_root")}, MX, NOW, UNUSABLE },
    { "rfc7672_s3_1_3_pkix_ee_unusable", "ec_leaf ec_int", {R(1, 1, 1, "ec_leaf")}, MX, NOW, UNUSABLE },
    { "rfc7672_s3_1_3_unusable_ignored_beside_usable", "ec_leaf ec_int", {R(1, 1, 1, "ec_leaf"), R(3, 1, 1, "ec_leaf")}, MX, NOW, M(3, 1, 1, 0) },
    { "rfc7671_s9_sha512_wins_over_sha256", "ec_leaf ec_int", {R(3, 1, 1, "ec_leaf"), R(3, 1, 2, "other_leaf")}, MX, NOW, NOPE("no TLSA record matches") },
    { "rfc7671_s9_sha512_record_matches", "ec_leaf ec_int", {R(3, 1, 1, "other_leaf"), R(3, 1, 2, "ec_leaf")}, MX, NOW, M(3, 1, 2, 0) },
};

ParameterizedTestParameters(dane, verify)
{
    static size_t idx[sizeof(verify_cases) / sizeof(verify_cases[0])];

    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, dane, verify, .init = setup, .fini = teardown)
{
    const struct verify_case *c = &verify_cases[*i];
    struct dane_chain *chain = certs_fixture_chain(CERTS, c->chain);
    struct tlsa_set *set = tlsa_set_new();
    struct dane_result r = { 0 };
    const char *why = NULL;
    size_t nnames = 0;
    enum dane_status got;

    cr_assert_not_null(set);
    for (size_t k = 0; k < 4 && (c->recs[k].cert || c->recs[k].hex); k++)
        add_rec(set, &c->recs[k]);
    while (nnames < 3 && c->names[nnames] != NULL)
        nnames++;
    got = dane_verify(chain, set, c->names, nnames, c->now, &r, &why);
    cr_assert_eq(got, c->want.status, "%s: got status %d (%s), want %d", c->name,
                 got, why ? why : "-", c->want.status);
    if (got == DANE_MATCH) {
        cr_assert(r.usage == c->want.usage && r.selector == c->want.selector &&
                  r.mtype == c->want.mtype && r.depth == c->want.depth,
                  "%s: got %u %u %u depth %zu, want %u %u %u depth %zu", c->name,
                  r.usage, r.selector, r.mtype, r.depth, c->want.usage,
                  c->want.selector, c->want.mtype, c->want.depth);
    } else {
        cr_assert_not_null(why, "%s: no reason", c->name);
        cr_assert_not_null(strstr(why, c->want.why), "%s: got reason \"%s\", want \"%s\"",
                           c->name, why, c->want.why);
    }
    cr_assert_eq(r.failure, c->want.failure, "%s: got failure %d (%s), want %d",
                 c->name, r.failure, why ? why : "-", c->want.failure);
    tlsa_set_free(set);
    dane_chain_free(chain);
}

/* dane_name_match: presented pattern against reference name */
struct name_case {
    const char *name;
    const char *pattern;
    size_t plen;        /* 0: strlen */
    const char *ref;
    size_t rlen;        /* 0: strlen */
    int want;
};

static const struct name_case name_cases[] = {
    { "rfc6125_s6_4_1_exact", "mx.example.com", 0, "mx.example.com", 0, 1 },
    { "rfc6125_s6_4_1_case_insensitive", "MX.Example.COM", 0, "mx.example.com", 0, 1 },
    { "rfc6125_s6_4_1_different_name", "mx.example.com", 0, "mx.example.net", 0, 0 },
    { "rfc6125_s6_4_1_suffix_is_not_a_match", "example.com", 0, "mx.example.com", 0, 0 },
    { "rfc6125_s6_4_1_longer_pattern", "a.mx.example.com", 0, "mx.example.com", 0, 0 },
    { "rfc6125_s6_4_1_label_boundary", "xmx.example.com", 0, "mx.example.com", 0, 0 },
    { "rfc7672_s3_2_2_trailing_dot_reference", "mx.example.com", 0, "mx.example.com.", 0, 1 },
    { "rfc7672_s3_2_2_trailing_dot_pattern", "mx.example.com.", 0, "mx.example.com", 0, 1 },
    { "rfc7672_s3_2_2_two_trailing_dots", "mx.example.com", 0, "mx.example.com..", 0, 0 },
    { "rfc6125_s6_4_3_wildcard_leftmost", "*.example.com", 0, "mx.example.com", 0, 1 },
    { "rfc6125_s6_4_3_wildcard_trailing_dot", "*.example.com.", 0, "MX.example.com", 0, 1 },
    { "rfc6125_s6_4_3_wildcard_idna_label", "*.example.com", 0, "xn--bcher-kva.example.com", 0, 1 },
    { "rfc6125_s6_4_3_wildcard_one_label_only", "*.example.com", 0, "a.mx.example.com", 0, 0 },
    { "rfc6125_s6_4_3_wildcard_not_parent", "*.example.com", 0, "example.com", 0, 0 },
    { "rfc6125_s7_2_wildcard_needs_two_labels", "*.example", 0, "mx.example", 0, 0 },
    { "wolfssl_pitfall_partial_wildcard", "f*.example", 0, "foo.example", 0, 0 },
    { "wolfssl_pitfall_partial_wildcard_3labels", "f*.example.com", 0, "foo.example.com", 0, 0 },
    { "wolfssl_pitfall_suffix_partial_wildcard", "*o.example.com", 0, "foo.example.com", 0, 0 },
    { "wolfssl_pitfall_nonleftmost_wildcard", "mx.*.example", 0, "mx.foo.example", 0, 0 },
    { "wolfssl_pitfall_bare_star", "*", 0, "mx", 0, 0 },
    { "wolfssl_pitfall_bare_star_fqdn", "*", 0, "mx.example.com", 0, 0 },
    { "wolfssl_pitfall_overread_mx_star_z", "mx.*z", 0, "mx.example", 0, 0 },
    { "rfc6125_s6_4_3_two_wildcards", "*.*.example.com", 0, "a.b.example.com", 0, 0 },
    { "rfc6125_s6_4_3_double_star_label", "**.example.com", 0, "mx.example.com", 0, 0 },
    { "rfc6125_reference_with_star_never_matches", "*.example.com", 0, "*.example.com", 0, 0 },
    { "embedded_nul_in_pattern", "mx.example.com\0.evil", 20, "mx.example.com", 0, 0 },
    { "embedded_nul_in_reference", "mx.example.com", 0, "mx.example.com\0x", 16, 0 },
    { "explicit_length_prefix_only", "mx.example.comXYZ", 14, "mx.example.com", 0, 1 },
    { "empty_pattern", "", 0, "mx.example.com", 0, 0 },
    { "empty_label", "mx..example.com", 0, "mx..example.com", 0, 0 },
    { "leading_dot", ".example.com", 0, ".example.com", 0, 0 },
    { "label_longer_than_63", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", 0,
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", 0, 0 },
    { "label_of_63_ok", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", 0,
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", 0, 1 },
    { "space_in_name", "mx example.com", 0, "mx example.com", 0, 0 },
    { "postfix_dot_domain_reference_subdomain", "mx.example.com", 0, ".example.com", 0, 1 },
    { "postfix_dot_domain_reference_deeper", "a.mx.example.com", 0, ".example.com", 0, 1 },
    { "postfix_dot_domain_reference_not_itself", "example.com", 0, ".example.com", 0, 0 },
    { "postfix_dot_domain_reference_label_boundary", "mxexample.com", 0, ".example.com", 0, 0 },
    { "postfix_dot_domain_reference_wildcard_below", "*.example.com", 0, ".example.com", 0, 1 },
    { "postfix_dot_domain_reference_wildcard_above", "*.com", 0, ".example.com", 0, 0 },
    { "postfix_dot_domain_reference_partial_wildcard", "m*.example.com", 0, ".example.com", 0, 0 },
};

ParameterizedTestParameters(dane, name_match)
{
    static size_t idx[sizeof(name_cases) / sizeof(name_cases[0])];

    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, dane, name_match)
{
    const struct name_case *c = &name_cases[*i];
    size_t plen = c->plen ? c->plen : strlen(c->pattern);
    size_t rlen = c->rlen ? c->rlen : strlen(c->ref);
    int got = dane_name_match(c->pattern, plen, c->ref, rlen);

    cr_assert_eq(got, c->want, "%s: got %d, want %d", c->name, got, c->want);
}

/* Fingerprint pins: parse */
struct pin_parse_case {
    const char *name;
    const char *text;
    int want;           /* 0 or -1 */
    size_t len;         /* digest length when accepted */
};

#define H32 "0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789ABCDEF"
#define C32 "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:AB:CD:EF"

static const struct pin_parse_case pin_parse_cases[] = {
    { "pin_sha256_plain_hex", "sha256:" H32, 0, 32 },
    { "pin_sha256_colons", "sha256:" C32, 0, 32 },
    { "pin_prefix_any_case", "SHA256:" H32, 0, 32 },
    { "pin_sha512", "sha512:" H32 H32, 0, 64 },
    { "pin_sha512_short", "sha512:" H32, -1, 0 },
    { "pin_sha256_long", "sha256:" H32 "00", -1, 0 },
    { "pin_sha256_odd_digit", "sha256:" H32 "0", -1, 0 },
    { "pin_unknown_algorithm", "sha1:0123456789abcdef0123456789abcdef01234567", -1, 0 },
    { "pin_no_prefix", H32, -1, 0 },
    { "pin_bad_hex", "sha256:zz23456789abcdef0123456789ABCDEF0123456789abcdef0123456789ABCDEF", -1, 0 },
    { "pin_double_colon", "sha256:01::23:45:67:89:ab:cd:ef:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:AB:CD:EF", -1, 0 },
    { "pin_leading_colon", "sha256::" H32, -1, 0 },
    { "pin_trailing_colon", "sha256:" C32 ":", -1, 0 },
    { "pin_empty_digest", "sha256:", -1, 0 },
};

ParameterizedTestParameters(dane, pin_parse)
{
    static size_t idx[sizeof(pin_parse_cases) / sizeof(pin_parse_cases[0])];

    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, dane, pin_parse)
{
    const struct pin_parse_case *c = &pin_parse_cases[*i];
    struct dane_pin pin;
    const char *why = NULL;
    int got = dane_pin_parse(c->text, strlen(c->text), &pin, &why);

    cr_assert_eq(got, c->want, "%s: got %d (%s), want %d", c->name, got,
                 why ? why : "-", c->want);
    if (got == 0) {
        cr_assert_eq(pin.len, c->len, "%s: digest length %zu", c->name, pin.len);
        cr_assert_eq(pin.digest[0], 0x01, "%s", c->name);
        cr_assert_eq(pin.digest[31], 0xef, "%s", c->name);
    } else {
        cr_assert_not_null(why, "%s: no reason", c->name);
    }
}

/* Fingerprint pins: match against the leaf */
struct pin_match_case {
    const char *name;
    const char *chain;
    const char *cert;   /* pinned certificate */
    char from;          /* 'c' certificate or 'k' SPKI */
    int sha512;
    int want;
};

static const struct pin_match_case pin_match_cases[] = {
    { "pin_leaf_cert_sha256", "ec_leaf ec_int", "ec_leaf", 'c', 0, 1 },
    { "pin_leaf_spki_sha256", "ec_leaf ec_int", "ec_leaf", 'k', 0, 1 },
    { "pin_leaf_cert_sha512", "rsa_leaf rsa_int", "rsa_leaf", 'c', 1, 1 },
    { "pin_leaf_spki_sha512", "ec_selfsigned", "ec_selfsigned", 'k', 1, 1 },
    { "pin_intermediate_is_not_leaf", "ec_leaf ec_int", "ec_int", 'c', 0, 0 },
    { "pin_other_key", "ec_leaf ec_int", "other_leaf", 'k', 0, 0 },
};

ParameterizedTestParameters(dane, pin_match)
{
    static size_t idx[sizeof(pin_match_cases) / sizeof(pin_match_cases[0])];

    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, dane, pin_match, .init = setup, .fini = teardown)
{
    const struct pin_match_case *c = &pin_match_cases[*i];
    struct dane_chain *chain = certs_fixture_chain(CERTS, c->chain);
    struct dane_pin pins[2];
    char text[256];
    const char *why = NULL;
    uint8_t digest[64], *in;
    size_t len, n, k, used;

    in = certs_fixture_file(CERTS, c->cert, c->from == 'k' ? "spki" : "der", &len);
    if (c->sha512)
        wc_Sha512Hash(in, (word32)len, digest);
    else
        wc_Sha256Hash(in, (word32)len, digest);
    free(in);
    n = c->sha512 ? 64 : 32;
    used = (size_t)snprintf(text, sizeof(text), "%s:", c->sha512 ? "sha512" : "sha256");
    for (k = 0; k < n; k++)
        used += (size_t)snprintf(text + used, sizeof(text) - used, "%02x%s", digest[k],
                                 k + 1 < n ? ":" : "");
    cr_assert_eq(dane_pin_parse(ZERO32, 64, &pins[0], &why), -1);
    cr_assert_eq(dane_pin_parse("sha256:" ZERO32, 71, &pins[0], &why), 0, "%s", why);
    cr_assert_eq(dane_pin_parse(text, used, &pins[1], &why), 0, "%s: %s", c->name, why);
    cr_assert_eq(dane_pin_match(chain, pins, 2, &why), c->want, "%s", c->name);
    dane_chain_free(chain);
}

/* PKIX (Postfix verify/secure) */
struct pkix_case {
    const char *name;
    const char *chain;
    const char *ca;     /* certificate name, or a path below CERTS, as CA file */
    const char *ref;
    time_t now;
    enum dane_failure want;     /* DANE_FAIL_NONE: trusted */
    const char *why;
};

static const struct pkix_case pkix_cases[] = {
    { "rfc5280_pkix_chain_to_root", "ec_leaf ec_int", "ec_root", "mx.dane.test", NOW, DANE_FAIL_NONE, NULL },
    { "rfc5280_pkix_chain_with_root_sent", "ec_leaf ec_int ec_root", "ec_root", "mx.dane.test", NOW, DANE_FAIL_NONE, NULL },
    { "rfc5280_pkix_rsa", "rsa_leaf rsa_int", "rsa_root", "any.dane.test", NOW, DANE_FAIL_NONE, NULL },
    { "rfc8446_s4_4_2_pkix_unordered_chain", "ec_leaf3 ec_mid other_root ec_sub", "ec_root", "mx.dane.test", NOW, DANE_FAIL_NONE, NULL },
    { "rfc5280_pkix_ca_bundle_of_several", "ec_leaf", "server/ecdsa/chain.pem", "mx.dane.test", NOW, DANE_FAIL_NONE, NULL },
    { "rfc5280_pkix_intermediate_as_ca", "ec_leaf", "ec_int", "mx.dane.test", NOW, DANE_FAIL_NONE, NULL },
    { "rfc5280_pkix_unrelated_ca", "ec_leaf ec_int", "other_root", "mx.dane.test", NOW, DANE_FAIL_OTHER, "does not lead" },
    { "rfc5280_pkix_missing_intermediate", "ec_leaf", "ec_root", "mx.dane.test", NOW, DANE_FAIL_OTHER, "does not lead" },
    { "rfc5280_pkix_expired_leaf", "ec_leaf_expired ec_int", "ec_root", "mx.dane.test", NOW, DANE_FAIL_EXPIRED, "expired" },
    { "rfc5280_pkix_not_ca", "ec_leaf_noca ec_int_noca", "ec_root", "mx.dane.test", NOW, DANE_FAIL_OTHER, "not a CA" },
    { "rfc5280_pkix_pathlen", "ec_leaf_pl ec_sub_pl ec_int_pl0", "ec_root", "mx.dane.test", NOW, DANE_FAIL_OTHER, "pathLen" },
    { "rfc6125_pkix_wrong_name", "ec_leaf ec_int", "ec_root", "mx.wrong.example", NOW, DANE_FAIL_NAME, "reference names" },
    { "rfc5280_s6_1_1_pkix_selfsigned_leaf_in_ca_file_is_an_anchor", "ec_selfsigned", "ec_selfsigned", "mx.dane.test", NOW, DANE_FAIL_NONE, NULL },
    { "rfc5280_s6_1_1_pkix_selfsigned_leaf_elsewhere_untrusted", "ec_selfsigned", "ec_root", "mx.dane.test", NOW, DANE_FAIL_OTHER, "does not lead" },
};

ParameterizedTestParameters(dane, pkix)
{
    static size_t idx[sizeof(pkix_cases) / sizeof(pkix_cases[0])];

    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, dane, pkix, .init = setup, .fini = teardown)
{
    const struct pkix_case *c = &pkix_cases[*i];
    struct dane_chain *chain = certs_fixture_chain(CERTS, c->chain);
    const char *names[1] = { c->ref };
    const char *why = NULL;
    char ca[512];
    enum dane_failure got;

    if (strchr(c->ca, '/') != NULL)
        snprintf(ca, sizeof(ca), CERTS "/%s", c->ca);
    else
        snprintf(ca, sizeof(ca), CERTS "/certs/%s.pem", c->ca);
    got = dane_pkix_verify(chain, &(struct pkix_anchor){ .kind = PKIX_ANCHOR_CA_FILE, .ca_file = ca }, names, 1, c->now, NULL, &why);
    cr_assert_eq(got, c->want, "%s: got %d (%s)", c->name, got, why ? why : "-");
    if (got != DANE_FAIL_NONE)
        cr_assert_not_null(strstr(why, c->why), "%s: got \"%s\", want \"%s\"",
                           c->name, why, c->why);
    dane_chain_free(chain);
}

Test(dane, pkix_missing_ca_file, .init = setup, .fini = teardown)
{
    struct dane_chain *chain = certs_fixture_chain(CERTS, "ec_leaf ec_int");
    const char *names[1] = { "mx.dane.test" };
    const char *why = NULL;

    cr_assert_eq(dane_pkix_verify(chain, &(struct pkix_anchor){ .kind = PKIX_ANCHOR_CA_FILE, .ca_file = CERTS "/nonexistent.pem" }, names, 1, NOW, NULL, &why), DANE_FAIL_OTHER);
    cr_assert_str_eq(why, "CA file does not exist");
    dane_chain_free(chain);
}

/* Chain input: bad data gives a reason and leaves the chain unchanged */
struct input_case {
    const char *name;
    const char *pem;    /* PEM text, or NULL to use der below */
    int der_kind;       /* 1 truncated, 2 trailing byte, 3 not a SEQUENCE, 4 oversized */
    const char *why;
};

static const struct input_case input_cases[] = {
    { "pem_no_certificate_block", "hello\n", 0, "no PEM CERTIFICATE block" },
    { "pem_other_block_only", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", 0, "no PEM CERTIFICATE block" },
    { "pem_missing_end", "-----BEGIN CERTIFICATE-----\nMIIB\n", 0, "without END" },
    { "pem_bad_base64", "-----BEGIN CERTIFICATE-----\nMI!B\n-----END CERTIFICATE-----\n", 0, "invalid base64" },
    { "pem_truncated_base64", "-----BEGIN CERTIFICATE-----\nMIIBx\n-----END CERTIFICATE-----\n", 0, "base64" },
    { "pem_bad_padding", "-----BEGIN CERTIFICATE-----\nM===\n-----END CERTIFICATE-----\n", 0, "padding" },
    { "pem_not_der_inside", "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n", 0, "not a DER SEQUENCE" },
    { "pem_empty_block", "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", 0, "not a DER SEQUENCE" },
    { "der_truncated", NULL, 1, "truncated" },
    { "der_trailing_byte", NULL, 2, "trailing bytes" },
    { "der_not_sequence", NULL, 3, "not a DER SEQUENCE" },
    { "der_oversized", NULL, 4, "DANE_MAX_CERT" },
};

ParameterizedTestParameters(dane, input)
{
    static size_t idx[sizeof(input_cases) / sizeof(input_cases[0])];

    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, dane, input, .init = setup, .fini = teardown)
{
    const struct input_case *c = &input_cases[*i];
    struct dane_chain *chain = certs_fixture_chain(CERTS, "ec_leaf");
    const char *why = NULL;
    uint8_t *der, *big;
    size_t len;
    int got;

    if (c->pem != NULL) {
        got = dane_chain_add_pem(chain, c->pem, strlen(c->pem), &why);
    } else {
        der = certs_fixture_file(CERTS, "ec_int", "der", &len);
        big = calloc(1, DANE_MAX_CERT + 16);
        memcpy(big, der, len);
        if (c->der_kind == 1)
            got = dane_chain_add_der(chain, big, len - 1, &why);
        else if (c->der_kind == 2)
            got = dane_chain_add_der(chain, big, len + 1, &why);
        else if (c->der_kind == 3)
            got = dane_chain_add_der(chain, big + 1, len - 1, &why);
        else
            got = dane_chain_add_der(chain, big, DANE_MAX_CERT + 1, &why);
        free(big);
        free(der);
    }
    cr_assert_eq(got, -1, "%s: accepted", c->name);
    cr_assert_not_null(why);
    cr_assert_not_null(strstr(why, c->why), "%s: got \"%s\", want \"%s\"", c->name, why, c->why);
    cr_assert_eq(dane_chain_length(chain), 1, "%s: chain changed", c->name);
    dane_chain_free(chain);
}

Test(dane, pem_chain_file_in_order, .init = setup, .fini = teardown)
{
    struct dane_chain *chain = dane_chain_new();
    struct dane_chain *der_chain = certs_fixture_chain(CERTS, "ec_leaf ec_int");
    uint8_t a[64], b[64];
    const char *why = NULL;
    size_t len;
    char *pem = test_slurp(CERTS "/server/ecdsa/chain.pem", &len);

    cr_assert_eq(dane_chain_add_pem(chain, pem, len, &why), 0, "%s", why);
    cr_assert_eq(dane_chain_length(chain), 2);
    for (size_t d = 0; d < 2; d++) {
        cr_assert_eq(dane_chain_digest(chain, d, 1, 2, a), 64);
        cr_assert_eq(dane_chain_digest(der_chain, d, 1, 2, b), 64);
        cr_assert_arr_eq(a, b, 64);
    }
    cr_assert_eq(dane_chain_digest(chain, 2, 0, 1, a), 0, "depth past the end");
    cr_assert_eq(dane_chain_digest(chain, 0, 2, 1, a), 0, "bad selector");
    cr_assert_eq(dane_chain_digest(chain, 0, 0, 0, a), 0, "full is no digest");
    free(pem);
    dane_chain_free(chain);
    dane_chain_free(der_chain);
}

Test(dane, chain_bounded_by_max_chain, .init = setup, .fini = teardown)
{
    struct dane_chain *chain = dane_chain_new();
    const char *why = NULL;
    size_t len;
    uint8_t *der = certs_fixture_file(CERTS, "ec_leaf", "der", &len);

    for (size_t k = 0; k < DANE_MAX_CHAIN; k++)
        cr_assert_eq(dane_chain_add_der(chain, der, len, &why), 0);
    cr_assert_eq(dane_chain_add_der(chain, der, len, &why), -1);
    cr_assert_not_null(strstr(why, "DANE_MAX_CHAIN"));
    cr_assert_eq(dane_chain_length(chain), DANE_MAX_CHAIN);
    free(der);
    dane_chain_free(chain);
    dane_chain_free(NULL);
}

Test(dane, empty_chain_no_match, .init = setup, .fini = teardown)
{
    struct dane_chain *chain = dane_chain_new();
    struct tlsa_set *set = tlsa_set_new();
    const struct rec r = { 3, 1, 1, "ec_leaf", NULL, 0 };
    const char *why = NULL;

    add_rec(set, &r);
    cr_assert_eq(dane_verify(chain, set, NULL, 0, NOW, NULL, &why), DANE_NO_MATCH);
    cr_assert_str_eq(why, "the server presented no certificate");
    tlsa_set_free(set);
    dane_chain_free(chain);
}

/* *result is always set: on a failure only its kind, nothing the caller left */
Test(dane, result_set_on_failure, .init = setup, .fini = teardown)
{
    struct dane_chain *chain = certs_fixture_chain(CERTS, "ec_leaf ec_int");
    struct tlsa_set *set = tlsa_set_new();
    const struct rec r = { 3, 1, 1, "other_leaf", NULL, 0 };
    struct dane_result res;
    const char *why = NULL;

    memset(&res, 0xA5, sizeof(res));
    cr_assert_eq(dane_verify(chain, set, NULL, 0, NOW, &res, &why), DANE_NO_USABLE);
    cr_assert_eq(res.failure, DANE_FAIL_OTHER);
    cr_assert(res.usage == 0 && res.depth == 0 && res.path.len == 0);
    add_rec(set, &r);
    memset(&res, 0xA5, sizeof(res));
    cr_assert_eq(dane_verify(chain, set, NULL, 0, NOW, &res, &why), DANE_NO_MATCH);
    cr_assert_eq(res.failure, DANE_FAIL_OTHER);
    cr_assert(res.usage == 0 && res.depth == 0 && res.path.len == 0);
    tlsa_set_free(set);
    dane_chain_free(chain);
}

Test(dane, leaf_name_match_api, .init = setup, .fini = teardown)
{
    struct dane_chain *chain = certs_fixture_chain(CERTS, "ec_leaf_cnonly ec_int");
    const char *good[2] = { "nomatch.example", "MX.dane.test." };
    const char *bad[1] = { "any.dane.test" };

    cr_assert_eq(dane_leaf_name_match(chain, good, 2), 1);
    cr_assert_eq(dane_leaf_name_match(chain, bad, 1), 0, "CN is no wildcard source");
    cr_assert_eq(dane_leaf_name_match(chain, good, 0), 0);
    dane_chain_free(chain);
}
