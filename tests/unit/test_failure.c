/* test_failure.c - the failure classifier (failure.h): every cause has a
 * class and an enhanced code whose class digit agrees with it, a server's
 * reply decides only where the table says so, and no deferral can carry a
 * 5.X.X (or 2.X.X) code. */
#include <criterion/criterion.h>
#include <string.h>

#include "failure.h"

/* class_digit - the digit a class must print */
static char class_digit(enum failure_class cls)
{
    return cls == FAILURE_BOUNCE ? '5' : '4';
}

Test(failure, every_cause_agrees_with_its_code)
{
    static const int codes[] = { 0, 250, 354, 421, 450, 554, 599 };
    static const char *const server[] = { "", "2.0.0", "4.4.2", "5.7.1", "5.123.456" };

    for (int c = 0; c < FAILURE_CAUSES; c++)
        for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
            for (size_t k = 0; k < sizeof(server) / sizeof(server[0]); k++) {
                char out[FAILURE_ENHANCED_MAX];
                enum failure_class cls = failure_class_of(c, codes[i]);

                failure_enhanced(c, codes[i], server[k], out);
                cr_assert_eq(out[0], class_digit(cls), "cause %d code %d server %s: %s", c,
                             codes[i], server[k], out);
                cr_assert_eq(out[1], '.', "cause %d: %s", c, out);
            }
}

Test(failure, reply_decides_only_for_transaction_replies)
{
    char out[FAILURE_ENHANCED_MAX];

    cr_assert_eq(failure_class_of(FAILURE_REPLY, 550), FAILURE_BOUNCE);
    cr_assert_eq(failure_class_of(FAILURE_REPLY, 451), FAILURE_DEFER);
    failure_enhanced(FAILURE_REPLY, 550, "5.1.1", out);
    cr_assert_str_eq(out, "5.1.1");
    failure_enhanced(FAILURE_REPLY, 554, "", out);
    cr_assert_str_eq(out, "5.0.0");
    /* a server that pairs 450 with 5.x.x: the reply code decides the class */
    failure_enhanced(FAILURE_REPLY, 450, "5.2.2", out);
    cr_assert_str_eq(out, "4.2.2");
}

/* Postfix smtp_skip_5xx_greeting: the host is skipped, the mail deferred */
Test(failure, refused_greeting_defers_with_the_servers_detail)
{
    char out[FAILURE_ENHANCED_MAX];

    cr_assert_eq(failure_class_of(FAILURE_REFUSED, 554), FAILURE_DEFER);
    failure_enhanced(FAILURE_REFUSED, 554, "5.7.1", out);
    cr_assert_str_eq(out, "4.7.1");
    failure_enhanced(FAILURE_REFUSED, 554, "", out);
    cr_assert_str_eq(out, "4.0.0");
}

Test(failure, protocol_errors_defer)
{
    char out[FAILURE_ENHANCED_MAX];

    /* a 250 to DATA or a 354 to the dot: never 2.X.X, never a bounce */
    failure_enhanced(FAILURE_PROTOCOL, 250, "2.0.0", out);
    cr_assert_str_eq(out, "4.5.0");
    failure_enhanced(FAILURE_PROTOCOL, 554, "5.7.1", out);
    cr_assert_str_eq(out, "4.5.0");
}

Test(failure, fixed_codes_and_rfc8460_types)
{
    static const struct {
        enum failure_cause cause;
        const char *enhanced;
        const char *rfc8460;
    } want[] = {
        { FAILURE_CONNECT, "4.4.1", NULL },
        { FAILURE_TIMEOUT, "4.4.2", NULL },
        { FAILURE_MALFORMED, "4.5.0", NULL },
        { FAILURE_STARTTLS_ABSENT, "4.7.4", "starttls-not-supported" },
        { FAILURE_STARTTLS_REFUSED, "4.7.5", "starttls-not-supported" },
        { FAILURE_TLS, "4.7.5", "validation-failure" },
        { FAILURE_AUTH, "4.7.5", "validation-failure" },
        { FAILURE_AUTH_TLSA, "4.7.5", "tlsa-invalid" },
        { FAILURE_AUTH_EXPIRED, "4.7.5", "certificate-expired" },
        { FAILURE_AUTH_NAME, "4.7.5", "certificate-host-mismatch" },
        { FAILURE_AUTH_UNTRUSTED, "4.7.5", "certificate-not-trusted" },
        { FAILURE_DNSSEC, "4.4.3", "dnssec-invalid" },
        { FAILURE_DANE_REQUIRED, "4.7.5", "dane-required" },
        { FAILURE_STS_FETCH, "4.7.5", "sts-policy-fetch-error" },
        { FAILURE_STS_INVALID, "4.7.5", "sts-policy-invalid" },
        { FAILURE_STS_WEBPKI, "4.7.5", "sts-webpki-invalid" },
        { FAILURE_SMTPUTF8, "5.6.7", NULL },
        { FAILURE_SIZE, "5.3.4", NULL },
        { FAILURE_8BIT, "5.6.3", NULL },
        { FAILURE_DEADLINE, "4.4.7", NULL },
    };

    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        char out[FAILURE_ENHANCED_MAX];
        const char *t = failure_rfc8460(want[i].cause);

        failure_enhanced(want[i].cause, 0, "5.9.9", out);
        cr_assert_str_eq(out, want[i].enhanced, "cause %d", want[i].cause);
        if (want[i].rfc8460 == NULL)
            cr_assert_null(t, "cause %d: %s", want[i].cause, t);
        else
            cr_assert_str_eq(t, want[i].rfc8460);
    }
}

Test(failure, dsn_for_forces_the_class)
{
    char out[FAILURE_ENHANCED_MAX];

    failure_dsn_for(FAILURE_DEFER, "5.3.5", out);
    cr_assert_str_eq(out, "4.3.5");
    failure_dsn_for(FAILURE_BOUNCE, "4.1.1", out);
    cr_assert_str_eq(out, "5.1.1");
    failure_dsn_for(FAILURE_DEFER, "", out);
    cr_assert_str_eq(out, "4.0.0");
    failure_dsn_for(FAILURE_DEFER, NULL, out);
    cr_assert_str_eq(out, "4.0.0");
    failure_dsn_for(FAILURE_BOUNCE, "5.", out);
    cr_assert_str_eq(out, "5.0.0");
}
