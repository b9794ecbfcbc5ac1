/* fuzz_tlsa_rdata.c - drives tlsa_set_add_rdata() over hostile DNS rdata.
 * The input is a sequence of RRs, each a 16-bit big-endian rdata length then
 * the rdata (as RDLENGTH precedes RDATA in a DNS answer); the set is then
 * checked and fingerprinted. A record with matching type 255 is dropped. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tlsa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tlsa_set *set = tlsa_set_new();
    const char *why = NULL;
    uint8_t fp[32];
    char buf[80];
    size_t pos = 0;

    if (set == NULL)
        return 0;
    while (size - pos >= 2) {
        size_t len = (size_t)data[pos] << 8 | data[pos + 1];
        size_t before = tlsa_set_count(set);
        int rc;

        pos += 2;
        if (len > size - pos)
            len = size - pos;
        rc = tlsa_set_add_rdata(set, data + pos, len, &why);
        if (rc != 0 && (why == NULL || tlsa_set_count(set) != before))
            __builtin_trap();
        if (rc == 0 && len >= 3 && data[pos + 2] == TLSA_MTYPE_PRIVATE &&
            tlsa_set_count(set) != before)
            __builtin_trap();
        pos += len;
    }
    for (size_t i = 0; i < tlsa_set_usable_count(set); i++)
        if (!tlsa_rr_usable(tlsa_set_usable(set, i), NULL))
            __builtin_trap();
    for (size_t i = 0; i < tlsa_set_count(set); i++)
        (void)tlsa_rr_format(tlsa_set_record(set, i), buf, sizeof(buf));
    tlsa_set_fingerprint(set, fp);
    tlsa_set_free(set);
    return 0;
}
