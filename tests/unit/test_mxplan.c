/* test_mxplan.c - the RFC 7672 §2 decision (agent/plan/mxplan.h), one row per rule
 *
 * Facts are written as compact answer specs: status, record count (MX and
 * addresses), TLSA total/usable counts, and the CNAME target the chain ends
 * at. Criterion re-executes each case in a child (PIE): the tables hold
 * arrays, never pointers.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "mxplan.h"

struct ans {
    int asked;
    enum dns_status st;
    size_t n;               /* MX / address records, or TLSA total */
    size_t usable;          /* TLSA */
    char target[32];        /* CNAME chain end ("" none) */
};

#define NOT_ASKED { 0, DNS_SECURE, 0, 0, "" }
#define ANS(st, n) { 1, st, n, 0, "" }
#define VIA(st, n, target) { 1, st, n, 0, target }
#define TLSA(st, total, usable) { 1, st, total, usable, "" }
#define ERR(st) { 1, st, 0, 0, "" }

struct host_want {
    enum mxplan_effective effective;
    enum policy_level level;    /* enforced when connecting */
    char base[64];              /* TLSA base domain ("" none) */
    int trusted_only;
    char enhanced[8];           /* "" when none */
};

struct host_case {
    char rule[96];
    struct ans a, aaaa, tlsa_expanded, tlsa_original;
    int mx_secure;
    enum policy_level level;
    enum policy_insecure_mx imx;
    struct host_want want;
};

#define DANE POLICY_LEVEL_DANE
#define DANE_ONLY POLICY_LEVEL_DANE_ONLY
#define IMX_DANE POLICY_INSECURE_MX_DANE
#define IMX_ENCRYPT POLICY_INSECURE_MX_ENCRYPT
#define IMX_MAY POLICY_INSECURE_MX_MAY
#define NODATA_S DNS_NODATA_SECURE
#define NX_S DNS_NXDOMAIN_SECURE

/* fill - one answer from its spec; qname is the name it was asked for */
static void fill(struct dns_answer *out, const struct ans *s, uint16_t qtype,
                 const char *qname)
{
    memset(out, 0, sizeof *out);
    if (!s->asked)
        return;
    out->asked = 1;
    out->status = s->st;
    out->qtype = qtype;
    snprintf(out->qname, sizeof out->qname, "%s", qname);
    snprintf(out->owner, sizeof out->owner, "%s", s->target[0] ? s->target : qname);
    if (s->target[0]) {
        out->ncnames = 1;
        snprintf(out->cnames[0], sizeof out->cnames[0], "%s", s->target);
    }
    if (qtype == DNS_TYPE_TLSA) {
        out->tlsa_total = s->n;
        out->tlsa_usable = s->usable;
    } else {
        out->nrr = out->nrr_seen = s->n;
        for (size_t i = 0; i < s->n && i < DNS_MAX_RRS; i++)
            snprintf(out->rr[i].text, sizeof out->rr[i].text, "192.0.2.%zu", i + 1);
    }
}

/* host_facts - the facts of host mx.example.test from a case */
static void host_facts(const struct host_case *c, struct dns_host *f)
{
    char expanded[DNS_NAME_MAX + 1];
    const char *target = c->a.target[0] ? c->a.target : c->aaaa.target;

    memset(f, 0, sizeof *f);
    snprintf(f->name, sizeof f->name, "mx.example.test");
    f->port = 25;
    fill(&f->a, &c->a, DNS_TYPE_A, f->name);
    fill(&f->aaaa, &c->aaaa, DNS_TYPE_AAAA, f->name);
    snprintf(expanded, sizeof expanded, "_25._tcp.%s", target[0] ? target : "none");
    fill(&f->tlsa_expanded, &c->tlsa_expanded, DNS_TYPE_TLSA, expanded);
    fill(&f->tlsa_original, &c->tlsa_original, DNS_TYPE_TLSA,
         "_25._tcp.mx.example.test");
}

ParameterizedTestParameters(mxplan, host)
{
    static struct host_case cases[] = {
        /* RFC 7672 §2.2.2: TLSA only for hosts whose address RRset is secure */
        {"rfc7672_s2_2_2_secure_address_usable_tlsa_is_dane",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, TLSA(DNS_SECURE, 2, 2),
         1, DANE, IMX_DANE, {MXPLAN_DANE, DANE, "mx.example.test", 0, ""}},
        {"rfc7672_s2_2_2_insecure_address_ignores_secure_tlsa",
         ANS(DNS_INSECURE, 1), ANS(DNS_NODATA_INSECURE, 0), NOT_ASKED,
         TLSA(DNS_SECURE, 1, 1),
         1, DANE, IMX_DANE, {MXPLAN_MAY, POLICY_LEVEL_MAY, "", 0, ""}},
        {"rfc7672_s2_2_2_insecure_address_ignores_tlsa_lookup_error",
         ANS(DNS_INSECURE, 1), ANS(DNS_NODATA_INSECURE, 0), NOT_ASKED,
         ERR(DNS_SERVFAIL),
         1, DANE, IMX_DANE, {MXPLAN_MAY, POLICY_LEVEL_MAY, "", 0, ""}},
        {"rfc7672_s2_2_2_bogus_address_is_unreachable",
         ERR(DNS_BOGUS), ANS(NODATA_S, 0), NOT_ASKED, TLSA(DNS_SECURE, 1, 1),
         1, DANE, IMX_DANE, {MXPLAN_UNREACHABLE, DANE, "", 0, "4.4.3"}},
        {"rfc7672_s2_2_2_bogus_aaaa_beside_secure_a_is_unreachable",
         ANS(DNS_SECURE, 1), ERR(DNS_BOGUS), NOT_ASKED, TLSA(DNS_SECURE, 1, 1),
         1, DANE, IMX_DANE, {MXPLAN_UNREACHABLE, DANE, "", 0, "4.4.3"}},
        {"rfc7672_s2_2_2_aaaa_timeout_beside_secure_a_uses_a",
         ANS(DNS_SECURE, 1), ERR(DNS_TIMEOUT), NOT_ASKED, TLSA(DNS_SECURE, 1, 1),
         1, DANE, IMX_DANE, {MXPLAN_DANE, DANE, "mx.example.test", 0, ""}},
        {"rfc7672_s2_2_2_secure_a_insecure_aaaa_is_insecure",
         ANS(DNS_SECURE, 1), ANS(DNS_INSECURE, 1), NOT_ASKED, TLSA(DNS_SECURE, 1, 1),
         1, DANE, IMX_DANE, {MXPLAN_MAY, POLICY_LEVEL_MAY, "", 0, ""}},
        {"rfc7672_s2_2_2_address_servfail_is_unreachable",
         ERR(DNS_SERVFAIL), ERR(DNS_SERVFAIL), NOT_ASKED, TLSA(DNS_SECURE, 1, 1),
         1, DANE, IMX_DANE, {MXPLAN_UNREACHABLE, DANE, "", 0, "4.4.3"}},
        {"rfc7672_s2_2_2_address_timeout_is_unreachable",
         ERR(DNS_TIMEOUT), ERR(DNS_TIMEOUT), NOT_ASKED, NOT_ASKED,
         1, DANE, IMX_DANE, {MXPLAN_UNREACHABLE, DANE, "", 0, "4.4.3"}},
        {"rfc7672_s2_2_2_address_indeterminate_is_unreachable",
         ERR(DNS_INDETERMINATE), ANS(NODATA_S, 0), NOT_ASKED, NOT_ASKED,
         1, DANE, IMX_DANE, {MXPLAN_UNREACHABLE, DANE, "", 0, "4.4.3"}},
        {"rfc5321_s5_host_without_address_is_unreachable",
         ERR(NX_S), ERR(NX_S), NOT_ASKED, TLSA(NX_S, 0, 0),
         1, DANE, IMX_DANE, {MXPLAN_UNREACHABLE, DANE, "", 0, "4.4.4"}},
        /* RFC 7672 §2.2: TLSA lookup results */
        {"rfc7672_s2_2_bogus_tlsa_is_lookup_error_unreachable",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, ERR(DNS_BOGUS),
         1, DANE, IMX_DANE, {MXPLAN_UNREACHABLE, DANE, "", 0, "4.7.5"}},
        {"rfc7672_s2_2_servfail_tlsa_is_never_no_tlsa",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, ERR(DNS_SERVFAIL),
         1, DANE, IMX_DANE, {MXPLAN_UNREACHABLE, DANE, "", 0, "4.7.5"}},
        {"rfc7672_s2_2_timeout_tlsa_is_unreachable",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, ERR(DNS_TIMEOUT),
         1, DANE, IMX_DANE, {MXPLAN_UNREACHABLE, DANE, "", 0, "4.7.5"}},
        {"rfc7672_s2_2_indeterminate_tlsa_is_unreachable",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, ERR(DNS_INDETERMINATE),
         1, DANE, IMX_DANE, {MXPLAN_UNREACHABLE, DANE, "", 0, "4.7.5"}},
        {"rfc7672_s2_2_secure_nodata_tlsa_is_may",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, TLSA(NODATA_S, 0, 0),
         1, DANE, IMX_DANE, {MXPLAN_MAY, POLICY_LEVEL_MAY, "", 0, ""}},
        {"rfc7672_s2_2_secure_nxdomain_tlsa_is_may",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, TLSA(NX_S, 0, 0),
         1, DANE, IMX_DANE, {MXPLAN_MAY, POLICY_LEVEL_MAY, "", 0, ""}},
        {"rfc7672_s2_2_insecure_tlsa_is_may",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, TLSA(DNS_INSECURE, 1, 1),
         1, DANE, IMX_DANE, {MXPLAN_MAY, POLICY_LEVEL_MAY, "", 0, ""}},
        {"rfc7672_s2_2_secure_tlsa_none_usable_is_encrypt",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, TLSA(DNS_SECURE, 2, 0),
         1, DANE, IMX_DANE, {MXPLAN_ENCRYPT, POLICY_LEVEL_ENCRYPT, "mx.example.test", 0, ""}},
        {"rfc7672_s2_2_tlsa_not_asked_is_unreachable",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, NOT_ASKED,
         1, DANE, IMX_DANE, {MXPLAN_UNREACHABLE, DANE, "", 0, "4.7.5"}},
        /* RFC 7672 §2.2.3: CNAME chains */
        {"rfc7672_s2_2_3_secure_chain_expanded_name_first",
         VIA(DNS_SECURE, 1, "host.provider.test"), VIA(NODATA_S, 0, "host.provider.test"),
         TLSA(DNS_SECURE, 1, 1), TLSA(DNS_SECURE, 1, 1),
         1, DANE, IMX_DANE, {MXPLAN_DANE, DANE, "host.provider.test", 0, ""}},
        {"rfc7672_s2_2_3_expanded_nodata_falls_back_to_original",
         VIA(DNS_SECURE, 1, "host.provider.test"), VIA(NODATA_S, 0, "host.provider.test"),
         TLSA(NODATA_S, 0, 0), TLSA(DNS_SECURE, 1, 1),
         1, DANE, IMX_DANE, {MXPLAN_DANE, DANE, "mx.example.test", 0, ""}},
        {"rfc7672_s2_2_3_expanded_nxdomain_original_nodata_is_may",
         VIA(DNS_SECURE, 1, "host.provider.test"), VIA(NODATA_S, 0, "host.provider.test"),
         TLSA(NX_S, 0, 0), TLSA(NODATA_S, 0, 0),
         1, DANE, IMX_DANE, {MXPLAN_MAY, POLICY_LEVEL_MAY, "", 0, ""}},
        {"rfc7672_s2_2_3_expanded_lookup_error_never_falls_back",
         VIA(DNS_SECURE, 1, "host.provider.test"), VIA(NODATA_S, 0, "host.provider.test"),
         ERR(DNS_BOGUS), TLSA(DNS_SECURE, 1, 1),
         1, DANE, IMX_DANE, {MXPLAN_UNREACHABLE, DANE, "", 0, "4.7.5"}},
        {"rfc7672_s2_2_3_expanded_unusable_is_encrypt_not_original",
         VIA(DNS_SECURE, 1, "host.provider.test"), VIA(NODATA_S, 0, "host.provider.test"),
         TLSA(DNS_SECURE, 1, 0), TLSA(DNS_SECURE, 1, 1),
         1, DANE, IMX_DANE, {MXPLAN_ENCRYPT, POLICY_LEVEL_ENCRYPT, "host.provider.test", 0, ""}},
        {"rfc7672_s2_2_3_insecure_chain_ignores_tlsa",
         VIA(DNS_INSECURE, 1, "host.unsigned.test"), VIA(DNS_NODATA_INSECURE, 0, "host.unsigned.test"),
         NOT_ASKED, TLSA(DNS_SECURE, 1, 1),
         1, DANE, IMX_DANE, {MXPLAN_MAY, POLICY_LEVEL_MAY, "", 0, ""}},
        /* RFC 7672 §2.2.1: insecure MX, secure TLSA (insecure_mx_policy) */
        {"rfc7672_s2_2_1_insecure_mx_secure_tlsa_dane_reported_trusted",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, TLSA(DNS_SECURE, 1, 1),
         0, DANE, IMX_DANE, {MXPLAN_DANE, DANE, "mx.example.test", 1, ""}},
        {"rfc7672_s2_2_1_insecure_mx_policy_encrypt",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, TLSA(DNS_SECURE, 1, 1),
         0, DANE, IMX_ENCRYPT, {MXPLAN_ENCRYPT, POLICY_LEVEL_ENCRYPT, "mx.example.test", 0, ""}},
        {"rfc7672_s2_2_1_insecure_mx_policy_may",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, TLSA(DNS_SECURE, 1, 1),
         0, DANE, IMX_MAY, {MXPLAN_MAY, POLICY_LEVEL_MAY, "", 0, ""}},
        {"rfc7672_s2_2_1_insecure_mx_unusable_tlsa_is_encrypt",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, TLSA(DNS_SECURE, 1, 0),
         0, DANE, IMX_DANE, {MXPLAN_ENCRYPT, POLICY_LEVEL_ENCRYPT, "mx.example.test", 0, ""}},
        {"rfc7672_s2_2_1_insecure_mx_no_tlsa_is_may",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, TLSA(NX_S, 0, 0),
         0, DANE, IMX_DANE, {MXPLAN_MAY, POLICY_LEVEL_MAY, "", 0, ""}},
        /* Postfix dane-only: anything short of dane defers this host */
        {"postfix_dane_only_usable_tlsa_is_dane",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, TLSA(DNS_SECURE, 1, 1),
         1, DANE_ONLY, IMX_DANE, {MXPLAN_DANE, DANE, "mx.example.test", 0, ""}},
        {"postfix_dane_only_no_tlsa_defers",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, TLSA(NX_S, 0, 0),
         1, DANE_ONLY, IMX_DANE, {MXPLAN_DEFER, POLICY_LEVEL_MAY, "", 0, "4.7.5"}},
        {"postfix_dane_only_unusable_tlsa_defers",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, TLSA(DNS_SECURE, 1, 0),
         1, DANE_ONLY, IMX_DANE, {MXPLAN_DEFER, POLICY_LEVEL_ENCRYPT, "", 0, "4.7.5"}},
        {"postfix_dane_only_insecure_address_defers",
         ANS(DNS_INSECURE, 1), ANS(DNS_NODATA_INSECURE, 0), NOT_ASKED, TLSA(DNS_SECURE, 1, 1),
         1, DANE_ONLY, IMX_DANE, {MXPLAN_DEFER, POLICY_LEVEL_MAY, "", 0, "4.7.5"}},
        {"postfix_dane_only_insecure_mx_policy_may_defers",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, TLSA(DNS_SECURE, 1, 1),
         0, DANE_ONLY, IMX_MAY, {MXPLAN_DEFER, POLICY_LEVEL_MAY, "", 0, "4.7.5"}},
        {"postfix_dane_only_tlsa_lookup_error_is_unreachable",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, ERR(DNS_BOGUS),
         1, DANE_ONLY, IMX_DANE, {MXPLAN_UNREACHABLE, DANE_ONLY, "", 0, "4.7.5"}},
        /* other levels: no TLSA, the configured level */
        {"postfix_level_may_keeps_configured_level",
         ANS(DNS_INSECURE, 1), ANS(DNS_NODATA_INSECURE, 0), NOT_ASKED, NOT_ASKED,
         1, POLICY_LEVEL_MAY, IMX_DANE, {MXPLAN_CONFIGURED, POLICY_LEVEL_MAY, "", 0, ""}},
        {"postfix_level_verify_keeps_configured_level",
         ANS(DNS_SECURE, 1), ANS(NODATA_S, 0), NOT_ASKED, NOT_ASKED,
         0, POLICY_LEVEL_VERIFY, IMX_DANE, {MXPLAN_CONFIGURED, POLICY_LEVEL_VERIFY, "", 0, ""}},
        {"postfix_level_encrypt_without_address_is_unreachable",
         ERR(DNS_SERVFAIL), ERR(DNS_TIMEOUT), NOT_ASKED, NOT_ASKED,
         1, POLICY_LEVEL_ENCRYPT, IMX_DANE, {MXPLAN_UNREACHABLE, POLICY_LEVEL_ENCRYPT, "", 0, "4.4.3"}},
    };
    return cr_make_param_array(struct host_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct host_case *c, mxplan, host)
{
    static struct dns_host facts;
    static struct mxplan_host got;

    host_facts(c, &facts);
    mxplan_host(&facts, c->mx_secure, c->level, c->imx, &got);
    cr_expect_eq(got.effective, c->want.effective, "%s: effective got %s, want %d",
                 c->rule, mxplan_effective_name(&got), (int)c->want.effective);
    if (c->want.effective != MXPLAN_UNREACHABLE && c->want.effective != MXPLAN_DEFER)
        cr_expect_eq(got.level, c->want.level, "%s: level got %s, want %s", c->rule,
                     policy_level_name(got.level), policy_level_name(c->want.level));
    cr_expect_str_eq(got.tlsa_base, c->want.base, "%s: TLSA base got '%s', want '%s'",
                     c->rule, got.tlsa_base, c->want.base);
    cr_expect_str_eq(got.sni, c->want.base, "%s: SNI got '%s', want '%s'",
                     c->rule, got.sni, c->want.base);
    cr_expect_eq(got.trusted_only, c->want.trusted_only, "%s: trusted_only got %d",
                 c->rule, got.trusted_only);
    cr_expect_str_eq(got.enhanced ? got.enhanced : "", c->want.enhanced,
                     "%s: enhanced got '%s', want '%s'", c->rule,
                     got.enhanced ? got.enhanced : "", c->want.enhanced);
    cr_expect_neq(got.reason[0], '\0', "%s: no reason", c->rule);
    cr_expect_gt(got.ntrail, 0, "%s: empty trail", c->rule);
    cr_expect_eq(got.tlsa != NULL, c->want.base[0] != '\0',
                 "%s: TLSA answer in force iff a base domain", c->rule);
}

/* --- domain -------------------------------------------------------------- */

struct domain_case {
    char rule[96];
    int bracketed;
    enum dns_status st;
    size_t nrr;
    uint16_t pref[6];
    char host[6][24];       /* "" is the null MX "." */
    unsigned max_hosts;
    enum mxplan_domain_result want_result;
    char want_enhanced[8];
    int want_mx_secure;
    int want_implicit;
    size_t want_nhosts;
    char want_hosts[6][24];
};

ParameterizedTestParameters(mxplan, domain)
{
    static struct domain_case cases[] = {
        {"rfc5321_s5_1_secure_mx_in_preference_order", 0, DNS_SECURE, 3,
         {20, 10, 30}, {"b.test", "a.test", "c.test"}, 10,
         MXPLAN_DOMAIN_HOSTS, "", 1, 0, 3, {"a.test", "b.test", "c.test"}},
        {"rfc7672_s2_2_1_insecure_mx_is_used_not_secure", 0, DNS_INSECURE, 1,
         {10}, {"a.test"}, 10, MXPLAN_DOMAIN_HOSTS, "", 0, 0, 1, {"a.test"}},
        {"rfc7505_s3_null_mx_bounces_5_1_10", 0, DNS_SECURE, 1, {0}, {""}, 10,
         MXPLAN_DOMAIN_BOUNCE, "5.1.10", 1, 0, 0, {""}},
        {"rfc7505_s3_null_mx_beside_real_mx_is_dropped", 0, DNS_SECURE, 2,
         {0, 10}, {"", "a.test"}, 10, MXPLAN_DOMAIN_HOSTS, "", 1, 0, 1, {"a.test"}},
        {"rfc5321_s5_1_no_mx_secure_is_implicit_mx", 0, DNS_NODATA_SECURE, 0,
         {0}, {""}, 10, MXPLAN_DOMAIN_HOSTS, "", 1, 1, 1, {"example.test"}},
        {"rfc5321_s5_1_no_mx_insecure_is_implicit_mx", 0, DNS_NODATA_INSECURE, 0,
         {0}, {""}, 10, MXPLAN_DOMAIN_HOSTS, "", 0, 1, 1, {"example.test"}},
        {"rfc7672_s2_1_secure_nxdomain_bounces_5_1_2", 0, DNS_NXDOMAIN_SECURE, 0,
         {0}, {""}, 10, MXPLAN_DOMAIN_BOUNCE, "5.1.2", 1, 0, 0, {""}},
        {"rfc7672_s2_1_insecure_nxdomain_bounces_5_1_2", 0, DNS_NXDOMAIN_INSECURE, 0,
         {0}, {""}, 10, MXPLAN_DOMAIN_BOUNCE, "5.1.2", 0, 0, 0, {""}},
        {"rfc7672_s2_2_1_bogus_mx_defers_no_fallback", 0, DNS_BOGUS, 0,
         {0}, {""}, 10, MXPLAN_DOMAIN_DEFER, "4.4.3", 0, 0, 0, {""}},
        {"rfc7672_s2_2_1_indeterminate_mx_defers", 0, DNS_INDETERMINATE, 0,
         {0}, {""}, 10, MXPLAN_DOMAIN_DEFER, "4.4.3", 0, 0, 0, {""}},
        {"rfc7672_s2_2_1_servfail_mx_defers_no_fallback", 0, DNS_SERVFAIL, 0,
         {0}, {""}, 10, MXPLAN_DOMAIN_DEFER, "4.4.3", 0, 0, 0, {""}},
        {"rfc7672_s2_2_1_timeout_mx_defers", 0, DNS_TIMEOUT, 0,
         {0}, {""}, 10, MXPLAN_DOMAIN_DEFER, "4.4.3", 0, 0, 0, {""}},
        {"postfix_bracketed_nexthop_skips_mx", 1, DNS_SECURE, 0,
         {0}, {""}, 10, MXPLAN_DOMAIN_HOSTS, "", 1, 0, 1, {"example.test"}},
        {"postfix_max_mx_hosts_bounds_the_list", 0, DNS_SECURE, 4,
         {40, 30, 20, 10}, {"d.test", "c.test", "b.test", "a.test"}, 2,
         MXPLAN_DOMAIN_HOSTS, "", 1, 0, 2, {"a.test", "b.test"}},
        {"rfc2181_s5_duplicate_mx_host_listed_once", 0, DNS_SECURE, 3,
         {20, 10, 15}, {"a.test", "a.test", "b.test"}, 10,
         MXPLAN_DOMAIN_HOSTS, "", 1, 0, 2, {"a.test", "b.test"}},
    };
    return cr_make_param_array(struct domain_case, cases,
                               sizeof(cases) / sizeof(cases[0]));
}

/* first_choice - deterministic "random": always index 0 */
static uint32_t first_choice(uint32_t bound)
{
    (void)bound;
    return 0;
}

ParameterizedTest(struct domain_case *c, mxplan, domain)
{
    static struct dns_answer mx;
    static struct mxplan_domain got;

    memset(&mx, 0, sizeof mx);
    mx.asked = 1;
    mx.status = c->st;
    mx.qtype = DNS_TYPE_MX;
    mx.nrr = mx.nrr_seen = c->nrr;
    for (size_t i = 0; i < c->nrr; i++) {
        mx.rr[i].preference = c->pref[i];
        snprintf(mx.rr[i].text, sizeof mx.rr[i].text, "%s", c->host[i]);
    }
    mxplan_domain("example.test", c->bracketed ? NULL : &mx, c->max_hosts,
                  first_choice, &got);
    cr_expect_eq(got.result, c->want_result, "%s: result %d", c->rule, (int)got.result);
    cr_expect_str_eq(got.enhanced ? got.enhanced : "", c->want_enhanced,
                     "%s: enhanced '%s'", c->rule, got.enhanced ? got.enhanced : "");
    cr_expect_eq(got.mx_secure, c->want_mx_secure, "%s: mx_secure", c->rule);
    cr_expect_eq(got.implicit, c->want_implicit, "%s: implicit", c->rule);
    cr_expect_neq(got.reason[0], '\0', "%s: no reason", c->rule);
    cr_assert_eq(got.nhosts, c->want_nhosts, "%s: %zu hosts, want %zu", c->rule,
                 got.nhosts, c->want_nhosts);
    for (size_t i = 0; i < got.nhosts; i++)
        cr_expect_str_eq(got.hosts[i].name, c->want_hosts[i], "%s: host %zu", c->rule, i);
}

/* RFC 5321 §5.1: equal preferences in random order, never across levels */
static uint32_t last_choice(uint32_t bound)
{
    return bound - 1;
}

Test(mxplan, rfc5321_s5_1_equal_preference_is_shuffled_within_its_level)
{
    static struct dns_answer mx;
    static struct mxplan_domain a, b;
    const char *hosts[] = { "a.test", "b.test", "c.test", "z.test" };
    const uint16_t prefs[] = { 10, 10, 10, 5 };

    mx.asked = 1;
    mx.status = DNS_SECURE;
    mx.nrr = 4;
    for (size_t i = 0; i < 4; i++) {
        mx.rr[i].preference = prefs[i];
        snprintf(mx.rr[i].text, sizeof mx.rr[i].text, "%s", hosts[i]);
    }
    mxplan_domain("example.test", &mx, 10, first_choice, &a);
    mxplan_domain("example.test", &mx, 10, last_choice, &b);
    cr_assert_eq(a.nhosts, 4);
    cr_assert_eq(b.nhosts, 4);
    cr_expect_str_eq(a.hosts[0].name, "z.test");
    cr_expect_str_eq(b.hosts[0].name, "z.test");
    cr_expect(strcmp(a.hosts[1].name, b.hosts[1].name) != 0
              || strcmp(a.hosts[3].name, b.hosts[3].name) != 0,
              "different random choices give different orders");
    for (size_t i = 1; i < 4; i++)
        cr_expect_eq(a.hosts[i].preference, 10);
}
