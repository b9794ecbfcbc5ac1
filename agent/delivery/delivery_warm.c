/* delivery_warm.c - struct delivery_warm: the TLS contexts and PKIX
 *                   stores a resident worker keeps across deliveries, one
 *                   slot per policy entry, and its kept connections
 *                   (delivery_warm.h)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "delivery_warm.h"
#include "pkix.h"
#include "smtp.h"
#include "tls.h"

#define WARM_LINKS_MAX 16u      /* open connections one worker keeps */

struct kept {
    const struct policy_entry *entry;
    char nexthop[256];
    char host[256];
    char address[46];
    unsigned port;
    int tls_mode, level;
    struct smtp_link *link;         /* NULL: a free place */
    struct warm_link_info info;
    uint64_t idle_since_ms;
};

struct delivery_warm {
    struct warm_entry *slots;
    size_t n, cap;
    struct delivery_reuse reuse;    /* time_limit_s 0: nothing kept */
    struct kept links[WARM_LINKS_MAX];
};

struct delivery_warm *delivery_warm_new(const struct delivery_reuse *reuse)
{
    struct delivery_warm *w = calloc(1, sizeof(struct delivery_warm));

    if (w != NULL && reuse != NULL)
        w->reuse = *reuse;
    return w;
}

/* drop - close a kept connection and free its place */
static void drop(struct kept *k)
{
    smtp_link_free(k->link);
    memset(k, 0, sizeof(*k));
}

void delivery_warm_free(struct delivery_warm *w)
{
    if (w == NULL)
        return;
    for (size_t i = 0; i < WARM_LINKS_MAX; i++)
        if (w->links[i].link != NULL)
            drop(&w->links[i]);
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

size_t delivery_warm_links(const struct delivery_warm *w)
{
    size_t n = 0;

    for (size_t i = 0; w != NULL && i < WARM_LINKS_MAX; i++)
        n += w->links[i].link != NULL;
    return n;
}

int delivery_warm_keeps(const struct delivery_warm *w)
{
    return w != NULL && w->reuse.time_limit_s > 0;
}

/* usable_until - when a kept connection may carry no more messages */
static uint64_t usable_until(const struct delivery_warm *w, const struct warm_link_info *info)
{
    uint64_t until = info->opened_ms + w->reuse.time_limit_s * 1000ull;

    return info->facts_until_ms != 0 && info->facts_until_ms < until ? info->facts_until_ms
                                                                     : until;
}

void delivery_warm_expire(struct delivery_warm *w, uint64_t now)
{
    for (size_t i = 0; w != NULL && i < WARM_LINKS_MAX; i++) {
        struct kept *k = &w->links[i];

        if (k->link != NULL && (now >= usable_until(w, &k->info)
                                || now - k->idle_since_ms >= w->reuse.idle_ms))
            drop(k);
    }
}

/* same_key - does the kept connection serve key? */
static int same_key(const struct kept *k, const struct warm_link_key *key)
{
    return k->link != NULL && k->entry == key->entry && k->port == key->port
           && k->tls_mode == key->tls_mode && k->level == key->level
           && strcasecmp(k->nexthop, key->nexthop) == 0 && strcmp(k->host, key->host) == 0
           && strcmp(k->address, key->address) == 0;
}

struct smtp_link *delivery_warm_take(struct delivery_warm *w,
                                     const struct warm_link_key *key, uint64_t now,
                                     struct warm_link_info *info)
{
    struct smtp_link *link;

    delivery_warm_expire(w, now);
    for (size_t i = 0; i < WARM_LINKS_MAX; i++) {
        struct kept *k = &w->links[i];

        if (!same_key(k, key))
            continue;
        link = k->link;
        *info = k->info;
        k->link = NULL;
        memset(k, 0, sizeof(*k));
        return link;
    }
    return NULL;
}

void delivery_warm_put(struct delivery_warm *w, const struct warm_link_key *key,
                       struct smtp_link *link, const struct warm_link_info *info,
                       unsigned uses, uint64_t now)
{
    struct kept *k = NULL;

    for (size_t i = 0; i < WARM_LINKS_MAX && k == NULL; i++)
        if (w->links[i].link == NULL)
            k = &w->links[i];
    if (k == NULL || !delivery_warm_keeps(w) || now >= usable_until(w, info)
        || (w->reuse.count_limit != 0 && uses >= w->reuse.count_limit)
        || strlen(key->nexthop) >= sizeof(k->nexthop) || strlen(key->host) >= sizeof(k->host)
        || strlen(key->address) >= sizeof(k->address)) {
        smtp_link_free(link);
        return;
    }
    k->entry = key->entry;
    snprintf(k->nexthop, sizeof(k->nexthop), "%s", key->nexthop);
    snprintf(k->host, sizeof(k->host), "%s", key->host);
    snprintf(k->address, sizeof(k->address), "%s", key->address);
    k->port = key->port;
    k->tls_mode = key->tls_mode;
    k->level = key->level;
    k->link = link;
    k->info = *info;
    k->idle_since_ms = now;
}
