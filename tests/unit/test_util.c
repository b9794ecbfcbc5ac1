/* test_util.c - agent/util helpers: hex digits and encoding */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "hex.h"

/* every byte value survives hex_encode and decoding with hex_value */
Test(hex, round_trip_all_bytes)
{
    uint8_t in[256], back[256];
    char lower[513], upper[513];

    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)i;
    hex_encode(in, sizeof(in), lower, HEX_LOWER);
    hex_encode(in, sizeof(in), upper, HEX_UPPER);
    cr_assert_eq(strlen(lower), 512);
    cr_expect_eq(strncmp(lower + 2 * 0xab, "ab", 2), 0);
    cr_expect_eq(strncmp(upper + 2 * 0xab, "AB", 2), 0);
    for (size_t i = 0; i < sizeof(back); i++) {
        int hi = hex_value(upper[2 * i]), lo = hex_value(lower[2 * i + 1]);

        cr_assert(hi >= 0 && lo >= 0, "byte %zu", i);
        back[i] = (uint8_t)(hi << 4 | lo);
    }
    cr_expect_eq(memcmp(in, back, sizeof(in)), 0);
}

Test(hex, encode_empty_is_empty_string)
{
    char out[1] = { 'x' };

    hex_encode((const uint8_t *)"", 0, out, HEX_LOWER);
    cr_expect_eq(out[0], '\0');
}

Test(hex, digit_uses_low_nibble_only)
{
    cr_expect_eq(hex_digit(0x0a, HEX_LOWER), 'a');
    cr_expect_eq(hex_digit(0x0a, HEX_UPPER), 'A');
    cr_expect_eq(hex_digit(0xf3, HEX_LOWER), '3');
}

Test(hex, value_rejects_non_digits)
{
    static const char bad[] = "gG/:@`xz -\n";

    for (size_t i = 0; i + 1 < sizeof(bad); i++)
        cr_expect_eq(hex_value(bad[i]), -1, "char 0x%02x", (unsigned)bad[i]);
    cr_expect_eq(hex_value('\0'), -1);
    cr_expect_eq(hex_value((char)0xe9), -1);
    cr_expect_eq(hex_value('0'), 0);
    cr_expect_eq(hex_value('9'), 9);
    cr_expect_eq(hex_value('f'), 15);
    cr_expect_eq(hex_value('F'), 15);
}
