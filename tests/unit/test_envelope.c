/* test_envelope.c - envelope_check: what may reach MAIL FROM / RCPT TO */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "envelope.h"

struct env_case {
    const char *name;
    const char *in;
    size_t inlen;           /* 0: strlen(in) */
    enum envelope_role role;
    int want_rc;
    const char *want_inner; /* when accepted */
};

#define LOCAL64 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define LABEL63 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static const struct env_case env_cases[] = {
    { "rfc5321_s4_1_2_plain", "user@example.com", 0, ENVELOPE_RECIPIENT, 0, "user@example.com" },
    { "rfc5321_s4_1_2_brackets_stripped", "<user@example.com>", 0, ENVELOPE_RECIPIENT, 0,
      "user@example.com" },
    { "rfc5321_s4_5_5_empty_sender", "", 0, ENVELOPE_SENDER, 0, "" },
    { "rfc5321_s4_5_5_empty_sender_brackets", "<>", 0, ENVELOPE_SENDER, 0, "" },
    { "rfc6531_utf8_address", "j\xc3\xb6rg@b\xc3\xbc" "cher.example", 0, ENVELOPE_RECIPIENT, 0,
      "j\xc3\xb6rg@b\xc3\xbc" "cher.example" },
    { "rfc5321_s4_5_3_1_1_local_64", LOCAL64 "@x.example", 0, ENVELOPE_RECIPIENT, 0,
      LOCAL64 "@x.example" },
    { "reject_empty_recipient", "", 0, ENVELOPE_RECIPIENT, -1, NULL },
    { "reject_cr", "a\r@example.com", 0, ENVELOPE_RECIPIENT, -1, NULL },
    { "reject_lf_command_injection", "a@example.com>\nRCPT TO:<b@evil", 0,
      ENVELOPE_RECIPIENT, -1, NULL },
    { "reject_nul", "a\0b@example.com", 15, ENVELOPE_RECIPIENT, -1, NULL },
    { "reject_space", "a b@example.com", 0, ENVELOPE_RECIPIENT, -1, NULL },
    { "reject_tab", "a\tb@example.com", 0, ENVELOPE_SENDER, -1, NULL },
    { "reject_control", "a\x01@example.com", 0, ENVELOPE_RECIPIENT, -1, NULL },
    { "reject_del", "a\x7f@example.com", 0, ENVELOPE_RECIPIENT, -1, NULL },
    { "reject_unbalanced_open", "<a@example.com", 0, ENVELOPE_RECIPIENT, -1, NULL },
    { "reject_unbalanced_close", "a@example.com>", 0, ENVELOPE_RECIPIENT, -1, NULL },
    { "reject_nested_brackets", "<<a@example.com>>", 0, ENVELOPE_RECIPIENT, -1, NULL },
    { "reject_no_at", "postmaster", 0, ENVELOPE_RECIPIENT, -1, NULL },
    { "reject_empty_local", "@example.com", 0, ENVELOPE_RECIPIENT, -1, NULL },
    { "reject_empty_domain", "a@", 0, ENVELOPE_SENDER, -1, NULL },
    { "reject_rfc5321_s4_5_3_1_1_local_65", "a" LOCAL64 "@x.example", 0, ENVELOPE_RECIPIENT,
      -1, NULL },
    { "reject_rfc5321_s4_5_3_1_3_path_over_256",
      "a@" LABEL63 "." LABEL63 "." LABEL63 "." LABEL63, 0, ENVELOPE_RECIPIENT, -1, NULL },
    { "reject_invalid_utf8", "a\xff@example.com", 0, ENVELOPE_RECIPIENT, -1, NULL },
    { "reject_overlong_utf8", "a\xc0\xae@example.com", 0, ENVELOPE_RECIPIENT, -1, NULL },
    { "reject_truncated_utf8", "a@example.co\xc3", 0, ENVELOPE_RECIPIENT, -1, NULL },
};

ParameterizedTestParameters(envelope, check)
{
    static size_t idx[sizeof(env_cases) / sizeof(env_cases[0])];
    for (size_t i = 0; i < sizeof(idx) / sizeof(idx[0]); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, sizeof(idx) / sizeof(idx[0]));
}

ParameterizedTest(size_t *i, envelope, check)
{
    const struct env_case *c = &env_cases[*i];
    size_t len = c->inlen ? c->inlen : strlen(c->in), inner_len = 0;
    const char *inner = NULL, *why = NULL;
    int rc = envelope_check(c->in, len, c->role, &inner, &inner_len, &why);

    cr_assert_eq(rc, c->want_rc, "%s: got %d, want %d (%s)", c->name, rc, c->want_rc,
                 why ? why : "-");
    if (rc != 0) {
        cr_assert_not_null(why, "%s: a reject carries a reason", c->name);
        return;
    }
    cr_assert_eq(inner_len, strlen(c->want_inner), "%s", c->name);
    cr_assert(memcmp(inner, c->want_inner, inner_len) == 0, "%s", c->name);
}

Test(envelope, rfc6531_needs_smtputf8)
{
    cr_assert_eq(envelope_needs_smtputf8("a@example.com", 13), 0);
    cr_assert_eq(envelope_needs_smtputf8("\xc3\xa9@example.com", 14), 1);
}
