/* test_sts.c - MTA-STS parsing and matching (agent/sts/sts.h): the TXT
 * record (RFC 8461 §3.1), the policy body (§3.2), MX patterns (§4.1) and
 * the RFC 8460 §4.4 policy-string lines */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sts.h"

#define NCASES(a) (sizeof(a) / sizeof((a)[0]))

/* ---- TXT record, §3.1 ---- */

struct txt_case {
    const char *name;
    const char *text;
    size_t len;             /* 0: strlen(text) */
    int want_rc;
    const char *want_id;    /* when accepted */
};

#define ID32 "abcdefghijklmnopqrstuvwxyz012345"

static const struct txt_case txt_cases[] = {
    { "rfc8461_s3_1_example", "v=STSv1; id=20160831085700Z;", 0, 0, "20160831085700Z" },
    { "no_spaces", "v=STSv1;id=abc", 0, 0, "abc" },
    { "wsp_around_delimiters", "v=STSv1 ;\tid=abc  ; ", 0, 0, "abc" },
    { "no_trailing_delimiter", "v=STSv1; id=abc", 0, 0, "abc" },
    { "id_32_chars", "v=STSv1; id=" ID32, 0, 0, ID32 },
    { "extension_ignored", "v=STSv1; id=abc; ext=https://x.example/a:b", 0, 0, "abc" },
    { "extension_first", "v=STSv1; a1_b-c.d=x; id=abc", 0, 0, "abc" },
    { "duplicate_id_first_counts", "v=STSv1; id=first; id=second", 0, 0, "first" },
    { "later_id_only_well_formed", "v=STSv1; id=a; id=b-c", 0, 0, "a" },
    { "rfc8461_s3_2_later_version_ignored", "v=STSv1; id=abc; v=STSv2", 0, 0, "abc" },
    { "reject_id_33_chars", "v=STSv1; id=" ID32 "6", 0, -1, NULL },
    { "reject_id_hyphen", "v=STSv1; id=abc-def", 0, -1, NULL },
    { "reject_id_dot", "v=STSv1; id=abc.def", 0, -1, NULL },
    { "reject_id_empty", "v=STSv1; id=", 0, -1, NULL },
    { "reject_id_spaced_equals", "v=STSv1; id = abc", 0, -1, NULL },
    { "reject_id_upper_case_name", "v=STSv1; ID=abc", 0, -1, NULL },
    { "reject_no_id", "v=STSv1; foo=bar", 0, -1, NULL },
    { "reject_no_fields", "v=STSv1;", 0, -1, NULL },
    { "reject_version_only", "v=STSv1", 0, -1, NULL },
    { "reject_version_not_first", "id=abc; v=STSv1", 0, -1, NULL },
    { "reject_leading_space", " v=STSv1; id=abc", 0, -1, NULL },
    { "reject_version_case", "v=stsv1; id=abc", 0, -1, NULL },
    { "reject_version_10", "v=STSv10; id=abc", 0, -1, NULL },
    { "reject_version_2", "v=STSv2; id=abc", 0, -1, NULL },
    { "reject_no_delimiter", "v=STSv1 id=abc", 0, -1, NULL },
    { "reject_fields_not_delimited", "v=STSv1; id=abc def=x", 0, -1, NULL },
    { "reject_empty_field", "v=STSv1;; id=abc", 0, -1, NULL },
    { "reject_field_without_equals", "v=STSv1; id=abc; junk", 0, -1, NULL },
    { "reject_ext_value_equals", "v=STSv1; id=abc; a=b=c", 0, -1, NULL },
    { "reject_ext_value_empty", "v=STSv1; id=abc; a=", 0, -1, NULL },
    { "reject_later_id_empty", "v=STSv1; id=a; id=", 0, -1, NULL },
    { "reject_ext_name_underscore_first", "v=STSv1; id=abc; _a=b", 0, -1, NULL },
    { "reject_ext_name_33_chars", "v=STSv1; id=abc; " ID32 "6=x", 0, -1, NULL },
    { "reject_ext_value_non_ascii", "v=STSv1; id=abc; a=\xc3\xa9", 0, -1, NULL },
    { "reject_nul_in_id", "v=STSv1; id=ab\0c", 16, -1, NULL },
    { "reject_nul_after_record", "v=STSv1; id=abc\0", 16, -1, NULL },
    { "reject_empty", "", 0, -1, NULL },
};

ParameterizedTestParameters(sts_txt, parse)
{
    static size_t idx[NCASES(txt_cases)];
    for (size_t i = 0; i < NCASES(idx); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, NCASES(idx));
}

ParameterizedTest(size_t *i, sts_txt, parse)
{
    const struct txt_case *c = &txt_cases[*i];
    size_t len = c->len ? c->len : strlen(c->text);
    struct sts_txt txt;
    const char *why = NULL;
    int rc;

    memset(&txt, 0, sizeof(txt));
    rc = sts_txt_parse(c->text, len, &txt, &why);
    cr_assert_eq(rc, c->want_rc, "%s: got %d (%s)", c->name, rc, why ? why : "-");
    if (rc != 0) {
        cr_assert_not_null(why, "%s: a reject carries a reason", c->name);
        return;
    }
    cr_assert_str_eq(txt.id, c->want_id, "%s", c->name);
}

/* select - sts_txt_select over C strings */
static enum sts_txt_status select_of(const char *const *texts, size_t n,
                                     struct sts_txt *out, const char **why)
{
    struct sts_txt_record recs[8];

    cr_assert(n <= NCASES(recs));
    for (size_t i = 0; i < n; i++) {
        recs[i].text = texts[i];
        recs[i].len = texts[i] ? strlen(texts[i]) : 0;
    }
    return sts_txt_select(recs, n, out, why);
}

Test(sts_txt, select_one_among_others)
{
    const char *rrset[] = { "v=spf1 -all", "v=STSv1; id=good", "hello", NULL };
    struct sts_txt txt;
    const char *why = NULL;

    cr_assert_eq(select_of(rrset, 4, &txt, &why), STS_TXT_FOUND, "%s", why);
    cr_assert_str_eq(txt.id, "good");
}

Test(sts_txt, select_discards_records_not_beginning_v_stsv1)
{
    /* §3.1: not "v=STSv1;" (the ABNF lets WSP precede the ";") */
    const char *others[] = { "v=STSv1", "v=STSv10; id=a", "v=STSv1-x; id=a",
                             "V=STSv1; id=a", " v=STSv1; id=a", "id=a; v=STSv1" };

    for (size_t i = 0; i < NCASES(others); i++) {
        const char *rrset[] = { others[i], "v=STSv1 ; id=good" };
        struct sts_txt txt;
        const char *why = NULL;

        cr_assert_eq(select_of(rrset, 2, &txt, &why), STS_TXT_FOUND, "%s: %s",
                     others[i], why);
        cr_assert_str_eq(txt.id, "good");
    }
}

Test(sts_txt, select_none_is_absent)
{
    const char *rrset[] = { "v=spf1 -all", "v=STSv1" };
    struct sts_txt txt;
    const char *why = NULL;

    cr_assert_eq(select_of(rrset, 2, &txt, &why), STS_TXT_ABSENT);
    cr_assert_not_null(why);
    why = NULL;
    cr_assert_eq(sts_txt_select(NULL, 0, &txt, &why), STS_TXT_ABSENT);
    cr_assert_not_null(why);
}

Test(sts_txt, select_two_stsv1_records_invalid)
{
    /* §3.1: "If the number of resulting records is not one ..." - even two
     * identical ones */
    const char *two[] = { "v=STSv1; id=a", "v=STSv1; id=b" };
    const char *same[] = { "v=STSv1; id=a", "v=STSv1; id=a" };
    const char *bad_and_good[] = { "v=STSv1; id=bad-id", "v=STSv1; id=good" };
    struct sts_txt txt;
    const char *why = NULL;

    cr_assert_eq(select_of(two, 2, &txt, &why), STS_TXT_INVALID);
    cr_assert_not_null(why);
    cr_assert_eq(select_of(same, 2, &txt, &why), STS_TXT_INVALID);
    cr_assert_eq(select_of(bad_and_good, 2, &txt, &why), STS_TXT_INVALID);
}

Test(sts_txt, select_one_malformed_invalid)
{
    const char *rrset[] = { "v=STSv1; id=" ID32 "6" };
    struct sts_txt txt;
    const char *why = NULL;

    cr_assert_eq(select_of(rrset, 1, &txt, &why), STS_TXT_INVALID);
    cr_assert_not_null(why);
}

Test(sts_txt, select_strings_concatenated_by_caller)
{
    /* §3.1: a record of several strings is read as their concatenation,
     * without spaces: "v=STSv1; id=2016" "0831" */
    const char *rrset[] = { "v=STSv1; id=2016" "0831" };
    struct sts_txt txt;
    const char *why = NULL;

    cr_assert_eq(select_of(rrset, 1, &txt, &why), STS_TXT_FOUND, "%s", why);
    cr_assert_str_eq(txt.id, "20160831");
}

/* ---- policy body, §3.2 ---- */

struct policy_case {
    const char *name;
    const char *text;
    size_t len;             /* 0: strlen(text) */
    int want_rc;
    enum sts_mode mode;     /* when accepted */
    uint32_t max_age;
    size_t nmx;
    const char *mx0;        /* the first pattern as kept, or NULL */
};

#define RFC_EXAMPLE_LF                                                  \
    "version: STSv1\nmode: enforce\nmx: mail.example.com\n"             \
    "mx: *.example.net\nmx: backupmx.example.com\nmax_age: 604800\n"
#define RFC_EXAMPLE_CRLF                                                \
    "version: STSv1\r\nmode: enforce\r\nmx: mail.example.com\r\n"       \
    "mx: *.example.net\r\nmx: backupmx.example.com\r\nmax_age: 604800\r\n"
#define HEAD "version: STSv1\nmode: enforce\nmax_age: 86400\n"
#define LABEL63 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const struct policy_case policy_cases[] = {
    { "rfc8461_s3_2_example_lf", RFC_EXAMPLE_LF, 0, 0, STS_MODE_ENFORCE, 604800, 3,
      "mail.example.com" },
    { "rfc8461_s3_2_example_crlf", RFC_EXAMPLE_CRLF, 0, 0, STS_MODE_ENFORCE, 604800, 3,
      "mail.example.com" },
    { "no_final_line_end", "version: STSv1\nmode: testing\nmx: a.example\nmax_age: 1", 0, 0,
      STS_MODE_TESTING, 1, 1, "a.example" },
    { "mixed_crlf_lf", "version: STSv1\r\nmode: testing\nmx: a.example\r\nmax_age: 5\n", 0, 0,
      STS_MODE_TESTING, 5, 1, "a.example" },
    { "trailing_whitespace", "version: STSv1 \t\r\nmode: enforce  \nmx: a.example\t\n"
      "max_age: 60 \r\n", 0, 0, STS_MODE_ENFORCE, 60, 1, "a.example" },
    { "no_space_after_colon", "version:STSv1\nmode:enforce\nmx:a.example\nmax_age:60\n", 0, 0,
      STS_MODE_ENFORCE, 60, 1, "a.example" },
    { "version_not_first", "mode: enforce\nmx: a.example\nmax_age: 60\nversion: STSv1\n", 0, 0,
      STS_MODE_ENFORCE, 60, 1, "a.example" },
    { "mode_none_without_mx", "version: STSv1\nmode: none\nmax_age: 86400\n", 0, 0,
      STS_MODE_NONE, 86400, 0, NULL },
    { "unknown_and_blank_lines_ignored", "\n# comment\nversion: STSv1\n\nfoo: bar\n"
      "x-ext.1: a b c\nhello\n  mode: none\nmode: testing\nmx: a.example\nmax_age: 9\n\n\n", 0,
      0, STS_MODE_TESTING, 9, 1, "a.example" },
    { "duplicate_mode_first_counts", "version: STSv1\nmode: testing\nmode: enforce\n"
      "mx: a.example\nmax_age: 9\n", 0, 0, STS_MODE_TESTING, 9, 1, "a.example" },
    { "rfc8461_s3_2_duplicate_max_age_first_counts", "version: STSv1\nmode: none\n"
      "max_age: 60\nmax_age: 120\n", 0, 0, STS_MODE_NONE, 60, 0, NULL },
    { "rfc8461_s3_2_unknown_field_utf8_value_ignored", "version: STSv1\nmode: none\n"
      "max_age: 60\nx-note: caf\xc3\xa9\n", 0, 0, STS_MODE_NONE, 60, 0, NULL },
    { "rfc8461_s3_2_tabs_are_wsp", "version:\tSTSv1\t\nmode:\tenforce\nmx:\ta.example\t\n"
      "max_age:\t60\n", 0, 0, STS_MODE_ENFORCE, 60, 1, "a.example" },
    { "duplicate_ignored_unchecked", "version: STSv1\nversion: STSv9\nmode: none\n"
      "mode: bogus\nmax_age: 9\nmax_age: x\n", 0, 0, STS_MODE_NONE, 9, 0, NULL },
    { "max_age_0", "version: STSv1\nmode: none\nmax_age: 0\n", 0, 0, STS_MODE_NONE, 0, 0, NULL },
    { "max_age_leading_zeros", "version: STSv1\nmode: none\nmax_age: 0000086400\n", 0, 0,
      STS_MODE_NONE, 86400, 0, NULL },
    { "max_age_maximum", "version: STSv1\nmode: none\nmax_age: 31557600\n", 0, 0,
      STS_MODE_NONE, 31557600, 0, NULL },
    { "max_age_above_maximum_capped", "version: STSv1\nmode: none\nmax_age: 31557601\n", 0, 0,
      STS_MODE_NONE, STS_MAX_AGE_MAX, 0, NULL },
    { "max_age_10_digits_capped", "version: STSv1\nmode: none\nmax_age: 9999999999\n", 0, 0,
      STS_MODE_NONE, STS_MAX_AGE_MAX, 0, NULL },
    { "mx_wildcard", HEAD "mx: *.Example.NET\n", 0, 0, STS_MODE_ENFORCE, 86400, 1,
      "*.example.net" },
    { "mx_trailing_dot_dropped", HEAD "mx: Mail.Example.com.\n", 0, 0, STS_MODE_ENFORCE, 86400,
      1, "mail.example.com" },
    { "mx_label_63", HEAD "mx: " LABEL63 ".example\n", 0, 0, STS_MODE_ENFORCE, 86400, 1,
      LABEL63 ".example" },
    { "mx_single_label", HEAD "mx: localhost\n", 0, 0, STS_MODE_ENFORCE, 86400, 1,
      "localhost" },
    { "reject_empty", "", 0, -1, 0, 0, 0, NULL },
    { "reject_missing_version", "mode: enforce\nmx: a.example\nmax_age: 60\n", 0, -1, 0, 0, 0,
      NULL },
    { "reject_version_key_case", "Version: STSv1\nmode: none\nmax_age: 60\n", 0, -1, 0, 0, 0,
      NULL },
    { "reject_version_value_case", "version: stsv1\nmode: none\nmax_age: 60\n", 0, -1, 0, 0,
      0, NULL },
    { "reject_version_2", "version: STSv2\nmode: none\nmax_age: 60\n", 0, -1, 0, 0, 0, NULL },
    { "reject_space_before_colon", "version : STSv1\nmode: none\nmax_age: 60\n", 0, -1, 0, 0,
      0, NULL },
    { "reject_missing_mode", "version: STSv1\nmx: a.example\nmax_age: 60\n", 0, -1, 0, 0, 0,
      NULL },
    { "reject_mode_report_from_drafts", "version: STSv1\nmode: report\nmx: a.example\n"
      "max_age: 60\n", 0, -1, 0, 0, 0, NULL },
    { "reject_mode_case", "version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 60\n", 0,
      -1, 0, 0, 0, NULL },
    { "reject_mode_cr_inside", "version: STSv1\nmode: enforce\r\r\nmx: a.example\n"
      "max_age: 60\n", 0, -1, 0, 0, 0, NULL },
    { "reject_rfc8461_s3_2_lone_cr_ends_last_line", HEAD "mx: a.example\r", 0, -1, 0, 0, 0,
      NULL },
    { "reject_cr_only_line_ends", "version: STSv1\rmode: none\rmax_age: 60\r", 0, -1, 0, 0, 0,
      NULL },
    { "reject_missing_max_age", "version: STSv1\nmode: none\n", 0, -1, 0, 0, 0, NULL },
    { "reject_max_age_11_digits", "version: STSv1\nmode: none\nmax_age: 00000086400\n", 0, -1,
      0, 0, 0, NULL },
    { "reject_max_age_overflow", "version: STSv1\nmode: none\n"
      "max_age: 18446744073709551617\n", 0, -1, 0, 0, 0, NULL },
    { "reject_max_age_negative", "version: STSv1\nmode: none\nmax_age: -1\n", 0, -1, 0, 0, 0,
      NULL },
    { "reject_max_age_plus", "version: STSv1\nmode: none\nmax_age: +60\n", 0, -1, 0, 0, 0,
      NULL },
    { "reject_max_age_exponent", "version: STSv1\nmode: none\nmax_age: 1e6\n", 0, -1, 0, 0, 0,
      NULL },
    { "reject_max_age_inner_space", "version: STSv1\nmode: none\nmax_age: 86 400\n", 0, -1, 0,
      0, 0, NULL },
    { "reject_max_age_empty", "version: STSv1\nmode: none\nmax_age:\n", 0, -1, 0, 0, 0, NULL },
    { "reject_enforce_without_mx", HEAD, 0, -1, 0, 0, 0, NULL },
    { "reject_testing_without_mx", "version: STSv1\nmode: testing\nmax_age: 60\n", 0, -1, 0, 0,
      0, NULL },
    { "reject_mx_empty", HEAD "mx:\n", 0, -1, 0, 0, 0, NULL },
    { "reject_mx_wildcard_alone", HEAD "mx: *\n", 0, -1, 0, 0, 0, NULL },
    { "reject_mx_wildcard_dot", HEAD "mx: *.\n", 0, -1, 0, 0, 0, NULL },
    { "reject_mx_wildcard_inner", HEAD "mx: a.*.b\n", 0, -1, 0, 0, 0, NULL },
    { "reject_mx_wildcard_twice", HEAD "mx: *.*.example.com\n", 0, -1, 0, 0, 0, NULL },
    { "reject_mx_wildcard_partial", HEAD "mx: mx*.example.com\n", 0, -1, 0, 0, 0, NULL },
    { "reject_mx_wildcard_no_dot", HEAD "mx: *example.com\n", 0, -1, 0, 0, 0, NULL },
    { "reject_mx_wildcard_last", HEAD "mx: example.*\n", 0, -1, 0, 0, 0, NULL },
    { "reject_mx_empty_label", HEAD "mx: a..example\n", 0, -1, 0, 0, 0, NULL },
    { "reject_mx_two_trailing_dots", HEAD "mx: a.example..\n", 0, -1, 0, 0, 0, NULL },
    { "reject_mx_leading_dot", HEAD "mx: .example.com\n", 0, -1, 0, 0, 0, NULL },
    { "reject_mx_hyphen_end", HEAD "mx: a-.example\n", 0, -1, 0, 0, 0, NULL },
    { "reject_mx_hyphen_start", HEAD "mx: -a.example\n", 0, -1, 0, 0, 0, NULL },
    { "reject_mx_underscore", HEAD "mx: a_b.example\n", 0, -1, 0, 0, 0, NULL },
    { "reject_mx_label_64", HEAD "mx: a" LABEL63 ".example\n", 0, -1, 0, 0, 0, NULL },
    { "reject_mx_254_octets", HEAD "mx: a" LABEL63 "." LABEL63 "." LABEL63 "." LABEL63 "\n", 0,
      -1, 0, 0, 0, NULL },
    { "reject_mx_inner_space", HEAD "mx: a example\n", 0, -1, 0, 0, 0, NULL },
    { "reject_mx_u_label", HEAD "mx: b\xc3\xbc" "cher.example\n", 0, -1, 0, 0, 0, NULL },
    { "reject_mx_address", HEAD "mx: [192.0.2.1]\n", 0, -1, 0, 0, 0, NULL },
    { "reject_mx_in_mode_none_checked", "version: STSv1\nmode: none\nmax_age: 60\nmx: *\n", 0,
      -1, 0, 0, 0, NULL },
    { "reject_nul_byte", "version: STSv1\nmode: none\0\nmax_age: 60\n", 40, -1, 0, 0, 0, NULL },
    { "reject_nul_in_unknown_line", "version: STSv1\nmode: none\nmax_age: 60\nx: \0\n", 42, -1,
      0, 0, 0, NULL },
    { "reject_html_error_page", "<html><body>404 Not Found</body></html>\n", 0, -1, 0, 0, 0,
      NULL },
};

ParameterizedTestParameters(sts_policy, parse)
{
    static size_t idx[NCASES(policy_cases)];
    for (size_t i = 0; i < NCASES(idx); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, NCASES(idx));
}

ParameterizedTest(size_t *i, sts_policy, parse)
{
    const struct policy_case *c = &policy_cases[*i];
    size_t len = c->len ? c->len : strlen(c->text);
    struct sts_policy p;
    const char *why = NULL;
    int rc;

    memset(&p, 0xa5, sizeof(p));
    rc = sts_policy_parse((const uint8_t *)c->text, len, &p, &why);
    cr_assert_eq(rc, c->want_rc, "%s: got %d (%s)", c->name, rc, why ? why : "-");
    if (rc != 0) {
        cr_assert_not_null(why, "%s: a reject carries a reason", c->name);
        return;
    }
    cr_assert_eq(p.mode, c->mode, "%s", c->name);
    cr_assert_eq(p.max_age, c->max_age, "%s: max_age %u", c->name, (unsigned)p.max_age);
    cr_assert_eq(p.nmx, c->nmx, "%s: nmx %zu", c->name, p.nmx);
    if (c->mx0 != NULL)
        cr_assert_str_eq(p.mx[0], c->mx0, "%s", c->name);
}

Test(sts_policy, rejection_leaves_output_alone)
{
    static const char bad[] = "version: STSv1\nmode: enforce\nmax_age: 60\n";
    struct sts_policy p;
    const char *why = NULL;

    memset(&p, 0, sizeof(p));
    p.max_age = 42;
    cr_assert_eq(sts_policy_parse((const uint8_t *)bad, sizeof(bad) - 1, &p, &why), -1);
    cr_assert_eq(p.max_age, 42);
}

/* policy_of - a policy body of exactly len bytes: HEAD, nmx mx lines, then
 * one unknown field padding it; the caller frees it */
static uint8_t *policy_of(size_t nmx, size_t len)
{
    uint8_t *buf = malloc(len);
    size_t off = 0;

    cr_assert_not_null(buf);
    off += (size_t)sprintf((char *)buf, HEAD);
    for (size_t i = 0; i < nmx; i++)
        off += (size_t)sprintf((char *)buf + off, "mx: mx%zu.example\n", i);
    cr_assert(off + 4 <= len);
    memcpy(buf + off, "x: ", 3);
    memset(buf + off + 3, 'y', len - off - 3);
    return buf;
}

Test(sts_policy, size_limit_rfc8461_s3_3)
{
    uint8_t *at = policy_of(1, STS_POLICY_MAX), *over = policy_of(1, STS_POLICY_MAX + 1);
    struct sts_policy p;
    const char *why = NULL;

    cr_assert_eq(sts_policy_parse(at, STS_POLICY_MAX, &p, &why), 0, "%s", why);
    cr_assert_eq(sts_policy_parse(over, STS_POLICY_MAX + 1, &p, &why), -1);
    cr_assert_not_null(why);
    free(at);
    free(over);
}

Test(sts_policy, mx_count_limit)
{
    uint8_t *at = policy_of(STS_MX_MAX, 4096), *over = policy_of(STS_MX_MAX + 1, 4096);
    struct sts_policy p;
    const char *why = NULL;

    cr_assert_eq(sts_policy_parse(at, 4096, &p, &why), 0, "%s", why);
    cr_assert_eq(p.nmx, STS_MX_MAX);
    cr_assert_str_eq(p.mx[STS_MX_MAX - 1], "mx63.example");
    cr_assert_eq(sts_policy_parse(over, 4096, &p, &why), -1);
    cr_assert_not_null(why);
    free(at);
    free(over);
}

/* ---- MX host matching, §4.1 ---- */

/* parsed - a policy from a C string that must be valid */
static void parsed(const char *text, struct sts_policy *p)
{
    const char *why = NULL;

    cr_assert_eq(sts_policy_parse((const uint8_t *)text, strlen(text), p, &why), 0, "%s",
                 why);
}

Test(sts_mx, rfc8461_s4_1_patterns)
{
    struct sts_policy p;

    parsed(RFC_EXAMPLE_LF, &p);
    cr_assert_eq(sts_mx_match(&p, "mail.example.com"), p.mx[0]);
    cr_assert_eq(sts_mx_match(&p, "MAIL.Example.COM."), p.mx[0]);
    cr_assert_eq(sts_mx_match(&p, "backupmx.example.com"), p.mx[2]);
    cr_assert_str_eq(sts_mx_match(&p, "mx1.example.net"), "*.example.net");
    cr_assert_str_eq(sts_mx_match(&p, "Mx1.Example.Net."), "*.example.net");
    /* the wildcard stands for exactly one label */
    cr_assert_null(sts_mx_match(&p, "example.net"));
    cr_assert_null(sts_mx_match(&p, "a.b.example.net"));
    cr_assert_null(sts_mx_match(&p, ".example.net"));
    cr_assert_null(sts_mx_match(&p, "xexample.net"));
    /* exact patterns match whole names only */
    cr_assert_null(sts_mx_match(&p, "xmail.example.com"));
    cr_assert_null(sts_mx_match(&p, "mail.example.com.evil.example"));
    cr_assert_null(sts_mx_match(&p, "sub.mail.example.com"));
    cr_assert_null(sts_mx_match(&p, "example.com"));
}

Test(sts_mx, rfc8461_s4_1_case_and_one_trailing_dot_on_either_side)
{
    struct sts_policy p;

    parsed(HEAD "mx: *.Example.NET.\nmx: MAIL.example.com.\n", &p);
    cr_assert_eq(sts_mx_match(&p, "mx1.example.net"), p.mx[0]);
    cr_assert_eq(sts_mx_match(&p, "MX1.EXAMPLE.NET."), p.mx[0]);
    cr_assert_eq(sts_mx_match(&p, "mail.EXAMPLE.com"), p.mx[1]);
    cr_assert_eq(sts_mx_match(&p, "mail.example.com."), p.mx[1]);
    cr_assert_null(sts_mx_match(&p, "a.mx1.example.net."));
    cr_assert_null(sts_mx_match(&p, "example.net."));
}

Test(sts_mx, invalid_host_names_never_match)
{
    struct sts_policy p;
    char long_host[300];

    parsed(HEAD "mx: *.example.com\nmx: mail.example.com\n", &p);
    cr_assert_null(sts_mx_match(&p, "*.example.com"));
    cr_assert_null(sts_mx_match(&p, ""));
    cr_assert_null(sts_mx_match(&p, "."));
    cr_assert_null(sts_mx_match(&p, "mail.example.com.."));
    cr_assert_null(sts_mx_match(&p, "a b.example.com"));
    cr_assert_null(sts_mx_match(&p, NULL));
    cr_assert_null(sts_mx_match(NULL, "mail.example.com"));
    memset(long_host, 'a', sizeof(long_host) - 1);
    long_host[sizeof(long_host) - 1] = '\0';
    cr_assert_null(sts_mx_match(&p, long_host));
}

Test(sts_mx, first_matching_pattern_wins)
{
    struct sts_policy p;

    parsed(HEAD "mx: *.example.com\nmx: mail.example.com\n", &p);
    cr_assert_eq(sts_mx_match(&p, "mail.example.com"), p.mx[0]);
}

Test(sts_mx, mode_none_without_patterns)
{
    struct sts_policy p;

    parsed("version: STSv1\nmode: none\nmax_age: 0\n", &p);
    cr_assert_null(sts_mx_match(&p, "mail.example.com"));
}

/* ---- names and policy-string ---- */

Test(sts, mode_names)
{
    cr_assert_str_eq(sts_mode_name(STS_MODE_ENFORCE), "enforce");
    cr_assert_str_eq(sts_mode_name(STS_MODE_TESTING), "testing");
    cr_assert_str_eq(sts_mode_name(STS_MODE_NONE), "none");
    cr_assert_str_eq(sts_mode_name((enum sts_mode)42), "unknown");
}

Test(sts, policy_lines_rfc8460_s4_4)
{
    static const char *const want[] = {
        "version: STSv1", "mode: testing", "mx: *.mail.company-y.example",
        "mx: mx.company-y.example", "max_age: 86400",
    };
    struct sts_policy p;
    struct sts_lines lines;

    parsed("mx: *.MAIL.company-y.example.\r\nmode: testing\r\nmax_age: 0086400\r\n"
           "other: x\r\nversion: STSv1\r\nmx: mx.company-y.example\r\n", &p);
    sts_policy_lines(&p, &lines);
    cr_assert_eq(lines.n, NCASES(want));
    for (size_t i = 0; i < NCASES(want); i++)
        cr_assert_str_eq(lines.line[i], want[i]);
}

Test(sts, policy_lines_capped_max_age_and_longest_pattern)
{
    struct sts_policy p;
    struct sts_lines lines;
    char text[512], want[300];
    /* "*." + 3 x (63 + ".") + 59 = 253 octets */
    const char *name = "*." LABEL63 "." LABEL63 "." LABEL63 "."
                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    cr_assert_eq(strlen(name), STS_NAME_MAX);
    snprintf(text, sizeof(text), "version: STSv1\nmode: enforce\nmax_age: 99999999\nmx: %s\n",
             name);
    parsed(text, &p);
    sts_policy_lines(&p, &lines);
    snprintf(want, sizeof(want), "mx: %s", name);
    cr_assert_eq(lines.n, 4);
    cr_assert_str_eq(lines.line[2], want);
    cr_assert_str_eq(lines.line[3], "max_age: 31557600");
}
