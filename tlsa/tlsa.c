/* tlsa.c - TLSA record sets: storage, SMTP usability (RFC 7672 §3.1.3),
 *          digest agility (RFC 7671 §9), fingerprint and formatting
 *
 * SYNOPSIS
 *   tlsa_set_new(), tlsa_set_free(), tlsa_set_add_rr(),
 *   tlsa_set_digest_order(), tlsa_set_count(), tlsa_set_record(),
 *   tlsa_set_usable_count(), tlsa_set_usable(), tlsa_rr_usable(),
 *   tlsa_set_fingerprint(), tlsa_rr_format()
 *
 * DESCRIPTION
 *   The set keeps every well-formed record in insertion order and an index
 *   of the usable ones, recomputed after each change. The parsers live in
 *   tlsa_parse.c and add records through tlsa_set_add_rr().
 */
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "hex.h"
#include "tlsa.h"

#define SHA256_LEN 32u
#define SHA512_LEN 64u

struct tlsa_set {
    struct tlsa_rr *rrs;    /* rrs[i].data is owned (malloc) */
    size_t count;
    size_t *usable;         /* indexes into rrs, insertion order */
    size_t usable_count;
    uint8_t order[2];       /* digest agility order, strongest first */
    size_t order_len;
};

/* tlsa_set_new - an empty set with the default digest order */
struct tlsa_set *tlsa_set_new(void)
{
    struct tlsa_set *set = calloc(1, sizeof(*set));

    if (set == NULL)
        return NULL;
    set->rrs = calloc(TLSA_MAX_RECORDS, sizeof(*set->rrs));
    set->usable = calloc(TLSA_MAX_RECORDS, sizeof(*set->usable));
    if (set->rrs == NULL || set->usable == NULL) {
        tlsa_set_free(set);
        return NULL;
    }
    /* RFC 7671 §9: prefer the strongest digest; SHA2-512 over SHA2-256 */
    set->order[0] = TLSA_MTYPE_SHA512;
    set->order[1] = TLSA_MTYPE_SHA256;
    set->order_len = 2;
    return set;
}

/* tlsa_set_free - release the set and every record's data */
void tlsa_set_free(struct tlsa_set *set)
{
    if (set == NULL)
        return;
    if (set->rrs != NULL)
        for (size_t i = 0; i < set->count; i++)
            free((void *)set->rrs[i].data);
    free(set->rrs);
    free(set->usable);
    free(set);
}

/* tlsa_rr_usable - the per-record SMTP rules of RFC 7672 §3.1.3 */
int tlsa_rr_usable(const struct tlsa_rr *rr, const char **why)
{
    const char *reason = NULL;

    if (rr->usage == TLSA_USAGE_PKIX_TA || rr->usage == TLSA_USAGE_PKIX_EE)
        reason = "PKIX-TA(0) and PKIX-EE(1) are unusable for SMTP"; /* RFC 7672 §3.1.3 */
    else if (rr->usage != TLSA_USAGE_DANE_TA && rr->usage != TLSA_USAGE_DANE_EE)
        reason = "unknown certificate usage";
    else if (rr->selector != TLSA_SELECTOR_CERT && rr->selector != TLSA_SELECTOR_SPKI)
        reason = "unknown selector";
    else if (rr->mtype == TLSA_MTYPE_SHA256 && rr->len != SHA256_LEN)
        reason = "SHA2-256 data is not 32 bytes";
    else if (rr->mtype == TLSA_MTYPE_SHA512 && rr->len != SHA512_LEN)
        reason = "SHA2-512 data is not 64 bytes";
    else if (rr->mtype == TLSA_MTYPE_FULL && rr->len == 0)
        reason = "Full(0) data is empty";
    else if (rr->mtype != TLSA_MTYPE_FULL && rr->mtype != TLSA_MTYPE_SHA256 &&
             rr->mtype != TLSA_MTYPE_SHA512)
        reason = "unknown matching type";
    if (reason == NULL)
        return 1;
    if (why != NULL)
        *why = reason;
    return 0;
}

/* strongest_digest - the first mtype of the order that a usable record with
 * this usage and selector has; TLSA_MTYPE_FULL when none */
static uint8_t strongest_digest(const struct tlsa_set *set, uint8_t usage,
                                uint8_t selector)
{
    for (size_t o = 0; o < set->order_len; o++)
        for (size_t i = 0; i < set->count; i++) {
            const struct tlsa_rr *rr = &set->rrs[i];

            if (rr->usage == usage && rr->selector == selector &&
                rr->mtype == set->order[o] && tlsa_rr_usable(rr, NULL))
                return set->order[o];
        }
    return TLSA_MTYPE_FULL;
}

/* recompute_usable - rebuild the usable index after a change. RFC 7671 §9:
 * per (usage, selector), Full(0) records stay; of the digests only those of
 * the strongest one present in the order (a digest missing from the order is
 * not supported). Agility looks only at records usable on their own, so a
 * malformed SHA2-512 record cannot hide valid SHA2-256 ones. */
static void recompute_usable(struct tlsa_set *set)
{
    uint8_t best[2][2];     /* [usage DANE-TA/DANE-EE][selector] */

    for (uint8_t u = 0; u < 2; u++)
        for (uint8_t sel = 0; sel < 2; sel++)
            best[u][sel] = strongest_digest(set, (uint8_t)(TLSA_USAGE_DANE_TA + u), sel);
    set->usable_count = 0;
    for (size_t i = 0; i < set->count; i++) {
        const struct tlsa_rr *rr = &set->rrs[i];

        if (!tlsa_rr_usable(rr, NULL))
            continue;
        if (rr->mtype != TLSA_MTYPE_FULL &&
            rr->mtype != best[rr->usage - TLSA_USAGE_DANE_TA][rr->selector])
            continue;
        set->usable[set->usable_count++] = i;
    }
}

/* same_rr - field and data equality */
static int same_rr(const struct tlsa_rr *a, uint8_t usage, uint8_t selector,
                   uint8_t mtype, const uint8_t *data, size_t len)
{
    return a->usage == usage && a->selector == selector && a->mtype == mtype &&
           a->len == len && (len == 0 || memcmp(a->data, data, len) == 0);
}

/* tlsa_set_add_rr - copy one record in; duplicates are not added twice */
int tlsa_set_add_rr(struct tlsa_set *set, uint8_t usage, uint8_t selector,
                    uint8_t mtype, const uint8_t *data, size_t len,
                    const char **why)
{
    uint8_t *copy;

    if (len > TLSA_MAX_DATA) {
        *why = "certificate association data too long";
        return -1;
    }
    for (size_t i = 0; i < set->count; i++)
        if (same_rr(&set->rrs[i], usage, selector, mtype, data, len))
            return 0;
    if (set->count >= TLSA_MAX_RECORDS) {
        *why = "too many TLSA records";
        return -1;
    }
    copy = malloc(len > 0 ? len : 1);
    if (copy == NULL) {
        *why = "out of memory";
        return -1;
    }
    if (len > 0)
        memcpy(copy, data, len);
    set->rrs[set->count] = (struct tlsa_rr){usage, selector, mtype, copy, len};
    set->count++;
    recompute_usable(set);
    return 0;
}

/* tlsa_set_digest_order - replace the agility order */
int tlsa_set_digest_order(struct tlsa_set *set, const uint8_t *mtypes, size_t n,
                          const char **why)
{
    if (n < 1 || n > 2) {
        *why = "digest order needs one or two algorithms";
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (mtypes[i] != TLSA_MTYPE_SHA256 && mtypes[i] != TLSA_MTYPE_SHA512) {
            *why = "digest order may name only SHA2-256 and SHA2-512";
            return -1;
        }
        if (i > 0 && mtypes[i] == mtypes[0]) {
            *why = "digest order names an algorithm twice";
            return -1;
        }
    }
    memcpy(set->order, mtypes, n);
    set->order_len = n;
    recompute_usable(set);
    return 0;
}

size_t tlsa_set_count(const struct tlsa_set *set)
{
    return set->count;
}

const struct tlsa_rr *tlsa_set_record(const struct tlsa_set *set, size_t i)
{
    return i < set->count ? &set->rrs[i] : NULL;
}

size_t tlsa_set_usable_count(const struct tlsa_set *set)
{
    return set->usable_count;
}

const struct tlsa_rr *tlsa_set_usable(const struct tlsa_set *set, size_t i)
{
    return i < set->usable_count ? &set->rrs[set->usable[i]] : NULL;
}

/* rr_cmp - canonical order: usage, selector, mtype, then data as in DNSSEC
 * canonical RR ordering (bytewise, a shorter prefix first) */
static int rr_cmp(const struct tlsa_rr *a, const struct tlsa_rr *b)
{
    size_t n = a->len < b->len ? a->len : b->len;
    int c;

    if (a->usage != b->usage)
        return a->usage < b->usage ? -1 : 1;
    if (a->selector != b->selector)
        return a->selector < b->selector ? -1 : 1;
    if (a->mtype != b->mtype)
        return a->mtype < b->mtype ? -1 : 1;
    c = n > 0 ? memcmp(a->data, b->data, n) : 0;
    if (c != 0)
        return c;
    return a->len == b->len ? 0 : (a->len < b->len ? -1 : 1);
}

/* next_in_order - the smallest usable record greater than prev (NULL: the
 * first); records are distinct, so this walks the canonical order */
static const struct tlsa_rr *next_in_order(const struct tlsa_set *set,
                                           const struct tlsa_rr *prev)
{
    const struct tlsa_rr *best = NULL;

    for (size_t i = 0; i < set->usable_count; i++) {
        const struct tlsa_rr *rr = &set->rrs[set->usable[i]];

        if (prev != NULL && rr_cmp(rr, prev) <= 0)
            continue;
        if (best == NULL || rr_cmp(rr, best) < 0)
            best = rr;
    }
    return best;
}

/* tlsa_set_fingerprint - SHA-256 over (usage, selector, mtype, 32-bit data
 * length, data) of each usable record in canonical order */
void tlsa_set_fingerprint(const struct tlsa_set *set, uint8_t out[32])
{
    struct digest_sha256 sha;
    const struct tlsa_rr *rr = NULL;

    digest_sha256_begin(&sha);
    while ((rr = next_in_order(set, rr)) != NULL) {
        uint8_t head[7] = {rr->usage, rr->selector, rr->mtype,
                           (uint8_t)(rr->len >> 24), (uint8_t)(rr->len >> 16),
                           (uint8_t)(rr->len >> 8), (uint8_t)rr->len};

        digest_sha256_update(&sha, head, sizeof(head));
        digest_sha256_update(&sha, rr->data, rr->len);
    }
    digest_sha256_end(&sha, out);
}

/* tlsa_rr_format - "U S M HEX", uppercase hex as dig prints it; no HEX part
 * when the data is empty */
size_t tlsa_rr_format(const struct tlsa_rr *rr, char *buf, size_t size)
{
    char head[16];
    size_t need, pos = 0;
    uint8_t f[3] = {rr->usage, rr->selector, rr->mtype};

    for (size_t k = 0; k < 3; k++) {
        if (k > 0)
            head[pos++] = ' ';
        if (f[k] >= 100)
            head[pos++] = (char)('0' + f[k] / 100);
        if (f[k] >= 10)
            head[pos++] = (char)('0' + f[k] / 10 % 10);
        head[pos++] = (char)('0' + f[k] % 10);
    }
    need = pos + (rr->len > 0 ? 1 + 2 * rr->len : 0);
    if (size == 0)
        return need;
    for (size_t i = 0; i < need && i + 1 < size; i++) {
        if (i < pos)
            buf[i] = head[i];
        else if (i == pos)
            buf[i] = ' ';
        else {
            size_t h = i - pos - 1;
            uint8_t b = rr->data[h / 2];

            buf[i] = hex_digit(h % 2 == 0 ? b >> 4 : b, HEX_UPPER);
        }
    }
    buf[need < size ? need : size - 1] = '\0';
    return need;
}
