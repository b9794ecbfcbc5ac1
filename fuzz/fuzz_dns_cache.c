/* fuzz_dns_cache.c - Target function: dns_cache_decode (agent/dns/dns_cache.h),
 * the bounded parser of a DNS cache entry's payload, with dns_cache_encode
 * for the round trip
 *
 * Input: the payload bytes. Rejection is fine (out must then be cleared).
 * On success the property is:
 *   - the decoded answer is keepable and within its bounds, its TXT
 *     records none or the whole RRset (dns_answer.h);
 *   - encoding it gives back exactly the input, except that a TLSA record
 *     repeated in the input is kept once (tlsa_set_add_rr: an RRset is a
 *     set, RFC 2181 §5): then the re-encoding equals the input up to the
 *     TLSA count, and that count in the input is larger than the set's;
 *   - the re-encoding decodes again and encodes to the same bytes (the
 *     canonical form is a fixed point).
 * Both answers are cleared afterwards (ASan reports a leaked TLSA set or
 * TXT array).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_cache.h"
#include "tlsa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dns_answer first, second;

/* tlsa_bytes - length of the encoded TLSA section of a */
static size_t tlsa_bytes(const struct dns_answer *a)
{
    size_t n = a->tlsa != NULL ? tlsa_set_count(a->tlsa) : 0, len = 2;

    for (size_t i = 0; i < n; i++)
        len += 5 + tlsa_set_record(a->tlsa, i)->len;
    return len;
}

/* txt_bounded - no TXT record, or the whole RRset of a TXT answer, each
 * within DNS_TXT_MAX_LEN and followed by a NUL */
static int txt_bounded(const struct dns_answer *a)
{
    if (a->ntxt == 0)
        return a->txt == NULL;
    if (a->ntxt > DNS_MAX_TXT || a->ntxt != a->nrr_seen || a->txt == NULL
        || a->qtype != DNS_TYPE_TXT)
        return 0;
    for (size_t i = 0; i < a->ntxt; i++)
        if (a->txt[i].len > DNS_TXT_MAX_LEN || a->txt[i].text[a->txt[i].len] != '\0')
            return 0;
    return 1;
}

/* check_canonical - the re-encoding is the input, or differs only by
 * dropped duplicate TLSA records */
static void check_canonical(const uint8_t *data, size_t size, const uint8_t *enc,
                            size_t len, const struct dns_answer *a)
{
    size_t prefix, ntlsa;

    if (len == size && memcmp(enc, data, size) == 0)
        return;
    prefix = len - tlsa_bytes(a);
    if (a->tlsa == NULL || len >= size || memcmp(enc, data, prefix) != 0)
        __builtin_trap();
    ntlsa = (size_t)data[prefix] << 8 | data[prefix + 1];
    if (ntlsa <= tlsa_set_count(a->tlsa))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t enc[DNS_CACHE_MAX_ENTRY], again[DNS_CACHE_MAX_ENTRY];
    const char *why = NULL;
    size_t len;

    if (dns_cache_decode(data, size, &first, &why) != 0) {
        if (first.asked || first.tlsa != NULL || first.txt != NULL || why == NULL)
            __builtin_trap();
        return 0;
    }
    if (!dns_cache_keepable(&first) || !first.cached || first.ncnames > DNS_MAX_CNAMES
        || first.nrr > DNS_MAX_RRS || first.nrr > first.nrr_seen || !txt_bounded(&first))
        __builtin_trap();
    len = dns_cache_encode(&first, enc, sizeof enc);
    if (len == 0 && size <= sizeof enc)
        __builtin_trap();
    if (len > 0) {
        check_canonical(data, size, enc, len, &first);
        if (dns_cache_decode(enc, len, &second, &why) != 0
            || dns_cache_encode(&second, again, sizeof again) != len
            || memcmp(again, enc, len) != 0)
            __builtin_trap();
    }
    dns_answer_clear(&first);
    dns_answer_clear(&second);
    return 0;
}
