/* wire.h - bounded big-endian encoding and decoding of cache entries (the
 *          DNS answer cache, the MTA-STS policy cache)
 *
 * A writer fills a caller's buffer and remembers an overflow instead of
 * writing past it; a reader takes bytes from a caller's buffer and, at the
 * first read past its end, keeps `truncated` (the caller's static text) in
 * why and returns zeros and NULLs from then on, so a decoder reads every
 * field and checks why once. Integers are 1 to 8 bytes, big-endian.
 *
 * Ownership: the buffers are borrowed; nothing is allocated.
 */
#ifndef DANE_AGENT_WIRE_H
#define DANE_AGENT_WIRE_H

#include <stddef.h>
#include <stdint.h>

struct wire_writer {
    uint8_t *p;
    size_t cap, len;
    int overflow;                   /* something did not fit */
};

struct wire_reader {
    const uint8_t *p;
    size_t len, off;
    const char *why;                /* NULL, or the first error */
    const char *truncated;          /* why for a read past the end */
};

/* wire_put_bytes - n bytes of p */
void wire_put_bytes(struct wire_writer *w, const void *p, size_t n);
/* wire_put_uint - v in n bytes (1 to 8), big-endian */
void wire_put_uint(struct wire_writer *w, uint64_t v, size_t n);
/* wire_get_uint - an n-byte (1 to 8) big-endian integer, 0 once failed */
uint64_t wire_get_uint(struct wire_reader *r, size_t n);
/* wire_get_bytes - the next n bytes in place, NULL once failed */
const uint8_t *wire_get_bytes(struct wire_reader *r, size_t n);

#endif
