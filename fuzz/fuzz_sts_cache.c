/* fuzz_sts_cache.c - Target function: sts_cache_decode (agent/sts/sts_cache.h),
 * the total decoder of an MTA-STS policy cache entry's payload, with
 * sts_cache_encode for the round trip
 *
 * Input: the payload bytes. Rejection is fine: a reason must then be given
 * and the output left cleared. On success the property is:
 *   - every field is within its bounds: a domain and an id of the allowed
 *     lengths, 1 .. STS_POLICY_MAX bytes of text, and an expiry that is the
 *     fetch time plus the parsed max_age (RFC 8461 §3.2);
 *   - encoding it gives back exactly the input (one encoding per entry), and
 *     that decodes again to the same fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sts.h"
#include "sts_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sts_cached first, second;

/* check_rejected - a rejection has a reason and leaves out cleared */
static void check_rejected(const struct sts_cached *c, const char *why)
{
    if (why == NULL || why[0] == '\0' || c->domain[0] != '\0' || c->id[0] != '\0' ||
        c->len != 0 || c->fetched != 0 || c->expires != 0)
        __builtin_trap();
}

/* check_bounds - the fields of an accepted entry */
static void check_bounds(const struct sts_cached *c)
{
    size_t dlen = strnlen(c->domain, sizeof c->domain), ilen = strnlen(c->id, sizeof c->id);

    if (dlen == 0 || dlen > STS_NAME_MAX || ilen == 0 || ilen > STS_ID_MAX ||
        !sts_id_valid(c->id, ilen) || c->len == 0 || c->len > STS_POLICY_MAX ||
        c->fetched < 0 || c->fetched > STS_CACHE_TIME_MAX ||
        c->expires - c->fetched != (time_t)c->policy.max_age ||
        c->policy.max_age > STS_MAX_AGE_MAX)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t enc[STS_CACHE_MAX_ENTRY];
    const char *why = NULL;
    size_t len;

    if (sts_cache_decode(data, size, &first, &why) != 0) {
        check_rejected(&first, why);
        return 0;
    }
    check_bounds(&first);
    len = sts_cache_encode(&first, enc, sizeof enc);
    if (len != size || memcmp(enc, data, size) != 0)
        __builtin_trap();
    if (sts_cache_decode(enc, len, &second, &why) != 0 ||
        strcmp(second.domain, first.domain) != 0 || strcmp(second.id, first.id) != 0 ||
        second.fetched != first.fetched || second.expires != first.expires ||
        second.len != first.len || memcmp(second.text, first.text, first.len) != 0)
        __builtin_trap();
    return 0;
}
