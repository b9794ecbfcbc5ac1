/* lmtp.h - the LMTP server protocol engine (RFC 2033), no I/O of its own
 *
 * A session is fed the client's bytes and answers into an output buffer the
 * caller writes to the socket. Commands: LHLO, MAIL, RCPT, DATA, RSET, NOOP,
 * QUIT; extensions PIPELINING (RFC 2920), 8BITMIME (RFC 6152), SIZE (RFC
 * 1870), ENHANCEDSTATUSCODES (RFC 2034, RFC 3463), SMTPUTF8 (RFC 6531).
 * HELO and EHLO are refused: LHLO replaces them (RFC 2033 §4.1).
 *
 * The message body is not kept: dot-unstuffed, it streams to events.body.
 * Only CRLF "." CRLF ends the data (RFC 5321 §2.3.8, §4.1.1.4); a bare LF or
 * bare CR in the data, or more than size_max octets, makes the engine read on
 * to the end and answer 5xx for each recipient itself (data_end says
 * LMTP_DATA_REJECTED). After LMTP_DATA_COMPLETE the caller reports one result
 * per recipient with lmtp_session_result(), in any order; the engine writes
 * one reply per recipient in RCPT order (RFC 2033 §4.2) as soon as the
 * replies before it are known. LMTP_DATA_ABORTED (the client vanished or
 * timed out mid-DATA): the caller must not deliver.
 *
 * Limits: a command line up to line_max octets with its CRLF (RFC 5321
 * §4.5.3.1.4 says 512; the default is more generous for ESMTP parameters and
 * UTF-8 addresses), rcpt_max recipients per transaction (452 4.5.3 beyond,
 * RFC 5321 §4.5.3.1.10), size_max octets of unstuffed body. Timeouts are the
 * caller's: it calls lmtp_session_timeout() when one expires.
 *
 * Back-pressure: lmtp_session_feed() returns how many bytes it consumed. It
 * stops early while the replies of a transaction are awaited, while more than
 * LMTP_OUTPUT_HIGH octets of output wait to be written, and once the session
 * is closed; the caller keeps the rest and feeds it again later.
 */
#ifndef DANE_AGENT_LMTP_H
#define DANE_AGENT_LMTP_H

#include <stddef.h>
#include <stdint.h>

#define LMTP_LINE_MAX_DEFAULT 1000u
#define LMTP_LINE_MAX_MIN     512u          /* RFC 5321 §4.5.3.1.4 */
#define LMTP_RCPT_MAX_DEFAULT 1000u         /* RFC 5321 §4.5.3.1.8: >= 100 */
#define LMTP_SIZE_MAX_DEFAULT (64u * 1024u * 1024u)
#define LMTP_OUTPUT_HIGH      16384u
#define LMTP_TEXT_MAX         400u          /* reply text, longer is cut */

struct lmtp_limits {
    size_t line_max;        /* octets of a command line with its CRLF */
    size_t rcpt_max;        /* accepted RCPT per transaction */
    uint64_t size_max;      /* octets of unstuffed message body */
};

enum lmtp_body_type { LMTP_BODY_UNSPECIFIED = 0, LMTP_BODY_7BIT, LMTP_BODY_8BITMIME };

/* The transaction; valid from data_begin until the replies are all written */
struct lmtp_envelope {
    const char *sender;             /* without brackets; "" is the null path */
    uint64_t size;                  /* SIZE= as declared, 0 when absent */
    enum lmtp_body_type body;
    int smtputf8;                   /* the SMTPUTF8 parameter was given */
    size_t rcpt_count;              /* accepted recipients, in RCPT order */
    const char *const *rcpt;        /* local@domain, without brackets */
};

enum lmtp_data_end {
    LMTP_DATA_COMPLETE = 0, /* CRLF.CRLF seen: report one result per recipient */
    LMTP_DATA_REJECTED,     /* bad line ending or too big: the engine replied */
    LMTP_DATA_ABORTED,      /* the client vanished or timed out: deliver nothing */
};

struct lmtp_events {
    void *ctx;
    /* DATA was accepted (354 queued); env is the transaction */
    void (*data_begin)(void *ctx, const struct lmtp_envelope *env);
    /* unstuffed body octets, CRLF line endings, the last CRLF included */
    void (*body)(void *ctx, const char *p, size_t n);
    void (*data_end)(void *ctx, enum lmtp_data_end how);
};

struct lmtp_session;

/* lmtp_session_new - a session that greets with "220 <hostname> LMTP";
 * lim NULL means the defaults; hostname and ev are copied; NULL on ENOMEM or
 * a limit below its minimum. Free with lmtp_session_free(). */
struct lmtp_session *lmtp_session_new(const char *hostname,
                                      const struct lmtp_limits *lim,
                                      const struct lmtp_events *ev);

/* lmtp_session_feed - process the client's bytes; returns how many were
 * consumed (see back-pressure above) */
size_t lmtp_session_feed(struct lmtp_session *s, const void *buf, size_t len);

/* lmtp_session_result - the outcome for recipient i of the data just ended:
 * code 200..599, enhanced "c.sss.ddd" with c the code's first digit, text one
 * line (control characters become '?'). -1 when not awaited or malformed. */
int lmtp_session_result(struct lmtp_session *s, size_t i, int code,
                        const char *enhanced, const char *text);

/* lmtp_session_eof - the client closed its side: any DATA is aborted */
void lmtp_session_eof(struct lmtp_session *s);

/* lmtp_session_timeout - a timeout expired: 421 4.4.2, DATA aborted, closed */
void lmtp_session_timeout(struct lmtp_session *s);

/* lmtp_session_shutdown - the service stops or reloads: 421 4.3.2, DATA
 * aborted, closed */
void lmtp_session_shutdown(struct lmtp_session *s);

/* lmtp_session_output - the replies to write; lmtp_session_written drops
 * the first n octets once they are written */
const char *lmtp_session_output(const struct lmtp_session *s, size_t *len);
void lmtp_session_written(struct lmtp_session *s, size_t n);

/* lmtp_session_closed - 1 after QUIT, EOF or timeout: write the output and
 * close. lmtp_session_awaiting - 1 while results are awaited.
 * lmtp_session_in_transaction - 1 from an accepted MAIL until the
 * transaction's last reply (or RSET). */
int lmtp_session_closed(const struct lmtp_session *s);
int lmtp_session_awaiting(const struct lmtp_session *s);
int lmtp_session_in_transaction(const struct lmtp_session *s);

void lmtp_session_free(struct lmtp_session *s);

#endif
