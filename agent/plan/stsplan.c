/* stsplan.c - the MTA-STS policy in force for one domain (stsplan.h)
 *
 * SYNOPSIS
 *   stsplan_find(resolver, params, out)
 *
 * DESCRIPTION
 *   read_txt() (§3.1), then the cache (sts_cache.h), then stsplan_step()
 *   decides; when needed, fetch() (§3.3): addresses of mta-sts.<domain>
 *   through the resolver, https_get() with the RFC's limits (HTTPS, no
 *   redirects, 200 text/plain, 64 KiB), the policy parsed and cached. Every
 *   step leaves one line in out->note; out->failure keeps the RFC 8460 type
 *   of a failed discovery.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "dns.h"
#include "failure.h"
#include "https.h"
#include "sts_cache.h"
#include "stsplan.h"

#define MAX_FETCH_ADDRESSES 8

const char *stsplan_source_name(enum stsplan_source source)
{
    switch (source) {
    case STSPLAN_NONE:
        return "none";
    case STSPLAN_FETCHED:
        return "fetched";
    case STSPLAN_CACHED:
        return "cached";
    }
    return "invalid";
}

/* note - one line about what happened (the last one wins) */
static void note(struct stsplan *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void note(struct stsplan *o, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(o->note, sizeof o->note, fmt, ap);
    va_end(ap);
}

/* has_records - a positive answer (secure or insecure) */
static int has_records(enum dns_status st)
{
    return st == DNS_SECURE || st == DNS_INSECURE;
}

/* read_txt - the _mta-sts TXT RRset; 1 and o->id when exactly one valid
 * STSv1 record is published, else 0 (§3.1: then no policy is announced) */
static int read_txt(struct dns_resolver *r, const char *domain, struct stsplan *o)
{
    struct sts_txt_record recs[DNS_MAX_TXT];
    char name[DNS_NAME_MAX + 16];
    struct dns_answer a;
    struct sts_txt txt;
    const char *why = "no TXT record";
    int found = 0;

    snprintf(name, sizeof name, "_mta-sts.%s", domain);
    memset(&a, 0, sizeof a);    /* dns.h clears what the answer owned */
    dns_lookup_txt(r, name, &a);
    o->txt_status = a.status;
    if (has_records(a.status) && a.ntxt == 0 && a.why != NULL)
        why = a.why;        /* an RRset kept whole or not at all */
    for (size_t i = 0; i < a.ntxt && i < DNS_MAX_TXT; i++) {
        recs[i].text = a.txt[i].text;
        recs[i].len = a.txt[i].len;
    }
    if (has_records(a.status) && a.ntxt > 0
        && sts_txt_select(recs, a.ntxt, &txt, &why) == STS_TXT_FOUND) {
        snprintf(o->id, sizeof o->id, "%s", txt.id);
        found = 1;
    }
    if (!found)
        note(o, "%s TXT %s: %s", name, dns_status_name(a.status), why);
    dns_answer_clear(&a);
    return found;
}

/* fetch_addresses - the numeric addresses of host (A, then AAAA) into
 * list (NULL-terminated); the number found */
static size_t fetch_addresses(struct dns_resolver *r, const char *host,
                              struct dns_host *facts, const char **list)
{
    const struct dns_answer *families[2] = {&facts->a, &facts->aaaa};
    size_t n = 0;

    memset(facts, 0, sizeof *facts);
    dns_lookup_host(r, host, 443, 0, facts);
    for (size_t f = 0; f < 2; f++) {
        if (!has_records(families[f]->status))
            continue;
        for (size_t i = 0; i < families[f]->nrr && n < MAX_FETCH_ADDRESSES; i++)
            list[n++] = families[f]->rr[i].text;
    }
    list[n] = NULL;
    return n;
}

/* fetch_failure - RFC 8460 §4.3.2.2: a certificate or handshake failure of
 * the policy host is sts-webpki-invalid, any other sts-policy-fetch-error */
static const char *fetch_failure(enum https_status st)
{
    return failure_rfc8460(st == HTTPS_TLS ? FAILURE_STS_WEBPKI : FAILURE_STS_FETCH);
}

/* fetch_deadline - within the delivery's deadline, at most one fetch's time */
static uint64_t fetch_deadline(const struct stsplan_params *p)
{
    uint64_t cap = clock_now_ms() + STSPLAN_FETCH_TIMEOUT_MS;

    return p->deadline_ms < cap ? p->deadline_ms : cap;
}

/* fetch - the policy from its HTTPS host (§3.3); 0 with o->policy set and
 * the text in *body (owned), or -1 with o->failure and the note */
static int fetch(struct dns_resolver *r, const struct stsplan_params *p,
                 struct stsplan *o, struct https_response *body)
{
    const char *addresses[MAX_FETCH_ADDRESSES + 1], *why = NULL;
    char host[DNS_NAME_MAX + 16], url[DNS_NAME_MAX + 64], err[256];
    struct https_request req = { .url = url, .addresses = addresses,
                                 .ca_file = p->ca_file, .max_bytes = STS_POLICY_MAX,
                                 .content_type = "text/plain" };
    struct dns_host facts;
    enum https_status st;
    size_t n;

    snprintf(host, sizeof host, "mta-sts.%s", p->domain);
    snprintf(url, sizeof url, "https://%s/.well-known/mta-sts.txt", host);
    n = fetch_addresses(r, host, &facts, addresses);
    req.deadline_ms = fetch_deadline(p);
    st = n > 0 ? https_get(&req, body, err, sizeof err) : HTTPS_CONNECT;
    dns_host_clear(&facts);
    if (n == 0) {
        o->failure = failure_rfc8460(FAILURE_STS_FETCH);
        note(o, "MTA-STS policy host %s has no address", host);
        return -1;
    }
    if (st != HTTPS_OK) {
        o->failure = fetch_failure(st);
        note(o, "MTA-STS policy fetch from %s failed: %s", url, err);
        return -1;
    }
    if (sts_policy_parse((const uint8_t *)body->body, body->len, &o->policy, &why) != 0) {
        o->failure = failure_rfc8460(FAILURE_STS_INVALID);
        note(o, "MTA-STS policy at %s is invalid: %s", url, why);
        https_response_free(body);
        return -1;
    }
    return 0;
}

/* keep - cache a fetched policy; a cache that fails is only a warning */
static void keep(const struct stsplan_params *p, struct stsplan *o,
                 const struct https_response *body)
{
    const char *why = NULL;

    if (p->cache_dir == NULL)
        return;
    if (sts_cache_put(p->cache_dir, p->domain, o->id, (const uint8_t *)body->body,
                      body->len, p->now, &why) != 0)
        snprintf(o->warning, sizeof o->warning, "MTA-STS cache %s not used: %s",
                 p->cache_dir, why);
}

/* read_cache - the cached entry of the domain into *c; 1 when unexpired */
static int read_cache(const struct stsplan_params *p, struct sts_cached *c,
                      struct stsplan *o)
{
    const char *why = NULL;
    enum sts_cache_status st;

    if (p->cache_dir == NULL)
        return 0;
    st = sts_cache_get(p->cache_dir, p->domain, p->now, c, &why);
    if (why != NULL && (st == STS_CACHE_MISSING || st == STS_CACHE_ERROR))
        snprintf(o->warning, sizeof o->warning, "MTA-STS cache %s: %s", p->cache_dir, why);
    return st == STS_CACHE_FOUND;
}

/* age - seconds since c was fetched, for notes */
static long long age(const struct sts_cached *c, const struct stsplan_params *p)
{
    return (long long)(p->now - c->fetched);
}

/* use_cached - the cached policy stays in force (§5.1); after_failure: the
 * note so far says why no fresh policy came */
static void use_cached(const struct sts_cached *c, const struct stsplan_params *p,
                       struct stsplan *o, int after_failure)
{
    char why[STSPLAN_NOTE_MAX];

    snprintf(why, sizeof why, "%s", o->note);
    o->source = STSPLAN_CACHED;
    o->policy = c->policy;
    if (after_failure)
        note(o, "%s; the cached policy (id %s, fetched %llds ago) stays in force", why, c->id,
             age(c, p));
    else
        note(o, "MTA-STS policy (id %s, fetched %llds ago) from the cache", c->id, age(c, p));
}

/* refresh_held - 1 and the cached policy in force when a refresh under its
 * id failed less than STS_CACHE_RETRY_AFTER seconds ago (§3.3) */
static int refresh_held(const struct stsplan_params *p, const struct sts_cached *c,
                        struct stsplan *o)
{
    if (!sts_cache_refresh_held(p->cache_dir, p->domain, c->id, p->now))
        return 0;
    use_cached(c, p, o, 0);
    note(o, "MTA-STS policy (id %s, fetched %llds ago) from the cache; its refresh is due but "
         "one failed less than %us ago (RFC 8461 §3.3)", c->id, age(c, p),
         (unsigned)STS_CACHE_RETRY_AFTER);
    return 1;
}

/* fetch_failed - no fresh policy: the cached one, if any, stays in force;
 * unless its mode is none, a warning for the log (§3.3: alert
 * administrators); a failed refresh is remembered (§3.3: retry later) */
static void fetch_failed(const struct stsplan_params *p, const struct sts_cached *c,
                         int refresh, struct stsplan *o)
{
    const char *why = NULL;

    if (c == NULL)
        return;
    use_cached(c, p, o, 1);
    if (c->policy.mode != STS_MODE_NONE && o->warning[0] == '\0')
        snprintf(o->warning, sizeof o->warning, "%s", o->note);
    if (refresh && sts_cache_refresh_failed(p->cache_dir, p->domain, c->id, p->now, &why) != 0
        && o->warning[0] == '\0')
        snprintf(o->warning, sizeof o->warning, "MTA-STS cache %s: %s", p->cache_dir, why);
}

/* fetch_policy - fetch (§3.3) and cache the policy, or fall back on c (the
 * unexpired cached entry, NULL when none); refresh: c has the TXT id */
static void fetch_policy(struct dns_resolver *r, const struct stsplan_params *p,
                         const struct sts_cached *c, int refresh, struct stsplan *o)
{
    struct https_response body = {0};

    if (fetch(r, p, o, &body) != 0) {
        fetch_failed(p, c, refresh, o);
        return;
    }
    o->source = STSPLAN_FETCHED;
    if (refresh)
        note(o, "MTA-STS policy (id %s) refreshed from mta-sts.%s; the cached copy was "
             "fetched %llds ago", o->id, p->domain, age(c, p));
    else
        note(o, "MTA-STS policy (id %s) fetched from mta-sts.%s", o->id, p->domain);
    keep(p, o, &body);
    https_response_free(&body);
}

enum stsplan_step stsplan_step(int published, const char *txt_id,
                               const struct sts_cached *cached, time_t now)
{
    if (cached == NULL)
        return published ? STSPLAN_STEP_FETCH : STSPLAN_STEP_NONE;
    /* §3.1: a vanished TXT record does not end the cached policy */
    if (!published || !sts_cache_needs_refresh(cached, txt_id, now))
        return STSPLAN_STEP_CACHED;
    return strcmp(txt_id, cached->id) == 0 ? STSPLAN_STEP_REFRESH : STSPLAN_STEP_FETCH;
}

void stsplan_find(struct dns_resolver *r, const struct stsplan_params *p,
                  struct stsplan *o)
{
    struct sts_cached *cached = malloc(sizeof *cached);
    int published;

    memset(o, 0, sizeof *o);
    published = read_txt(r, p->domain, o);
    if (cached != NULL && !read_cache(p, cached, o)) {
        free(cached);
        cached = NULL;
    }
    switch (stsplan_step(published, o->id, cached, p->now)) {
    case STSPLAN_STEP_NONE:
        break;
    case STSPLAN_STEP_CACHED:
        use_cached(cached, p, o, !published);
        break;
    case STSPLAN_STEP_FETCH:
        fetch_policy(r, p, cached, 0, o);
        break;
    case STSPLAN_STEP_REFRESH:
        if (!refresh_held(p, cached, o))
            fetch_policy(r, p, cached, 1, o);
        break;
    }
    free(cached);
}
