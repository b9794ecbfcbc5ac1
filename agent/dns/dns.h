/* dns.h - DNS facts for SMTP delivery: MX, A/AAAA, TLSA and TXT with a
 *         DNSSEC status per RRset (RFC 4033 §5 statuses, RFC 7672 §2.1.1),
 *         over a getdns stub resolver that validates locally, with an
 *         optional cache of answers shared between processes
 *
 * The resolver asks the configured upstreams (or those of /etc/resolv.conf)
 * over UDP with TCP on truncation and validates every answer itself against
 * the configured trust anchors. Bogus answers are never turned into
 * "no such name" (getdns hides them as NO_NAME unless
 * dnssec_return_all_statuses is set, which this module always sets).
 *
 * With a cache directory (dns_cache.h), answers that are not errors are kept
 * for their DNS TTL (at most cache_max_ttl) and served from it; the getdns
 * context (and libgetdns itself, getdns_lib.h) is created only when an
 * answer is missing, so a process served from the cache never loads it.
 *
 * Every answer carries exactly one enum dns_status; the facts are the plain
 * values of dns_answer.h. Every failure carries a static reason in `why`.
 *
 * This header does not include getdns: only dns_getdns.c and dns_reply.c see it.
 *
 * Folder agent/dns: DNS values, resolver, getdns backend, wire replies,
 * answer cache; may use store, tlsa, util.
 */
#ifndef DANE_AGENT_DNS_H
#define DANE_AGENT_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "dns_answer.h"

struct dns_resolver;

/* dns_resolver_new - a stub resolver for config (copied); the getdns
 * context is made on the first question the cache cannot answer. NULL only
 * when out of memory. A cache directory that cannot be used is not an
 * error: the resolver works without it and dns_resolver_cache_why() says
 * why. */
struct dns_resolver *dns_resolver_new(const struct dns_config *config,
                                      const char **why);
/* dns_resolver_free - release; NULL is a no-op */
void dns_resolver_free(struct dns_resolver *resolver);
/* dns_resolver_cache_why - why the configured cache is not used, or NULL */
const char *dns_resolver_cache_why(const struct dns_resolver *resolver);

/* dns_resolver_set_deadline - the absolute deadline (clock_now_ms()) of
 * the questions from now on, 0 none: a resolver kept across deliveries (a
 * serve worker's) gets each delivery's own */
void dns_resolver_set_deadline(struct dns_resolver *resolver, uint64_t deadline_ms);

/* dns_resolver_check - capability check: can the upstream deliver DNSSEC
 * data that validates against the trust anchor? Asks the DNSKEY RRset of the
 * trust anchor's owner name (a passed check holds for that RRset's TTL, in
 * this resolver and in the cache).
 * 0 when it validates; else -1 and one line in msg (e.g. "upstream
 * 127.0.0.1 strips DNSSEC records (no RRSIG for test. DNSKEY): cannot
 * validate", or "DNS resolver: cannot open the trust anchor file: PATH"). */
int dns_resolver_check(struct dns_resolver *resolver, char *msg, size_t size);

/* dns_lookup_mx - the MX RRset of domain into *out (cleared first), in
 * answer order (mxplan.h orders it) */
void dns_lookup_mx(struct dns_resolver *resolver, const char *domain,
                   struct dns_answer *out);

/* dns_lookup_txt - the TXT RRset of name into *out (cleared first): the
 * records of MTA-STS (_mta-sts.<domain>, RFC 8461 §3.1) and TLSRPT
 * (_smtp._tls.<domain>, RFC 8460 §3), whole or not at all (dns_answer.h) */
void dns_lookup_txt(struct dns_resolver *resolver, const char *name,
                    struct dns_answer *out);

/* dns_lookup_host - A, AAAA and TLSA at _port._tcp.name asked concurrently;
 * with a secure CNAME chain also TLSA at the expanded name (RFC 7672
 * §2.2.3). with_tlsa 0: addresses only. *host is cleared first. */
void dns_lookup_host(struct dns_resolver *resolver, const char *name,
                     uint16_t port, int with_tlsa, struct dns_host *host);

#endif
