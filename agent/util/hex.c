/* hex.c - hex digits and hex encoding; contract in hex.h */
#include "hex.h"

/* hex_value - 0..15, or -1 */
int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* hex_digit - '0'..'9', then 'a'..'f' or 'A'..'F' */
char hex_digit(unsigned nibble, enum hex_case letters)
{
    static const char lower[] = "0123456789abcdef";
    static const char upper[] = "0123456789ABCDEF";

    return (letters == HEX_UPPER ? upper : lower)[nibble & 0xfu];
}

/* hex_encode - two digits per byte, NUL-terminated */
void hex_encode(const uint8_t *p, size_t len, char *out, enum hex_case letters)
{
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hex_digit(p[i] >> 4, letters);
        out[2 * i + 1] = hex_digit(p[i], letters);
    }
    out[2 * len] = '\0';
}
