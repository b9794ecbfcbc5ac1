/* test_mime8.c - the 8BITMIME downgrade (RFC 6152 §3): what is encoded as
 * quoted-printable (RFC 2045 §6.7), what passes byte for byte, what makes
 * conversion impossible; chunking, progress and bounded memory. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "body.h"
#include "mime8.h"

struct conv {
    uint8_t *out;
    size_t len;
    const char *why;    /* NULL: converted */
};

/* convert - run in through a converter, with the scan pass when scan is set,
 * feeding chunk bytes at a time through an output buffer of cap bytes */
static struct conv convert(const uint8_t *in, size_t inlen, int scan,
                           size_t chunk, size_t cap)
{
    struct mime8 *m = mime8_new();
    struct conv c = { malloc(inlen * 4 + 8192), 0, NULL };
    uint8_t *buf = malloc(cap);
    size_t off = 0, w;

    cr_assert_not_null(m);
    cr_assert(c.out != NULL && buf != NULL);
    if (scan) {
        for (off = 0; off < inlen; off += chunk)
            mime8_scan(m, in + off, inlen - off < chunk ? inlen - off : chunk);
        if (mime8_scan_end(m, &c.why) < 0) {
            cr_assert_not_null(c.why);
            free(buf);
            mime8_free(m);
            return c;
        }
        off = 0;
    }
    while (off < inlen) {
        size_t take = inlen - off < chunk ? inlen - off : chunk, used = 0;
        w = mime8_feed(m, in + off, take, buf, cap, &used);
        cr_assert(w > 0 || used > 0, "no progress with cap %zu", cap);
        memcpy(c.out + c.len, buf, w);
        c.len += w;
        off += used;
    }
    while ((w = mime8_finish(m, buf, cap)) > 0) {
        memcpy(c.out + c.len, buf, w);
        c.len += w;
    }
    c.out[c.len] = '\0';
    if (mime8_error(m, &c.why) == 0)
        c.why = NULL;
    free(buf);
    mime8_free(m);
    return c;
}

static struct conv convert_str(const char *in, int scan)
{
    return convert((const uint8_t *)in, strlen(in), scan, 4096, 4096);
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* qp_decode - RFC 2045 §6.7 decoding of p[0..len) into out (LF line ends
 * kept as they are, soft breaks removed); returns the length, or -1 on a
 * malformed escape */
static long qp_decode(const uint8_t *p, size_t len, uint8_t *out)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if (p[i] != '=') {
            out[n++] = p[i];
            continue;
        }
        if (i + 1 < len && p[i + 1] == '\n') {
            i++;
        } else if (i + 2 < len && p[i + 1] == '\r' && p[i + 2] == '\n') {
            i += 2;
        } else {
            if (i + 2 >= len || hexval(p[i + 1]) < 0 || hexval(p[i + 2]) < 0)
                return -1;
            out[n++] = (uint8_t)(hexval(p[i + 1]) * 16 + hexval(p[i + 2]));
            i += 2;
        }
    }
    return (long)n;
}

/* longest_line - octets of the longest line of p[0..len), line end excluded */
static size_t longest_line(const uint8_t *p, size_t len)
{
    size_t max = 0, cur = 0;

    for (size_t i = 0; i < len; i++) {
        if (p[i] == '\n') {
            cur = 0;
            continue;
        }
        if (p[i] != '\r' || i + 1 >= len || p[i + 1] != '\n')
            cur++;
        if (cur > max)
            max = cur;
    }
    return max;
}

/* body_of - the text after the first empty line */
static const uint8_t *body_of(const uint8_t *p, size_t len, size_t *blen)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (p[i] == '\n' && p[i + 1] == '\n') {
            *blen = len - i - 2;
            return p + i + 2;
        }
        if (i + 3 < len && memcmp(p + i, "\r\n\r\n", 4) == 0) {
            *blen = len - i - 4;
            return p + i + 4;
        }
    }
    cr_assert_fail("no empty line");
    return NULL;
}

struct mime8_case {
    const char *name;
    const char *in;
    const char *want;   /* NULL: conversion impossible */
    const char *why;    /* a word of the reason when impossible */
};

#define PLAIN_HDR "From: a@example\nSubject: s\n"
#define MP_HDR "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b 1\"\n"

static const struct mime8_case cases[] = {
    { "rfc6152_s3_7bit_message_unchanged",
      PLAIN_HDR "\nhello = world \n.\n", PLAIN_HDR "\nhello = world \n.\n", NULL },
    { "rfc1428_s3_non_mime_8bit_body_gets_mime_headers",
      PLAIN_HDR "\ncaf\xc3\xa9\n",
      PLAIN_HDR "MIME-Version: 1.0\nContent-Type: text/plain; charset=unknown-8bit\n"
      "Content-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9\n", NULL },
    { "rfc2045_s6_7_cte_8bit_replaced",
      "MIME-Version: 1.0\nContent-Transfer-Encoding: 8bit\nContent-Type: text/plain;"
      " charset=utf-8\n\n\xe2\x82\xac 1=2\tx\t\nend",
      "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
      "Content-Transfer-Encoding: quoted-printable\n\n=E2=82=AC 1=3D2\tx=09\nend", NULL },
    { "rfc2045_s6_7_cte_absent_added_mime_version_kept",
      "MIME-Version: 1.0\nSubject: x\n\n\xe9t\xe9 \n",
      "MIME-Version: 1.0\nSubject: x\nContent-Transfer-Encoding: quoted-printable\n\n"
      "=E9t=E9=20\n", NULL },
    { "rfc2045_s6_7_cte_binary_replaced_folded_header",
      "Content-Transfer-Encoding:\n  BINARY (raw)\nMIME-Version: 1.0\n\n\x01\xff\n",
      "MIME-Version: 1.0\nContent-Transfer-Encoding: quoted-printable\n\n=01=FF\n", NULL },
    { "rfc2045_s6_7_lone_cr_is_data",
      "MIME-Version: 1.0\n\n\xe9\rx\n", "MIME-Version: 1.0\n"
      "Content-Transfer-Encoding: quoted-printable\n\n=E9=0Dx\n", NULL },
    { "rfc2046_s5_1_only_the_8bit_part_changes",
      MP_HDR "\npreamble\n--b 1\nContent-Type: text/plain\n\nascii only\n"
      "--b 1\nContent-Type: text/plain; charset=latin1\nContent-Transfer-Encoding: 7bit\n"
      "\nna\xefve\n--b 1\nContent-Transfer-Encoding: 7bit\n\n7bit\n--b 1--\nepilogue\n",
      MP_HDR "\npreamble\n--b 1\nContent-Type: text/plain\n\nascii only\n"
      "--b 1\nContent-Type: text/plain; charset=latin1\n"
      "Content-Transfer-Encoding: quoted-printable\n"
      "\nna=EFve\n--b 1\nContent-Transfer-Encoding: 7bit\n\n7bit\n--b 1--\nepilogue\n",
      NULL },
    { "rfc2046_s5_1_1_nested_multipart_and_8bit_label",
      "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=out\n"
      "Content-Transfer-Encoding: 8bit\n\n--out\n"
      "Content-Type: multipart/alternative;\n boundary=in\n\n--in\n\n\xc3\xa0\n--in\n"
      "Content-Type: text/html\n\n<p>x</p>\n--in--\n--out\n\nlast \xff\n--out--\n",
      "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=out\n"
      "Content-Transfer-Encoding: 7bit\n\n--out\n"
      "Content-Type: multipart/alternative;\n boundary=in\n\n--in\n"
      "Content-Transfer-Encoding: quoted-printable\n\n=C3=A0\n--in\n"
      "Content-Type: text/html\n\n<p>x</p>\n--in--\n--out\n"
      "Content-Transfer-Encoding: quoted-printable\n\nlast =FF\n--out--\n", NULL },
    { "rfc2046_s5_2_1_message_rfc822_recursed",
      "MIME-Version: 1.0\nContent-Type: message/rfc822\nContent-Transfer-Encoding: 8bit\n\n"
      "Subject: inner\nContent-Type: text/plain\nContent-Transfer-Encoding: 8bit\n\n\xe4\n",
      "MIME-Version: 1.0\nContent-Type: message/rfc822\nContent-Transfer-Encoding: 7bit\n\n"
      "Subject: inner\nContent-Type: text/plain\nMIME-Version: 1.0\n"
      "Content-Transfer-Encoding: quoted-printable\n\n=E4\n", NULL },
    { "rfc2046_s5_1_5_digest_parts_default_to_rfc822",
      "MIME-Version: 1.0\nContent-Type: multipart/digest; boundary=d\n\n--d\n\n"
      "Subject: m\n\n\xe4\n--d--\n",
      "MIME-Version: 1.0\nContent-Type: multipart/digest; boundary=d\n\n--d\n\n"
      "Subject: m\nMIME-Version: 1.0\nContent-Type: text/plain; charset=unknown-8bit\n"
      "Content-Transfer-Encoding: quoted-printable\n\n=E4\n--d--\n", NULL },
    { "postfix_8bit_label_on_7bit_body_still_encoded",
      "Content-Transfer-Encoding: 8bit\nMIME-Version: 1.0\n\na=b\n",
      "MIME-Version: 1.0\nContent-Transfer-Encoding: quoted-printable\n\na=3Db\n", NULL },
    { "postfix_garbage_in_primary_header_gets_empty_line",
      "Subject: s\nnot a header \xe9\n",
      "Subject: s\nMIME-Version: 1.0\nContent-Type: text/plain; charset=unknown-8bit\n"
      "Content-Transfer-Encoding: quoted-printable\n\nnot a header =E9\n", NULL },
    { "rfc2046_s5_1_1_part_without_header_gets_field_and_empty_line",
      MP_HDR "\n--b 1\n\xe9 text\n--b 1--\n",
      MP_HDR "\n--b 1\nContent-Transfer-Encoding: quoted-printable\n\n=E9 text\n--b 1--\n",
      NULL },
    { "rfc2046_s5_1_1_boundary_prefix_is_text",
      MP_HDR "\n--b 1\nContent-Transfer-Encoding: 8bit\n\n--b 2 \xe9\n- \n--b 1--\n",
      MP_HDR "\n--b 1\nContent-Transfer-Encoding: quoted-printable\n\n--b 2 =E9\n-=20\n"
      "--b 1--\n", NULL },
    { "rfc6152_s3_8bit_in_header_impossible",
      "Subject: caf\xc3\xa9\n\nbody\n", NULL, "header" },
    { "rfc6152_s3_8bit_in_part_header_impossible",
      MP_HDR "\n--b 1\nContent-Type: text/plain; name=\"\xe9\"\n\nx\n--b 1--\n",
      NULL, "header" },
    { "rfc2046_s5_1_1_8bit_preamble_impossible",
      MP_HDR "\npr\xe9\x61mble\n--b 1\n\nx\n--b 1--\n", NULL, "preamble" },
    { "rfc2045_s6_8_8bit_in_base64_part_impossible",
      MP_HDR "\n--b 1\nContent-Transfer-Encoding: base64\n\nAA\xff\n--b 1--\n",
      NULL, "quoted-printable" },
    { "rfc2046_s5_2_2_message_partial_8bit_impossible",
      "MIME-Version: 1.0\nContent-Type: message/partial; id=x\n"
      "Content-Transfer-Encoding: 8bit\n\n\xe9\n", NULL, "partial" },
    { "rfc2045_s6_two_cte_fields_impossible",
      "Content-Transfer-Encoding: 7bit\nContent-Transfer-Encoding: 8bit\n\nx\xe9\n",
      NULL, "ambiguous" },
};

ParameterizedTestParameters(mime8, convert)
{
    static size_t idx[sizeof(cases) / sizeof(cases[0])];
    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

/* check_case - one case in one chunking, line ends as given or as CRLF */
static void check_case(const struct mime8_case *c, const char *in, const char *want,
                       size_t chunk, size_t cap)
{
    struct conv r = convert((const uint8_t *)in, strlen(in), 1, chunk, cap);

    if (want == NULL) {
        cr_assert_not_null(r.why, "%s: converted, want impossible", c->name);
        cr_assert_not_null(strstr(r.why, c->why), "%s: reason '%s' lacks '%s'",
                           c->name, r.why, c->why);
    } else {
        cr_assert_null(r.why, "%s: impossible: %s", c->name, r.why);
        cr_assert(r.len == strlen(want) && memcmp(r.out, want, r.len) == 0,
                  "%s (chunk %zu cap %zu):\ngot  '%.*s'\nwant '%s'", c->name, chunk, cap,
                  (int)r.len, r.out, want);
    }
    free(r.out);
}

/* to_crlf - s with every LF made CRLF; NULL stays NULL */
static char *to_crlf(const char *s)
{
    char *r, *w;

    if (s == NULL)
        return NULL;
    r = w = malloc(strlen(s) * 2 + 1);
    for (; *s; s++) {
        if (*s == '\n')
            *w++ = '\r';
        *w++ = *s;
    }
    *w = '\0';
    return r;
}

ParameterizedTest(size_t *i, mime8, convert)
{
    const struct mime8_case *c = &cases[*i];
    static const size_t chunks[] = { 1, 3, 4096 }, caps[] = { 1, 7, 4096 };
    char *in2 = to_crlf(c->in), *want2 = to_crlf(c->want);

    /* the result must not depend on chunking, nor on LF or CRLF */
    for (size_t k = 0; k < 3; k++)
        for (size_t j = 0; j < 3; j++) {
            check_case(c, c->in, c->want, chunks[k], caps[j]);
            check_case(c, in2, want2, chunks[k], caps[j]);
        }
    free(in2);
    free(want2);
}

Test(mime8, scan_verdict_equals_output_verdict)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct mime8 *m = mime8_new();
        const char *why = NULL, *why2 = NULL;
        struct conv r = convert_str(cases[i].in, 1);

        mime8_scan(m, (const uint8_t *)cases[i].in, strlen(cases[i].in));
        cr_assert_eq(mime8_scan_end(m, &why) < 0, r.why != NULL, "%s", cases[i].name);
        cr_assert_eq(mime8_error(m, &why2) < 0, r.why != NULL);
        free(r.out);
        mime8_free(m);
    }
}

Test(mime8, rfc2045_s6_7_rule5_long_line_soft_breaks_round_trip)
{
    char in[2048] = "MIME-Version: 1.0\nContent-Transfer-Encoding: 8bit\n\n";
    size_t h = strlen(in), blen, n = h;
    uint8_t dec[4096];

    for (size_t k = 0; k < 600; k++)    /* one 600-octet line: 8-bit, '=', blanks */
        in[n++] = (char)("ab\xc3\xa9= \t"[k % 7]);
    in[n++] = ' ';
    in[n++] = '\n';
    in[n] = '\0';
    struct conv r = convert_str(in, 1);
    cr_assert_null(r.why);
    cr_assert(!body_has_8bit(r.out, r.len));
    cr_assert_leq(longest_line(r.out, r.len), 76);
    const uint8_t *b = body_of(r.out, r.len, &blen);
    long d = qp_decode(b, blen, dec);
    cr_assert_eq(d, (long)(n - h), "decoded %ld, want %zu", d, n - h);
    cr_assert(memcmp(dec, in + h, n - h) == 0);
    free(r.out);
}

Test(mime8, rfc2045_s6_7_every_octet_round_trips)
{
    char in[1024] = "Content-Transfer-Encoding: binary\n\n";
    size_t h = strlen(in), n = h, blen;
    uint8_t dec[2048];

    for (unsigned v = 0; v < 256; v++)
        if (v != '\n' && v != '\r')
            in[n++] = (char)v;
    struct conv r = convert((const uint8_t *)in, n, 1, 5, 3);
    cr_assert_null(r.why);
    cr_assert(!body_has_8bit(r.out, r.len));
    cr_assert_leq(longest_line(r.out, r.len), 76);
    const uint8_t *b = body_of(r.out, r.len, &blen);
    cr_assert_eq(qp_decode(b, blen, dec), (long)(n - h));
    cr_assert(memcmp(dec, in + h, n - h) == 0);
    free(r.out);
}

Test(mime8, without_scan_unlabelled_leaves_are_encoded_7bit_labelled_fail)
{
    struct conv r = convert_str(PLAIN_HDR "\nascii\n", 0);
    cr_assert_null(r.why);
    cr_assert_str_eq((char *)r.out, PLAIN_HDR "MIME-Version: 1.0\nContent-Type: text/plain;"
                     " charset=unknown-8bit\nContent-Transfer-Encoding: quoted-printable\n"
                     "\nascii\n");
    free(r.out);
    r = convert_str("Content-Transfer-Encoding: 7bit\n\n\xe9\n", 0);
    cr_assert_not_null(r.why);
    cr_assert_not_null(strstr(r.why, "7bit"));
    free(r.out);
    r = convert_str("Content-Transfer-Encoding: 7bit\n\n\xe9\n", 1);
    cr_assert_null(r.why);
    cr_assert_str_eq((char *)r.out, "MIME-Version: 1.0\nContent-Type: text/plain; charset="
                     "unknown-8bit\nContent-Transfer-Encoding: quoted-printable\n\n=E9\n");
    free(r.out);
}

/* nested - depth multiparts, the innermost with an 8-bit part */
static char *nested(size_t depth)
{
    size_t cap = depth * 64 + 256, n = 0;
    char *s = malloc(cap);

    n += (size_t)snprintf(s, cap, "MIME-Version: 1.0\n");
    for (size_t k = 0; k < depth; k++)
        n += (size_t)snprintf(s + n, cap - n,
                              "Content-Type: multipart/mixed; boundary=b%zu\n\n--b%zu\n", k, k);
    snprintf(s + n, cap - n, "\n\xe9\n");
    return s;
}

Test(mime8, postfix_mime_err_nesting_bound)
{
    char *ok = nested(MIME8_DEPTH_MAX), *deep = nested(MIME8_DEPTH_MAX + 1);
    struct conv r = convert_str(ok, 1);

    cr_assert_null(r.why, "%s", r.why);
    cr_assert_not_null(strstr((char *)r.out, "=E9"));
    free(r.out);
    r = convert_str(deep, 1);
    cr_assert_not_null(r.why);
    cr_assert_not_null(strstr(r.why, "nesting"));
    free(r.out);
    free(ok);
    free(deep);
}

Test(mime8, fed_after_error_consumes_and_writes_nothing)
{
    struct mime8 *m = mime8_new();
    uint8_t out[64];
    size_t used = 0;
    const char *why = NULL;

    mime8_feed(m, (const uint8_t *)"Subject: \xe9\n", 11, out, sizeof(out), &used);
    cr_assert_eq(mime8_error(m, &why), -1);
    cr_assert_eq(mime8_feed(m, (const uint8_t *)"\nbody\n", 6, out, sizeof(out), &used), 0);
    cr_assert_eq(used, 6);
    cr_assert_eq(mime8_finish(m, out, sizeof(out)), 0);
    mime8_free(m);
    mime8_free(NULL);
}

/* feed_synthetic - feed total bytes of an 8-bit multipart message made on the
 * fly; returns the output bytes */
static size_t feed_synthetic(struct mime8 *m, size_t total)
{
    static const char head[] = MP_HDR "\n--b 1\nContent-Transfer-Encoding: 8bit\n\n";
    static uint8_t line[4096], out[65536];
    size_t fed = 0, outn = 0, w;

    for (size_t k = 0; k < sizeof(line); k++)
        line[k] = k % 97 == 96 ? '\n' : (uint8_t)(0xa0 + k % 32);
    for (size_t off = 0; off < sizeof(head) - 1;) {
        size_t used = 0;
        outn += mime8_feed(m, (const uint8_t *)head + off, sizeof(head) - 1 - off, out,
                           sizeof(out), &used);
        off += used;
    }
    while (fed < total) {
        size_t off = 0;
        while (off < sizeof(line)) {
            size_t used = 0;
            outn += mime8_feed(m, line + off, sizeof(line) - off, out, sizeof(out), &used);
            off += used;
        }
        fed += sizeof(line);
    }
    while ((w = mime8_finish(m, out, sizeof(out))) > 0)
        outn += w;
    return outn;
}

static long max_rss_kb(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

Test(mime8, fifty_megabytes_in_bounded_memory)
{
    struct mime8 *m = mime8_new();
    long before = max_rss_kb();
    size_t outn = feed_synthetic(m, 50u << 20);
    const char *why = NULL;

    cr_assert_eq(mime8_error(m, &why), 0);
    cr_assert_gt(outn, (size_t)(50u << 20) * 2);    /* mostly =XX escapes */
    cr_assert_lt(max_rss_kb() - before, 4096, "RSS grew by %ld KiB", max_rss_kb() - before);
    mime8_free(m);
}

Test(mime8, outcap_one_progress_after_a_large_held_field)
{
    size_t n = 0, cap = MIME8_FIELD_MAX + 256;
    char *in = malloc(cap);

    n += (size_t)snprintf(in, cap, "Content-Type: text/plain;\n");
    while (n < MIME8_FIELD_MAX - 64)
        n += (size_t)snprintf(in + n, cap - n, " x-p=\"abcdefghijklmnopqrstuvwxyz\";\n");
    n += (size_t)snprintf(in + n, cap - n, " charset=utf-8\n\n\xc3\xa9t\xc3\xa9\n");
    struct conv one = convert((const uint8_t *)in, n, 1, n, 1);
    struct conv all = convert((const uint8_t *)in, n, 1, n, 65536);
    cr_assert_null(one.why, "%s", one.why);
    cr_assert(one.len == all.len && memcmp(one.out, all.out, one.len) == 0);
    cr_assert_not_null(strstr((char *)one.out, "\n\n=C3=A9t=C3=A9\n"));
    free(one.out);
    free(all.out);
    free(in);
}

Test(mime8, scan_after_the_output_pass_began_aborts, .signal = SIGABRT)
{
    struct mime8 *m = mime8_new();
    uint8_t out[8];
    size_t used;

    mime8_feed(m, (const uint8_t *)"a", 1, out, sizeof(out), &used);
    mime8_scan(m, (const uint8_t *)"a", 1);
}

Test(mime8, field_longer_than_the_hold_impossible)
{
    size_t n = 0, cap = MIME8_FIELD_MAX * 2;
    char *in = malloc(cap);

    n += (size_t)snprintf(in, cap, "Content-Type: text/plain;\n");
    while (n < MIME8_FIELD_MAX)
        n += (size_t)snprintf(in + n, cap - n, " x-p=\"abcdefghijklmnopqrstuvwxyz\";\n");
    snprintf(in + n, cap - n, "\nx\n");
    struct conv r = convert_str(in, 1);
    cr_assert_not_null(r.why);
    cr_assert_not_null(strstr(r.why, "too long"));
    free(r.out);
    free(in);
}

Test(mime8, rfc2045_s6_7_rule5_soft_breaks_end_lines_as_the_input_does)
{
    char in[512] = "Content-Transfer-Encoding: 8bit\r\n\r\n";
    size_t n = strlen(in);

    memset(in + n, 0xe9, 200);
    memcpy(in + n + 200, "\r\n", 3);
    struct conv r = convert_str(in, 1);
    cr_assert_null(r.why);
    for (size_t i = 0; i < r.len; i++)
        if (r.out[i] == '\n')
            cr_assert(i > 0 && r.out[i - 1] == '\r', "bare LF at %zu", i);
    cr_assert_not_null(strstr((char *)r.out, "=E9=\r\n=E9"));
    cr_assert_leq(longest_line(r.out, r.len), 76);
    free(r.out);
}

/* output_pass - one output pass over in, everything at once */
static size_t output_pass(struct mime8 *m, const char *in, uint8_t *out, size_t cap)
{
    size_t used = 0, n = mime8_feed(m, (const uint8_t *)in, strlen(in), out, cap, &used), w;

    cr_assert_eq(used, strlen(in));
    while ((w = mime8_finish(m, out + n, cap - n)) > 0)
        n += w;
    return n;
}

Test(mime8, restart_gives_the_same_output_again)
{
    const char *in = cases[6].in, *why = NULL;  /* the multipart */
    struct mime8 *m = mime8_new();
    uint8_t a[4096], b[4096];

    mime8_scan(m, (const uint8_t *)in, strlen(in));
    cr_assert_eq(mime8_scan_end(m, &why), 0);
    size_t na = output_pass(m, in, a, sizeof(a));
    mime8_restart(m);
    size_t nb = output_pass(m, in, b, sizeof(b));
    cr_assert(na == strlen(cases[6].want) && memcmp(a, cases[6].want, na) == 0);
    cr_assert(na == nb && memcmp(a, b, na) == 0);
    mime8_restart(m);
    mime8_free(m);
}
