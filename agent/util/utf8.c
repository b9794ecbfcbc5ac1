/* utf8.c - strict UTF-8 decoding; contract in utf8.h */
#include "utf8.h"

/* lead - the length a lead byte announces and its payload bits; 0 for a
 * continuation byte or 0xF8..0xFF */
static size_t lead(uint8_t b, uint32_t *bits)
{
    if (b < 0x80) {
        *bits = b;
        return 1;
    }
    if ((b & 0xe0) == 0xc0) {
        *bits = b & 0x1fu;
        return 2;
    }
    if ((b & 0xf0) == 0xe0) {
        *bits = b & 0x0fu;
        return 3;
    }
    if ((b & 0xf8) == 0xf0) {
        *bits = b & 0x07u;
        return 4;
    }
    return 0;
}

/* utf8_decode - lead byte, continuation bytes, then the range checks */
size_t utf8_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
    static const uint32_t least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    uint32_t c = 0;
    size_t len = n > 0 ? lead(p[0], &c) : 0;

    if (len == 0 || n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (p[i] & 0x3fu);
    }
    if (c < least[len] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;       /* overlong, above U+10FFFF, surrogate */
    if (cp != NULL)
        *cp = c;
    return len;
}

/* utf8_len - the length alone */
size_t utf8_len(const uint8_t *p, size_t n)
{
    return utf8_decode(p, n, NULL);
}
