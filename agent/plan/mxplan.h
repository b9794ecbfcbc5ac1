/* mxplan.h - the RFC 7672 §2 decision: which MX hosts, in which order, and
 *            the effective TLS level for each, from DNS facts and the policy
 *            (Postfix's dane / dane-only semantics)
 *
 * Pure functions: no DNS, no clock; the random choice among MX records of
 * equal preference comes from a caller-supplied function. Every decision
 * carries a one-line reason, the enhanced status code Postfix would use when
 * it is a failure, and a trail of the steps taken (for probe and the log).
 *
 * Domain (mxplan_domain):
 *   MX secure/insecure records -> hosts by preference, random among equals
 *     (RFC 5321 §5.1), at most max_hosts; "." entries dropped;
 *   only a null MX (RFC 7505)  -> bounce 5.1.10;
 *   NXDOMAIN (secure or not)   -> bounce 5.1.2;
 *   NODATA                     -> implicit MX: the domain itself (RFC 5321 §5);
 *   bogus / indeterminate / servfail / timeout -> defer 4.4.3, never a
 *     fallback to the domain's address (RFC 7672 §2.2.1);
 *   [host]                     -> that host, no MX lookup.
 *
 * Host (mxplan_host), for levels dane and dane-only (other levels keep the
 * configured level and only need an address):
 *   address error or bogus -> unreachable 4.4.3; no address -> 4.4.4;
 *   address insecure       -> may (TLSA ignored, RFC 7672 §2.2.2);
 *   address secure: TLSA at the CNAME-expanded name, then the original name
 *     (RFC 7672 §2.2.3), never an intermediate name; a TLSA lookup error
 *     -> unreachable 4.7.5; no secure TLSA -> may; secure TLSA with a
 *     usable record -> dane; none usable -> encrypt (RFC 7672 §2.2);
 *   MX insecure + secure TLSA -> per insecure_mx_policy: dane (enforced,
 *     reported Trusted), encrypt, or may;
 *   dane-only: anything but dane -> defer 4.7.5 (this host is skipped).
 * "unreachable" and "defer" both move on to the next host; the delivery
 * defers when no host is left.
 *
 * MTA-STS (mxplan_host_sts, after mxplan_host), RFC 8461 §4 with DANE first
 * (§2): a host with usable secure TLSA stays dane; otherwise a policy in
 * enforce mode either makes the host mta-sts (TLS 1.2 or later, PKIX to the
 * MX host name, which must match one of the policy's mx patterns, §4.1) or,
 * when no pattern matches, rules it out ("defer", 4.7.5: the next host);
 * testing mode only marks the host (delivered as without the policy, the
 * failures reported, §5); mode none changes nothing.
 */
#ifndef DANE_AGENT_MXPLAN_H
#define DANE_AGENT_MXPLAN_H

#include <stddef.h>
#include <stdint.h>

#include "dns_answer.h"
#include "policy.h"

struct sts_policy;

#define MXPLAN_MAX_HOSTS 32
#define MXPLAN_REASON_MAX 320
#define MXPLAN_TRAIL_MAX 8
#define MXPLAN_TRAIL_LINE 200

enum mxplan_domain_result {
    MXPLAN_DOMAIN_HOSTS = 0,    /* try hosts[] in order */
    MXPLAN_DOMAIN_BOUNCE,       /* 5.1.10 null MX, 5.1.2 no such domain */
    MXPLAN_DOMAIN_DEFER,        /* MX lookup failed: 4.4.3 */
};

struct mxplan_target {
    char name[DNS_NAME_MAX + 1];
    uint16_t preference;
};

struct mxplan_domain {
    enum mxplan_domain_result result;
    const char *enhanced;       /* static "5.1.10" etc.; NULL for DOMAIN_HOSTS */
    char reason[MXPLAN_REASON_MAX];
    int mx_secure;              /* hosts came from a validated answer (or
                                 * its validated absence, or [host]) */
    int implicit;               /* no MX: the domain itself */
    size_t nhosts;
    struct mxplan_target hosts[MXPLAN_MAX_HOSTS];
};

enum mxplan_effective {
    MXPLAN_DANE = 0,            /* usable secure TLSA: authentication */
    MXPLAN_ENCRYPT,             /* secure TLSA, none usable: TLS required */
    MXPLAN_MAY,                 /* no secure TLSA: opportunistic */
    MXPLAN_CONFIGURED,          /* not a DANE level: the configured one */
    MXPLAN_UNREACHABLE,         /* lookup failure: next host */
    MXPLAN_DEFER,               /* dane-only cannot be met, or an MTA-STS
                                 * enforce policy rules the host out */
    MXPLAN_STS,                 /* MTA-STS enforce: PKIX to the MX name */
};

enum mxplan_sts {
    MXPLAN_STS_NONE = 0,        /* no policy applied to this host */
    MXPLAN_STS_ENFORCED,        /* enforce, MX matched: effective MXPLAN_STS */
    MXPLAN_STS_MISMATCH,        /* enforce, no pattern matched: ruled out */
    MXPLAN_STS_TESTING,         /* testing: delivered as without the policy */
    MXPLAN_STS_DANE,            /* a policy exists; DANE governs (RFC 8461 §2) */
};

struct mxplan_host {
    enum mxplan_effective effective;
    enum policy_level level;    /* to enforce when connecting */
    int trusted_only;           /* DANE via an insecure MX: report Trusted
                                 * (RFC 7672 §2.2.1, insecure_mx_policy) */
    enum dns_status address_status;
    enum dns_status tlsa_status;    /* of the answer used (or last asked) */
    const struct dns_answer *addresses;  /* borrowed from the facts: the
                                          * answer whose chain applies */
    const struct dns_answer *tlsa;  /* borrowed: the secure TLSA answer in
                                     * force, or NULL */
    char tlsa_base[DNS_NAME_MAX + 1];   /* TLSA base domain, or "" */
    char sni[DNS_NAME_MAX + 1];     /* RFC 7672 §8.1: the base domain when
                                     * TLSA is in force, else "" */
    enum mxplan_sts sts;        /* what an MTA-STS policy did here */
    const char *sts_pattern;    /* the mx pattern matched (borrowed from the
                                 * policy), or NULL */
    const char *enhanced;       /* static, for UNREACHABLE and DEFER */
    char reason[MXPLAN_REASON_MAX];
    size_t ntrail;
    char trail[MXPLAN_TRAIL_MAX][MXPLAN_TRAIL_LINE];
};

/* mxplan_random - a uniform value in [0, bound), bound >= 1 */
typedef uint32_t (*mxplan_random)(uint32_t bound);

/* mxplan_domain - hosts for a domain from its MX answer (mx NULL for a
 * bracketed next-hop: name is the host) */
void mxplan_domain(const char *name, const struct dns_answer *mx,
                   unsigned max_hosts, mxplan_random random_below,
                   struct mxplan_domain *out);

/* mxplan_host - the effective level of one host; facts stay borrowed by
 * out->addresses / out->tlsa */
void mxplan_host(const struct dns_host *facts, int mx_secure,
                 enum policy_level level,
                 enum policy_insecure_mx insecure_mx_policy,
                 struct mxplan_host *out);

/* mxplan_host_sts - apply the domain's MTA-STS policy (NULL: none) to host
 * h of MX name mx_name after mxplan_host() decided it; the policy stays
 * borrowed by h->sts_pattern */
void mxplan_host_sts(const struct sts_policy *policy, const char *mx_name,
                     struct mxplan_host *h);

/* mxplan_sts_name - "none", "enforced", "mismatch", "testing", "dane" */
const char *mxplan_sts_name(enum mxplan_sts sts);

/* mxplan_needs_tlsa - 1 when the level uses TLSA (dane, dane-only) */
int mxplan_needs_tlsa(enum policy_level level);

/* mxplan_effective_name - "dane", "encrypt", "may", "mta-sts",
 * "unreachable", "defer", or the configured level's name */
const char *mxplan_effective_name(const struct mxplan_host *host);

#endif
