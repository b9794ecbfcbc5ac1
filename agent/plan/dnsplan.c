/* dnsplan.c - resolve a destination and decide per host (RFC 7672 §2);
 *             text and JSON views of the facts
 *
 * SYNOPSIS
 *   dnsplan_resolver(dns, err, size)
 *   dnsplan_resolve(resolver, nexthop, level, insecure_mx_policy, max_hosts)
 *   dnsplan_for(dns, kept, nexthop, entry, deadline_ms, warning, err, size)
 *   dnsplan_exit(plan, &reason), dnsplan_free(plan)
 *   dnsplan_print_text(out, plan), dnsplan_json(j, plan)
 *
 * DESCRIPTION
 *   Hosts are resolved one after another, each host's queries concurrently
 *   (dns_lookup_host). An address literal next-hop has no DNS at all: its
 *   address counts as insecure, so DANE levels see no TLSA (dane: may,
 *   dane-only: defer), as Postfix does.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dnsplan.h"
#include "json.h"
#include "stsplan.h"
#include "tlsa.h"

#define TLSA_TEXT_MAX 160   /* printed TLSA text is cut beyond this */

const char *dnsplan_insecure_mx_name(enum policy_insecure_mx policy)
{
    switch (policy) {
    case POLICY_INSECURE_MX_MAY:
        return "may";
    case POLICY_INSECURE_MX_ENCRYPT:
        return "encrypt";
    case POLICY_INSECURE_MX_DANE:
        return "dane";
    }
    return "invalid";
}

struct dns_resolver *dnsplan_resolver(const struct policy_dns *dns,
                                      uint64_t deadline_ms, char *err,
                                      size_t errsize)
{
    struct dns_upstream *ups = NULL;
    struct dns_config config = { 0 };
    struct dns_resolver *r;
    const char *why = NULL;

    if (dns->nupstreams > 0) {
        ups = calloc(dns->nupstreams, sizeof *ups);
        if (ups == NULL) {
            snprintf(err, errsize, "DNS resolver: out of memory");
            return NULL;
        }
    }
    for (size_t i = 0; i < dns->nupstreams; i++) {
        memcpy(ups[i].address, dns->upstreams[i].address, sizeof ups[i].address);
        ups[i].address[sizeof ups[i].address - 1] = '\0';
        ups[i].port = dns->upstreams[i].port;
    }
    config.upstreams = ups;
    config.nupstreams = dns->nupstreams;
    config.trust_anchors = dns->trust_anchors;
    config.timeout_ms = dns->timeout_ms;
    config.deadline_ms = deadline_ms;
    config.cache_dir = dns->cache;
    config.cache_max_ttl = dns->cache_max_ttl_ms / 1000u;
    r = dns_resolver_new(&config, &why);
    free(ups);
    if (r == NULL) {
        snprintf(err, errsize, "DNS resolver: %s", why);
        return NULL;
    }
    if (dns_resolver_check(r, err, errsize) != 0) {
        dns_resolver_free(r);
        return NULL;
    }
    return r;
}

int dnsplan_cache_warning(const struct dns_resolver *r, const struct policy_dns *dns,
                          char *line, size_t size)
{
    const char *why = r != NULL ? dns_resolver_cache_why(r) : NULL;

    if (why == NULL || dns->cache == NULL)
        return 0;
    snprintf(line, size, "warning: DNS cache %s not used: %s", dns->cache, why);
    return 1;
}

/* sts_wanted - MTA-STS can change a decision: on for the entry, a domain
 * (not [host]), and a usable host that DANE does not govern (RFC 8461 §2) */
static int sts_wanted(const struct dnsplan *plan, const struct policy_entry *entry)
{
    if (!policy_mta_sts(entry) || plan->nexthop.bracketed)
        return 0;
    for (size_t i = 0; i < plan->nhosts; i++)
        if (plan->hosts[i].effective != MXPLAN_DANE
            && plan->hosts[i].effective != MXPLAN_UNREACHABLE
            && plan->hosts[i].effective != MXPLAN_DEFER)
            return 1;
    return 0;
}

/* apply_sts - find the domain's MTA-STS policy and apply it to every host;
 * its warning (a cache problem, a failed refresh) goes into warning */
static void apply_sts(struct dns_resolver *r, const struct policy_dns *dns,
                      const struct policy_entry *entry, uint64_t deadline_ms,
                      struct dnsplan *plan, char *warning, size_t size)
{
    struct stsplan_params sp = { .domain = plan->nexthop.name, .cache_dir = dns->cache,
                                 .ca_file = entry->ca_file, .deadline_ms = deadline_ms,
                                 .now = time(NULL) };
    const struct sts_policy *policy;

    plan->sts = malloc(sizeof *plan->sts);
    if (plan->sts == NULL)
        return;
    stsplan_find(r, &sp, plan->sts);
    if (plan->sts->warning[0] != '\0' && warning[0] == '\0')
        snprintf(warning, size, "warning: %s", plan->sts->warning);
    policy = plan->sts->source != STSPLAN_NONE ? &plan->sts->policy : NULL;
    for (size_t i = 0; i < plan->nhosts; i++)
        mxplan_host_sts(policy, plan->facts[i].name, &plan->hosts[i]);
}

/* resolver_for - the plan's resolver: the kept one with this deadline
 * (its capability check repeated once a passed one lapses), else a new one,
 * kept in *kept when kept is not NULL; NULL with err */
static struct dns_resolver *resolver_for(const struct policy_dns *dns,
                                         struct dns_resolver **kept,
                                         uint64_t deadline_ms, char *err, size_t size)
{
    struct dns_resolver *r;

    if (kept != NULL && *kept != NULL) {
        dns_resolver_set_deadline(*kept, deadline_ms);
        return dns_resolver_check(*kept, err, size) == 0 ? *kept : NULL;
    }
    r = dnsplan_resolver(dns, deadline_ms, err, size);
    if (kept != NULL)
        *kept = r;
    return r;
}

struct dnsplan *dnsplan_for(const struct policy_dns *dns, struct dns_resolver **kept,
                            const struct nexthop *nexthop,
                            const struct policy_entry *entry, uint64_t deadline_ms,
                            char *warning, char *err, size_t size)
{
    struct dns_resolver *resolver = NULL;
    struct dnsplan *plan;

    warning[0] = '\0';
    if (!nexthop->literal) {
        resolver = resolver_for(dns, kept, deadline_ms, err, size);
        if (resolver == NULL)
            return NULL;
        (void)dnsplan_cache_warning(resolver, dns, warning, size);
    }
    plan = dnsplan_resolve(resolver, nexthop, entry->level, entry->insecure_mx_policy,
                           entry->max_mx_hosts);
    if (plan != NULL && resolver != NULL && sts_wanted(plan, entry))
        apply_sts(resolver, dns, entry, deadline_ms ? deadline_ms : UINT64_MAX,
                  plan, warning, size);
    if (kept == NULL)
        dns_resolver_free(resolver);
    if (plan == NULL)
        snprintf(err, size, "out of memory");
    return plan;
}

/* random_below - uniform in [0, bound) for the MX shuffle */
static uint32_t random_below(uint32_t bound)
{
    return arc4random_uniform(bound);
}

/* literal_facts - an address literal as an insecure A/AAAA answer */
static void literal_facts(const struct nexthop *nh, struct dns_host *f)
{
    int v6 = strchr(nh->name, ':') != NULL;
    struct dns_answer *a = v6 ? &f->aaaa : &f->a;

    snprintf(f->name, sizeof f->name, "%s", nh->name);
    f->port = nh->port;
    a->asked = 1;
    a->status = DNS_INSECURE;
    a->qtype = v6 ? DNS_TYPE_AAAA : DNS_TYPE_A;
    a->why = "address literal: no DNS lookup";
    snprintf(a->qname, sizeof a->qname, "%s", nh->name);
    snprintf(a->owner, sizeof a->owner, "%s", nh->name);
    snprintf(a->rr[0].text, sizeof a->rr[0].text, "%s", nh->name);
    a->nrr = a->nrr_seen = 1;
}

/* ms_since - milliseconds since start */
static unsigned ms_since(const struct timespec *start)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (unsigned)((now.tv_sec - start->tv_sec) * 1000
                      + (now.tv_nsec - start->tv_nsec) / 1000000);
}

struct dnsplan *dnsplan_resolve(struct dns_resolver *r,
                                const struct nexthop *nh,
                                enum policy_level level,
                                enum policy_insecure_mx imx, unsigned max_hosts)
{
    struct dnsplan *p = calloc(1, sizeof *p);
    struct timespec start;

    if (p == NULL)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &start);
    p->nexthop = *nh;
    p->level = level;
    p->insecure_mx_policy = imx;
    if (!nh->bracketed)
        dns_lookup_mx(r, nh->name, &p->mx);
    mxplan_domain(nh->name, nh->bracketed ? NULL : &p->mx, max_hosts,
                  random_below, &p->domain);
    if (p->domain.result == MXPLAN_DOMAIN_HOSTS && p->domain.nhosts > 0) {
        p->facts = calloc(p->domain.nhosts, sizeof *p->facts);
        p->hosts = calloc(p->domain.nhosts, sizeof *p->hosts);
        if (p->facts == NULL || p->hosts == NULL) {
            dnsplan_free(p);
            return NULL;
        }
        p->nhosts = p->domain.nhosts;
    }
    for (size_t i = 0; i < p->nhosts; i++) {
        if (nh->literal)
            literal_facts(nh, &p->facts[i]);
        else
            dns_lookup_host(r, p->domain.hosts[i].name, nh->port,
                            mxplan_needs_tlsa(level), &p->facts[i]);
        mxplan_host(&p->facts[i], p->domain.mx_secure, level, imx, &p->hosts[i]);
    }
    p->lookup_ms = ms_since(&start);
    return p;
}

void dnsplan_free(struct dnsplan *p)
{
    if (p == NULL)
        return;
    for (size_t i = 0; i < p->nhosts; i++)
        dns_host_clear(&p->facts[i]);
    dns_answer_clear(&p->mx);
    free(p->facts);
    free(p->hosts);
    free(p->sts);
    free(p);
}

int dnsplan_exit(const struct dnsplan *p, const char **reason)
{
    *reason = p->domain.reason;
    if (p->domain.result == MXPLAN_DOMAIN_BOUNCE)
        return 69;
    if (p->domain.result == MXPLAN_DOMAIN_DEFER)
        return 75;
    for (size_t i = 0; i < p->nhosts; i++) {
        if (p->hosts[i].effective != MXPLAN_UNREACHABLE
            && p->hosts[i].effective != MXPLAN_DEFER) {
            *reason = p->hosts[i].reason;
            return 0;
        }
    }
    if (p->nhosts > 0)
        *reason = p->hosts[p->nhosts - 1].reason;
    return 75;
}

/* --- text ---------------------------------------------------------------- */

/* tlsa_text - record i of a TLSA answer as "U S M HEX" (cut) */
static void tlsa_text(const struct dns_answer *a, size_t i, char *buf,
                      size_t size)
{
    size_t need = tlsa_rr_format(tlsa_set_record(a->tlsa, i), buf, size);

    if (need >= size && size > 4)
        memcpy(buf + size - 4, "...", 4);
}

static const char *type_name(uint16_t t)
{
    return t == DNS_TYPE_MX ? "MX" : t == DNS_TYPE_A ? "A"
         : t == DNS_TYPE_AAAA ? "AAAA" : t == DNS_TYPE_TLSA ? "TLSA" : "?";
}

/* print_answer - one answer: status, chain, records, time */
static void print_answer(FILE *out, const char *indent, const struct dns_answer *a)
{
    char buf[TLSA_TEXT_MAX];

    if (!a->asked)
        return;
    fprintf(out, "%s%s %s: %s", indent, type_name(a->qtype), a->qname,
            dns_status_name(a->status));
    if (a->why != NULL)
        fprintf(out, " (%s)", a->why);
    if (a->cached)
        fprintf(out, ", cached (TTL %lu s)\n", (unsigned long)a->ttl);
    else
        fprintf(out, ", %u ms\n", a->elapsed_ms);
    for (size_t i = 0; i < a->ncnames; i++)
        fprintf(out, "%s  CNAME -> %s\n", indent, a->cnames[i]);
    for (size_t i = 0; i < a->nrr; i++) {
        if (a->qtype == DNS_TYPE_MX)
            fprintf(out, "%s  %u %s\n", indent, a->rr[i].preference,
                    a->rr[i].text[0] ? a->rr[i].text : ".");
        else
            fprintf(out, "%s  %s\n", indent, a->rr[i].text);
    }
    for (size_t i = 0; i < a->tlsa_total; i++) {
        tlsa_text(a, i, buf, sizeof buf);
        fprintf(out, "%s  %s\n", indent, buf);
    }
}

/* print_sts - the MTA-STS part: what was found, the policy in force */
static void print_sts(FILE *out, const struct dnsplan *p)
{
    struct sts_lines lines;

    if (p->sts == NULL)
        return;
    fprintf(out, "MTA-STS: %s\n", p->sts->note);
    if (p->sts->source == STSPLAN_NONE)
        return;
    sts_policy_lines(&p->sts->policy, &lines);
    fprintf(out, "MTA-STS policy (%s, id %s):", stsplan_source_name(p->sts->source),
            p->sts->id[0] ? p->sts->id : "-");
    for (size_t i = 0; i < lines.n; i++)
        fprintf(out, "%s%s", i > 0 ? "; " : " ", lines.line[i]);
    fputc('\n', out);
}

void dnsplan_print_text(FILE *out, const struct dnsplan *p)
{
    fprintf(out, "destination %s%s%s port %u, level %s, insecure_mx_policy %s\n",
            p->nexthop.bracketed ? "[" : "", p->nexthop.name,
            p->nexthop.bracketed ? "]" : "", p->nexthop.port,
            policy_level_name(p->level),
            dnsplan_insecure_mx_name(p->insecure_mx_policy));
    print_answer(out, "", &p->mx);
    fprintf(out, "MX decision: %s\n", p->domain.reason);
    print_sts(out, p);
    for (size_t i = 0; i < p->nhosts; i++) {
        const struct dns_host *f = &p->facts[i];
        const struct mxplan_host *h = &p->hosts[i];

        fprintf(out, "host %s (preference %u)\n", f->name,
                p->domain.hosts[i].preference);
        print_answer(out, "  ", &f->a);
        print_answer(out, "  ", &f->aaaa);
        print_answer(out, "  ", &f->tlsa_expanded);
        print_answer(out, "  ", &f->tlsa_original);
        fprintf(out, "  TLSA base domain %s, SNI %s\n",
                h->tlsa_base[0] ? h->tlsa_base : "-", h->sni[0] ? h->sni : "-");
        for (size_t k = 0; k < h->ntrail; k++)
            fprintf(out, "  - %s\n", h->trail[k]);
        fprintf(out, "  effective level %s%s%s%s\n", mxplan_effective_name(h),
                h->trusted_only ? " (reported Trusted: insecure MX)" : "",
                h->enhanced ? ", " : "", h->enhanced ? h->enhanced : "");
    }
    fprintf(out, "lookup time %u ms\n", p->lookup_ms);
}

/* --- JSON ---------------------------------------------------------------- */

static void json_kv(struct json *j, const char *key, const char *value)
{
    json_key(j, key);
    json_string(j, value);
}

static void json_answer(struct json *j, const char *key, const struct dns_answer *a)
{
    char buf[TLSA_TEXT_MAX];

    json_key(j, key);
    if (!a->asked) {
        json_null(j);
        return;
    }
    json_object_begin(j);
    json_kv(j, "qname", a->qname);
    json_kv(j, "type", type_name(a->qtype));
    json_kv(j, "status", dns_status_name(a->status));
    json_kv(j, "why", a->why);
    json_key(j, "rcode");
    json_uint(j, a->rcode);
    json_kv(j, "owner", a->owner);
    json_key(j, "cname_chain");
    json_array_begin(j);
    for (size_t i = 0; i < a->ncnames; i++)
        json_string(j, a->cnames[i]);
    json_array_end(j);
    json_key(j, "records");
    json_array_begin(j);
    for (size_t i = 0; i < a->nrr; i++) {
        if (a->qtype == DNS_TYPE_MX) {
            json_object_begin(j);
            json_key(j, "preference");
            json_uint(j, a->rr[i].preference);
            json_kv(j, "host", a->rr[i].text[0] ? a->rr[i].text : ".");
            json_object_end(j);
        } else {
            json_string(j, a->rr[i].text);
        }
    }
    for (size_t i = 0; i < a->tlsa_total; i++) {
        tlsa_text(a, i, buf, sizeof buf);
        json_string(j, buf);
    }
    json_array_end(j);
    json_key(j, "records_seen");
    json_uint(j, a->qtype == DNS_TYPE_TLSA ? a->tlsa_total : a->nrr_seen);
    if (a->qtype == DNS_TYPE_TLSA) {
        json_key(j, "usable");
        json_uint(j, a->tlsa_usable);
    }
    json_key(j, "ms");
    json_uint(j, a->elapsed_ms);
    json_key(j, "cached");
    json_bool(j, a->cached);
    json_key(j, "ttl");
    json_uint(j, a->ttl);
    json_object_end(j);
}

static void json_host(struct json *j, const struct dnsplan *p, size_t i)
{
    const struct dns_host *f = &p->facts[i];
    const struct mxplan_host *h = &p->hosts[i];

    json_object_begin(j);
    json_kv(j, "name", f->name);
    json_key(j, "preference");
    json_uint(j, p->domain.hosts[i].preference);
    json_answer(j, "a", &f->a);
    json_answer(j, "aaaa", &f->aaaa);
    json_answer(j, "tlsa_expanded", &f->tlsa_expanded);
    json_answer(j, "tlsa_original", &f->tlsa_original);
    json_key(j, "dnssec");
    json_object_begin(j);
    json_kv(j, "mx", p->mx.asked ? dns_status_name(p->mx.status) : NULL);
    json_kv(j, "address", dns_status_name(h->address_status));
    json_kv(j, "tlsa", h->tlsa != NULL ? dns_status_name(h->tlsa->status) : NULL);
    json_object_end(j);
    json_kv(j, "tlsa_base_domain", h->tlsa_base[0] ? h->tlsa_base : NULL);
    json_kv(j, "sni", h->sni[0] ? h->sni : NULL);
    json_kv(j, "effective_level", mxplan_effective_name(h));
    json_kv(j, "mta_sts", mxplan_sts_name(h->sts));
    json_kv(j, "mx_host_pattern", h->sts_pattern);
    json_key(j, "trusted_only");
    json_bool(j, h->trusted_only);
    json_kv(j, "enhanced", h->enhanced);
    json_kv(j, "reason", h->reason);
    json_key(j, "trail");
    json_array_begin(j);
    for (size_t k = 0; k < h->ntrail; k++)
        json_string(j, h->trail[k]);
    json_array_end(j);
    json_object_end(j);
}

/* json_sts - "mta_sts": null, or what was found and the policy in force */
static void json_sts(struct json *j, const struct dnsplan *p)
{
    struct sts_lines lines;

    json_key(j, "mta_sts");
    if (p->sts == NULL) {
        json_null(j);
        return;
    }
    json_object_begin(j);
    json_kv(j, "txt", dns_status_name(p->sts->txt_status));
    json_kv(j, "id", p->sts->id[0] ? p->sts->id : NULL);
    json_kv(j, "source", stsplan_source_name(p->sts->source));
    json_kv(j, "failure", p->sts->failure);
    json_kv(j, "note", p->sts->note);
    json_key(j, "policy");
    json_array_begin(j);
    if (p->sts->source != STSPLAN_NONE) {
        sts_policy_lines(&p->sts->policy, &lines);
        for (size_t i = 0; i < lines.n; i++)
            json_string(j, lines.line[i]);
    }
    json_array_end(j);
    json_object_end(j);
}

void dnsplan_json(struct json *j, const struct dnsplan *p)
{
    static const char *const results[] = {
        [MXPLAN_DOMAIN_HOSTS] = "hosts",
        [MXPLAN_DOMAIN_BOUNCE] = "bounce",
        [MXPLAN_DOMAIN_DEFER] = "defer",
    };

    json_kv(j, "destination", p->nexthop.name);
    json_key(j, "bracketed");
    json_bool(j, p->nexthop.bracketed);
    json_key(j, "port");
    json_uint(j, p->nexthop.port);
    json_kv(j, "level", policy_level_name(p->level));
    json_kv(j, "insecure_mx_policy", dnsplan_insecure_mx_name(p->insecure_mx_policy));
    json_answer(j, "mx", &p->mx);
    json_key(j, "mx_decision");
    json_object_begin(j);
    json_kv(j, "result", results[p->domain.result]);
    json_kv(j, "enhanced", p->domain.enhanced);
    json_kv(j, "reason", p->domain.reason);
    json_key(j, "mx_secure");
    json_bool(j, p->domain.mx_secure);
    json_key(j, "implicit_mx");
    json_bool(j, p->domain.implicit);
    json_object_end(j);
    json_sts(j, p);
    json_key(j, "hosts");
    json_array_begin(j);
    for (size_t i = 0; i < p->nhosts; i++)
        json_host(j, p, i);
    json_array_end(j);
    json_key(j, "lookup_ms");
    json_uint(j, p->lookup_ms);
}
