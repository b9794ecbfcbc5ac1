/* test_pkix.c - pkix/ (OpenSSL's X509_verify_cert) and dane_pkix_verify()
 *               over the PKIX corpus of tests/certs/mkpkix.sh
 *
 * The corpus is made once per build directory (DANE_TEST_BINDIR/tests/pkix,
 * ReportHook(PRE_ALL); the script skips a fresh corpus). Each corpus case is
 * checked the way verify/secure use it: a path to the case's ca.pem at
 * PKIX_CORPUS_NOW, then the leaf against the case's reference name with
 * SMTP's name rules. Expected answers are RFC 5280 §6's and the CA/Browser
 * Forum's (the RULE column of cases.tsv); docs/pkix.md compares the
 * candidate validators over the same corpus.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <criterion/parameterized.h>

#include "dane.h"
#include "pkix.h"
#include "test_helpers.h"

#define CORPUS DANE_TEST_BINDIR "/tests/pkix"
#define SCRIPT DANE_TEST_SRCDIR "/tests/certs/mkpkix.sh"
#define PKIX_CORPUS_NOW ((time_t)1893456000)   /* 2030-01-01T00:00:00Z */
#define IN_2010 ((time_t)1262304000)

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    test_run_script(SCRIPT, CORPUS, "test_pkix");
}

static void setup(void)
{
    wolfSSL_Init();
}

static void teardown(void)
{
    wolfSSL_Cleanup();
}

/* chain_file - a dane_chain from CORPUS/NAME/chain.pem; NULL and *why when
 * the chain is refused on input */
static struct dane_chain *chain_file(const char *name, const char **why)
{
    struct dane_chain *chain = dane_chain_new();
    char path[512];
    size_t len;
    char *pem;

    snprintf(path, sizeof(path), CORPUS "/%s/chain.pem", name);
    pem = test_slurp(path, &len);
    cr_assert_not_null(chain);
    if (dane_chain_add_pem(chain, pem, len, why) < 0) {
        dane_chain_free(chain);
        chain = NULL;
    }
    free(pem);
    return chain;
}

struct want {
    enum dane_failure failure;  /* DANE_FAIL_NONE: trusted, the name matches */
    const char *why;    /* substring of the reason otherwise */
};

struct corpus_case {
    const char *name;   /* directory of the corpus */
    const char *ref;    /* reference name */
    struct want want;
};

#define OK { DANE_FAIL_NONE, NULL }
#define NO(w) { DANE_FAIL_OTHER, w }
#define NO_EXPIRED(w) { DANE_FAIL_EXPIRED, w }
#define NO_NAME(w) { DANE_FAIL_NAME, w }
#define MX "mx.dane.test"

static const struct corpus_case corpus_cases[] = {
    { "good", MX, OK },
    { "untrusted_root", MX, NO("does not lead to a CA") },
    { "wrong_name", "other.dane.test", NO_NAME("reference names") },
    /* RFC 5280 §4.2.1.10, §6.1.3 (b), (c): name constraints */
    { "nc_root_permitted_inside", MX, OK },
    { "nc_root_permitted_outside", MX, NO("name constraints") },
    { "nc_root_excluded", MX, NO("name constraints") },
    { "nc_int_permitted_inside", MX, OK },
    { "nc_int_permitted_outside", MX, NO("name constraints") },
    { "nc_int_excluded", MX, NO("name constraints") },
    { "nc_int_excluded_elsewhere", MX, OK },
    /* RFC 5280 §4.2.1.12, CA/B BR 7.1.2.7.10: extended key usage */
    { "eku_any_only", MX, NO("extended key usage") },
    { "eku_client_only", MX, NO("extended key usage") },
    { "eku_absent", MX, OK },
    { "eku_server_and_client", MX, OK },
    { "eku_intermediate_client_only", MX, NO("extended key usage") },
    /* RFC 5280 §6.1.4 (k), (m), (n): CA constraints */
    { "int_no_basic_constraints", MX, NO("not a CA") },
    { "int_ca_false", MX, NO("not a CA") },
    { "pathlen_exceeded", MX, NO("pathLen") },
    { "pathlen_respected", MX, OK },
    { "int_ku_without_keycertsign", MX, NO("keyCertSign") },
    /* RFC 5280 §6.1.3 (a)(2): validity at every depth */
    { "leaf_expired", MX, NO_EXPIRED("leaf certificate has expired") },
    { "leaf_not_yet_valid", MX, NO("leaf certificate is not yet valid") },
    { "int_expired", MX, NO_EXPIRED("intermediate certificate has expired") },
    { "int_not_yet_valid", MX, NO("intermediate certificate is not yet valid") },
    { "root_expired", MX, NO_EXPIRED("trust anchor certificate has expired") },
    { "root_not_yet_valid", MX, NO("trust anchor certificate is not yet valid") },
    /* RFC 4158 §2.3: a valid path beside an expired cross certificate */
    { "cross_expired_path_and_valid_path", MX, OK },
    { "cross_only_expired_path", MX, NO_EXPIRED("has expired") },
    /* RFC 5280 §4.2: critical extensions (refused when the chain is read) */
    { "unknown_critical_extension_leaf", MX, NO("critical extension") },
    { "unknown_critical_extension_intermediate", MX, NO("critical extension") },
    { "unknown_noncritical_extension", MX, OK },
    /* CA/B BR 6.1.5, 7.1.3.2: weak signatures and keys */
    { "sha1_signature", MX, NO("weak digest") },
    { "md5_signature", MX, NO("weak digest") },
    { "sha1_signature_intermediate", MX, NO("weak digest") },
    { "rsa2048_sha256", MX, OK },
    { "rsa1024_leaf", MX, NO("key too weak") },
    { "rsa1024_intermediate", MX, NO("key too weak") },
    /* RFC 6125 §6.4, RFC 7672 §3.2.2: names */
    { "wildcard_san", MX, OK },
    { "wildcard_san_two_labels", "a.mx.dane.test", NO_NAME("reference names") },
    { "ip_san_only", MX, NO_NAME("reference names") },
    { "ip_and_dns_san", MX, OK },
    { "cn_only", MX, OK },
    /* RFC 8446 §4.4.2: chain shape */
    { "out_of_order", MX, OK },
    { "extra_unrelated", MX, OK },
    { "missing_intermediate", MX, NO("does not lead to a CA") },
    { "long_chain_12", MX, OK },
    { "self_signed_leaf_untrusted", MX, NO("does not lead to a CA") },
};

ParameterizedTestParameters(pkix, corpus)
{
    static size_t idx[sizeof(corpus_cases) / sizeof(corpus_cases[0])];

    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, pkix, corpus, .init = setup, .fini = teardown)
{
    const struct corpus_case *c = &corpus_cases[*i];
    const char *names[1] = { c->ref }, *why = NULL;
    struct dane_chain *chain = chain_file(c->name, &why);
    struct pkix_path path;
    char ca[512];
    enum dane_failure got = DANE_FAIL_OTHER;

    snprintf(ca, sizeof(ca), CORPUS "/%s/ca.pem", c->name);
    if (chain != NULL)
        got = dane_pkix_verify(chain, &(struct pkix_anchor){ .kind = PKIX_ANCHOR_CA_FILE, .ca_file = ca },
                               names, 1, PKIX_CORPUS_NOW, &path, &why);
    cr_assert_eq(got, c->want.failure, "%s: got %d (%s), want %d", c->name, got,
                 why != NULL ? why : "-", c->want.failure);
    if (got == DANE_FAIL_NONE)
        cr_assert_gt(path.len, 1, "%s: a path to the anchor", c->name);
    else
        cr_assert_not_null(strstr(why, c->want.why), "%s: got \"%s\", want \"%s\"",
                           c->name, why, c->want.why);
    dane_chain_free(chain);
}

/* corpus_cases agrees with the script's own list */
Test(pkix, corpus_table_covers_every_case)
{
    size_t len, lines = 0, n = sizeof(corpus_cases) / sizeof(corpus_cases[0]);
    char *tsv = test_slurp(CORPUS "/cases.tsv", &len);

    for (size_t k = 0; k < len; k++)
        lines += tsv[k] == '\n';
    cr_assert_eq(lines, n, "cases.tsv has %zu cases, the table %zu", lines, n);
    for (size_t k = 0; k < n; k++) {
        char key[128];
        int expect_ok;

        snprintf(key, sizeof(key), "%s\t%s\t", corpus_cases[k].name,
                 corpus_cases[k].want.failure == DANE_FAIL_NONE ? "ok" : "fail");
        expect_ok = strstr(tsv, key) != NULL;
        cr_assert(expect_ok, "%s: expectation differs from cases.tsv", corpus_cases[k].name);
    }
    free(tsv);
}

/* pkix_of - a pkix_chain from a corpus case */
static struct pkix_chain *pkix_of(const char *name, struct dane_chain **keep)
{
    const char *why = NULL;
    struct dane_chain *chain = chain_file(name, &why);
    struct pkix_der der[PKIX_MAX_CHAIN];
    size_t n;

    cr_assert_not_null(chain, "%s: %s", name, why);
    n = dane_chain_length(chain);
    for (size_t i = 0; i < n; i++)
        der[i].der = dane_chain_der(chain, i, &der[i].len);
    *keep = chain;
    return pkix_chain_new(der, n, &why);
}

/* RFC 8446 §4.4.2: the path is given in depth order whatever was sent */
Test(pkix, path_indexes_follow_depth, .init = setup, .fini = teardown)
{
    struct dane_chain *chain;
    struct pkix_chain *pc = pkix_of("out_of_order", &chain);   /* leaf3 mid sub */
    struct pkix_anchor a = { .kind = PKIX_ANCHOR_CA_FILE, .ca_file = CORPUS "/out_of_order/ca.pem" };
    struct pkix_path path;
    const char *why = NULL;

    cr_assert_eq(pkix_verify(pc, &a, PKIX_CORPUS_NOW, &path, &why), PKIX_OK, "%s", why);
    cr_assert_eq(path.len, 4);
    cr_assert_eq(path.index[0], 0);
    cr_assert_eq(path.index[1], 2, "sub at depth 1, sent third");
    cr_assert_eq(path.index[2], 1, "mid at depth 2, sent second");
    cr_assert_eq(path.index[3], -1, "the root came from the CA file");
    cr_assert_not_null(strstr(path.anchor_subject, "CN=PKIX Root"), "%s", path.anchor_subject);
    pkix_chain_free(pc);
    dane_chain_free(chain);
}

/* The validation time is the caller's (RFC 5280 §6.1.1 (b)) */
Test(pkix, time_is_injected, .init = setup, .fini = teardown)
{
    struct dane_chain *chain;
    struct pkix_chain *pc = pkix_of("good", &chain);
    struct pkix_anchor a = { .kind = PKIX_ANCHOR_CA_FILE, .ca_file = CORPUS "/good/ca.pem" };
    const char *why = NULL;

    cr_assert_eq(pkix_verify(pc, &a, IN_2010, NULL, &why), PKIX_INVALID);
    cr_assert_not_null(strstr(why, "not yet valid"), "%s", why);
    cr_assert_eq(pkix_verify(pc, &a, PKIX_CORPUS_NOW, NULL, &why), PKIX_OK, "%s", why);
    pkix_chain_free(pc);
    dane_chain_free(chain);
}

/* No CA file: the system store, which does not know the test root */
Test(pkix, system_store_by_default, .init = setup, .fini = teardown)
{
    struct dane_chain *chain;
    struct pkix_chain *pc = pkix_of("good", &chain);
    struct pkix_anchor a = { .kind = PKIX_ANCHOR_CA_FILE, .ca_file = NULL };
    const char *why = NULL;
    FILE *fp = fopen(PKIX_SYSTEM_CA_FILE, "r");

    if (fp == NULL)
        cr_skip_test("%s is not installed", PKIX_SYSTEM_CA_FILE);
    fclose(fp);
    cr_assert_eq(pkix_verify(pc, &a, PKIX_CORPUS_NOW, NULL, &why), PKIX_NO_PATH, "%s", why);
    pkix_chain_free(pc);
    dane_chain_free(chain);
}

/* A store read once serves any number of verifications */
Test(pkix, store_read_once_is_shared, .init = setup, .fini = teardown)
{
    struct dane_chain *good, *expired;
    struct pkix_chain *g = pkix_of("good", &good), *e = pkix_of("leaf_expired", &expired);
    const char *why = NULL;
    int missing = 1;
    struct pkix_store *store = pkix_store_new(CORPUS "/good/ca.pem", &missing, &why);
    struct pkix_anchor a = { .kind = PKIX_ANCHOR_STORE, .store = store };

    cr_assert_not_null(store, "%s", why);
    cr_assert_eq(missing, 0);
    for (int round = 0; round < 2; round++) {
        cr_assert_eq(pkix_verify(g, &a, PKIX_CORPUS_NOW, NULL, &why), PKIX_OK, "%s", why);
        cr_assert_eq(pkix_verify(e, &a, PKIX_CORPUS_NOW, NULL, &why), PKIX_EXPIRED);
        cr_assert_str_eq(why, "leaf certificate has expired");
    }
    pkix_store_free(store);
    cr_assert_null(pkix_store_new(CORPUS "/no/such.pem", &missing, &why));
    cr_assert_eq(missing, 1);
    cr_assert_str_eq(why, "CA file does not exist");
    pkix_chain_free(g);
    pkix_chain_free(e);
    dane_chain_free(good);
    dane_chain_free(expired);
}

/* RFC 8460 §4.3.2.1 has certificate-expired, nothing for a certificate not
 * yet valid: an expired certificate at any depth is PKIX_EXPIRED, one not
 * yet valid breaks a rule like any other (PKIX_INVALID) */
struct date_case {
    const char *name;   /* corpus case */
    enum pkix_status want;
    const char *why;
};

static const struct date_case date_cases[] = {
    { "leaf_expired", PKIX_EXPIRED, "leaf certificate has expired" },
    { "int_expired", PKIX_EXPIRED, "intermediate certificate has expired" },
    { "root_expired", PKIX_EXPIRED, "trust anchor certificate has expired" },
    { "cross_only_expired_path", PKIX_EXPIRED, "has expired" },
    { "leaf_not_yet_valid", PKIX_INVALID, "leaf certificate is not yet valid" },
    { "int_not_yet_valid", PKIX_INVALID, "intermediate certificate is not yet valid" },
    { "root_not_yet_valid", PKIX_INVALID, "trust anchor certificate is not yet valid" },
    { "int_ca_false", PKIX_INVALID, "not a CA" },
};

ParameterizedTestParameters(pkix, date_status)
{
    static size_t idx[sizeof(date_cases) / sizeof(date_cases[0])];

    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, pkix, date_status, .init = setup, .fini = teardown)
{
    const struct date_case *c = &date_cases[*i];
    struct dane_chain *chain;
    struct pkix_chain *pc = pkix_of(c->name, &chain);
    char ca[512];
    struct pkix_anchor a = { .kind = PKIX_ANCHOR_CA_FILE, .ca_file = ca };
    const char *why = NULL;
    enum pkix_status got;

    snprintf(ca, sizeof(ca), CORPUS "/%s/ca.pem", c->name);
    got = pkix_verify(pc, &a, PKIX_CORPUS_NOW, NULL, &why);
    cr_assert_eq(got, c->want, "%s: got %d (%s), want %d", c->name, got,
                 why != NULL ? why : "-", c->want);
    cr_assert_not_null(strstr(why, c->why), "%s: got \"%s\"", c->name, why);
    pkix_chain_free(pc);
    dane_chain_free(chain);
}

/* An intermediate of the CA file is an anchor too (RFC 5280 §6.1.1 (d)) */
Test(pkix, intermediate_in_ca_file_is_an_anchor, .init = setup, .fini = teardown)
{
    struct dane_chain *chain;
    struct pkix_chain *pc = pkix_of("good", &chain);
    struct pkix_anchor a = { .kind = PKIX_ANCHOR_CA_FILE, .ca_file = CORPUS "/certs/int.pem" };
    struct pkix_path path;
    const char *why = NULL;

    cr_assert_eq(pkix_verify(pc, &a, PKIX_CORPUS_NOW, &path, &why), PKIX_OK, "%s", why);
    cr_assert_eq(path.len, 2);
    cr_assert_eq(path.index[1], 1, "the intermediate the server sent");
    pkix_chain_free(pc);
    dane_chain_free(chain);
}

/* Bad input: each refused with a reason */
Test(pkix, chain_input_refused, .init = setup, .fini = teardown)
{
    static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
    struct pkix_der der[PKIX_MAX_CHAIN + 1] = { { NULL, 0 } };
    const char *why = NULL;

    cr_assert_null(pkix_chain_new(der, 0, &why));
    cr_assert_str_eq(why, "the server presented no certificate");
    for (size_t i = 0; i <= PKIX_MAX_CHAIN; i++) {
        der[i].der = junk;
        der[i].len = sizeof(junk);
    }
    cr_assert_null(pkix_chain_new(der, PKIX_MAX_CHAIN + 1, &why));
    cr_assert_not_null(strstr(why, "longer than"));
    cr_assert_null(pkix_chain_new(der, 1, &why));
    cr_assert_str_eq(why, "certificate DER cannot be parsed");
}

struct ca_file_case {
    const char *name;
    const char *content;    /* written to a temporary CA file; NULL: none */
    const char *why;
};

static const struct ca_file_case ca_file_cases[] = {
    { "missing", NULL, "CA file does not exist" },
    { "empty", "", "no PEM certificate" },
    { "not_pem", "hello\n", "no PEM certificate" },
};

ParameterizedTestParameters(pkix, ca_file_refused)
{
    static size_t idx[sizeof(ca_file_cases) / sizeof(ca_file_cases[0])];

    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, pkix, ca_file_refused, .init = setup, .fini = teardown)
{
    const struct ca_file_case *c = &ca_file_cases[*i];
    struct dane_chain *chain;
    struct pkix_chain *pc = pkix_of("good", &chain);
    char path[64];
    struct pkix_anchor a = { .kind = PKIX_ANCHOR_CA_FILE, .ca_file = path };
    const char *why = NULL;

    test_tmpfile(path, sizeof(path), "test_pkix_ca", c->content,
                 c->content != NULL ? strlen(c->content) : 0);
    if (c->content == NULL)
        unlink(path);
    cr_assert_eq(pkix_verify(pc, &a, PKIX_CORPUS_NOW, NULL, &why), PKIX_ERROR, "%s", c->name);
    cr_assert_not_null(strstr(why, c->why), "%s: got \"%s\"", c->name, why);
    unlink(path);
    pkix_chain_free(pc);
    dane_chain_free(chain);
}

/* Anchors that are not a certificate or a key */
Test(pkix, anchor_data_refused, .init = setup, .fini = teardown)
{
    static const uint8_t junk[] = { 0x30, 0x00 };
    struct dane_chain *chain;
    struct pkix_chain *pc = pkix_of("good", &chain);
    struct pkix_anchor cert = { .kind = PKIX_ANCHOR_CERT, .der = junk, .len = sizeof(junk) };
    struct pkix_anchor key = { .kind = PKIX_ANCHOR_KEY, .der = junk, .len = sizeof(junk) };
    const char *why = NULL;

    cr_assert_eq(pkix_verify(pc, &cert, PKIX_CORPUS_NOW, NULL, &why), PKIX_ERROR);
    cr_assert_not_null(strstr(why, "certificate cannot be parsed"));
    cr_assert_eq(pkix_verify(pc, &key, PKIX_CORPUS_NOW, NULL, &why), PKIX_ERROR);
    cr_assert_not_null(strstr(why, "public key cannot be parsed"));
    pkix_chain_free(pc);
    dane_chain_free(chain);
}
