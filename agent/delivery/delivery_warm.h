/* delivery_warm.h - what a resident worker (serve) keeps across
 *                   deliveries: the TLS contexts and the PKIX store of each
 *                   policy entry, made on first use by delivery_run() when
 *                   delivery_input.warm is set
 *
 * Ownership: the warm state belongs to the policy whose entries it was
 * used with (entries are its keys): free it before that policy. A CA file
 * is read again only by a new worker.
 */
#ifndef DANE_AGENT_DELIVERY_WARM_H
#define DANE_AGENT_DELIVERY_WARM_H

#include <stddef.h>

struct delivery_warm;
struct pkix_store;
struct policy_entry;
struct tls_ctx;

/* delivery_warm_new - empty; NULL when out of memory */
struct delivery_warm *delivery_warm_new(void);
/* delivery_warm_free - release; NULL is a no-op */
void delivery_warm_free(struct delivery_warm *warm);
/* delivery_warm_size - the contexts and stores it holds */
size_t delivery_warm_size(const struct delivery_warm *warm);

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

#endif
