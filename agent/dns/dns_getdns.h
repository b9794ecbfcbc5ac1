/* dns_getdns.h - the getdns side of dns.h: one validating stub context and
 *                batches of concurrent queries (internal to the DNS code)
 *
 * dns.c creates the backend only when an answer is not in the DNS cache, so
 * that a process served from the cache never loads libgetdns (getdns_lib.h).
 * Every query carries dnssec_return_all_statuses (getdns 1.6 hides bogus
 * answers as NO_NAME without it); names are sent absolute and no search
 * suffix is ever appended.
 */
#ifndef DANE_AGENT_DNS_GETDNS_H
#define DANE_AGENT_DNS_GETDNS_H

#include <stddef.h>
#include <stdint.h>

#include "dns_answer.h"

struct dns_getdns;

#define DNS_GETDNS_MAX_BATCH 4  /* queries asked at once */

/* One question of a batch; out is cleared and filled. */
struct dns_query {
    const char *qname;          /* presentation form, no trailing dot */
    uint16_t qtype;
    struct dns_answer *out;
};

/* dns_getdns_new - load libgetdns and build a stub context for config; NULL
 * with *why naming the step that failed */
struct dns_getdns *dns_getdns_new(const struct dns_config *config, const char **why);
/* dns_getdns_free - release; NULL is a no-op */
void dns_getdns_free(struct dns_getdns *g);

/* dns_getdns_set_timeout - how long the next queries wait for an answer */
void dns_getdns_set_timeout(struct dns_getdns *g, unsigned timeout_ms);

/* dns_getdns_ask - the n queries, concurrently; returns when all answered */
void dns_getdns_ask(struct dns_getdns *g, const struct dns_query *q, size_t n);

/* dns_getdns_check - dns_resolver_check() (dns.h): the trust anchor's
 * DNSKEY RRset into *out (cleared first); 0 when secure, else -1 and one
 * line in msg */
int dns_getdns_check(struct dns_getdns *g, struct dns_answer *out, char *msg,
                     size_t size);

#endif
