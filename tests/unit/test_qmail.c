/* test_qmail.c - the qmail-remote(8) report stream (agent/cli/qmail.h):
 * recipient verdicts in, the exact bytes qmail-rspawn reads out: one
 * r/h/s report per recipient in order, then K/Z/D, each letter + text +
 * NUL; K only when a recipient was accepted, D only when every one was
 * refused for good. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "qmail.h"

#define ACCEPTED "dane-agent: example.org accepted message."

static struct delivery_rcpt rc[3];

static void set(size_t i, enum delivery_status st, const char *reason)
{
    rc[i].status = st;
    strcpy(rc[i].reason, reason);
}

/* check - the stream for n recipients equals want (wlen bytes) */
static void check(size_t n, const char *reason, const char *want, size_t wlen)
{
    size_t len = 0;
    char *got = qmail_report(rc, n, ACCEPTED, reason, &len);

    cr_assert_not_null(got);
    cr_assert_eq(len, wlen, "length %zu, want %zu", len, wlen);
    cr_assert(memcmp(got, want, wlen) == 0, "stream differs");
    free(got);
}

#define CHECK(n, reason, lit) check(n, reason, lit, sizeof(lit) - 1)

Test(qmail, all_sent_r_then_K)
{
    set(0, DELIVERY_SENT, "");
    set(1, DELIVERY_SENT, "");
    CHECK(2, "", "r\0r\0K" ACCEPTED "\n\0");
}

Test(qmail, mixed_r_h_s_then_K)
{
    set(0, DELIVERY_SENT, "");
    set(1, DELIVERY_BOUNCED, "5.1.1 host mx[127.0.0.1] said: 550 5.1.1 no such user");
    set(2, DELIVERY_DEFERRED, "4.2.1 host mx[127.0.0.1] said: 450 4.2.1 try later");
    CHECK(3, "4.2.1 host mx[127.0.0.1] said: 450 4.2.1 try later",
          "r\0"
          "h5.1.1 host mx[127.0.0.1] said: 550 5.1.1 no such user\n\0"
          "s4.2.1 host mx[127.0.0.1] said: 450 4.2.1 try later\n\0"
          "K" ACCEPTED "\n\0");
}

/* qmail-remote: every recipient refused for good, "D...Giving up" */
Test(qmail, all_bounced_h_then_D)
{
    set(0, DELIVERY_BOUNCED, "5.1.1 no such user");
    set(1, DELIVERY_BOUNCED, "5.7.1 refused");
    CHECK(2, "5.1.1 no such user",
          "h5.1.1 no such user\n\0h5.7.1 refused\n\0D5.1.1 no such user\n\0");
}

/* nothing accepted, one deferred: the message report defers (Z), the h
 * recipient still bounces (qmail-rspawn lets h decide) */
Test(qmail, bounced_and_deferred_Z)
{
    set(0, DELIVERY_BOUNCED, "5.1.1 no such user");
    set(1, DELIVERY_DEFERRED, "4.7.5 TLSA mismatch");
    CHECK(2, "4.7.5 TLSA mismatch",
          "h5.1.1 no such user\n\0s4.7.5 TLSA mismatch\n\0Z4.7.5 TLSA mismatch\n\0");
}

Test(qmail, all_deferred_s_then_Z)
{
    set(0, DELIVERY_DEFERRED, "4.4.1 connection refused");
    CHECK(1, "4.4.1 connection refused",
          "s4.4.1 connection refused\n\0Z4.4.1 connection refused\n\0");
}

/* no recipient report (bad arguments): Z alone defers every recipient */
Test(qmail, no_recipients_Z_only)
{
    CHECK(0, "4.3.5 invalid policy", "Z4.3.5 invalid policy\n\0");
}

/* a text already ending in a newline gets no second one; one with
 * newlines inside keeps them (qmail-rspawn shows them as "/") */
Test(qmail, newline_once)
{
    set(0, DELIVERY_DEFERRED, "4.0.0 line one\nline two\n");
    CHECK(1, "4.0.0 x\n", "s4.0.0 line one\nline two\n\0Z4.0.0 x\n\0");
}
