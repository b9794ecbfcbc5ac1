/* dns_getdns.c - getdns stub resolver with local DNSSEC validation
 *                (dns_getdns.h)
 *
 * SYNOPSIS
 *   dns_getdns_new(config, &why), dns_getdns_free(g)
 *   dns_getdns_ask(g, queries, n)
 *   dns_getdns_check(g, &answer, msg, size)
 *
 * DESCRIPTION
 *   Every query carries the dnssec_return_all_statuses extension, so bogus
 *   replies come back with their status instead of as NO_NAME (getdns 1.6).
 *   A batch runs concurrently on the context's default event loop
 *   (getdns_general + getdns_context_run). Names are sent absolute
 *   (trailing dot) and no search suffix is ever appended. libgetdns is
 *   called through getdns_lib.h, loaded by dns_getdns_new().
 *
 * DIAGNOSTICS
 *   dns_getdns_new() names the configuration step that failed; answers
 *   carry their own status and static reason.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns_getdns.h"
#include "dns_reply.h"
#include "getdns_lib.h"

struct dns_getdns {
    const struct getdns_lib *lib;
    getdns_context *ctx;
    getdns_dict *ext;
    char anchor[DNS_NAME_MAX + 1];  /* owner of the first trust anchor; ""
                                     * for the root */
    char upstream[80];              /* for messages */
    unsigned timeout_ms;
};

/* One outstanding query. */
struct pending {
    struct dns_getdns *g;
    struct dns_answer *out;
    char qname[DNS_NAME_MAX + 1];
    uint16_t qtype;
    struct timespec start;
};

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
    struct pending *q = arg;

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
    q->g->lib->dict_destroy(response);
}

/* query_start - schedule one query; a failure to send is a servfail answer */
static void query_start(struct dns_getdns *g, struct pending *q,
                        const struct dns_query *ask)
{
    char absolute[DNS_NAME_MAX + 2];
    getdns_transaction_t id = 0;
    struct dns_answer *out = ask->out;
    int n = snprintf(absolute, sizeof absolute, "%s.", ask->qname);

    dns_answer_clear(out);
    q->g = g;
    q->out = out;
    q->qtype = ask->qtype;
    clock_gettime(CLOCK_MONOTONIC, &q->start);
    if (n < 0 || (size_t)n >= sizeof absolute || n - 1 > DNS_NAME_MAX) {
        out->asked = 1;
        out->status = DNS_SERVFAIL;
        out->why = "query name too long";
        return;
    }
    memcpy(q->qname, ask->qname, (size_t)n);    /* n - 1 bytes and the NUL */
    q->qname[n - 1] = '\0';
    if (g->lib->general(g->ctx, absolute, ask->qtype, g->ext, q, &id, on_answer)
        != GETDNS_RETURN_GOOD) {
        out->asked = 1;
        out->qtype = ask->qtype;
        memcpy(out->qname, q->qname, sizeof q->qname);
        memcpy(out->owner, q->qname, sizeof q->qname);
        out->status = DNS_SERVFAIL;
        out->why = "query could not be sent";
    }
}

void dns_getdns_set_timeout(struct dns_getdns *g, unsigned timeout_ms)
{
    if (timeout_ms == 0)
        timeout_ms = 1;
    if (timeout_ms != g->timeout_ms
        && g->lib->context_set_timeout(g->ctx, timeout_ms) == GETDNS_RETURN_GOOD)
        g->timeout_ms = timeout_ms;
}

void dns_getdns_ask(struct dns_getdns *g, const struct dns_query *asks, size_t n)
{
    struct pending q[DNS_GETDNS_MAX_BATCH];

    if (n > DNS_GETDNS_MAX_BATCH)
        abort();    /* dns_getdns_ask: batch larger than DNS_GETDNS_MAX_BATCH */
    for (size_t i = 0; i < n; i++)
        query_start(g, &q[i], &asks[i]);
    g->lib->context_run(g->ctx);
}

/* set_upstreams - the configured upstreams as getdns address dicts */
static int set_upstreams(struct dns_getdns *g, const struct dns_config *c,
                         const char **why)
{
    getdns_list *list = g->lib->list_create();
    int ok = list != NULL;

    for (size_t i = 0; ok && i < c->nupstreams; i++) {
        const struct dns_upstream *u = &c->upstreams[i];
        uint8_t raw[16];
        int v6 = strchr(u->address, ':') != NULL;
        getdns_bindata data = { v6 ? 16 : 4, raw };
        getdns_bindata family = { 4, (uint8_t *)(v6 ? "IPv6" : "IPv4") };
        getdns_dict *addr = g->lib->dict_create();

        ok = addr != NULL
             && inet_pton(v6 ? AF_INET6 : AF_INET, u->address, raw) == 1
             && g->lib->dict_set_bindata(addr, "address_type", &family) == GETDNS_RETURN_GOOD
             && g->lib->dict_set_bindata(addr, "address_data", &data) == GETDNS_RETURN_GOOD
             && g->lib->dict_set_int(addr, "port", u->port ? u->port : 53) == GETDNS_RETURN_GOOD
             && g->lib->list_set_dict(list, i, addr) == GETDNS_RETURN_GOOD;
        g->lib->dict_destroy(addr);
    }
    if (ok)
        ok = g->lib->context_set_upstream_recursive_servers(g->ctx, list)
             == GETDNS_RETURN_GOOD;
    g->lib->list_destroy(list);
    if (!ok)
        *why = "invalid upstream address";
    else if (c->nupstreams > 0)
        snprintf(g->upstream, sizeof g->upstream, "%s", c->upstreams[0].address);
    return ok ? 0 : -1;
}

/* set_trust_anchors - DS/DNSKEY records from a zone-file-syntax file */
static int set_trust_anchors(struct dns_getdns *g, const char *path,
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
    ok = g->lib->fp2rr_list(fp, &list, NULL, 3600) == GETDNS_RETURN_GOOD
         && g->lib->list_get_length(list, &n) == GETDNS_RETURN_GOOD && n > 0;
    fclose(fp);
    if (!ok) {
        *why = "no DS or DNSKEY records in the trust anchor file";
    } else if (g->lib->list_get_dict(list, 0, &first) != GETDNS_RETURN_GOOD
               || dns_reply_rr_owner(first, g->anchor, sizeof g->anchor) != 0) {
        *why = "malformed record in the trust anchor file";
        ok = 0;
    } else if (g->lib->context_set_dnssec_trust_anchors(g->ctx, list)
               != GETDNS_RETURN_GOOD) {
        *why = "getdns refused the trust anchors";
        ok = 0;
    }
    g->lib->list_destroy(list);
    return ok ? 0 : -1;
}

/* configure - everything but the upstreams and anchors */
static int configure(struct dns_getdns *g, const struct dns_config *c,
                     const char **why)
{
    getdns_transport_list_t transports[] = {
        GETDNS_TRANSPORT_UDP, GETDNS_TRANSPORT_TCP  /* TCP on truncation */
    };

    g->timeout_ms = c->timeout_ms ? c->timeout_ms : DNS_DEFAULT_TIMEOUT_MS;
    if (g->lib->context_set_resolution_type(g->ctx, GETDNS_RESOLUTION_STUB)
            != GETDNS_RETURN_GOOD
        || g->lib->context_set_dns_transport_list(g->ctx, 2, transports)
            != GETDNS_RETURN_GOOD
        || g->lib->context_set_timeout(g->ctx, g->timeout_ms) != GETDNS_RETURN_GOOD
        || g->lib->context_set_append_name(g->ctx, GETDNS_APPEND_NAME_NEVER)
            != GETDNS_RETURN_GOOD) {
        *why = "getdns refused the resolver settings";
        return -1;
    }
    g->ext = g->lib->dict_create();
    if (g->ext == NULL
        || g->lib->dict_set_int(g->ext, "dnssec_return_all_statuses",
                               GETDNS_EXTENSION_TRUE) != GETDNS_RETURN_GOOD) {
        *why = "out of memory";
        return -1;
    }
    return 0;
}

struct dns_getdns *dns_getdns_new(const struct dns_config *config, const char **why)
{
    const struct getdns_lib *lib = getdns_lib_load(why);
    struct dns_getdns *g;

    if (lib == NULL)
        return NULL;
    g = calloc(1, sizeof *g);
    if (g == NULL) {
        *why = "out of memory";
        return NULL;
    }
    g->lib = lib;
    snprintf(g->upstream, sizeof g->upstream, "from /etc/resolv.conf");
    /* set_from_os 1 reads /etc/resolv.conf: only without our own upstreams */
    if (lib->context_create(&g->ctx, config->nupstreams == 0) != GETDNS_RETURN_GOOD) {
        *why = config->nupstreams == 0
               ? "cannot create the getdns context from /etc/resolv.conf"
               : "cannot create the getdns context";
        free(g);
        return NULL;
    }
    if (configure(g, config, why) != 0
        || (config->nupstreams > 0 && set_upstreams(g, config, why) != 0)
        || (config->trust_anchors != NULL
            && set_trust_anchors(g, config->trust_anchors, why) != 0)) {
        dns_getdns_free(g);
        return NULL;
    }
    return g;
}

void dns_getdns_free(struct dns_getdns *g)
{
    if (g == NULL)
        return;
    g->lib->dict_destroy(g->ext);
    g->lib->context_destroy(g->ctx);
    free(g);
}

/* check_verdict - the one line of dns_getdns_check() */
static int check_verdict(const struct dns_getdns *g,
                         const struct dns_answer *a, size_t nrrsig,
                         char *msg, size_t size)
{
    char zone[DNS_NAME_MAX + 2];

    snprintf(zone, sizeof zone, "%s.", g->anchor);  /* "." for the root */

    if (a->status == DNS_SECURE)
        return 0;
    if (a->status == DNS_TIMEOUT || a->status == DNS_SERVFAIL)
        snprintf(msg, size, "DNS upstream %s failed for %s DNSKEY: %s",
                 g->upstream, zone, a->why ? a->why : dns_status_name(a->status));
    else if (a->nrr_seen > 0 && nrrsig == 0)
        snprintf(msg, size, "DNS upstream %s strips DNSSEC records (no RRSIG "
                 "with %s DNSKEY): DNSSEC cannot be validated", g->upstream, zone);
    else if (a->nrr_seen == 0)
        snprintf(msg, size, "DNS upstream %s returns no DNSKEY records for the "
                 "trust anchor %s (%s)", g->upstream, zone,
                 dns_status_name(a->status));
    else
        snprintf(msg, size, "trust anchor for %s cannot be validated: the %s "
                 "DNSKEY RRset from upstream %s is %s", zone, zone, g->upstream,
                 dns_status_name(a->status));
    return -1;
}

int dns_getdns_check(struct dns_getdns *g, struct dns_answer *out, char *msg,
                     size_t size)
{
    char absolute[DNS_NAME_MAX + 2];
    getdns_dict *response = NULL;
    size_t nrrsig = 0;

    dns_answer_clear(out);
    snprintf(absolute, sizeof absolute, "%s.", g->anchor);
    if (g->lib->general_sync(g->ctx, g->anchor[0] ? absolute : ".",
                             GETDNS_RRTYPE_DNSKEY, g->ext, &response)
        != GETDNS_RETURN_GOOD) {
        snprintf(msg, size, "DNS upstream %s: the DNSKEY query could not be sent",
                 g->upstream);
        return -1;
    }
    dns_reply_convert(response, g->anchor, GETDNS_RRTYPE_DNSKEY, out);
    nrrsig = dns_reply_count_type(response, GETDNS_RRTYPE_RRSIG);
    g->lib->dict_destroy(response);
    return check_verdict(g, out, nrrsig, msg, size);
}
