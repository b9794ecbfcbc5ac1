/* test_smtp_reply.c - smtp_reply_parse, smtp_enhanced_parse, smtp_ehlo_parse
 * Cases are named after the rule they prove; rejects as well as accepts. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "smtp_reply.h"

static const struct smtp_reply_limits lim = { .max_line = 64, .max_lines = 5 };

struct reply_case {
    const char *name;
    const char *in;
    enum smtp_reply_status want_status;
    int want_code;
    const char *want_enhanced;
    const char *want_text;
    size_t want_raw_len;
};

static const struct reply_case reply_cases[] = {
    { "rfc5321_s4_2_single_line", "250 OK\r\n", SMTP_REPLY_DONE, 250, "", "OK", 8 },
    { "rfc5321_s4_2_bare_code", "250\r\n", SMTP_REPLY_DONE, 250, "", "", 5 },
    { "rfc5321_s4_2_multi_line", "250-mx.example\r\n250-PIPELINING\r\n250 SIZE 10\r\n",
      SMTP_REPLY_DONE, 250, "", "mx.example PIPELINING SIZE 10", 45 },
    { "rfc5321_s4_2_bare_lf_accepted", "220 hi\n", SMTP_REPLY_DONE, 220, "", "hi", 7 },
    { "rfc5321_s4_2_stops_at_first_reply", "250 a\r\n250 b\r\n", SMTP_REPLY_DONE, 250, "", "a", 7 },
    { "rfc3463_enhanced_code", "550 5.1.1 no such user\r\n", SMTP_REPLY_DONE, 550,
      "5.1.1", "no such user", 24 },
    { "rfc3463_enhanced_code_each_line", "451-4.7.1 try\r\n451 4.7.1 later\r\n",
      SMTP_REPLY_DONE, 451, "4.7.1", "try later", 32 },
    { "rfc2034_class_mismatch_ignored", "250 5.1.1 odd\r\n", SMTP_REPLY_DONE, 250, "",
      "5.1.1 odd", 15 },
    { "rfc3463_three_digit_parts", "554 5.123.456 x\r\n", SMTP_REPLY_DONE, 554,
      "5.123.456", "x", 17 },
    { "rfc3463_four_digits_not_enhanced", "554 5.1234.1 x\r\n", SMTP_REPLY_DONE, 554,
      "", "5.1234.1 x", 16 },
    { "printable_sanitised", "250 a\x01\x7f\xffz\r\n", SMTP_REPLY_DONE, 250, "", "a???z", 11 },
    { "incomplete_line_more", "250 OK", SMTP_REPLY_MORE, 0, "", "", 0 },
    { "incomplete_multiline_more", "250-a\r\n250-b\r\n", SMTP_REPLY_MORE, 0, "", "", 0 },
    { "empty_input_more", "", SMTP_REPLY_MORE, 0, "", "", 0 },
    { "reject_code_mismatch", "250-a\r\n251 b\r\n", SMTP_REPLY_BAD, 0, "", "", 0 },
    { "reject_1yz", "150 x\r\n", SMTP_REPLY_BAD, 0, "", "", 0 },
    { "reject_6yz", "600 x\r\n", SMTP_REPLY_BAD, 0, "", "", 0 },
    { "reject_x6z", "260 x\r\n", SMTP_REPLY_BAD, 0, "", "", 0 },
    { "reject_no_code", "hello\r\n", SMTP_REPLY_BAD, 0, "", "", 0 },
    { "reject_short_code", "25\r\n", SMTP_REPLY_BAD, 0, "", "", 0 },
    { "reject_bad_separator", "250:x\r\n", SMTP_REPLY_BAD, 0, "", "", 0 },
    { "reject_line_too_long_ended",
      "250 0123456789012345678901234567890123456789012345678901234567890\r\n",
      SMTP_REPLY_BAD, 0, "", "", 0 },
    { "reject_line_too_long_unended",
      "250 0123456789012345678901234567890123456789012345678901234567890123",
      SMTP_REPLY_BAD, 0, "", "", 0 },
    { "reject_too_many_lines", "250-1\r\n250-2\r\n250-3\r\n250-4\r\n250-5\r\n250 6\r\n",
      SMTP_REPLY_BAD, 0, "", "", 0 },
};

ParameterizedTestParameters(smtp_reply, parse)
{
    static size_t idx[sizeof(reply_cases) / sizeof(reply_cases[0])];
    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, smtp_reply, parse)
{
    const struct reply_case *c = &reply_cases[*i];
    struct smtp_reply r;
    const char *why = NULL;
    enum smtp_reply_status st =
        smtp_reply_parse((const uint8_t *)c->in, strlen(c->in), &lim, &r, &why);

    cr_assert_eq(st, c->want_status, "%s: got status %d, want %d (%s)", c->name,
                 st, c->want_status, why ? why : "-");
    if (st == SMTP_REPLY_BAD)
        cr_assert_not_null(why, "%s: a reject carries a reason", c->name);
    if (st != SMTP_REPLY_DONE)
        return;
    cr_assert_eq(r.code, c->want_code, "%s: got code %d, want %d", c->name, r.code,
                 c->want_code);
    cr_assert_str_eq(r.enhanced, c->want_enhanced, "%s: got enhanced %s, want %s",
                     c->name, r.enhanced, c->want_enhanced);
    cr_assert_str_eq(r.text, c->want_text, "%s: got text '%s', want '%s'", c->name,
                     r.text, c->want_text);
    cr_assert_eq(r.raw_len, c->want_raw_len, "%s: got raw_len %zu, want %zu",
                 c->name, r.raw_len, c->want_raw_len);
}

Test(smtp_reply, text_truncated_not_overflowed)
{
    static const struct smtp_reply_limits big = { .max_line = 4000, .max_lines = 10 };
    uint8_t in[3000];
    struct smtp_reply r;
    const char *why = NULL;

    memcpy(in, "250 ", 4);
    memset(in + 4, 'x', sizeof(in) - 6);
    memcpy(in + sizeof(in) - 2, "\r\n", 2);
    cr_assert_eq(smtp_reply_parse(in, sizeof(in), &big, &r, &why), SMTP_REPLY_DONE);
    cr_assert_eq(strlen(r.text), SMTP_REPLY_TEXT_MAX - 1);
}

Test(smtp_reply, nul_byte_inside_line_is_sanitised)
{
    static const uint8_t in[] = "250 a\0b\r\n";
    struct smtp_reply r;
    const char *why = NULL;

    cr_assert_eq(smtp_reply_parse(in, sizeof(in) - 1, &lim, &r, &why), SMTP_REPLY_DONE);
    cr_assert_str_eq(r.text, "a?b");
}

struct ehlo_case {
    const char *name;
    const char *in;
    int want_rc;
    unsigned want_ext;
    uint64_t want_size;
};

static const struct ehlo_case ehlo_cases[] = {
    { "rfc5321_s4_1_1_1_keywords",
      "250-mx.example greets you\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
      "250-STARTTLS\r\n250 8BITMIME\r\n", 0,
      SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | SMTP_EXT_STARTTLS | SMTP_EXT_8BITMIME,
      10240000 },
    { "rfc5321_s2_4_keywords_case_insensitive",
      "250-mx\r\n250-starttls\r\n250-SmtpUtf8\r\n250 enhancedstatuscodes\r\n", 0,
      SMTP_EXT_STARTTLS | SMTP_EXT_SMTPUTF8 | SMTP_EXT_ENHANCEDSTATUSCODES, 0 },
    { "rfc1870_size_without_number", "250-mx\r\n250 SIZE\r\n", 0, SMTP_EXT_SIZE, 0 },
    { "rfc1870_size_garbage_is_no_limit", "250-mx\r\n250 SIZE 12x\r\n", 0, SMTP_EXT_SIZE, 0 },
    { "rfc1870_size_overflow_is_no_limit", "250-mx\r\n250 SIZE 99999999999999999999999\r\n",
      0, SMTP_EXT_SIZE, 0 },
    { "greeting_line_is_not_a_keyword", "250 STARTTLS\r\n", 0, 0, 0 },
    { "prefix_is_not_keyword", "250-mx\r\n250-STARTTLSX\r\n250 XSTARTTLS\r\n", 0, 0, 0 },
    { "reject_not_250", "550 no\r\n", -1, 0, 0 },
    { "reject_incomplete", "250-mx\r\n250-STARTTLS\r\n", -1, 0, 0 },
    { "reject_malformed", "250-mx\r\n251 STARTTLS\r\n", -1, 0, 0 },
};

ParameterizedTestParameters(smtp_reply, ehlo)
{
    static size_t idx[sizeof(ehlo_cases) / sizeof(ehlo_cases[0])];
    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, smtp_reply, ehlo)
{
    const struct ehlo_case *c = &ehlo_cases[*i];
    struct smtp_ehlo e;
    const char *why = NULL;
    int rc = smtp_ehlo_parse((const uint8_t *)c->in, strlen(c->in), &lim, &e, &why);

    cr_assert_eq(rc, c->want_rc, "%s: got rc %d, want %d (%s)", c->name, rc,
                 c->want_rc, why ? why : "-");
    if (rc != 0) {
        cr_assert_not_null(why, "%s: a reject carries a reason", c->name);
        return;
    }
    cr_assert_eq(e.ext, c->want_ext, "%s: got ext %#x, want %#x", c->name, e.ext,
                 c->want_ext);
    cr_assert_eq(e.size_limit, c->want_size, "%s: got size %llu, want %llu", c->name,
                 (unsigned long long)e.size_limit, (unsigned long long)c->want_size);
}
