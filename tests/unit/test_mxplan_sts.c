/* test_mxplan_sts.c - MTA-STS applied to one host's decision
 * (agent/plan/mxplan.h, mxplan_host_sts): RFC 8461 §4.1 MX matching and
 * §4.2 enforcement, §5 testing mode, and §2: DANE governs a host with usable
 * secure TLSA. Each case starts from a host that mxplan_host() decided.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "mxplan.h"
#include "sts.h"

static const char enforce_text[] =
    "version: STSv1\r\nmode: enforce\r\nmx: mx.example.com\r\n"
    "mx: *.backup.example.com\r\nmax_age: 86400\r\n";

/* policy - parse text; the test fails on an invalid one */
static void policy(const char *text, const char *mode_line, struct sts_policy *out)
{
    char buf[512];
    const char *why = NULL;
    char *at;

    snprintf(buf, sizeof buf, "%s", text);
    if (mode_line != NULL && (at = strstr(buf, "mode: enforce")) != NULL)
        memcpy(at, mode_line, strlen(mode_line));   /* same length */
    cr_assert_eq(sts_policy_parse((const uint8_t *)buf, strlen(buf), out, &why), 0,
                 "policy: %s", why);
}

/* host - a usable host as mxplan_host() leaves it */
static void host(enum mxplan_effective eff, enum policy_level level, struct mxplan_host *h)
{
    memset(h, 0, sizeof *h);
    h->effective = eff;
    h->level = level;
}

Test(mxplan_sts, rfc8461_s4_2_enforce_match_demands_pkix_to_the_mx_name)
{
    struct sts_policy p;
    struct mxplan_host h;

    policy(enforce_text, NULL, &p);
    host(MXPLAN_MAY, POLICY_LEVEL_MAY, &h);
    mxplan_host_sts(&p, "mx.example.com", &h);
    cr_assert_eq(h.effective, MXPLAN_STS);
    cr_assert_eq(h.level, POLICY_LEVEL_VERIFY);
    cr_assert_eq(h.sts, MXPLAN_STS_ENFORCED);
    cr_assert_str_eq(h.sts_pattern, "mx.example.com");
    cr_assert_str_eq(h.sni, "mx.example.com");
    cr_assert_str_eq(mxplan_effective_name(&h), "mta-sts");
}

Test(mxplan_sts, rfc8461_s4_1_wildcard_matches_one_label)
{
    struct sts_policy p;
    struct mxplan_host h;

    policy(enforce_text, NULL, &p);
    host(MXPLAN_CONFIGURED, POLICY_LEVEL_MAY, &h);
    mxplan_host_sts(&p, "MX1.Backup.Example.COM.", &h);
    cr_assert_eq(h.effective, MXPLAN_STS);
    cr_assert_str_eq(h.sts_pattern, "*.backup.example.com");

    host(MXPLAN_MAY, POLICY_LEVEL_MAY, &h);
    mxplan_host_sts(&p, "a.mx1.backup.example.com", &h);
    cr_assert_eq(h.effective, MXPLAN_DEFER, "two labels under the wildcard");
}

Test(mxplan_sts, rfc8461_s4_1_enforce_mismatch_rules_the_host_out)
{
    struct sts_policy p;
    struct mxplan_host h;

    policy(enforce_text, NULL, &p);
    host(MXPLAN_ENCRYPT, POLICY_LEVEL_ENCRYPT, &h);
    mxplan_host_sts(&p, "mx.attacker.example", &h);
    cr_assert_eq(h.effective, MXPLAN_DEFER);
    cr_assert_eq(h.sts, MXPLAN_STS_MISMATCH);
    cr_assert_str_eq(h.enhanced, "4.7.5");
    cr_assert_not_null(strstr(h.reason, "mx.attacker.example"), "%s", h.reason);
}

Test(mxplan_sts, rfc8461_s2_usable_dane_governs_the_host)
{
    struct sts_policy p;
    struct mxplan_host h;

    policy(enforce_text, NULL, &p);
    host(MXPLAN_DANE, POLICY_LEVEL_DANE, &h);
    snprintf(h.sni, sizeof h.sni, "mx.example.com");
    mxplan_host_sts(&p, "mx.attacker.example", &h);     /* not even matched */
    cr_assert_eq(h.effective, MXPLAN_DANE);
    cr_assert_eq(h.level, POLICY_LEVEL_DANE);
    cr_assert_eq(h.sts, MXPLAN_STS_DANE);
    cr_assert_null(h.sts_pattern);
}

Test(mxplan_sts, rfc8461_s5_testing_changes_nothing_but_the_mark)
{
    struct sts_policy p;
    struct mxplan_host h;

    policy(enforce_text, "mode: testing", &p);
    host(MXPLAN_MAY, POLICY_LEVEL_MAY, &h);
    mxplan_host_sts(&p, "mx.attacker.example", &h);
    cr_assert_eq(h.effective, MXPLAN_MAY);
    cr_assert_eq(h.level, POLICY_LEVEL_MAY);
    cr_assert_eq(h.sts, MXPLAN_STS_TESTING);
    cr_assert_null(h.sts_pattern);
}

Test(mxplan_sts, mode_none_and_no_policy_change_nothing)
{
    struct sts_policy p;
    struct mxplan_host h;

    policy(enforce_text, "mode: none   ", &p);
    host(MXPLAN_MAY, POLICY_LEVEL_MAY, &h);
    mxplan_host_sts(&p, "mx.example.com", &h);
    cr_assert_eq(h.effective, MXPLAN_MAY);
    cr_assert_eq(h.sts, MXPLAN_STS_NONE);
    mxplan_host_sts(NULL, "mx.example.com", &h);
    cr_assert_eq(h.effective, MXPLAN_MAY);
    cr_assert_eq(h.sts, MXPLAN_STS_NONE);
}

Test(mxplan_sts, host_already_ruled_out_stays_out)
{
    struct sts_policy p;
    struct mxplan_host h;

    policy(enforce_text, NULL, &p);
    host(MXPLAN_UNREACHABLE, POLICY_LEVEL_MAY, &h);
    h.enhanced = "4.4.3";
    mxplan_host_sts(&p, "mx.example.com", &h);
    cr_assert_eq(h.effective, MXPLAN_UNREACHABLE);
    cr_assert_str_eq(h.enhanced, "4.4.3");
    cr_assert_eq(h.sts, MXPLAN_STS_NONE);
}
