/* fuzz_body.c - drives body_feed() and body_finish(): whatever the message,
 * the DATA stream holds one end-of-data sequence, at its end, and only CRLF
 * line ends. The first byte picks the chunk size and the line limit. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* check - the invariants of the complete output */
static void check(const uint8_t *p, size_t n)
{
    if (n < 3 || memcmp(p + n - 3, ".\r\n", 3) != 0)
        __builtin_trap();
    if (n > 3 && memcmp(p + n - 5, "\r\n.\r\n", 5) != 0)
        __builtin_trap();
    if (n > 3 && memcmp(p, ".\r\n", 3) == 0)
        __builtin_trap();
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\r' && (i + 1 >= n || p[i + 1] != '\n'))
            __builtin_trap();
        if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
            __builtin_trap();
        if (i + 5 < n && memcmp(p + i, "\r\n.\r\n", 5) == 0)
            __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t chunk = 1, limit = 0, n = 0, off = 0;
    uint8_t *out;
    struct body *b;

    if (size > 0) {
        chunk = (size_t)(data[0] & 0x0f) + 1;
        limit = (data[0] & 0x10) ? (size_t)(data[0] >> 5) + 1 : 0;
        data++;
        size--;
    }
    /* worst case: 4 output bytes per input byte plus the end */
    out = malloc(size * 4 + BODY_OUT_MIN + 64);
    b = body_new(limit);
    if (out == NULL || b == NULL)
        abort();
    while (off < size) {
        size_t take = size - off < chunk ? size - off : chunk, used = 0;
        n += body_feed(b, data + off, take, out + n, BODY_OUT_MIN + chunk % 5, &used);
        if (used == 0)
            __builtin_trap();
        off += used;
    }
    n += body_finish(b, out + n, BODY_OUT_MIN);
    check(out, n);
    body_free(b);
    free(out);
    return 0;
}
