/* fuzz_dane_names.c - Target function: dane_name_match
 *
 * Input: one length byte n, then the presented pattern (n bytes, clipped to
 * what is there), then the reference name (the rest). Lengths are explicit,
 * so any byte, NUL included, may appear. Beyond "no crash, no over-read"
 * it checks two properties: a match is symmetric in ASCII case, and a
 * pattern without `*` matches only a reference of the same length once
 * trailing dots are ignored (a longer one for a ".domain" reference).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dane.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* strip_dot - length without one trailing dot */
static size_t strip_dot(const char *s, size_t len)
{
    return len > 0 && s[len - 1] == '.' ? len - 1 : len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy;
    size_t plen, rlen, i;
    int m;

    if (size == 0)
        return 0;
    plen = data[0];
    if (plen > size - 1)
        plen = size - 1;
    rlen = size - 1 - plen;
    /* exact-size heap copies so ASan sees any read past either name */
    copy = malloc(plen + rlen + 1);
    if (copy == NULL)
        return 0;
    memcpy(copy, data + 1, plen + rlen);
    m = dane_name_match(copy, plen, copy + plen, rlen);
    /* a reference ".domain" (Postfix's dot-nexthop) accepts longer names
     * below it; any other reference only a name of its own length */
    if (m && memchr(copy, '*', plen) == NULL &&
        (rlen > 0 && copy[plen] == '.'
             ? strip_dot(copy, plen) <= strip_dot(copy + plen, rlen)
             : strip_dot(copy, plen) != strip_dot(copy + plen, rlen)))
        __builtin_trap();
    for (i = 0; i < plen + rlen; i++)
        if (copy[i] >= 'a' && copy[i] <= 'z')
            copy[i] = (char)(copy[i] - 'a' + 'A');
    if (dane_name_match(copy, plen, copy + plen, rlen) != m)
        __builtin_trap();
    free(copy);
    return 0;
}
