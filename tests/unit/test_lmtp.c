/* test_lmtp.c - the LMTP server engine against RFC 2033 / RFC 5321 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "lmtp.h"

struct rec {
    char body[8192];
    size_t body_len;
    int begun, ended;
    enum lmtp_data_end how;
};

static void on_begin(void *ctx, const struct lmtp_envelope *env)
{
    (void)env;
    ((struct rec *)ctx)->begun++;
}

static void on_body(void *ctx, const char *p, size_t n)
{
    struct rec *r = ctx;

    cr_assert(r->body_len + n <= sizeof(r->body));
    memcpy(r->body + r->body_len, p, n);
    r->body_len += n;
}

static void on_end(void *ctx, enum lmtp_data_end how)
{
    ((struct rec *)ctx)->ended++;
    ((struct rec *)ctx)->how = how;
}

static struct rec R;
static char OUT[65536];

/* run - a session fed in (chunk)-sized pieces; returns its output */
static struct lmtp_session *run(const char *in, size_t chunk, const struct lmtp_limits *lim)
{
    struct lmtp_events ev = { &R, on_begin, on_body, on_end };
    struct lmtp_session *s = lmtp_session_new("lmtp.test", lim, &ev);
    size_t off = 0, len = strlen(in), olen, k;
    const char *o;

    memset(&R, 0, sizeof(R));
    OUT[0] = '\0';
    cr_assert_not_null(s);
    while (off < len && !lmtp_session_awaiting(s) && !lmtp_session_closed(s)) {
        k = len - off < chunk ? len - off : chunk;
        off += lmtp_session_feed(s, in + off, k);
        o = lmtp_session_output(s, &olen);
        strncat(OUT, o, olen);
        lmtp_session_written(s, olen);
    }
    return s;
}

static void drain(struct lmtp_session *s)
{
    size_t olen;
    const char *o = lmtp_session_output(s, &olen);

    strncat(OUT, o, olen);
    lmtp_session_written(s, olen);
}

#define HELLO "LHLO client.test\r\n"
#define LHLO_REPLY "220 lmtp.test LMTP ready\r\n250-lmtp.test\r\n250-PIPELINING\r\n" \
    "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 67108864\r\n"
#define TXN HELLO "MAIL FROM:<a@b.test> SIZE=10 BODY=8BITMIME\r\n" \
    "RCPT TO:<x@c.test>\r\nRCPT TO:<bad>\r\nRCPT TO:<y@d.test>\r\nDATA\r\n"
#define TXN_REPLY LHLO_REPLY "250 2.1.0 sender ok\r\n250 2.1.5 recipient ok\r\n" \
    "553 5.1.3 bad address syntax\r\n250 2.1.5 recipient ok\r\n" \
    "354 Start mail input; end with <CRLF>.<CRLF>\r\n"

Test(lmtp, full_transaction_pipelined_one_reply_per_recipient)
{
    struct lmtp_session *s = run(TXN "Hi\r\n..dot\r\n.\r\nQUIT\r\n", 1 << 20, NULL);

    cr_assert(lmtp_session_awaiting(s));
    cr_assert_str_eq(OUT, TXN_REPLY);
    cr_assert_eq(R.begun, 1);
    cr_assert_eq(R.how, LMTP_DATA_COMPLETE);
    cr_assert_eq(R.body_len, 10);
    cr_assert(memcmp(R.body, "Hi\r\n.dot\r\n", 10) == 0);
    /* results out of order: replies come in RCPT order, accepted ones only */
    cr_assert_eq(lmtp_session_result(s, 1, 451, "4.4.1", "deferred: no answer"), 0);
    drain(s);
    cr_assert_str_eq(OUT, TXN_REPLY);
    cr_assert_eq(lmtp_session_result(s, 2, 250, "2.0.0", "x"), -1);
    cr_assert_eq(lmtp_session_result(s, 0, 250, "5.0.0", "x"), -1);
    cr_assert_eq(lmtp_session_result(s, 0, 250, "2.0.0", "ok\r\nQUIT"), 0);
    drain(s);
    cr_assert_str_eq(OUT, TXN_REPLY "250 2.0.0 ok??QUIT\r\n451 4.4.1 deferred: no answer\r\n");
    cr_assert(!lmtp_session_awaiting(s));
    cr_assert_eq(lmtp_session_feed(s, "QUIT\r\n", 6), 6);
    drain(s);
    cr_assert(lmtp_session_closed(s));
    cr_assert(strstr(OUT, "221 2.0.0 lmtp.test closing\r\n") != NULL);
    lmtp_session_free(s);
}

Test(lmtp, byte_at_a_time_same_output)
{
    char whole[4096];
    struct lmtp_session *s = run(TXN "a\r\n.\r\n", 1 << 20, NULL);

    strcpy(whole, OUT);
    lmtp_session_free(s);
    s = run(TXN "a\r\n.\r\n", 1, NULL);
    cr_assert_str_eq(OUT, whole);
    cr_assert_eq(R.body_len, 3);
    lmtp_session_free(s);
}

/* only CRLF.CRLF ends the data (RFC 5321 §2.3.8, §4.1.1.4) */
Test(lmtp, final_dot_only_crlf_dot_crlf)
{
    struct lmtp_session *s = run(TXN "a\n.\nb\r.\rc\n.\r\nd\r\n.\r\n", 1 << 20, NULL);

    cr_assert(!lmtp_session_awaiting(s));
    cr_assert_eq(R.ended, 1);
    cr_assert_eq(R.how, LMTP_DATA_REJECTED);
    cr_assert_eq(R.body_len, 0, "a bad message never reaches the sink");
    cr_assert_str_eq(OUT, TXN_REPLY
        "550 5.6.0 bare CR or LF in message data, only CRLF ends a line\r\n"
        "550 5.6.0 bare CR or LF in message data, only CRLF ends a line\r\n");
    lmtp_session_free(s);
}

Test(lmtp, bare_lf_data_still_awaits_crlf_dot_crlf)
{
    struct lmtp_session *s = run(TXN "a\n.\n", 1 << 20, NULL);

    cr_assert_eq(R.ended, 0);
    cr_assert_str_eq(OUT, TXN_REPLY);
    lmtp_session_eof(s);
    cr_assert_eq(R.how, LMTP_DATA_ABORTED);
    cr_assert(lmtp_session_closed(s));
    lmtp_session_free(s);
}

Test(lmtp, oversize_message)
{
    struct lmtp_limits lim = { 1000, 100, 8 };
    struct lmtp_session *s = run(HELLO "MAIL FROM:<a@b.test> SIZE=9\r\n"
                                 "MAIL FROM:<a@b.test>\r\nRCPT TO:<x@c.test>\r\nDATA\r\n"
                                 "123456\r\n78\r\n.\r\n", 1 << 20, &lim);

    cr_assert(strstr(OUT, "552 5.3.4 message size exceeds fixed maximum message size\r\n"));
    cr_assert(strstr(OUT, "\r\n552 5.3.4 message exceeds the fixed maximum message size\r\n"));
    cr_assert_eq(R.how, LMTP_DATA_REJECTED);
    lmtp_session_free(s);
}

Test(lmtp, too_many_recipients)
{
    struct lmtp_limits lim = { 1000, 1, 1000 };
    struct lmtp_session *s = run(HELLO "MAIL FROM:<>\r\nRCPT TO:<x@c.test>\r\n"
                                 "RCPT TO:<y@c.test>\r\n", 1 << 20, &lim);

    cr_assert(strstr(OUT, "250 2.1.5 recipient ok\r\n452 4.5.3 too many recipients\r\n"));
    lmtp_session_free(s);
}

Test(lmtp, line_too_long_and_bare_lf_command)
{
    char in[2048] = HELLO "NOOP ";
    struct lmtp_limits lim = { 512, 100, LMTP_SIZE_MAX_DEFAULT };
    struct lmtp_session *s;

    memset(in + strlen(in), 'x', 600);
    strcat(in, "\r\nNOOP\nNOOP\r\n");
    s = run(in, 1 << 20, &lim);
    cr_assert_str_eq(OUT, LHLO_REPLY "500 5.5.2 line too long\r\n"
                     "500 5.5.2 command lines end with CRLF\r\n250 2.0.0 ok\r\n");
    lmtp_session_free(s);
}

Test(lmtp, bad_sequence_unknown_helo_rset)
{
    struct lmtp_session *s = run("MAIL FROM:<>\r\nEHLO x\r\nVRFY x\r\n" HELLO
                                 "RCPT TO:<x@c.test>\r\nDATA\r\nMAIL FROM:<>\r\n"
                                 "RCPT TO:<x@c.test>\r\nRSET\r\nDATA\r\nmail from:<>\r\n"
                                 "noop\r\nquit\r\nNOOP\r\n", 1 << 20, NULL);

    cr_assert_str_eq(OUT, "220 lmtp.test LMTP ready\r\n503 5.5.1 bad sequence of commands\r\n"
        "500 5.5.1 this is LMTP: use LHLO\r\n500 5.5.2 command not recognized\r\n"
        "250-lmtp.test\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
        "250-SMTPUTF8\r\n250 SIZE 67108864\r\n503 5.5.1 bad sequence of commands\r\n"
        "503 5.5.1 no valid recipients\r\n250 2.1.0 sender ok\r\n250 2.1.5 recipient ok\r\n"
        "250 2.0.0 ok\r\n503 5.5.1 no valid recipients\r\n250 2.1.0 sender ok\r\n"
        "250 2.0.0 ok\r\n221 2.0.0 lmtp.test closing\r\n");
    cr_assert(lmtp_session_closed(s));
    lmtp_session_free(s);
}

Test(lmtp, smtputf8_addresses)
{
    struct lmtp_session *s = run(HELLO "MAIL FROM:<\xc3\xa9@b.test>\r\n"
                                 "MAIL FROM:<a@b.test>\r\nRCPT TO:<\xc3\xa9@c.test>\r\nRSET\r\n"
                                 "MAIL FROM:<\xc3\xa9@b.test> SMTPUTF8\r\n"
                                 "RCPT TO:<\xc3\xa9@c.test>\r\nRCPT TO:<\xc3@c.test>\r\n",
                                 1 << 20, NULL);

    cr_assert_str_eq(OUT, LHLO_REPLY
        "553 5.6.7 non-ASCII sender needs the SMTPUTF8 parameter\r\n250 2.1.0 sender ok\r\n"
        "553 5.6.7 non-ASCII recipient needs SMTPUTF8 on MAIL\r\n250 2.0.0 ok\r\n"
        "250 2.1.0 sender ok\r\n250 2.1.5 recipient ok\r\n553 5.1.3 bad address syntax\r\n");
    lmtp_session_free(s);
}

Test(lmtp, timeout_mid_data_aborts)
{
    struct lmtp_session *s = run(TXN "partial", 1 << 20, NULL);

    lmtp_session_timeout(s);
    drain(s);
    cr_assert_eq(R.how, LMTP_DATA_ABORTED);
    cr_assert(strstr(OUT, "\r\n421 4.4.2 lmtp.test timeout, closing\r\n"));
    cr_assert(lmtp_session_closed(s));
    lmtp_session_free(s);
}

/* a stop request (SIGTERM, SIGHUP) ends the session with 421 4.3.2, not
 * with the timeout's text */
Test(lmtp, shutdown_closes_with_4_3_2)
{
    struct lmtp_session *s = run(HELLO, 1 << 20, NULL);
    size_t len;

    lmtp_session_shutdown(s);
    drain(s);
    cr_assert(strstr(OUT, "\r\n421 4.3.2 lmtp.test service shutting down, closing\r\n"));
    cr_assert(lmtp_session_closed(s));
    len = strlen(OUT);
    lmtp_session_shutdown(s);     /* once closed, nothing more is said */
    drain(s);
    cr_assert_eq(strlen(OUT), len);
    lmtp_session_free(s);
}

/* feed - all of text to the session */
static void feed(struct lmtp_session *s, const char *text)
{
    cr_assert_eq(lmtp_session_feed(s, text, strlen(text)), strlen(text));
}

/* a transaction is under way from MAIL until every recipient is answered */
Test(lmtp, in_transaction_from_mail_to_last_reply)
{
    struct lmtp_session *s = run(HELLO, 1 << 20, NULL);

    cr_assert_not(lmtp_session_in_transaction(s));
    feed(s, "MAIL FROM:<a@b.test>\r\n");
    cr_assert(lmtp_session_in_transaction(s));
    feed(s, "RCPT TO:<x@c.test>\r\nDATA\r\nm\r\n.\r\n");
    cr_assert(lmtp_session_awaiting(s));
    cr_assert(lmtp_session_in_transaction(s));
    cr_assert_eq(lmtp_session_result(s, 0, 250, "2.0.0", "ok"), 0);
    cr_assert_not(lmtp_session_in_transaction(s));
    feed(s, "MAIL FROM:<a@b.test>\r\nRSET\r\n");
    cr_assert_not(lmtp_session_in_transaction(s));
    lmtp_session_free(s);
}

/* a second transaction on the session starts from nothing: no reply of the
 * first one is taken for a result of the second */
Test(lmtp, second_transaction_awaits_its_own_results)
{
    static const char txn[] = "MAIL FROM:<a@b.test>\r\nRCPT TO:<x@c.test>\r\nDATA\r\nm\r\n.\r\n";
    struct lmtp_session *s = run(HELLO "MAIL FROM:<a@b.test>\r\nRCPT TO:<x@c.test>\r\n"
                                 "DATA\r\nm\r\n.\r\n", 1 << 20, NULL);

    cr_assert_eq(lmtp_session_result(s, 0, 250, "2.0.0", "first"), 0);
    cr_assert_eq(lmtp_session_feed(s, txn, strlen(txn)), strlen(txn));
    cr_assert(lmtp_session_awaiting(s));
    drain(s);
    cr_assert(strstr(OUT, "\r\n250 2.0.0 first\r\n250 2.1.0 sender ok\r\n"),
              "the first result is written before the second MAIL's reply");
    cr_assert_eq(lmtp_session_result(s, 0, 550, "5.1.1", "second"), 0);
    drain(s);
    cr_assert(strstr(OUT, "354 Start mail input; end with <CRLF>.<CRLF>\r\n550 5.1.1 second\r\n"));
    cr_assert_eq(R.ended, 2);
    lmtp_session_free(s);
}
