/* wire.c - bounded big-endian writer and reader (wire.h) */
#include <string.h>

#include "wire.h"

void wire_put_bytes(struct wire_writer *w, const void *p, size_t n)
{
    if (w->overflow || n > w->cap - w->len) {
        w->overflow = 1;
        return;
    }
    if (n > 0)
        memcpy(w->p + w->len, p, n);
    w->len += n;
}

void wire_put_uint(struct wire_writer *w, uint64_t v, size_t n)
{
    uint8_t b[8];

    for (size_t i = 0; i < n && i < sizeof(b); i++)
        b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    wire_put_bytes(w, b, n <= sizeof(b) ? n : sizeof(b));
}

/* take - n bytes from the reader, or NULL (and why) past its end */
static const uint8_t *take(struct wire_reader *r, size_t n)
{
    const uint8_t *p = r->p + r->off;

    if (r->why != NULL || n > r->len - r->off) {
        r->why = r->why ? r->why : r->truncated;
        return NULL;
    }
    r->off += n;
    return p;
}

uint64_t wire_get_uint(struct wire_reader *r, size_t n)
{
    const uint8_t *p = n <= 8 ? take(r, n) : NULL;
    uint64_t v = 0;

    for (size_t i = 0; p != NULL && i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

const uint8_t *wire_get_bytes(struct wire_reader *r, size_t n)
{
    return take(r, n);
}
