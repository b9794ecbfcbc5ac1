/* fuzz_mime8.c - drives mime8_scan(), mime8_feed(), mime8_finish() and
 * mime8_restart(): whatever the message, a converter that reports success
 * has written only 7-bit octets and no line longer than the longest input
 * line or 76; the scan's verdict is the output pass's; the output depends
 * neither on chunking nor on the pass. The first byte picks the chunk and
 * output sizes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"
#include "mime8.h"

#define OUT_SIZE(n) ((n) * 64 + 65536)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* longest_line - octets of the longest line (LF ends a line, CRLF too) */
static size_t longest_line(const uint8_t *p, size_t len)
{
    size_t max = 0, cur = 0;

    for (size_t i = 0; i < len; i++) {
        if (p[i] == '\n')
            cur = 0;
        else if (p[i] != '\r' || i + 1 >= len || p[i + 1] != '\n')
            cur++;
        if (cur > max)
            max = cur;
    }
    return max;
}

/* pass - one output pass, chunk input bytes and cap output bytes a call;
 * every call makes progress */
static size_t pass(struct mime8 *m, const uint8_t *in, size_t len, size_t chunk,
                   size_t cap, uint8_t *out)
{
    size_t n = 0, off = 0, w;

    while (off < len) {
        size_t take = len - off < chunk ? len - off : chunk, used = 0;
        w = mime8_feed(m, in + off, take, out + n, cap, &used);
        if (w == 0 && used == 0)
            __builtin_trap();
        n += w;
        off += used;
    }
    while ((w = mime8_finish(m, out + n, cap)) > 0)
        n += w;
    return n;
}

/* run - one conversion, after a scan or without; returns the output length,
 * *ok whether converted. After a scan, a second pass (mime8_restart) must
 * give the same output and the scan's verdict. */
static size_t run(const uint8_t *in, size_t len, int scan, size_t chunk, size_t cap,
                  uint8_t *out, int *ok)
{
    struct mime8 *m = mime8_new();
    const char *why = NULL;
    int verdict = 0;
    size_t n;

    if (m == NULL)
        abort();
    if (scan) {
        for (size_t off = 0; off < len; off += chunk)
            mime8_scan(m, in + off, len - off < chunk ? len - off : chunk);
        verdict = mime8_scan_end(m, &why);
    }
    n = pass(m, in, len, chunk, cap, out);
    *ok = mime8_error(m, &why) == 0;
    if (!*ok && why == NULL)
        __builtin_trap();
    if (scan && (verdict == 0) != *ok)
        __builtin_trap();   /* the scan promised another verdict */
    if (scan) {
        uint8_t *again = malloc(OUT_SIZE(len));
        if (again == NULL)
            abort();
        mime8_restart(m);
        if (pass(m, in, len, len + 1, 65536, again) != n || memcmp(again, out, n) != 0)
            __builtin_trap();
        free(again);
    }
    mime8_free(m);
    return n;
}

/* check - the invariants of a successful conversion */
static void check(const uint8_t *in, size_t len, const uint8_t *out, size_t n)
{
    size_t limit = longest_line(in, len);

    if (body_has_8bit(out, n))
        __builtin_trap();
    if (limit < 76)
        limit = 76;
    if (longest_line(out, n) > limit)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t chunk = 4096, cap = 1, n1, n2;
    uint8_t *out1, *out2;
    int ok1, ok2;

    if (size > 0) {
        chunk = (size_t)(data[0] & 0x0f) + 1;
        cap = (size_t)(data[0] >> 4) * 3 + 1;
        data++;
        size--;
    }
    /* quoted-printable makes 3 octets of one; a 4-octet boundary line can
     * bring a 44-octet header field */
    out1 = malloc(OUT_SIZE(size));
    out2 = malloc(OUT_SIZE(size));
    if (out1 == NULL || out2 == NULL)
        abort();
    n1 = run(data, size, 1, chunk, cap, out1, &ok1);
    n2 = run(data, size, 1, 65536, 65536, out2, &ok2);
    if (ok1 != ok2 || (ok1 && (n1 != n2 || memcmp(out1, out2, n1) != 0)))
        __builtin_trap();   /* chunking changed the result */
    if (ok1)
        check(data, size, out1, n1);
    n1 = run(data, size, 0, size + 1, 65536, out1, &ok1);
    if (ok1)
        check(data, size, out1, n1);
    free(out1);
    free(out2);
    return 0;
}
