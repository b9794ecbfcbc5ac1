/* test_verify.c - agent/delivery/verify.c: the decision per Postfix level for one
 *                 handshake's peer chain (ok or fail with a reason and an
 *                 RFC 8460 result type; status Verified, Trusted, Untrusted
 *                 or Anonymous as Postfix logs it)
 *
 * Certificates come from tests/certs/mkcerts.sh, run once before the tests
 * (ReportHook(PRE_ALL)) into DANE_TEST_BINDIR/tests/certs-verify when that is
 * absent or older than the script: a directory of its own, so that test_dane
 * regenerating its tree at the same time (ctest -j) never swaps keys under
 * this test. TLSA data and pins are computed here from the DER files openssl
 * wrote. Criterion runs each case in a fresh process, so the parameters are
 * indices into the table, never pointers.
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
#include "policy.h"
#include "tlsa.h"
#include "verify.h"

#define CERTS DANE_TEST_BINDIR "/tests/certs-verify"

/* NOW lies inside 2020-2099 and outside 2001-2002 / 2090-2095. */
#define NOW ((time_t)1767225600)      /* 2026-01-01T00:00:00Z */

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    certs_fixture_make(CERTS, "test_verify");
}

static void setup(void)
{
    wolfSSL_Init();
}

static void teardown(void)
{
    wolfSSL_Cleanup();
}

/* digest - SHA-256 (mtype 1) or SHA-512 (mtype 2) of a certificate's DER
 * (selector 0) or SPKI (selector 1); returns the length */
static size_t digest(const char *cert, uint8_t selector, uint8_t mtype,
                     uint8_t out[64])
{
    size_t len;
    uint8_t *in = certs_fixture_file(CERTS, cert, selector == 1 ? "spki" : "der", &len);

    if (mtype == 1)
        cr_assert_eq(wc_Sha256Hash(in, (word32)len, out), 0);
    else
        cr_assert_eq(wc_Sha512Hash(in, (word32)len, out), 0);
    free(in);
    return mtype == 1 ? 32 : 64;
}

/* A TLSA record or a pin: a digest (mtype 1 or 2) of a certificate or its
 * SPKI. cert NULL ends a list. */
struct rec {
    uint8_t usage, selector, mtype;
    const char *cert;
};

/* tlsa_of - the set of records, or NULL when the case has no TLSA at all */
static struct tlsa_set *tlsa_of(const struct rec *recs, size_t max, int none)
{
    struct tlsa_set *set;
    uint8_t data[64];
    size_t len;
    const char *why = NULL;

    if (none)
        return NULL;
    set = tlsa_set_new();
    cr_assert_not_null(set);
    for (size_t i = 0; i < max && recs[i].cert != NULL; i++) {
        len = digest(recs[i].cert, recs[i].selector, recs[i].mtype, data);
        cr_assert_eq(tlsa_set_add_rr(set, recs[i].usage, recs[i].selector,
                                     recs[i].mtype, data, len, &why), 0,
                     "add record: %s", why);
    }
    return set;
}

/* pins_of - pins as the policy writes them ("sha256:HEX"), parsed */
static size_t pins_of(const struct rec *recs, size_t max, struct dane_pin *pins)
{
    uint8_t data[64];
    char text[8 + 2 * 64 + 1];
    size_t n, len, off;
    const char *why = NULL;

    for (n = 0; n < max && recs[n].cert != NULL; n++) {
        len = digest(recs[n].cert, recs[n].selector, recs[n].mtype, data);
        off = (size_t)snprintf(text, sizeof(text), "%s:",
                               recs[n].mtype == 1 ? "sha256" : "sha512");
        for (size_t i = 0; i < len; i++)
            off += (size_t)snprintf(text + off, sizeof(text) - off, "%02x", data[i]);
        cr_assert_eq(dane_pin_parse(text, off, &pins[n], &why), 0, "pin %s: %s",
                     text, why);
    }
    return n;
}

struct want {
    int ok;
    enum verify_status status;
    const char *why;        /* substring of the reason when !ok */
    const char *rfc8460;    /* RFC 8460 result type when !ok */
    int matched;            /* a TLSA record matched: usage and depth */
    uint8_t usage;
    size_t depth;
};

struct verify_case {
    const char *name;
    enum policy_level level;
    const char *chain;      /* NULL: no chain; "": an empty chain */
    struct rec tlsa[2];
    int no_tlsa;            /* tlsa pointer NULL (not an empty set) */
    int insecure_mx;
    struct rec pins[2];
    const char *ca;         /* CA file: CERTS/certs/<ca>.pem, or NULL */
    const char *names[2];
    struct want want;
};

#define GOOD "ec_leaf ec_int"
#define MX { "mx.dane.test" }
#define EE(cert) { { 3, 1, 1, cert } }
#define TA(cert) { { 2, 0, 1, cert } }
#define NOTLSA { { 0, 0, 0, NULL } }
#define NOPIN { { 0, 0, 0, NULL } }
#define OK(status) { 1, status, NULL, NULL, 0, 0, 0 }
#define OKMATCH(status, usage, depth) { 1, status, NULL, NULL, 1, usage, depth }
#define FAIL(status, why, type) { 0, status, why, type, 0, 0, 0 }
#define NOCERT FAIL(VERIFY_ANONYMOUS, "no certificate", "certificate-not-trusted")

static const struct verify_case cases[] = {
    /* No certificate: an anonymous suite is acceptable only where nothing
     * is authenticated (RFC 7435 §3 opportunistic; Postfix may/encrypt). */
    { "rfc7435_s3_may_anonymous_ok", POLICY_LEVEL_MAY, NULL, NOTLSA, 0, 0, NOPIN, NULL, MX, OK(VERIFY_ANONYMOUS) },
    { "rfc7435_s3_may_empty_chain_anonymous_ok", POLICY_LEVEL_MAY, "", NOTLSA, 0, 0, NOPIN, NULL, MX, OK(VERIFY_ANONYMOUS) },
    { "postfix_encrypt_anonymous_ok", POLICY_LEVEL_ENCRYPT, NULL, NOTLSA, 0, 0, NOPIN, NULL, MX, OK(VERIFY_ANONYMOUS) },
    { "postfix_none_anonymous_ok", POLICY_LEVEL_NONE, NULL, NOTLSA, 0, 0, NOPIN, NULL, MX, OK(VERIFY_ANONYMOUS) },
    { "rfc7672_s3_dane_no_certificate_fails", POLICY_LEVEL_DANE, NULL, EE("ec_leaf"), 0, 0, NOPIN, NULL, MX, NOCERT },
    { "rfc7672_s3_dane_empty_chain_fails", POLICY_LEVEL_DANE, "", EE("ec_leaf"), 0, 0, NOPIN, NULL, MX, NOCERT },
    { "rfc7672_s3_dane_only_no_certificate_fails", POLICY_LEVEL_DANE_ONLY, NULL, EE("ec_leaf"), 0, 0, NOPIN, NULL, MX, NOCERT },
    { "postfix_fingerprint_no_certificate_fails", POLICY_LEVEL_FINGERPRINT, NULL, NOTLSA, 0, 0, { { 0, 1, 1, "ec_leaf" } }, NULL, MX, NOCERT },
    { "postfix_verify_no_certificate_fails", POLICY_LEVEL_VERIFY, NULL, NOTLSA, 0, 0, NOPIN, "ec_root", MX, NOCERT },
    { "postfix_secure_no_certificate_fails", POLICY_LEVEL_SECURE, NULL, NOTLSA, 0, 0, NOPIN, "ec_root", MX, NOCERT },

    /* may/encrypt/none authenticate nothing: Untrusted, or Trusted when a
     * configured CA vouches for the chain (names are not checked) */
    { "rfc7435_s3_may_untrusted_without_ca", POLICY_LEVEL_MAY, GOOD, NOTLSA, 0, 0, NOPIN, NULL, MX, OK(VERIFY_UNTRUSTED) },
    { "rfc7435_s3_encrypt_untrusted_without_ca", POLICY_LEVEL_ENCRYPT, GOOD, NOTLSA, 0, 0, NOPIN, NULL, MX, OK(VERIFY_UNTRUSTED) },
    { "postfix_none_untrusted", POLICY_LEVEL_NONE, GOOD, NOTLSA, 0, 0, NOPIN, NULL, MX, OK(VERIFY_UNTRUSTED) },
    { "postfix_may_trusted_with_ca", POLICY_LEVEL_MAY, GOOD, NOTLSA, 0, 0, NOPIN, "ec_root", MX, OK(VERIFY_TRUSTED) },
    { "postfix_encrypt_trusted_with_ca", POLICY_LEVEL_ENCRYPT, GOOD, NOTLSA, 0, 0, NOPIN, "ec_root", MX, OK(VERIFY_TRUSTED) },
    { "postfix_may_trusted_ignores_names", POLICY_LEVEL_MAY, "ec_leaf_wrongname ec_int", NOTLSA, 0, 0, NOPIN, "ec_root", MX, OK(VERIFY_TRUSTED) },
    { "postfix_may_other_ca_untrusted_ok", POLICY_LEVEL_MAY, GOOD, NOTLSA, 0, 0, NOPIN, "other_root", MX, OK(VERIFY_UNTRUSTED) },
    { "postfix_encrypt_selfsigned_untrusted_ok", POLICY_LEVEL_ENCRYPT, "ec_selfsigned", NOTLSA, 0, 0, NOPIN, "ec_root", MX, OK(VERIFY_UNTRUSTED) },
    { "postfix_encrypt_ignores_tlsa", POLICY_LEVEL_ENCRYPT, GOOD, EE("other_leaf"), 0, 0, NOPIN, NULL, MX, OK(VERIFY_UNTRUSTED) },

    /* dane / dane-only: a usable TLSA record must match (RFC 7672 §3) */
    { "rfc7672_s3_1_1_dane_ee_verified", POLICY_LEVEL_DANE, GOOD, EE("ec_leaf"), 0, 0, NOPIN, NULL, MX, OKMATCH(VERIFY_VERIFIED, 3, 0) },
    { "rfc7672_s3_1_2_dane_ta_verified", POLICY_LEVEL_DANE, GOOD, TA("ec_int"), 0, 0, NOPIN, NULL, MX, OKMATCH(VERIFY_VERIFIED, 2, 1) },
    { "rfc7672_s3_dane_only_ee_verified", POLICY_LEVEL_DANE_ONLY, GOOD, EE("ec_leaf"), 0, 0, NOPIN, NULL, MX, OKMATCH(VERIFY_VERIFIED, 3, 0) },
    { "rfc7672_s3_1_1_dane_ee_ignores_names", POLICY_LEVEL_DANE, "ec_leaf_wrongname ec_int", EE("ec_leaf_wrongname"), 0, 0, NOPIN, NULL, MX, OKMATCH(VERIFY_VERIFIED, 3, 0) },
    { "rfc7672_s2_2_1_dane_insecure_mx_trusted", POLICY_LEVEL_DANE, GOOD, EE("ec_leaf"), 0, 1, NOPIN, NULL, MX, OKMATCH(VERIFY_TRUSTED, 3, 0) },
    { "rfc7672_s2_2_1_dane_ta_insecure_mx_trusted", POLICY_LEVEL_DANE, GOOD, TA("ec_int"), 0, 1, NOPIN, NULL, MX, OKMATCH(VERIFY_TRUSTED, 2, 1) },
    { "rfc7672_s2_2_1_dane_insecure_mx_no_match_fails", POLICY_LEVEL_DANE, GOOD, EE("other_leaf"), 0, 1, NOPIN, NULL, MX, FAIL(VERIFY_UNTRUSTED, "no TLSA record matches", "validation-failure") },
    { "rfc7672_s3_dane_ee_no_match_fails", POLICY_LEVEL_DANE, GOOD, EE("other_leaf"), 0, 0, NOPIN, NULL, MX, FAIL(VERIFY_UNTRUSTED, "no TLSA record matches", "validation-failure") },
    { "rfc7672_s3_dane_only_no_match_fails", POLICY_LEVEL_DANE_ONLY, GOOD, EE("other_leaf"), 0, 0, NOPIN, NULL, MX, FAIL(VERIFY_UNTRUSTED, "no TLSA record matches", "validation-failure") },
    { "rfc7672_s3_dane_ca_file_does_not_help", POLICY_LEVEL_DANE, GOOD, EE("other_leaf"), 0, 0, NOPIN, "ec_root", MX, FAIL(VERIFY_UNTRUSTED, "no TLSA record matches", "validation-failure") },
    { "rfc8460_rfc7672_s3_2_2_dane_ta_wrong_name_host_mismatch", POLICY_LEVEL_DANE, "ec_leaf_wrongname ec_int", TA("ec_int"), 0, 0, NOPIN, NULL, MX, FAIL(VERIFY_UNTRUSTED, "reference names", "certificate-host-mismatch") },
    { "rfc8460_dane_ta_expired_leaf", POLICY_LEVEL_DANE, "ec_leaf_expired ec_int", TA("ec_int"), 0, 0, NOPIN, NULL, MX, FAIL(VERIFY_UNTRUSTED, "leaf certificate has expired", "certificate-expired") },
    { "rfc7672_s3_1_3_dane_no_usable_records", POLICY_LEVEL_DANE, GOOD, { { 1, 1, 1, "ec_leaf" } }, 0, 0, NOPIN, NULL, MX, FAIL(VERIFY_UNTRUSTED, "no usable TLSA records", "tlsa-invalid") },
    { "rfc7672_s3_1_3_dane_pkix_ta_unusable", POLICY_LEVEL_DANE, "ec_leaf ec_int ec_root", { { 0, 0, 1, "ec_root" } }, 0, 0, NOPIN, "ec_root", MX, FAIL(VERIFY_UNTRUSTED, "no usable TLSA records", "tlsa-invalid") },
    { "rfc7672_s3_1_3_dane_empty_set", POLICY_LEVEL_DANE, GOOD, NOTLSA, 0, 0, NOPIN, NULL, MX, FAIL(VERIFY_UNTRUSTED, "no usable TLSA records", "tlsa-invalid") },
    { "rfc7672_s3_1_3_dane_no_tlsa_set", POLICY_LEVEL_DANE, GOOD, NOTLSA, 1, 0, NOPIN, NULL, MX, FAIL(VERIFY_UNTRUSTED, "no usable TLSA records", "tlsa-invalid") },

    /* fingerprint: the leaf certificate or its public key is pinned */
    { "postfix_fingerprint_cert_sha256_verified", POLICY_LEVEL_FINGERPRINT, GOOD, NOTLSA, 0, 0, { { 0, 0, 1, "ec_leaf" } }, NULL, MX, OK(VERIFY_VERIFIED) },
    { "postfix_fingerprint_spki_sha512_verified", POLICY_LEVEL_FINGERPRINT, GOOD, NOTLSA, 0, 0, { { 0, 1, 2, "ec_leaf" } }, NULL, MX, OK(VERIFY_VERIFIED) },
    { "postfix_fingerprint_second_pin_verified", POLICY_LEVEL_FINGERPRINT, GOOD, NOTLSA, 0, 0, { { 0, 0, 1, "other_leaf" }, { 0, 1, 1, "ec_leaf" } }, NULL, MX, OK(VERIFY_VERIFIED) },
    { "postfix_fingerprint_ignores_names", POLICY_LEVEL_FINGERPRINT, "ec_leaf_wrongname", NOTLSA, 0, 0, { { 0, 1, 1, "ec_leaf_wrongname" } }, NULL, MX, OK(VERIFY_VERIFIED) },
    { "postfix_fingerprint_mismatch_fails", POLICY_LEVEL_FINGERPRINT, GOOD, NOTLSA, 0, 0, { { 0, 0, 1, "other_leaf" } }, NULL, MX, FAIL(VERIFY_UNTRUSTED, "no pinned fingerprint matches", "validation-failure") },
    { "postfix_fingerprint_issuer_pin_fails", POLICY_LEVEL_FINGERPRINT, GOOD, NOTLSA, 0, 0, { { 0, 0, 1, "ec_int" } }, NULL, MX, FAIL(VERIFY_UNTRUSTED, "no pinned fingerprint matches", "validation-failure") },
    { "postfix_fingerprint_no_pins_fails", POLICY_LEVEL_FINGERPRINT, GOOD, NOTLSA, 0, 0, NOPIN, NULL, MX, FAIL(VERIFY_UNTRUSTED, "no fingerprint configured", "validation-failure") },

    /* verify / secure: PKIX trust to ca_file, then a reference name */
    { "postfix_verify_ca_and_name_verified", POLICY_LEVEL_VERIFY, GOOD, NOTLSA, 0, 0, NOPIN, "ec_root", MX, OK(VERIFY_VERIFIED) },
    { "postfix_secure_ca_and_name_verified", POLICY_LEVEL_SECURE, GOOD, NOTLSA, 0, 0, NOPIN, "ec_root", MX, OK(VERIFY_VERIFIED) },
    { "rfc6125_s6_4_3_verify_wildcard_name_verified", POLICY_LEVEL_VERIFY, GOOD, NOTLSA, 0, 0, NOPIN, "ec_root", { "any.dane.test" }, OK(VERIFY_VERIFIED) },
    { "postfix_verify_second_name_verified", POLICY_LEVEL_VERIFY, GOOD, NOTLSA, 0, 0, NOPIN, "ec_root", { "mx.other.example", "mx.dane.test" }, OK(VERIFY_VERIFIED) },
    { "postfix_verify_dot_nexthop_verified", POLICY_LEVEL_SECURE, GOOD, NOTLSA, 0, 0, NOPIN, "ec_root", { ".dane.test" }, OK(VERIFY_VERIFIED) },
    { "postfix_verify_rsa_chain_verified", POLICY_LEVEL_VERIFY, "rsa_leaf rsa_int", NOTLSA, 0, 0, NOPIN, "rsa_root", MX, OK(VERIFY_VERIFIED) },
    { "postfix_verify_wrong_name_trusted_fails", POLICY_LEVEL_VERIFY, "ec_leaf_wrongname ec_int", NOTLSA, 0, 0, NOPIN, "ec_root", MX, FAIL(VERIFY_TRUSTED, "name does not match", "certificate-host-mismatch") },
    { "postfix_secure_wrong_name_trusted_fails", POLICY_LEVEL_SECURE, GOOD, NOTLSA, 0, 0, NOPIN, "ec_root", { "mx.other.example" }, FAIL(VERIFY_TRUSTED, "name does not match", "certificate-host-mismatch") },
    { "rfc6125_s6_4_3_verify_wildcard_one_label_fails", POLICY_LEVEL_VERIFY, GOOD, NOTLSA, 0, 0, NOPIN, "ec_root", { "a.b.dane.test" }, FAIL(VERIFY_TRUSTED, "name does not match", "certificate-host-mismatch") },
    { "postfix_verify_no_names_fails", POLICY_LEVEL_VERIFY, GOOD, NOTLSA, 0, 0, NOPIN, "ec_root", { NULL }, FAIL(VERIFY_TRUSTED, "name does not match", "certificate-host-mismatch") },
    { "rfc8460_verify_untrusted_ca_fails", POLICY_LEVEL_VERIFY, "other_leaf other_root", NOTLSA, 0, 0, NOPIN, "ec_root", MX, FAIL(VERIFY_UNTRUSTED, "does not lead to a CA", "certificate-not-trusted") },
    { "rfc8460_verify_selfsigned_fails", POLICY_LEVEL_VERIFY, "ec_selfsigned", NOTLSA, 0, 0, NOPIN, "ec_root", MX, FAIL(VERIFY_UNTRUSTED, "does not lead to a CA", "certificate-not-trusted") },
    { "rfc8460_verify_forged_leaf_fails", POLICY_LEVEL_VERIFY, "ec_leaf_forged ec_int", NOTLSA, 0, 0, NOPIN, "ec_root", MX, FAIL(VERIFY_UNTRUSTED, "does not lead to a CA", "certificate-not-trusted") },
    { "rfc8460_verify_no_ca_file_system_store_fails", POLICY_LEVEL_VERIFY, GOOD, NOTLSA, 0, 0, NOPIN, NULL, MX, FAIL(VERIFY_UNTRUSTED, "CA of the system store", "certificate-not-trusted") },
    { "rfc8460_secure_no_ca_file_system_store_fails", POLICY_LEVEL_SECURE, GOOD, NOTLSA, 0, 0, NOPIN, NULL, MX, FAIL(VERIFY_UNTRUSTED, "CA of the system store", "certificate-not-trusted") },
    { "rfc5280_verify_name_constraints_fail", POLICY_LEVEL_VERIFY, "ec_leaf_nc ec_int_nc", NOTLSA, 0, 0, NOPIN, "ec_root", MX, FAIL(VERIFY_UNTRUSTED, "name constraints", "certificate-not-trusted") },
    { "rfc5280_verify_client_eku_fails", POLICY_LEVEL_VERIFY, "ec_leaf_client ec_int", NOTLSA, 0, 0, NOPIN, "ec_root", MX, FAIL(VERIFY_UNTRUSTED, "extended key usage", "certificate-not-trusted") },
    { "rfc8460_verify_unreadable_ca_file_fails", POLICY_LEVEL_VERIFY, GOOD, NOTLSA, 0, 0, NOPIN, "no_such_ca", MX, FAIL(VERIFY_UNTRUSTED, "", "certificate-not-trusted") },
    { "rfc8460_verify_expired_leaf", POLICY_LEVEL_VERIFY, "ec_leaf_expired ec_int", NOTLSA, 0, 0, NOPIN, "ec_root", MX, FAIL(VERIFY_UNTRUSTED, "leaf certificate has expired", "certificate-expired") },
    { "rfc8460_verify_expired_intermediate", POLICY_LEVEL_VERIFY, "ec_leaf_under_expired ec_int_expired", NOTLSA, 0, 0, NOPIN, "ec_root", MX, FAIL(VERIFY_UNTRUSTED, "intermediate certificate has expired", "certificate-expired") },
    { "rfc8460_verify_not_yet_valid_leaf", POLICY_LEVEL_VERIFY, "ec_leaf_future ec_int", NOTLSA, 0, 0, NOPIN, "ec_root", MX, FAIL(VERIFY_UNTRUSTED, "not yet valid", "certificate-not-trusted") },
    { "postfix_verify_ignores_tlsa", POLICY_LEVEL_VERIFY, GOOD, EE("other_leaf"), 0, 0, NOPIN, "ec_root", MX, OK(VERIFY_VERIFIED) },

    /* A level outside the enum fails closed. */
    { "unknown_level_fails_closed", (enum policy_level)99, GOOD, EE("ec_leaf"), 0, 0, NOPIN, "ec_root", MX, FAIL(VERIFY_UNTRUSTED, "unknown security level", "validation-failure") },
    { "unknown_level_no_certificate_fails_closed", (enum policy_level)99, NULL, NOTLSA, 0, 0, NOPIN, NULL, MX, NOCERT },
};

ParameterizedTestParameters(verify, peer)
{
    static size_t idx[sizeof(cases) / sizeof(cases[0])];

    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, verify, peer, .init = setup, .fini = teardown)
{
    const struct verify_case *c = &cases[*i];
    struct dane_chain *chain = certs_fixture_chain(CERTS, c->chain);
    struct tlsa_set *set = tlsa_of(c->tlsa, 2, c->no_tlsa);
    struct dane_pin pins[2];
    char ca[512];
    struct verify_input in;
    struct verify_result out;

    memset(&in, 0, sizeof(in));
    in.level = c->level;
    in.chain = chain;
    in.tlsa = set;
    in.insecure_mx = c->insecure_mx;
    in.names = c->names;
    while (in.nnames < 2 && c->names[in.nnames] != NULL)
        in.nnames++;
    in.npins = pins_of(c->pins, 2, pins);
    in.pins = in.npins > 0 ? pins : NULL;
    if (c->ca != NULL) {
        snprintf(ca, sizeof(ca), CERTS "/certs/%s.pem", c->ca);
        in.ca_file = ca;
    }
    in.now = NOW;

    verify_peer(&in, &out);

    cr_assert_eq(out.ok, c->want.ok, "%s: got ok=%d (%s), want %d", c->name,
                 out.ok, out.reason ? out.reason : "-", c->want.ok);
    cr_assert_eq(out.status, c->want.status, "%s: got status %s, want %s",
                 c->name, verify_status_name(out.status),
                 verify_status_name(c->want.status));
    if (c->want.ok) {
        cr_assert_null(out.reason, "%s: reason \"%s\" on success", c->name, out.reason);
        cr_assert_null(out.rfc8460, "%s: result type on success", c->name);
    } else {
        cr_assert_not_null(out.reason, "%s: no reason", c->name);
        cr_assert_not_null(strstr(out.reason, c->want.why),
                           "%s: got reason \"%s\", want \"%s\"", c->name,
                           out.reason, c->want.why);
        cr_assert_not_null(out.rfc8460, "%s: no RFC 8460 result type", c->name);
        cr_assert_str_eq(out.rfc8460, c->want.rfc8460, "%s: got type %s, want %s",
                         c->name, out.rfc8460, c->want.rfc8460);
    }
    cr_assert_eq(out.matched, c->want.matched, "%s: got matched=%d, want %d",
                 c->name, out.matched, c->want.matched);
    if (c->want.matched)
        cr_assert(out.match.usage == c->want.usage && out.match.depth == c->want.depth,
                  "%s: got usage %u depth %zu, want usage %u depth %zu", c->name,
                  out.match.usage, out.match.depth, c->want.usage, c->want.depth);
    tlsa_set_free(set);
    dane_chain_free(chain);
}

/* A store read once by the caller: Trusted at may, Verified at secure, and
 * the same answers for every chain verified against it */
Test(verify, store_read_once, .init = setup, .fini = teardown)
{
    const char *why = NULL, *names[1] = { "mx.dane.test" };
    struct pkix_store *store = pkix_store_new(CERTS "/certs/ec_root.pem", NULL, &why);
    struct dane_chain *good = certs_fixture_chain(CERTS, "ec_leaf ec_int");
    struct dane_chain *other = certs_fixture_chain(CERTS, "other_leaf other_root");
    struct verify_input in = { .level = POLICY_LEVEL_MAY, .chain = good, .store = store,
                               .ca_file = CERTS "/certs/ec_root.pem",
                               .names = names, .nnames = 1, .now = NOW };
    struct verify_result out;

    cr_assert_not_null(store, "%s", why);
    verify_peer(&in, &out);
    cr_assert_eq(out.status, VERIFY_TRUSTED);
    cr_assert_eq(out.path.len, 3, "leaf, intermediate, root from the store");
    in.level = POLICY_LEVEL_SECURE;
    verify_peer(&in, &out);
    cr_assert(out.ok && out.status == VERIFY_VERIFIED, "%s", out.reason);
    in.chain = other;
    verify_peer(&in, &out);
    cr_assert(!out.ok && out.status == VERIFY_UNTRUSTED);
    cr_assert_str_eq(out.reason, "certificate chain does not lead to a CA of the CA file");
    pkix_store_free(store);
    dane_chain_free(good);
    dane_chain_free(other);
}

/* verify_status_name: Postfix's words, and a safe word out of range */
Test(verify, status_names)
{
    cr_assert_str_eq(verify_status_name(VERIFY_ANONYMOUS), "Anonymous");
    cr_assert_str_eq(verify_status_name(VERIFY_UNTRUSTED), "Untrusted");
    cr_assert_str_eq(verify_status_name(VERIFY_TRUSTED), "Trusted");
    cr_assert_str_eq(verify_status_name(VERIFY_VERIFIED), "Verified");
    cr_assert_str_eq(verify_status_name((enum verify_status)42), "Untrusted");
}

/* The result does not depend on what the caller left in it. */
Test(verify, result_reset, .init = setup, .fini = teardown)
{
    struct verify_input in;
    struct verify_result out;

    memset(&in, 0, sizeof(in));
    memset(&out, 0xA5, sizeof(out));
    in.level = POLICY_LEVEL_MAY;
    in.now = NOW;
    verify_peer(&in, &out);
    cr_assert_eq(out.ok, 1);
    cr_assert_eq(out.status, VERIFY_ANONYMOUS);
    cr_assert_eq(out.matched, 0);
    cr_assert_null(out.reason);
    cr_assert_null(out.rfc8460);
}
