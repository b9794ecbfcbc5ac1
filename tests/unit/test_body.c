/* test_body.c - body_feed/body_finish: line ends, dot-stuffing, and that no
 * end-of-data sequence but the final one is ever produced (SMTP smuggling). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "body.h"

struct body_case {
    const char *name;
    const char *in;
    size_t inlen;       /* 0: strlen(in) */
    const char *want;
    size_t wantlen;     /* 0: strlen(want) */
};

static const struct body_case body_cases[] = {
    { "rfc5321_s4_1_1_4_empty_message", "", 0, ".\r\n", 0 },
    { "rfc5321_s4_1_1_4_crlf_kept", "a\r\nb\r\n", 0, "a\r\nb\r\n.\r\n", 0 },
    { "rfc5321_s2_3_8_bare_lf_to_crlf", "a\nb\n", 0, "a\r\nb\r\n.\r\n", 0 },
    { "rfc5321_s2_3_8_lone_cr_to_crlf", "a\rb\r", 0, "a\r\nb\r\n.\r\n", 0 },
    { "rfc5321_s4_1_1_4_no_final_newline", "a\r\nlast", 0, "a\r\nlast\r\n.\r\n", 0 },
    { "rfc5321_s4_5_2_leading_dot_stuffed", ".a\r\n..b\r\n", 0, "..a\r\n...b\r\n.\r\n", 0 },
    { "rfc5321_s4_5_2_dot_inside_line_kept", "a.b\r\n", 0, "a.b\r\n.\r\n", 0 },
    { "smuggling_lf_dot_lf", "a\n.\nMAIL FROM:<x>\n", 0, "a\r\n..\r\nMAIL FROM:<x>\r\n.\r\n", 0 },
    { "smuggling_crlf_dot_crlf_inside", "a\r\n.\r\nRSET\r\n", 0, "a\r\n..\r\nRSET\r\n.\r\n", 0 },
    { "smuggling_cr_dot_cr", "a\r.\rb", 0, "a\r\n..\r\nb\r\n.\r\n", 0 },
    { "smuggling_lf_dot_crlf", "a\n.\r\nb", 0, "a\r\n..\r\nb\r\n.\r\n", 0 },
    { "smuggling_crlf_dot_lf", "a\r\n.\nb", 0, "a\r\n..\r\nb\r\n.\r\n", 0 },
    { "smuggling_leading_dot_first_line", ".\r\n", 0, "..\r\n.\r\n", 0 },
    { "cr_cr_lf_two_line_ends", "a\r\r\nb", 0, "a\r\n\r\nb\r\n.\r\n", 0 },
    { "lf_cr_two_line_ends", "a\n\rb", 0, "a\r\n\r\nb\r\n.\r\n", 0 },
    { "final_lone_cr", "a\r", 0, "a\r\n.\r\n", 0 },
    { "nul_passed_through", "a\0b", 3, "a\0b\r\n.\r\n", 8 },
};

ParameterizedTestParameters(body, transform)
{
    static size_t idx[sizeof(body_cases) / sizeof(body_cases[0])];
    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

/* run - transform in, fed in chunks of `chunk` bytes through an output
 * buffer of `cap` bytes; returns the output length */
static size_t run(const uint8_t *in, size_t inlen, size_t chunk, size_t cap,
                  size_t line_limit, uint8_t *out, size_t outsize)
{
    struct body *b = body_new(line_limit);
    uint8_t buf[64];
    size_t n = 0, off = 0;

    cr_assert_not_null(b);
    cr_assert(cap <= sizeof(buf));
    while (off < inlen) {
        size_t take = inlen - off < chunk ? inlen - off : chunk, used = 0;
        size_t w = body_feed(b, in + off, take, buf, cap, &used);
        cr_assert(used > 0, "progress with cap %zu", cap);
        cr_assert(n + w <= outsize);
        memcpy(out + n, buf, w);
        n += w;
        off += used;
    }
    size_t w = body_finish(b, buf, cap);
    cr_assert(w > 0);
    cr_assert(n + w <= outsize);
    memcpy(out + n, buf, w);
    body_free(b);
    return n + w;
}

ParameterizedTest(size_t *i, body, transform)
{
    const struct body_case *c = &body_cases[*i];
    size_t inlen = c->inlen ? c->inlen : strlen(c->in);
    size_t wantlen = c->wantlen ? c->wantlen : strlen(c->want);
    uint8_t out[256];

    /* the result must not depend on how input and output are chunked */
    for (size_t chunk = 1; chunk <= 7; chunk += 3) {
        for (size_t cap = BODY_OUT_MIN; cap <= 64; cap += 56) {
            size_t n = run((const uint8_t *)c->in, inlen, chunk, cap, 0, out, sizeof(out));
            cr_assert_eq(n, wantlen, "%s (chunk %zu cap %zu): got %zu bytes, want %zu",
                         c->name, chunk, cap, n, wantlen);
            cr_assert(memcmp(out, c->want, wantlen) == 0, "%s: got '%.*s'", c->name,
                      (int)n, out);
        }
    }
}

/* eod_count - occurrences of CRLF "." CRLF, counting the start of the data
 * as a line start (the DATA command's CRLF precedes it) */
static size_t eod_count(const uint8_t *p, size_t len)
{
    size_t count = 0;

    if (len >= 3 && memcmp(p, ".\r\n", 3) == 0)
        count++;
    for (size_t i = 0; i + 5 <= len; i++)
        if (memcmp(p + i, "\r\n.\r\n", 5) == 0)
            count++;
    return count;
}

/* Every byte string over an alphabet of CR, LF, '.', 'x' up to length 7: the
 * output has exactly one end of data, at the end, and only CRLF line ends. */
Test(body, smuggling_exhaustive_small_inputs)
{
    static const uint8_t alphabet[] = { '\r', '\n', '.', 'x' };
    uint8_t in[7], out[128];

    for (size_t len = 0; len <= sizeof(in); len++) {
        size_t total = 1;
        for (size_t k = 0; k < len; k++)
            total *= 4;
        for (size_t v = 0; v < total; v++) {
            size_t x = v;
            for (size_t k = 0; k < len; k++) {
                in[k] = alphabet[x % 4];
                x /= 4;
            }
            size_t n = run(in, len, 3, BODY_OUT_MIN, 0, out, sizeof(out));
            cr_assert_eq(eod_count(out, n), 1);
            cr_assert(n >= 3 && memcmp(out + n - 3, ".\r\n", 3) == 0);
            for (size_t k = 0; k < n; k++) {
                if (out[k] == '\r')
                    cr_assert(k + 1 < n && out[k + 1] == '\n', "lone CR sent");
                if (out[k] == '\n')
                    cr_assert(k > 0 && out[k - 1] == '\r', "bare LF sent");
            }
        }
    }
}

Test(body, rfc5321_s4_5_3_1_6_long_line_folded)
{
    static const char in[] = "abcdefghij.k\n";
    static const char want[] = "abcd\r\n efg\r\n hij\r\n .k\r\n.\r\n";
    uint8_t out[64];
    size_t n = run((const uint8_t *)in, strlen(in), 5, BODY_OUT_MIN, 4, out, sizeof(out));

    cr_assert_eq(n, strlen(want), "got '%.*s'", (int)n, out);
    cr_assert(memcmp(out, want, n) == 0, "got '%.*s'", (int)n, out);
}

Test(body, feed_needs_room)
{
    struct body *b = body_new(0);
    uint8_t out[BODY_OUT_MIN - 1];
    size_t used = 99;

    cr_assert_eq(body_feed(b, (const uint8_t *)"a", 1, out, sizeof(out), &used), 0);
    cr_assert_eq(used, 0);
    cr_assert_eq(body_finish(b, out, sizeof(out)), 0);
    body_free(b);
    body_free(NULL);
}

Test(body, rfc6152_8bit_detection)
{
    cr_assert_eq(body_has_8bit((const uint8_t *)"plain\r\n", 7), 0);
    cr_assert_eq(body_has_8bit((const uint8_t *)"caf\xc3\xa9", 5), 1);
    cr_assert_eq(body_has_8bit(NULL, 0), 0);
}
