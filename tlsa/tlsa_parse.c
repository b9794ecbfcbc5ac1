/* tlsa_parse.c - TLSA presentation text (RFC 6698 §2.2) and wire rdata
 *                (RFC 6698 §2.1) parsers, digest order names
 *
 * SYNOPSIS
 *   tlsa_set_add_text(), tlsa_set_add_rdata(), tlsa_digest_order_parse()
 *
 * DESCRIPTION
 *   Inputs are (pointer, length) and never need a NUL. Each parser either
 *   adds one record or returns -1 with *why naming the first fault.
 */
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "tlsa.h"

/* is_space - the separators of zone-file presentation */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* skip_space - advance *pos past whitespace */
static void skip_space(const char *text, size_t len, size_t *pos)
{
    while (*pos < len && is_space(text[*pos]))
        (*pos)++;
}

/* parse_field - one decimal 8-bit field followed by whitespace; advances *pos
 * only on success (RFC 6698 §2.2: unsigned decimal integers) */
static int parse_field(const char *text, size_t len, size_t *pos, uint8_t *out,
                       const char *name_missing, const char **why)
{
    size_t p = *pos, digits = 0;
    unsigned value = 0;

    while (p < len && text[p] >= '0' && text[p] <= '9') {
        value = value * 10 + (unsigned)(text[p] - '0');
        if (++digits > 3 || value > 255) {
            *why = "field value out of range 0-255";
            return -1;
        }
        p++;
    }
    if (digits == 0) {
        *why = p < len ? "field is not a decimal number" : name_missing;
        return -1;
    }
    if (p < len && !is_space(text[p])) {
        *why = "field is not a decimal number";
        return -1;
    }
    *out = (uint8_t)value;
    skip_space(text, len, &p);
    *pos = p;
    return 0;
}

/* count_hex - count hex digits in text[pos..len), whitespace allowed between
 * them (RFC 6698 §2.2); -1 with *why on any other byte */
static int count_hex(const char *text, size_t len, size_t pos, size_t *digits,
                     const char **why)
{
    size_t n = 0;

    for (size_t p = pos; p < len; p++) {
        if (is_space(text[p]))
            continue;
        if (hex_value(text[p]) < 0) {
            *why = "invalid character in hex data";
            return -1;
        }
        n++;
    }
    if (n == 0) {
        *why = "missing certificate association data";
        return -1;
    }
    if (n % 2 != 0) {
        *why = "odd number of hex digits";
        return -1;
    }
    if (n / 2 > TLSA_MAX_DATA) {
        *why = "certificate association data too long";
        return -1;
    }
    *digits = n;
    return 0;
}

/* decode_hex - write the validated hex digits of text[pos..len) as bytes */
static void decode_hex(const char *text, size_t len, size_t pos, uint8_t *out)
{
    size_t n = 0;

    for (size_t p = pos; p < len; p++) {
        int v = hex_value(text[p]);

        if (v < 0)
            continue;
        if (n % 2 == 0)
            out[n / 2] = (uint8_t)(v << 4);
        else
            out[n / 2] |= (uint8_t)v;
        n++;
    }
}

/* tlsa_set_add_text - "U S M HEX" */
int tlsa_set_add_text(struct tlsa_set *set, const char *text, size_t len,
                      const char **why)
{
    uint8_t f[3], *data;
    size_t pos = 0, digits;
    int rc;

    if (len > TLSA_MAX_TEXT) {
        *why = "TLSA text too long";
        return -1;
    }
    skip_space(text, len, &pos);
    if (parse_field(text, len, &pos, &f[0], "missing certificate usage", why) < 0 ||
        parse_field(text, len, &pos, &f[1], "missing selector", why) < 0 ||
        parse_field(text, len, &pos, &f[2], "missing matching type", why) < 0)
        return -1;
    if (count_hex(text, len, pos, &digits, why) < 0)
        return -1;
    data = malloc(digits / 2);
    if (data == NULL) {
        *why = "out of memory";
        return -1;
    }
    decode_hex(text, len, pos, data);
    rc = tlsa_set_add_rr(set, f[0], f[1], f[2], data, digits / 2, why);
    free(data);
    return rc;
}

/* tlsa_set_add_rdata - usage, selector, mtype octets, then the data */
int tlsa_set_add_rdata(struct tlsa_set *set, const uint8_t *rdata, size_t len,
                       const char **why)
{
    if (len < 3) {
        *why = "TLSA rdata shorter than 3 octets";
        return -1;
    }
    if (len - 3 > TLSA_MAX_DATA) {
        *why = "certificate association data too long";
        return -1;
    }
    /* PrivMatch(255) is private use: no agreed meaning between strangers */
    if (rdata[2] == TLSA_MTYPE_PRIVATE)
        return 0;
    return tlsa_set_add_rr(set, rdata[0], rdata[1], rdata[2], rdata + 3, len - 3,
                           why);
}

/* name_is - ASCII case-insensitive equality of text[0..n) with lower-case name */
static int name_is(const char *text, size_t n, const char *name)
{
    size_t i;

    for (i = 0; i < n && name[i] != '\0'; i++) {
        char c = text[i];

        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != name[i])
            return 0;
    }
    return i == n && name[i] == '\0';
}

/* digest_name - TLSA_MTYPE_SHA256/SHA512 for a name, or 0 */
static uint8_t digest_name(const char *text, size_t n)
{
    if (name_is(text, n, "sha256") || name_is(text, n, "sha2-256"))
        return TLSA_MTYPE_SHA256;
    if (name_is(text, n, "sha512") || name_is(text, n, "sha2-512"))
        return TLSA_MTYPE_SHA512;
    return 0;
}

/* tlsa_digest_order_parse - "sha512,sha256" into mtypes[] */
int tlsa_digest_order_parse(const char *text, size_t len, uint8_t mtypes[2],
                            size_t *n, const char **why)
{
    size_t pos = 0, count = 0;

    while (pos < len) {
        size_t start;
        uint8_t m;

        if (is_space(text[pos]) || text[pos] == ',') {
            pos++;
            continue;
        }
        start = pos;
        while (pos < len && !is_space(text[pos]) && text[pos] != ',')
            pos++;
        m = digest_name(text + start, pos - start);
        if (m == 0) {
            *why = "unknown digest name (want sha256 or sha512)";
            return -1;
        }
        if (count == 2 || (count == 1 && mtypes[0] == m)) {
            *why = "digest order names an algorithm twice";
            return -1;
        }
        mtypes[count++] = m;
    }
    if (count == 0) {
        *why = "empty digest order";
        return -1;
    }
    *n = count;
    return 0;
}
