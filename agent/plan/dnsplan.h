/* dnsplan.h - the DNS side of one delivery or probe: resolver from the
 *             policy, MX set, per-host facts and RFC 7672 §2 decisions
 *             (mxplan.h), printed as text or JSON
 *
 * dnsplan_resolver() maps the policy's `dns` section onto dns.h's config and
 * runs the capability check. dnsplan_resolve() does every lookup of a
 * destination (MX unless bracketed, then each host in order) and decides;
 * the result owns its facts until dnsplan_free(). Printing borrows it.
 *
 * Folder agent/plan: every lookup and the RFC 7672 §2 decision of one
 * destination; may use dns, tlsa, policy, util.
 */
#ifndef DANE_AGENT_DNSPLAN_H
#define DANE_AGENT_DNSPLAN_H

#include <stdio.h>

#include "dns.h"
#include "mxplan.h"
#include "nexthop.h"
#include "policy.h"

struct json;
struct stsplan;

struct dnsplan {
    struct nexthop nexthop;
    enum policy_level level;
    enum policy_insecure_mx insecure_mx_policy;
    struct dns_answer mx;           /* asked == 0 for [host] */
    struct mxplan_domain domain;
    size_t nhosts;                  /* == domain.nhosts when resolved */
    struct dns_host *facts;         /* owned, nhosts entries */
    struct mxplan_host *hosts;      /* owned, nhosts entries */
    struct stsplan *sts;            /* owned: the MTA-STS policy (RFC 8461)
                                     * of the domain, applied to its hosts
                                     * (mxplan_host_sts); NULL when not asked */
    unsigned lookup_ms;             /* wall time of all lookups */
};

/* dnsplan_resolver - a resolver for the policy's dns section, checked by
 * dns_resolver_check(); no lookup waits beyond deadline_ms (monotonic, as
 * clock_now_ms(); 0: none, only the per-query timeout). NULL with one line
 * in err (for stderr; deliver and probe exit 75 on it) */
struct dns_resolver *dnsplan_resolver(const struct policy_dns *dns,
                                      uint64_t deadline_ms, char *err,
                                      size_t errsize);

/* dnsplan_cache_warning - when the policy's DNS cache cannot be used (the
 * resolver then works without it): 1 and "warning: DNS cache DIR not
 * used: REASON" in line; else 0 */
int dnsplan_cache_warning(const struct dns_resolver *resolver,
                          const struct policy_dns *dns, char *line, size_t size);

/* dnsplan_resolve - all lookups and decisions for nexthop; NULL only when out
 * of memory */
struct dnsplan *dnsplan_resolve(struct dns_resolver *resolver,
                                const struct nexthop *nexthop,
                                enum policy_level level,
                                enum policy_insecure_mx insecure_mx_policy,
                                unsigned max_hosts);
/* dnsplan_for - the plan of one next-hop as deliver and probe need it:
 * a resolver for the policy's dns section (none for an address literal, so
 * a [192.0.2.1] relay works while DNS is down), every lookup, the decisions
 * at entry's level; with MTA-STS on (policy_mta_sts()) for a domain whose
 * hosts are not all authenticated by DANE, the domain's MTA-STS policy
 * (stsplan.h, cached in the DNS cache directory) applied to them. NULL
 * with one line in err when the resolver cannot be
 * made (deliver and probe exit 75) or out of memory. warning gets
 * dnsplan_cache_warning()'s line, else the MTA-STS warning (stsplan.h:
 * its cache, a failed refresh), or "". Both buffers have size bytes.
 * kept NULL: the resolver lives for this call only. Else a resolver kept
 * across calls (a serve worker's; made on the first call that needs one,
 * the caller frees *kept): given this call's deadline, its capability check
 * repeated once a passed one lapses (dns_resolver_check). */
struct dnsplan *dnsplan_for(const struct policy_dns *dns, struct dns_resolver **kept,
                            const struct nexthop *nexthop,
                            const struct policy_entry *entry, uint64_t deadline_ms,
                            char *warning, char *err, size_t size);
/* dnsplan_free - release; NULL is a no-op */
void dnsplan_free(struct dnsplan *plan);

/* dnsplan_exit - 0 when a host can be tried, 69 (bounce) for null MX or no
 * such domain, 75 (defer) otherwise; *reason is the deciding reason */
int dnsplan_exit(const struct dnsplan *plan, const char **reason);

/* dnsplan_print_text - human-readable facts and trail */
void dnsplan_print_text(FILE *out, const struct dnsplan *plan);
/* dnsplan_json - the plan's members into an open JSON object */
void dnsplan_json(struct json *j, const struct dnsplan *plan);

/* dnsplan_insecure_mx_name - "may", "encrypt", "dane" */
const char *dnsplan_insecure_mx_name(enum policy_insecure_mx policy);

#endif
