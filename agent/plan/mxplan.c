/* mxplan.c - RFC 7672 §2.1-2.2 as pure functions over DNS facts and policy
 *
 * SYNOPSIS
 *   mxplan_domain(name, mx, max_hosts, random_below, &domain)
 *   mxplan_host(facts, mx_secure, level, insecure_mx_policy, &host)
 *
 * DESCRIPTION
 *   The rules are listed in mxplan.h. Each step appends one line to the
 *   host's trail; the final reason is one sentence with the name involved.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mxplan.h"
#include "sts.h"

/* say - printf into a fixed buffer (truncates) */
static void say(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, size, fmt, ap);
    va_end(ap);
}

/* trail - append one step to the host's trail (the last line is kept) */
static void trail(struct mxplan_host *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void trail(struct mxplan_host *h, const char *fmt, ...)
{
    va_list ap;
    size_t i = h->ntrail < MXPLAN_TRAIL_MAX ? h->ntrail++ : MXPLAN_TRAIL_MAX - 1;

    va_start(ap, fmt);
    vsnprintf(h->trail[i], sizeof h->trail[i], fmt, ap);
    va_end(ap);
}

int mxplan_needs_tlsa(enum policy_level level)
{
    return level == POLICY_LEVEL_DANE || level == POLICY_LEVEL_DANE_ONLY;
}

const char *mxplan_effective_name(const struct mxplan_host *h)
{
    switch (h->effective) {
    case MXPLAN_DANE:
        return "dane";
    case MXPLAN_ENCRYPT:
        return "encrypt";
    case MXPLAN_MAY:
        return "may";
    case MXPLAN_CONFIGURED:
        return policy_level_name(h->level);
    case MXPLAN_UNREACHABLE:
        return "unreachable";
    case MXPLAN_DEFER:
        return "defer";
    case MXPLAN_STS:
        return "mta-sts";
    }
    return "invalid";
}

/* --- domain -------------------------------------------------------------- */

/* sort_targets - by preference (stable insertion sort; n is small) */
static void sort_targets(struct mxplan_target *t, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        struct mxplan_target cur = t[i];
        size_t j = i;

        for (; j > 0 && t[j - 1].preference > cur.preference; j--)
            t[j] = t[j - 1];
        t[j] = cur;
    }
}

/* shuffle_equal - random order among equal preferences (RFC 5321 §5.1) */
static void shuffle_equal(struct mxplan_target *t, size_t n,
                          mxplan_random random_below)
{
    size_t start = 0;

    while (start < n) {
        size_t end = start + 1;

        while (end < n && t[end].preference == t[start].preference)
            end++;
        for (size_t i = end - 1; i > start && random_below != NULL; i--) {
            size_t j = start + random_below((uint32_t)(i - start + 1));
            struct mxplan_target tmp = t[i];

            t[i] = t[j];
            t[j] = tmp;
        }
        start = end;
    }
}

/* add_target - one host, unless already listed (keep its best preference) */
static void add_target(struct mxplan_domain *out, const char *name,
                       uint16_t preference)
{
    for (size_t i = 0; i < out->nhosts; i++) {
        if (strcmp(out->hosts[i].name, name) == 0) {
            if (preference < out->hosts[i].preference)
                out->hosts[i].preference = preference;
            return;
        }
    }
    if (out->nhosts >= MXPLAN_MAX_HOSTS)
        return;
    say(out->hosts[out->nhosts].name, sizeof out->hosts[0].name, "%s", name);
    out->hosts[out->nhosts++].preference = preference;
}

/* mx_records - hosts from an MX RRset; a null MX alone bounces */
static void mx_records(const char *name, const struct dns_answer *mx,
                       unsigned max_hosts, mxplan_random random_below,
                       struct mxplan_domain *out)
{
    for (size_t i = 0; i < mx->nrr; i++)
        if (mx->rr[i].text[0] != '\0')  /* RFC 7505 §3: "." is no host */
            add_target(out, mx->rr[i].text, mx->rr[i].preference);
    if (out->nhosts == 0) {
        out->result = MXPLAN_DOMAIN_BOUNCE;
        out->enhanced = "5.1.10";
        say(out->reason, sizeof out->reason,
            "Domain %s does not accept mail (null MX, RFC 7505)", name);
        return;
    }
    sort_targets(out->hosts, out->nhosts);
    shuffle_equal(out->hosts, out->nhosts, random_below);
    if (max_hosts > 0 && out->nhosts > max_hosts)
        out->nhosts = max_hosts;
    say(out->reason, sizeof out->reason, "%zu MX host%s for %s (%s)",
        out->nhosts, out->nhosts == 1 ? "" : "s", name,
        dns_status_name(mx->status));
}

void mxplan_domain(const char *name, const struct dns_answer *mx,
                   unsigned max_hosts, mxplan_random random_below,
                   struct mxplan_domain *out)
{
    memset(out, 0, sizeof *out);
    if (mx == NULL) {                   /* [host]: no MX lookup */
        out->mx_secure = 1;
        add_target(out, name, 0);
        say(out->reason, sizeof out->reason, "[%s]: no MX lookup", name);
        return;
    }
    out->mx_secure = dns_status_is_secure(mx->status);
    switch (mx->status) {
    case DNS_SECURE:
    case DNS_INSECURE:
        mx_records(name, mx, max_hosts, random_below, out);
        return;
    case DNS_NODATA_SECURE:
    case DNS_NODATA_INSECURE:
        out->implicit = 1;              /* RFC 5321 §5.1: implicit MX */
        add_target(out, name, 0);
        say(out->reason, sizeof out->reason, "no MX for %s (%s): implicit MX",
            name, dns_status_name(mx->status));
        return;
    case DNS_NXDOMAIN_SECURE:
    case DNS_NXDOMAIN_INSECURE:
        out->result = MXPLAN_DOMAIN_BOUNCE;
        out->enhanced = "5.1.2";
        say(out->reason, sizeof out->reason,
            "Host or domain name not found: %s (%s)", name,
            dns_status_name(mx->status));
        return;
    case DNS_BOGUS:
    case DNS_INDETERMINATE:
    case DNS_SERVFAIL:
    case DNS_TIMEOUT:
        break;
    }
    /* RFC 7672 §2.2.1: a failed MX lookup defers; no fallback to A/AAAA */
    out->result = MXPLAN_DOMAIN_DEFER;
    out->enhanced = "4.4.3";
    say(out->reason, sizeof out->reason, "MX lookup error for %s: %s", name,
        mx->why != NULL ? mx->why : dns_status_name(mx->status));
}

/* --- host ---------------------------------------------------------------- */

/* fail - UNREACHABLE or DEFER with a code and a reason */
static void fail(struct mxplan_host *h, enum mxplan_effective eff,
                 const char *enhanced, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void fail(struct mxplan_host *h, enum mxplan_effective eff,
                 const char *enhanced, const char *fmt, ...)
{
    va_list ap;

    h->effective = eff;
    h->enhanced = enhanced;
    h->tlsa = NULL;
    h->tlsa_base[0] = '\0';
    h->sni[0] = '\0';
    va_start(ap, fmt);
    vsnprintf(h->reason, sizeof h->reason, fmt, ap);
    va_end(ap);
    trail(h, "%s: %s", eff == MXPLAN_DEFER ? "defer" : "unreachable", h->reason);
}

/* answer_why - detail of a failed answer */
static const char *answer_why(const struct dns_answer *a)
{
    return a->why != NULL ? a->why : dns_status_name(a->status);
}

/* check_addresses - 0 when the host has addresses; trail + fail otherwise */
static int check_addresses(const struct dns_host *f, struct mxplan_host *h)
{
    const struct dns_answer *via = NULL;

    h->address_status = dns_host_address_status(f, &via);
    h->addresses = via;
    if (via != NULL && via->ncnames > 0)
        trail(h, "CNAME chain %s -> %s (%zu link%s, %s)", f->name, via->owner,
              via->ncnames, via->ncnames == 1 ? "" : "s",
              dns_status_name(via->status));
    trail(h, "address of %s: %s (A %s, AAAA %s)", f->name,
          dns_status_name(h->address_status),
          f->a.asked ? dns_status_name(f->a.status) : "not asked",
          f->aaaa.asked ? dns_status_name(f->aaaa.status) : "not asked");
    if (h->address_status == DNS_SECURE || h->address_status == DNS_INSECURE)
        return 0;
    if (dns_status_is_error(h->address_status))
        fail(h, MXPLAN_UNREACHABLE, "4.4.3", "address lookup error for %s: %s",
             f->name, via != NULL ? answer_why(via) : "not asked");
    else
        fail(h, MXPLAN_UNREACHABLE, "4.4.4", "no address for %s (%s)", f->name,
             dns_status_name(h->address_status));
    return -1;
}

/* tlsa_step - one TLSA answer: 1 in force, 0 none here, -1 lookup error */
static int tlsa_step(const struct dns_answer *a, const char *base,
                     struct mxplan_host *h)
{
    if (!a->asked) {
        fail(h, MXPLAN_UNREACHABLE, "4.7.5", "TLSA for %s was not looked up", base);
        return -1;
    }
    h->tlsa_status = a->status;
    if (dns_status_is_error(a->status)) {
        fail(h, MXPLAN_UNREACHABLE, "4.7.5", "TLSA lookup error for %s: %s",
             a->qname, answer_why(a));
        return -1;
    }
    trail(h, "TLSA %s: %s, %zu record%s, %zu usable", a->qname,
          dns_status_name(a->status), a->tlsa_total,
          a->tlsa_total == 1 ? "" : "s", a->tlsa_usable);
    if (a->status != DNS_SECURE)
        return 0;   /* insecure or denied: no secure TLSA here */
    h->tlsa = a;
    say(h->tlsa_base, sizeof h->tlsa_base, "%s", base);
    say(h->sni, sizeof h->sni, "%s", base);     /* RFC 7672 §8.1 */
    return 1;
}

/* find_tlsa - RFC 7672 §2.2.3: expanded name first, then the original;
 * never an intermediate name. 1 in force, 0 none, -1 lookup error */
static int find_tlsa(const struct dns_host *f, struct mxplan_host *h)
{
    const struct dns_answer *via = h->addresses;

    if (via != NULL && via->ncnames > 0 && strcmp(via->owner, f->name) != 0) {
        int rc = tlsa_step(&f->tlsa_expanded, via->owner, h);

        if (rc != 0)
            return rc;
    }
    return tlsa_step(&f->tlsa_original, f->name, h);
}

/* dane_level - effective level from the TLSA found and the MX's security */
static void dane_level(int found, int mx_secure,
                       enum policy_insecure_mx imx, struct mxplan_host *h)
{
    int usable = found && h->tlsa->tlsa_usable > 0;

    if (!found) {
        h->effective = MXPLAN_MAY;
        say(h->reason, sizeof h->reason, "no secure TLSA records: opportunistic TLS");
    } else if (!mx_secure && imx == POLICY_INSECURE_MX_MAY) {
        h->effective = MXPLAN_MAY;
        say(h->reason, sizeof h->reason, "secure TLSA via an insecure MX, "
            "insecure_mx_policy may: opportunistic TLS");
    } else if (!usable || (!mx_secure && imx == POLICY_INSECURE_MX_ENCRYPT)) {
        h->effective = MXPLAN_ENCRYPT;
        say(h->reason, sizeof h->reason, usable
            ? "secure TLSA via an insecure MX, insecure_mx_policy encrypt: "
              "mandatory unauthenticated TLS"
            : "secure TLSA records, none usable: mandatory unauthenticated TLS");
    } else {
        h->effective = MXPLAN_DANE;
        h->trusted_only = !mx_secure;   /* RFC 7672 §2.2.1 */
        say(h->reason, sizeof h->reason, mx_secure
            ? "%zu usable TLSA record%s at %s: DANE authentication required"
            : "%zu usable TLSA record%s at %s via an insecure MX: DANE enforced, "
              "reported Trusted", h->tlsa->tlsa_usable,
            h->tlsa->tlsa_usable == 1 ? "" : "s", h->tlsa_base);
    }
    h->level = h->effective == MXPLAN_DANE ? POLICY_LEVEL_DANE
             : h->effective == MXPLAN_ENCRYPT ? POLICY_LEVEL_ENCRYPT
             : POLICY_LEVEL_MAY;
    if (h->effective == MXPLAN_MAY) {   /* TLSA not in force */
        h->tlsa = NULL;
        h->tlsa_base[0] = '\0';
        h->sni[0] = '\0';
    }
}

void mxplan_host(const struct dns_host *f, int mx_secure,
                 enum policy_level level, enum policy_insecure_mx imx,
                 struct mxplan_host *h)
{
    int found;

    memset(h, 0, sizeof *h);
    h->level = level;
    h->tlsa_status = DNS_NODATA_SECURE;
    if (check_addresses(f, h) != 0)
        return;
    if (!mxplan_needs_tlsa(level)) {
        h->effective = MXPLAN_CONFIGURED;
        say(h->reason, sizeof h->reason, "level %s: TLSA not used",
            policy_level_name(level));
        trail(h, "effective level %s: %s", policy_level_name(level), h->reason);
        return;
    }
    if (h->address_status != DNS_SECURE) {
        /* RFC 7672 §2.2.2: TLSA only for hosts with secure addresses */
        trail(h, "address RRset insecure: TLSA not used");
        found = 0;
    } else {
        found = find_tlsa(f, h);
        if (found < 0)
            return;
    }
    dane_level(found, mx_secure, imx, h);
    if (level == POLICY_LEVEL_DANE_ONLY && h->effective != MXPLAN_DANE) {
        fail(h, MXPLAN_DEFER, "4.7.5", "dane-only: no usable secure TLSA "
             "records for %s (dane would use %s)", f->name,
             h->level == POLICY_LEVEL_ENCRYPT ? "encrypt" : "may");
        return;
    }
    trail(h, "effective level %s: %s", mxplan_effective_name(h), h->reason);
}

/* --- MTA-STS ------------------------------------------------------------- */

const char *mxplan_sts_name(enum mxplan_sts sts)
{
    switch (sts) {
    case MXPLAN_STS_NONE:
        return "none";
    case MXPLAN_STS_ENFORCED:
        return "enforced";
    case MXPLAN_STS_MISMATCH:
        return "mismatch";
    case MXPLAN_STS_TESTING:
        return "testing";
    case MXPLAN_STS_DANE:
        return "dane";
    }
    return "invalid";
}

/* sts_applies - the host was decided usable, DANE does not govern it, and
 * its level is one MTA-STS can only raise (none, may, encrypt) */
static int sts_applies(struct mxplan_host *h)
{
    if (h->effective == MXPLAN_UNREACHABLE || h->effective == MXPLAN_DEFER)
        return 0;
    if (h->level != POLICY_LEVEL_NONE && h->level != POLICY_LEVEL_MAY
        && h->level != POLICY_LEVEL_ENCRYPT && h->effective != MXPLAN_DANE)
        return 0;
    /* RFC 8461 §2: a host with usable DANE is authenticated by DANE alone */
    if (h->effective == MXPLAN_DANE) {
        h->sts = MXPLAN_STS_DANE;
        trail(h, "MTA-STS policy not applied: DANE governs this host");
        return 0;
    }
    return 1;
}

void mxplan_host_sts(const struct sts_policy *policy, const char *mx_name,
                     struct mxplan_host *h)
{
    const char *pattern;

    if (policy == NULL || policy->mode == STS_MODE_NONE || !sts_applies(h))
        return;
    pattern = sts_mx_match(policy, mx_name);
    if (policy->mode == STS_MODE_TESTING) {
        h->sts = MXPLAN_STS_TESTING;
        h->sts_pattern = pattern;
        trail(h, "MTA-STS testing: %s, delivered as without the policy",
              pattern != NULL ? "MX matches" : "MX matches no pattern");
        return;
    }
    if (pattern == NULL) {      /* RFC 8461 §4.1: not a candidate */
        h->sts = MXPLAN_STS_MISMATCH;
        fail(h, MXPLAN_DEFER, "4.7.5", "MX host %s matches no mx pattern of "
             "the MTA-STS policy in enforce mode", mx_name);
        return;
    }
    h->sts = MXPLAN_STS_ENFORCED;
    h->sts_pattern = pattern;
    h->effective = MXPLAN_STS;
    h->level = POLICY_LEVEL_VERIFY;     /* §4.2: PKIX, the MX name, TLS 1.2+ */
    h->tlsa = NULL;
    h->tlsa_base[0] = '\0';
    say(h->sni, sizeof h->sni, "%s", mx_name);
    say(h->reason, sizeof h->reason, "MTA-STS enforce, MX matches %s: PKIX "
        "authentication of %s required", pattern, mx_name);
    trail(h, "effective level mta-sts: %s", h->reason);
}
