/* hex.h - hexadecimal digits: the value of one, and bytes written as them
 *
 * The one conversion between bytes and hex text in the program: TLSA data
 * and pins are read with hex_value(), cache entry names, TLSA records,
 * JSON \u00XX escapes and quoted-printable =XX are written with
 * hex_digit() or hex_encode(). Nothing here allocates.
 */
#ifndef DANE_AGENT_HEX_H
#define DANE_AGENT_HEX_H

#include <stddef.h>
#include <stdint.h>

enum hex_case { HEX_LOWER, HEX_UPPER };

/* hex_value - 0..15 for a hex digit of either case, -1 for any other char */
int hex_value(char c);

/* hex_digit - the hex digit of the low four bits of nibble */
char hex_digit(unsigned nibble, enum hex_case letters);

/* hex_encode - the 2 * len digits of p[0..len), high nibble first, into
 * out, then a NUL: out holds 2 * len + 1 bytes */
void hex_encode(const uint8_t *p, size_t len, char *out, enum hex_case letters);

#endif
