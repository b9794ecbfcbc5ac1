/* delivery_warm.c - struct delivery_warm: the TLS contexts and PKIX
 *                   stores a resident worker keeps across deliveries, one
 *                   slot per policy entry (delivery_warm.h)
 */
#include <stdlib.h>

#include "delivery_warm.h"
#include "pkix.h"
#include "tls.h"

struct delivery_warm {
    struct warm_entry *slots;
    size_t n, cap;
};

struct delivery_warm *delivery_warm_new(void)
{
    return calloc(1, sizeof(struct delivery_warm));
}

void delivery_warm_free(struct delivery_warm *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < w->n; i++) {
        tls_ctx_free(w->slots[i].ctx_auth);
        tls_ctx_free(w->slots[i].ctx_may);
        pkix_store_free(w->slots[i].store);
    }
    free(w->slots);
    free(w);
}

size_t delivery_warm_size(const struct delivery_warm *w)
{
    size_t n = 0;

    for (size_t i = 0; w != NULL && i < w->n; i++)
        n += (w->slots[i].ctx_auth != NULL) + (w->slots[i].ctx_may != NULL)
             + (w->slots[i].store != NULL);
    return n;
}

struct warm_entry *delivery_warm_entry(struct delivery_warm *w,
                                       const struct policy_entry *entry)
{
    struct warm_entry *grown;

    for (size_t i = 0; i < w->n; i++)
        if (w->slots[i].entry == entry)
            return &w->slots[i];
    if (w->n == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 4;

        if ((grown = realloc(w->slots, cap * sizeof(*grown))) == NULL)
            return NULL;
        w->slots = grown;
        w->cap = cap;
    }
    w->slots[w->n] = (struct warm_entry){ .entry = entry };
    return &w->slots[w->n++];
}
