/* dns.c - the facts of dns.h (MX, A/AAAA, TLSA, TXT with one status per
 *         answer): from the DNS cache when it has them, else from the
 *         getdns backend (dns_getdns.h), created on first need
 *
 * SYNOPSIS
 *   dns_resolver_new(config, &why), dns_resolver_free(resolver)
 *   dns_resolver_set_deadline(resolver, deadline_ms)
 *   dns_resolver_check(resolver, msg, size)
 *   dns_lookup_mx(resolver, domain, &answer)
 *   dns_lookup_txt(resolver, name, &answer)
 *   dns_lookup_host(resolver, name, port, with_tlsa, &host)
 *
 * DESCRIPTION
 *   Each lookup first asks the cache (dns_cache.h) for every answer it
 *   needs, then asks the backend for the rest in one concurrent batch and
 *   keeps what may be kept. A process whose answers all come from the cache
 *   never creates a getdns context nor loads libgetdns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns.h"
#include "clock.h"
#include "dns_cache.h"
#include "dns_getdns.h"

struct dns_resolver {
    struct dns_config config;       /* copied: upstreams and anchors owned */
    struct dns_getdns *backend;     /* NULL until first needed */
    struct dns_cache *cache;        /* NULL: none */
    const char *cache_why;          /* why the configured cache is unused */
    time_t checked_until;           /* a passed capability check holds */
};

/* backend - the getdns backend, created on first call; NULL with msg */
static struct dns_getdns *backend(struct dns_resolver *r, char *msg, size_t size)
{
    const char *why = NULL;
    const char *path = r->config.trust_anchors;

    if (r->backend == NULL) {
        r->backend = dns_getdns_new(&r->config, &why);
        if (r->backend == NULL && msg != NULL)
            snprintf(msg, size, "DNS resolver: %s%s%s", why, path ? ": " : "",
                     path ? path : "");
    }
    return r->backend;
}

/* fail_answer - an answer that could not be asked at all */
static void fail_answer(const struct dns_query *q, enum dns_status status,
                        const char *why)
{
    dns_answer_clear(q->out);
    q->out->asked = 1;
    q->out->qtype = q->qtype;
    snprintf(q->out->qname, sizeof q->out->qname, "%s", q->qname);
    snprintf(q->out->owner, sizeof q->out->owner, "%s", q->qname);
    q->out->status = status;
    q->out->why = why;
}

/* time_left - the backend's timeout for the next queries: the configured
 * one, cut to what is left before the deadline; 0 when it has passed */
static unsigned time_left(const struct dns_resolver *r)
{
    unsigned timeout = r->config.timeout_ms ? r->config.timeout_ms : DNS_DEFAULT_TIMEOUT_MS;
    uint64_t now;

    if (r->config.deadline_ms == 0)
        return timeout;
    now = clock_now_ms();     /* the clock of every deadline */
    if (now >= r->config.deadline_ms)
        return 0;
    return r->config.deadline_ms - now < timeout ? (unsigned)(r->config.deadline_ms - now)
                                                  : timeout;
}

/* ask - answer every query: from the cache, else in one backend batch */
static void ask(struct dns_resolver *r, const struct dns_query *q, size_t n)
{
    struct dns_query missing[DNS_GETDNS_MAX_BATCH];
    time_t now = time(NULL);
    size_t nmissing = 0;
    unsigned timeout;

    for (size_t i = 0; i < n; i++)
        if (r->cache == NULL || !dns_cache_get(r->cache, q[i].qname, q[i].qtype, now, q[i].out))
            missing[nmissing++] = q[i];
    if (nmissing == 0)
        return;
    if ((timeout = time_left(r)) == 0) {
        for (size_t i = 0; i < nmissing; i++)
            fail_answer(&missing[i], DNS_TIMEOUT,
                        "delivery deadline reached before the DNS answer");
        return;
    }
    if (backend(r, NULL, 0) == NULL) {
        for (size_t i = 0; i < nmissing; i++)
            fail_answer(&missing[i], DNS_SERVFAIL, "the DNS resolver could not be created");
        return;
    }
    dns_getdns_set_timeout(r->backend, timeout);
    dns_getdns_ask(r->backend, missing, nmissing);
    for (size_t i = 0; r->cache != NULL && i < nmissing; i++)
        dns_cache_put(r->cache, missing[i].out, time(NULL));
}

void dns_lookup_mx(struct dns_resolver *r, const char *domain,
                   struct dns_answer *out)
{
    struct dns_query q = { domain, DNS_TYPE_MX, out };

    ask(r, &q, 1);
}

void dns_lookup_txt(struct dns_resolver *r, const char *name,
                    struct dns_answer *out)
{
    struct dns_query q = { name, DNS_TYPE_TXT, out };

    ask(r, &q, 1);
}

void dns_lookup_host(struct dns_resolver *r, const char *name, uint16_t port,
                     int with_tlsa, struct dns_host *host)
{
    struct dns_query q[3];
    char tlsa[DNS_NAME_MAX + 1];
    const struct dns_answer *via = NULL;
    size_t n = 0;

    dns_host_clear(host);
    snprintf(host->name, sizeof host->name, "%s", name);
    host->port = port;
    q[n++] = (struct dns_query){ host->name, DNS_TYPE_A, &host->a };
    q[n++] = (struct dns_query){ host->name, DNS_TYPE_AAAA, &host->aaaa };
    /* asked with the addresses to save a round trip; RFC 7672 §2.2.2: the
     * plan ignores it unless the address RRset is secure */
    if (with_tlsa && dns_tlsa_qname(port, name, tlsa, sizeof tlsa) == 0)
        q[n++] = (struct dns_query){ tlsa, DNS_TYPE_TLSA, &host->tlsa_original };
    ask(r, q, n);
    if (!with_tlsa
        || dns_host_address_status(host, &via) != DNS_SECURE
        || via->ncnames == 0)
        return;
    /* RFC 7672 §2.2.3: secure CNAME chain: TLSA at the expanded name too */
    if (dns_tlsa_qname(port, via->owner, tlsa, sizeof tlsa) == 0) {
        q[0] = (struct dns_query){ tlsa, DNS_TYPE_TLSA, &host->tlsa_expanded };
        ask(r, q, 1);
    }
}

/* copy_config - r->config = *c with upstreams and anchor path owned */
static int copy_config(struct dns_resolver *r, const struct dns_config *c)
{
    struct dns_upstream *ups = NULL;

    r->config = *c;
    r->config.upstreams = NULL;
    r->config.trust_anchors = NULL;
    r->config.cache_dir = NULL;
    if (c->nupstreams > 0) {
        ups = calloc(c->nupstreams, sizeof *ups);
        if (ups == NULL)
            return -1;
        memcpy(ups, c->upstreams, c->nupstreams * sizeof *ups);
        r->config.upstreams = ups;
    }
    if (c->trust_anchors != NULL
        && (r->config.trust_anchors = strdup(c->trust_anchors)) == NULL)
        return -1;
    return 0;
}

struct dns_resolver *dns_resolver_new(const struct dns_config *config,
                                      const char **why)
{
    struct dns_resolver *r = calloc(1, sizeof *r);

    if (r == NULL || copy_config(r, config) != 0) {
        dns_resolver_free(r);
        *why = "out of memory";
        return NULL;
    }
    if (config->cache_dir != NULL)
        r->cache = dns_cache_open(config, &r->cache_why);
    return r;
}

void dns_resolver_free(struct dns_resolver *r)
{
    if (r == NULL)
        return;
    dns_getdns_free(r->backend);
    dns_cache_close(r->cache);
    free((void *)r->config.upstreams);
    free((void *)r->config.trust_anchors);
    free(r);
}

const char *dns_resolver_cache_why(const struct dns_resolver *r)
{
    return r->cache == NULL ? r->cache_why : NULL;
}

void dns_resolver_set_deadline(struct dns_resolver *r, uint64_t deadline_ms)
{
    r->config.deadline_ms = deadline_ms;
}

/* check_ttl - how long a passed check holds in memory: the DNSKEY RRset's
 * TTL, at most the cache's limit */
static uint32_t check_ttl(const struct dns_resolver *r, uint32_t ttl)
{
    uint32_t max = r->config.cache_max_ttl ? r->config.cache_max_ttl
                                           : DNS_DEFAULT_CACHE_MAX_TTL;

    return ttl < max ? ttl : max;
}

int dns_resolver_check(struct dns_resolver *r, char *msg, size_t size)
{
    struct dns_answer answer;
    time_t now = time(NULL);
    int rc;

    if (now < r->checked_until
        || (r->cache != NULL && dns_cache_get_check(r->cache, now)))
        return 0;
    if (time_left(r) == 0) {
        snprintf(msg, size, "delivery deadline reached before the DNS check");
        return -1;
    }
    if (backend(r, msg, size) == NULL)
        return -1;
    dns_getdns_set_timeout(r->backend, time_left(r));
    memset(&answer, 0, sizeof answer);
    rc = dns_getdns_check(r->backend, &answer, msg, size);
    if (rc == 0)
        r->checked_until = time(NULL) + (time_t)check_ttl(r, answer.ttl);
    if (rc == 0 && r->cache != NULL)
        dns_cache_put_check(r->cache, answer.ttl, time(NULL));
    dns_answer_clear(&answer);
    return rc;
}
