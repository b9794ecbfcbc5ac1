/* dns_cache.h - DNS answers shared between dane-agent processes (internal
 *               to the DNS code): one cache_store.h entry per name and type
 *
 * dane-agent runs once per message; without a cache every process would
 * ask and validate the same MX, address, TLSA and TXT RRsets (and the
 * DNSKEY and DS chain above them) again. An answer is kept only when it is not an
 * error (secure or insecure records, or a negative answer) and only for its
 * own TTL (struct dns_answer.ttl: least TTL of its records and signatures,
 * capped by signature expiry; RFC 2308 §5 for negative answers), at most
 * the configured maximum. Errors (bogus, indeterminate, servfail, timeout)
 * are never kept, so a failure is always asked again.
 *
 * Keys bind an answer to the resolver configuration that produced it: the
 * trust anchor file's contents and the upstream list are part of every key,
 * so a change of either starts from an empty cache. The directory has the
 * rules of cache_store.h (owned by the agent's user, not group/other
 * writable; entries checked by SHA-256 before use).
 *
 * Ownership: dns_cache_open() returns an owned handle; dns_cache_close(NULL)
 * is a no-op. A cache failure never fails a lookup: get misses, put drops.
 */
#ifndef DANE_AGENT_DNS_CACHE_H
#define DANE_AGENT_DNS_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dns_answer.h"

#define DNS_CACHE_MAX_ENTRY (64u * 1024u)  /* encoded answer bytes */

struct dns_cache;

/* dns_cache_open - the cache in config->cache_dir for config's anchors and
 * upstreams; NULL with *why */
struct dns_cache *dns_cache_open(const struct dns_config *config, const char **why);
/* dns_cache_close - release; NULL is a no-op */
void dns_cache_close(struct dns_cache *c);

/* dns_cache_get - the kept answer for (qname, qtype) into out (cleared
 * first; cached = 1, elapsed_ms = 0); 1 on a hit, else 0 */
int dns_cache_get(struct dns_cache *c, const char *qname, uint16_t qtype,
                  time_t now, struct dns_answer *out);
/* dns_cache_put - keep a (if dns_cache_keepable()) for min(a->ttl, max) */
void dns_cache_put(struct dns_cache *c, const struct dns_answer *a, time_t now);

/* dns_cache_get_check / dns_cache_put_check - a passed capability check
 * (dns_resolver_check), kept for ttl seconds (at most the maximum) */
int dns_cache_get_check(struct dns_cache *c, time_t now);
void dns_cache_put_check(struct dns_cache *c, uint32_t ttl, time_t now);

/* dns_cache_keepable - 1 when a may be kept: asked, not an error, ttl > 0 */
int dns_cache_keepable(const struct dns_answer *a);

/* dns_cache_encode - a keepable answer as bytes; the length, or 0 when it
 * is not keepable or does not fit cap */
size_t dns_cache_encode(const struct dns_answer *a, uint8_t *buf, size_t cap);
/* dns_cache_decode - bytes of dns_cache_encode() back into out (cleared
 * first); 0, or -1 with *why when malformed (out is then cleared) */
int dns_cache_decode(const uint8_t *buf, size_t len, struct dns_answer *out,
                     const char **why);

#endif
