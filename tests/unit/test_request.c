/* test_request.c - deliver's command line (agent/cli/request.h): the envelope
 * as the rest of the program sees it. Bare addresses, one surrounding pair
 * of angle brackets and "<>" are accepted for -f and for recipients and
 * come out bare and NUL-terminated; anything else is a usage error (exit
 * 64) with a reason, decided before any network activity. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "request.h"

/* Criterion re-executes each case in a child: parameters hold arrays only. */
struct env_case {
    char name[48];
    char sender[64];
    char rcpt[64];
    int want_rc;
    char want_sender[32];   /* when accepted */
    char want_rcpt[32];
    int want_smtputf8;
};

ParameterizedTestParameters(request, rfc5321_s4_1_2_envelope)
{
    static struct env_case cases[] = {
        {"bare", "s@x.example", "r@y.example", 0, "s@x.example", "r@y.example", 0},
        {"sender_brackets", "<s@x.example>", "r@y.example", 0, "s@x.example",
         "r@y.example", 0},
        {"rcpt_brackets", "s@x.example", "<r@y.example>", 0, "s@x.example",
         "r@y.example", 0},
        {"rfc5321_s4_5_5_null_sender_brackets", "<>", "<r@y.example>", 0, "",
         "r@y.example", 0},
        {"rfc5321_s4_5_5_null_sender_empty", "", "r@y.example", 0, "", "r@y.example", 0},
        /* pipe(8) without null_sender= passes the null sender so */
        {"pipe8_mailer_daemon", "MAILER-DAEMON", "r@y.example", 0, "", "r@y.example", 0},
        {"pipe8_mailer_daemon_case", "mailer-daemon", "r@y.example", 0, "",
         "r@y.example", 0},
        {"rfc6531_utf8_rcpt_brackets", "s@x.example", "<j\xc3\xb6rg@y.example>", 0,
         "s@x.example", "j\xc3\xb6rg@y.example", 1},
        {"reject_rcpt_null", "s@x.example", "<>", -1, "", "", 0},
        {"reject_rcpt_empty", "s@x.example", "", -1, "", "", 0},
        {"reject_sender_unbalanced", "<s@x.example", "r@y.example", -1, "", "", 0},
        {"reject_rcpt_unbalanced", "s@x.example", "r@y.example>", -1, "", "", 0},
        {"reject_rcpt_two_pairs", "s@x.example", "<<r@y.example>>", -1, "", "", 0},
        {"reject_sender_inner_bracket", "<s<@x.example>", "r@y.example", -1, "", "", 0},
        {"reject_rcpt_no_domain", "s@x.example", "<postmaster>", -1, "", "", 0},
        {"reject_rcpt_line_break", "s@x.example", "<r@y.example>\r\nRSET", -1, "", "", 0},
    };
    return cr_make_param_array(struct env_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct env_case *c, request, rfc5321_s4_1_2_envelope)
{
    char sender[64], rcpt[64];
    char *argv[] = {"deliver", "-c", "/p.yaml", "-f", sender, "-n", "[192.0.2.1]",
                    "--", rcpt, NULL};
    struct deliver_request req;
    const char *why = NULL;
    int rc;

    snprintf(sender, sizeof(sender), "%s", c->sender);
    snprintf(rcpt, sizeof(rcpt), "%s", c->rcpt);
    rc = request_parse(9, argv, &req, &why);
    cr_assert_eq(rc, c->want_rc, "%s: got %d, want %d (%s)", c->name, rc, c->want_rc,
                 why ? why : "no reason");
    if (rc != 0) {
        cr_assert_not_null(why, "%s: a refusal has a reason", c->name);
        return;
    }
    cr_assert_str_eq(req.sender, c->want_sender, "%s: sender", c->name);
    cr_assert_eq(req.nrcpts, 1);
    cr_assert_str_eq(req.rcpts[0], c->want_rcpt, "%s: recipient", c->name);
    cr_assert_eq(req.smtputf8, c->want_smtputf8, "%s: smtputf8", c->name);
}

Test(request, every_recipient_unbracketed)
{
    char f[] = "<>", a[] = "<a@y.example>", b[] = "b@y.example", d[] = "<d@y.example>";
    char *argv[] = {"deliver", "-c", "/p.yaml", "-f", f, "-n", "y.example", "--",
                    a, b, d, NULL};
    struct deliver_request req;
    const char *why = NULL;

    cr_assert_eq(request_parse(11, argv, &req, &why), 0, "%s", why);
    cr_assert_eq(req.nrcpts, 3);
    cr_assert_str_eq(req.rcpts[0], "a@y.example");
    cr_assert_str_eq(req.rcpts[1], "b@y.example");
    cr_assert_str_eq(req.rcpts[2], "d@y.example");
    cr_assert_str_eq(req.sender, "");
}

Test(request, reject_missing_arguments)
{
    char *argv[] = {"deliver", "-c", "/p.yaml", "-f", "s@x.example", "--",
                    "r@y.example", NULL};
    struct deliver_request req;
    const char *why = NULL;

    cr_assert_eq(request_parse(7, argv, &req, &why), -1);
    cr_assert_not_null(why);
}

Test(request, reject_no_recipient)
{
    char *argv[] = {"deliver", "-c", "/p.yaml", "-f", "s@x.example", "-n", "y.example",
                    "--", NULL};
    struct deliver_request req;
    const char *why = NULL;

    cr_assert_eq(request_parse(8, argv, &req, &why), -1);
    cr_assert_not_null(why);
}
