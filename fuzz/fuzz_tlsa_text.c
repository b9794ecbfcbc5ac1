/* fuzz_tlsa_text.c - drives tlsa_set_add_text() (and tlsa_digest_order_parse())
 * over hostile presentation text. The input is split at newlines into records
 * added to one set, so that usability, agility, duplicate handling, the
 * fingerprint and formatting run over whatever was accepted; a first line
 * starting with "order:" sets the digest order. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlsa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check_set - invariants that must hold for any accepted input */
static void check_set(const struct tlsa_set *set)
{
    uint8_t fp[32];
    char buf[64];

    if (tlsa_set_usable_count(set) > tlsa_set_count(set))
        __builtin_trap();
    for (size_t i = 0; i < tlsa_set_usable_count(set); i++) {
        const struct tlsa_rr *rr = tlsa_set_usable(set, i);

        if (rr == NULL || !tlsa_rr_usable(rr, NULL))
            __builtin_trap();
    }
    for (size_t i = 0; i < tlsa_set_count(set); i++) {
        const struct tlsa_rr *rr = tlsa_set_record(set, i);
        size_t need = tlsa_rr_format(rr, buf, sizeof(buf));

        if (strlen(buf) != (need < sizeof(buf) ? need : sizeof(buf) - 1))
            __builtin_trap();
    }
    tlsa_set_fingerprint(set, fp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct tlsa_set *set = tlsa_set_new();
    const char *why = NULL;
    size_t pos = 0;

    if (set == NULL)
        return 0;
    while (pos < size) {
        const char *nl = memchr(text + pos, '\n', size - pos);
        size_t len = nl != NULL ? (size_t)(nl - (text + pos)) : size - pos;

        if (pos == 0 && len >= 6 && memcmp(text, "order:", 6) == 0) {
            uint8_t order[2];
            size_t n;

            if (tlsa_digest_order_parse(text + 6, len - 6, order, &n, &why) == 0 &&
                tlsa_set_digest_order(set, order, n, &why) != 0)
                __builtin_trap();
        } else {
            size_t before = tlsa_set_count(set);

            if (tlsa_set_add_text(set, text + pos, len, &why) != 0 &&
                (why == NULL || tlsa_set_count(set) != before))
                __builtin_trap();
        }
        pos += len + 1;
    }
    check_set(set);
    tlsa_set_free(set);
    return 0;
}
