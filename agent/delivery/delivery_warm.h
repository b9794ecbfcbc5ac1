/* delivery_warm.h - what a resident worker (serve) keeps across
 *                   deliveries: the TLS contexts and the PKIX store of each
 *                   policy entry, made on first use by delivery_run() when
 *                   delivery_input.warm is set, and the connections kept
 *                   open after a delivered message (connection reuse)
 *
 * Connection reuse (as Postfix smtp(8)'s connection cache): after a
 * delivered message a connection is kept (RSET answered 250, smtp.h) and
 * carries the next message to the same server address, for the same
 * next-hop and policy entry, at the same effective level and TLS mode (so
 * that the peer was checked against the same names), without a new handshake
 * or verification. Kept only when the peer passed its level's checks
 * without RFC 8689 relaxing them, never for a REQUIRETLS message. A kept
 * connection is used at most until the first of: time_limit_s after it was
 * opened (smtp_connection_reuse_time_limit), the smallest TTL of the DNS
 * answers that authenticated it (MX, address, TLSA: after that the facts
 * must be asked again), count_limit messages
 * (smtp_connection_reuse_count_limit); and is closed with QUIT after
 * idle_ms unused (smtp_connection_cache_time_limit), by
 * delivery_warm_expire().
 *
 * Ownership: the warm state belongs to the policy whose entries it was
 * used with (entries are its keys): free it before that policy. A CA file
 * is read again only by a new worker.
 */
#ifndef DANE_AGENT_DELIVERY_WARM_H
#define DANE_AGENT_DELIVERY_WARM_H

#include <stddef.h>
#include <stdint.h>

#include "verify.h"

struct delivery_warm;
struct pkix_store;
struct policy_entry;
struct smtp_link;
struct tls_ctx;

struct delivery_reuse {
    unsigned time_limit_s;      /* 0: no connection is kept */
    unsigned count_limit;       /* messages per connection; 0: no limit */
    unsigned idle_ms;           /* an unused kept connection is closed */
};

/* delivery_warm_new - empty, reusing connections within *reuse (NULL:
 * never); NULL when out of memory */
struct delivery_warm *delivery_warm_new(const struct delivery_reuse *reuse);
/* delivery_warm_free - release, every kept connection closed with QUIT;
 * NULL is a no-op */
void delivery_warm_free(struct delivery_warm *warm);
/* delivery_warm_size - the contexts and stores it holds */
size_t delivery_warm_size(const struct delivery_warm *warm);
/* delivery_warm_links - the connections it keeps open */
size_t delivery_warm_links(const struct delivery_warm *warm);
/* delivery_warm_expire - QUIT and close the kept connections idle for
 * idle_ms or past their time or TTL limit at now_ms (clock_now_ms()); a
 * resident worker calls it while it waits */
void delivery_warm_expire(struct delivery_warm *warm, uint64_t now_ms);

/* What one policy entry's deliveries reuse; NULL until first made */
struct warm_entry {
    const struct policy_entry *entry;
    struct tls_ctx *ctx_auth;           /* no anonymous suites */
    struct tls_ctx *ctx_may;            /* anonymous suites too (level may) */
    struct pkix_store *store;           /* a store that could be read */
};

/* delivery_warm_entry - entry's slots, added empty when new; NULL only when
 * out of memory (delivery_run() then makes and frees its own) */
struct warm_entry *delivery_warm_entry(struct delivery_warm *warm,
                                       const struct policy_entry *entry);

/* Where a kept connection goes, and under what policy it was opened */
struct warm_link_key {
    const struct policy_entry *entry;
    const char *nexthop;                /* the destination: the names a peer
                                         * is checked against may be its */
    const char *host;                   /* the MX host name */
    const char *address;                /* numeric */
    unsigned port;
    int tls_mode;                       /* enum smtp_tls_mode */
    int level;                          /* the host's effective level */
};

/* What a kept connection carries along: its verification, for the records
 * of the messages it carries later, and its limits */
struct warm_link_info {
    int verified;                       /* verification ran (TLS) */
    struct verify_result result;
    uint64_t opened_ms;                 /* clock_now_ms() at connect */
    uint64_t facts_until_ms;            /* the authenticating DNS answers
                                         * expire; 0: no such limit */
};

/* delivery_warm_keeps - 1 when connections may be kept at all */
int delivery_warm_keeps(const struct delivery_warm *warm);

/* delivery_warm_take - the kept connection for key, usable at now_ms, out
 * of the cache (the caller owns it), and its info; NULL when none */
struct smtp_link *delivery_warm_take(struct delivery_warm *warm,
                                     const struct warm_link_key *key, uint64_t now_ms,
                                     struct warm_link_info *info);

/* delivery_warm_put - keep link (taken over) for key after uses messages;
 * one at its count limit or past its time limit is closed instead */
void delivery_warm_put(struct delivery_warm *warm, const struct warm_link_key *key,
                       struct smtp_link *link, const struct warm_link_info *info,
                       unsigned uses, uint64_t now_ms);

#endif
