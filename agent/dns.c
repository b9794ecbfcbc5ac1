/* dns.c - getdns stub resolver with local DNSSEC validation; the facts of
 *         dns.h (MX, A/AAAA, TLSA with one status per answer)
 *
 * SYNOPSIS
 *   dns_resolver_new(config, &why), dns_resolver_free(resolver)
 *   dns_resolver_check(resolver, msg, size)
 *   dns_lookup_mx(resolver, domain, &answer)
 *   dns_lookup_host(resolver, name, port, with_tlsa, &host)
 *
 * DESCRIPTION
 *   Every query carries the dnssec_return_all_statuses extension, so bogus
 *   replies come back with their status instead of as NO_NAME (getdns 1.6).
 *   Queries of one host run concurrently on the context's default event
 *   loop (getdns_general + getdns_context_run). Names are sent absolute
 *   (trailing dot) and no search suffix is ever appended.
 *
 * DIAGNOSTICS
 *   dns_resolver_new() names the configuration step that failed; answers
 *   carry their own status and static reason.
 */
#include <arpa/inet.h>
#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns.h"
#include "dns_reply.h"
#include "tlsa.h"

struct dns_resolver {
    getdns_context *ctx;
    getdns_dict *ext;
    char anchor[DNS_NAME_MAX + 1];  /* owner of the first trust anchor; ""
                                     * for the root */
    char upstream[80];              /* for messages */
    unsigned timeout_ms;
};

/* One outstanding query. */
struct query {
    struct dns_answer *out;
    char qname[DNS_NAME_MAX + 1];
    uint16_t qtype;
    struct timespec start;
};

static const char *const status_names[] = {
    [DNS_SECURE] = "secure",
    [DNS_INSECURE] = "insecure",
    [DNS_NODATA_SECURE] = "nodata-secure",
    [DNS_NODATA_INSECURE] = "nodata-insecure",
    [DNS_NXDOMAIN_SECURE] = "nxdomain-secure",
    [DNS_NXDOMAIN_INSECURE] = "nxdomain-insecure",
    [DNS_BOGUS] = "bogus",
    [DNS_INDETERMINATE] = "indeterminate",
    [DNS_SERVFAIL] = "servfail",
    [DNS_TIMEOUT] = "timeout",
};

const char *dns_status_name(enum dns_status status)
{
    if ((unsigned)status >= sizeof status_names / sizeof status_names[0])
        return "invalid";
    return status_names[status];
}

int dns_status_is_error(enum dns_status status)
{
    return status == DNS_BOGUS || status == DNS_INDETERMINATE
           || status == DNS_SERVFAIL || status == DNS_TIMEOUT;
}

int dns_status_is_secure(enum dns_status status)
{
    return status == DNS_SECURE || status == DNS_NODATA_SECURE
           || status == DNS_NXDOMAIN_SECURE;
}

void dns_answer_clear(struct dns_answer *answer)
{
    tlsa_set_free(answer->tlsa);
    memset(answer, 0, sizeof *answer);
}

void dns_host_clear(struct dns_host *host)
{
    dns_answer_clear(&host->a);
    dns_answer_clear(&host->aaaa);
    dns_answer_clear(&host->tlsa_expanded);
    dns_answer_clear(&host->tlsa_original);
    memset(host, 0, sizeof *host);
}

int dns_tlsa_qname(uint16_t port, const char *base, char *out, size_t size)
{
    int n = snprintf(out, size, "_%u._tcp.%s", (unsigned)port, base);

    return n < 0 || (size_t)n >= size || n > DNS_NAME_MAX ? -1 : 0;
}

/* dns_host_address_status - see dns.h */
enum dns_status dns_host_address_status(const struct dns_host *host,
                                        const struct dns_answer **via)
{
    const struct dns_answer *fam[2] = { &host->a, &host->aaaa };
    const struct dns_answer *data = NULL, *error = NULL, *negative = NULL;
    int insecure = 0;

    for (size_t i = 0; i < 2; i++) {
        const struct dns_answer *a = fam[i];

        if (!a->asked)
            continue;
        if (a->status == DNS_BOGUS) {       /* never overlooked */
            *via = a;
            return DNS_BOGUS;
        }
        if (a->status == DNS_SECURE || a->status == DNS_INSECURE) {
            insecure |= a->status == DNS_INSECURE;
            if (data == NULL)
                data = a;
        } else if (dns_status_is_error(a->status)) {
            if (error == NULL)
                error = a;
        } else if (negative == NULL) {
            negative = a;
        }
    }
    *via = data != NULL ? data : error != NULL ? error : negative;
    if (data != NULL)
        return insecure ? DNS_INSECURE : DNS_SECURE;
    if (*via == NULL)
        return DNS_SERVFAIL;                /* nothing asked */
    return (*via)->status;
}

/* elapsed_ms - milliseconds since start */
static unsigned elapsed_ms(const struct timespec *start)
{
    struct timespec now;
    long long ms;

    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (long long)(now.tv_sec - start->tv_sec) * 1000
         + (now.tv_nsec - start->tv_nsec) / 1000000;
    return ms < 0 ? 0u : (unsigned)ms;
}

/* on_answer - getdns callback: convert and free the response */
static void on_answer(getdns_context *ctx, getdns_callback_type_t type,
                      getdns_dict *response, void *arg,
                      getdns_transaction_t id)
{
    struct query *q = arg;

    (void)ctx;
    (void)id;
    if (type == GETDNS_CALLBACK_COMPLETE) {
        dns_reply_convert(response, q->qname, q->qtype, q->out);
    } else {
        q->out->asked = 1;
        q->out->qtype = q->qtype;
        memcpy(q->out->qname, q->qname, sizeof q->qname);
        memcpy(q->out->owner, q->qname, sizeof q->qname);
        q->out->status = type == GETDNS_CALLBACK_TIMEOUT ? DNS_TIMEOUT : DNS_SERVFAIL;
        q->out->why = type == GETDNS_CALLBACK_TIMEOUT
                      ? "no upstream answered in time" : "query cancelled or failed";
    }
    q->out->elapsed_ms = elapsed_ms(&q->start);
    getdns_dict_destroy(response);
}

/* query_start - schedule one query; a failure to send is a servfail answer */
static void query_start(struct dns_resolver *r, struct query *q,
                        const char *qname, uint16_t qtype,
                        struct dns_answer *out)
{
    char absolute[DNS_NAME_MAX + 2];
    getdns_transaction_t id = 0;
    int n = snprintf(absolute, sizeof absolute, "%s.", qname);

    dns_answer_clear(out);
    q->out = out;
    q->qtype = qtype;
    clock_gettime(CLOCK_MONOTONIC, &q->start);
    if (n < 0 || (size_t)n >= sizeof absolute || n - 1 > DNS_NAME_MAX) {
        out->asked = 1;
        out->status = DNS_SERVFAIL;
        out->why = "query name too long";
        return;
    }
    memcpy(q->qname, qname, (size_t)n);     /* n - 1 bytes and the NUL */
    q->qname[n - 1] = '\0';
    if (getdns_general(r->ctx, absolute, qtype, r->ext, q, &id, on_answer)
        != GETDNS_RETURN_GOOD) {
        out->asked = 1;
        out->qtype = qtype;
        memcpy(out->qname, q->qname, sizeof q->qname);
        memcpy(out->owner, q->qname, sizeof q->qname);
        out->status = DNS_SERVFAIL;
        out->why = "query could not be sent";
    }
}

void dns_lookup_mx(struct dns_resolver *r, const char *domain,
                   struct dns_answer *out)
{
    struct query q;

    query_start(r, &q, domain, DNS_TYPE_MX, out);
    getdns_context_run(r->ctx);
}

void dns_lookup_host(struct dns_resolver *r, const char *name, uint16_t port,
                     int with_tlsa, struct dns_host *host)
{
    struct query q[3];
    char tlsa[DNS_NAME_MAX + 1];
    const struct dns_answer *via = NULL;

    dns_host_clear(host);
    snprintf(host->name, sizeof host->name, "%s", name);
    host->port = port;
    query_start(r, &q[0], name, DNS_TYPE_A, &host->a);
    query_start(r, &q[1], name, DNS_TYPE_AAAA, &host->aaaa);
    /* asked with the addresses to save a round trip; RFC 7672 §2.2.2: the
     * plan ignores it unless the address RRset is secure */
    if (with_tlsa && dns_tlsa_qname(port, name, tlsa, sizeof tlsa) == 0)
        query_start(r, &q[2], tlsa, DNS_TYPE_TLSA, &host->tlsa_original);
    getdns_context_run(r->ctx);
    if (!with_tlsa
        || dns_host_address_status(host, &via) != DNS_SECURE
        || via->ncnames == 0)
        return;
    /* RFC 7672 §2.2.3: secure CNAME chain: TLSA at the expanded name too */
    if (dns_tlsa_qname(port, via->owner, tlsa, sizeof tlsa) == 0) {
        query_start(r, &q[0], tlsa, DNS_TYPE_TLSA, &host->tlsa_expanded);
        getdns_context_run(r->ctx);
    }
}

/* set_upstreams - the configured upstreams as getdns address dicts */
static int set_upstreams(struct dns_resolver *r, const struct dns_config *c,
                         const char **why)
{
    getdns_list *list = getdns_list_create();
    int ok = list != NULL;

    for (size_t i = 0; ok && i < c->nupstreams; i++) {
        const struct dns_upstream *u = &c->upstreams[i];
        uint8_t raw[16];
        int v6 = strchr(u->address, ':') != NULL;
        getdns_bindata data = { v6 ? 16 : 4, raw };
        getdns_bindata family = { 4, (uint8_t *)(v6 ? "IPv6" : "IPv4") };
        getdns_dict *addr = getdns_dict_create();

        ok = addr != NULL
             && inet_pton(v6 ? AF_INET6 : AF_INET, u->address, raw) == 1
             && getdns_dict_set_bindata(addr, "address_type", &family) == GETDNS_RETURN_GOOD
             && getdns_dict_set_bindata(addr, "address_data", &data) == GETDNS_RETURN_GOOD
             && getdns_dict_set_int(addr, "port", u->port ? u->port : 53) == GETDNS_RETURN_GOOD
             && getdns_list_set_dict(list, i, addr) == GETDNS_RETURN_GOOD;
        getdns_dict_destroy(addr);
    }
    if (ok)
        ok = getdns_context_set_upstream_recursive_servers(r->ctx, list)
             == GETDNS_RETURN_GOOD;
    getdns_list_destroy(list);
    if (!ok)
        *why = "invalid upstream address";
    else if (c->nupstreams > 0)
        snprintf(r->upstream, sizeof r->upstream, "%s", c->upstreams[0].address);
    return ok ? 0 : -1;
}

/* set_trust_anchors - DS/DNSKEY records from a zone-file-syntax file */
static int set_trust_anchors(struct dns_resolver *r, const char *path,
                             const char **why)
{
    FILE *fp = fopen(path, "r");
    getdns_list *list = NULL;
    getdns_dict *first = NULL;
    size_t n = 0;
    int ok;

    if (fp == NULL) {
        *why = "cannot open the trust anchor file";
        return -1;
    }
    ok = getdns_fp2rr_list(fp, &list, NULL, 3600) == GETDNS_RETURN_GOOD
         && getdns_list_get_length(list, &n) == GETDNS_RETURN_GOOD && n > 0;
    fclose(fp);
    if (!ok) {
        *why = "no DS or DNSKEY records in the trust anchor file";
    } else if (getdns_list_get_dict(list, 0, &first) != GETDNS_RETURN_GOOD
               || dns_reply_rr_owner(first, r->anchor, sizeof r->anchor) != 0) {
        *why = "malformed record in the trust anchor file";
        ok = 0;
    } else if (getdns_context_set_dnssec_trust_anchors(r->ctx, list)
               != GETDNS_RETURN_GOOD) {
        *why = "getdns refused the trust anchors";
        ok = 0;
    }
    getdns_list_destroy(list);
    return ok ? 0 : -1;
}

/* configure - everything but the upstreams and anchors */
static int configure(struct dns_resolver *r, const struct dns_config *c,
                     const char **why)
{
    getdns_transport_list_t transports[] = {
        GETDNS_TRANSPORT_UDP, GETDNS_TRANSPORT_TCP  /* TCP on truncation */
    };

    r->timeout_ms = c->timeout_ms ? c->timeout_ms : DNS_DEFAULT_TIMEOUT_MS;
    if (getdns_context_set_resolution_type(r->ctx, GETDNS_RESOLUTION_STUB)
            != GETDNS_RETURN_GOOD
        || getdns_context_set_dns_transport_list(r->ctx, 2, transports)
            != GETDNS_RETURN_GOOD
        || getdns_context_set_timeout(r->ctx, r->timeout_ms) != GETDNS_RETURN_GOOD
        || getdns_context_set_append_name(r->ctx, GETDNS_APPEND_NAME_NEVER)
            != GETDNS_RETURN_GOOD) {
        *why = "getdns refused the resolver settings";
        return -1;
    }
    r->ext = getdns_dict_create();
    if (r->ext == NULL
        || getdns_dict_set_int(r->ext, "dnssec_return_all_statuses",
                               GETDNS_EXTENSION_TRUE) != GETDNS_RETURN_GOOD) {
        *why = "out of memory";
        return -1;
    }
    return 0;
}

struct dns_resolver *dns_resolver_new(const struct dns_config *config,
                                      const char **why)
{
    struct dns_resolver *r = calloc(1, sizeof *r);

    if (r == NULL) {
        *why = "out of memory";
        return NULL;
    }
    snprintf(r->upstream, sizeof r->upstream, "from /etc/resolv.conf");
    /* set_from_os 1 reads /etc/resolv.conf: only without our own upstreams */
    if (getdns_context_create(&r->ctx, config->nupstreams == 0)
        != GETDNS_RETURN_GOOD) {
        *why = config->nupstreams == 0
               ? "cannot create the getdns context from /etc/resolv.conf"
               : "cannot create the getdns context";
        free(r);
        return NULL;
    }
    if (configure(r, config, why) != 0
        || (config->nupstreams > 0 && set_upstreams(r, config, why) != 0)
        || (config->trust_anchors != NULL
            && set_trust_anchors(r, config->trust_anchors, why) != 0)) {
        dns_resolver_free(r);
        return NULL;
    }
    return r;
}

void dns_resolver_free(struct dns_resolver *r)
{
    if (r == NULL)
        return;
    getdns_dict_destroy(r->ext);
    getdns_context_destroy(r->ctx);
    free(r);
}

/* check_verdict - the one line of dns_resolver_check() */
static int check_verdict(const struct dns_resolver *r,
                         const struct dns_answer *a, size_t nrrsig,
                         char *msg, size_t size)
{
    char zone[DNS_NAME_MAX + 2];

    snprintf(zone, sizeof zone, "%s.", r->anchor);  /* "." for the root */

    if (a->status == DNS_SECURE)
        return 0;
    if (a->status == DNS_TIMEOUT || a->status == DNS_SERVFAIL)
        snprintf(msg, size, "DNS upstream %s failed for %s DNSKEY: %s",
                 r->upstream, zone, a->why ? a->why : dns_status_name(a->status));
    else if (a->nrr_seen > 0 && nrrsig == 0)
        snprintf(msg, size, "DNS upstream %s strips DNSSEC records (no RRSIG "
                 "with %s DNSKEY): DNSSEC cannot be validated", r->upstream, zone);
    else if (a->nrr_seen == 0)
        snprintf(msg, size, "DNS upstream %s returns no DNSKEY records for the "
                 "trust anchor %s (%s)", r->upstream, zone,
                 dns_status_name(a->status));
    else
        snprintf(msg, size, "trust anchor for %s cannot be validated: the %s "
                 "DNSKEY RRset from upstream %s is %s", zone, zone, r->upstream,
                 dns_status_name(a->status));
    return -1;
}

int dns_resolver_check(struct dns_resolver *r, char *msg, size_t size)
{
    char absolute[DNS_NAME_MAX + 2];
    getdns_dict *response = NULL;
    struct dns_answer answer;
    size_t nrrsig = 0;
    int rc;

    memset(&answer, 0, sizeof answer);
    snprintf(absolute, sizeof absolute, "%s.", r->anchor);
    if (getdns_general_sync(r->ctx, r->anchor[0] ? absolute : ".",
                            GETDNS_RRTYPE_DNSKEY, r->ext, &response)
        != GETDNS_RETURN_GOOD) {
        snprintf(msg, size, "DNS upstream %s: the DNSKEY query could not be sent",
                 r->upstream);
        return -1;
    }
    dns_reply_convert(response, r->anchor, GETDNS_RRTYPE_DNSKEY, &answer);
    nrrsig = dns_reply_count_type(response, GETDNS_RRTYPE_RRSIG);
    getdns_dict_destroy(response);
    rc = check_verdict(r, &answer, nrrsig, msg, size);
    dns_answer_clear(&answer);
    return rc;
}
