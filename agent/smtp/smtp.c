/* smtp.c - the SMTP client session state machine (see smtp.h)
 *
 * SYNOPSIS
 *   smtp_session(params, message, out)
 *   smtp_envelope_check(message, why)
 *   smtp_outcome_free(out)
 *
 * DESCRIPTION
 *   States follow each other in enum smtp_stage order and never go back:
 *   CONNECT, GREETING, EHLO (HELO), STARTTLS, HANDSHAKE, VERIFY, EHLO_TLS,
 *   MAIL, RCPT, DATA, BODY, DOT, QUIT, DONE. enter() performs a state's entry
 *   action (send a command, connect, shake hands) and returns the next state;
 *   a failure records the reason in the outcome and jumps to QUIT or DONE.
 *   stage_text[] names each state for reasons ("while sending RCPT TO").
 *
 *   With PIPELINING, MAIL FROM and every RCPT TO go out in one write and the
 *   replies are read in order (RFC 2920 §3.1); DATA waits for them.
 *
 * DIAGNOSTICS
 *   Reasons follow Postfix's smtp(8): "host H[A] said: 550 ... (in reply to
 *   RCPT TO command)", "lost connection with H[A] while ...", "conversation
 *   with H[A] timed out while ...", "connect to H[A]:25: Connection refused".
 */
#include "smtp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "body.h"
#include "clock.h"
#include "conn.h"
#include "dane.h"
#include "envelope.h"
#include "failure.h"
#include "mime8.h"

#define TRANSCRIPT_MAX (64u * 1024)
#define BODY_CHUNK 16384u
#define CMD_MAX 1024u   /* MAIL FROM:<256> + parameters fits easily */
#define QUIT_WAIT_MS 3000u  /* the result is known: QUIT waits no longer */
#define LINK_QUIT_WAIT_MS 1000u /* an idle kept connection's QUIT */

/* An open connection kept after a transaction, and what its session
 * learnt: the next transaction starts at MAIL (smtp.h) */
struct smtp_link {
    struct conn *conn;
    unsigned ext;
    uint64_t size_limit;
    int tls;
    struct tls_facts facts;
    enum smtp_peer_status peer;
    char local_address[46];
    unsigned uses;              /* transactions carried so far */
};

static const struct {
    const char *while_text;     /* "while ..." */
    const char *in_reply_to;    /* "(in reply to ... command)" */
} stage_text[] = {
    [SMTP_STAGE_CONNECT] = { "while connecting", "connect" },
    [SMTP_STAGE_GREETING] = { "while receiving the initial server greeting",
                              "initial greeting" },
    [SMTP_STAGE_EHLO] = { "while performing the EHLO handshake", "EHLO" },
    [SMTP_STAGE_HELO] = { "while performing the HELO handshake", "HELO" },
    [SMTP_STAGE_STARTTLS] = { "while sending STARTTLS", "STARTTLS" },
    [SMTP_STAGE_HANDSHAKE] = { "while performing the TLS handshake", "TLS handshake" },
    [SMTP_STAGE_VERIFY] = { "while verifying the server certificate", "TLS handshake" },
    [SMTP_STAGE_EHLO_TLS] = { "while performing the EHLO handshake", "EHLO" },
    [SMTP_STAGE_MAIL] = { "while sending MAIL FROM", "MAIL FROM" },
    [SMTP_STAGE_RCPT] = { "while sending RCPT TO", "RCPT TO" },
    [SMTP_STAGE_DATA] = { "while sending DATA command", "DATA" },
    [SMTP_STAGE_BODY] = { "while sending message body", "end of DATA" },
    [SMTP_STAGE_DOT] = { "while sending end of data -- message may be sent more "
                         "than once", "end of DATA" },
    [SMTP_STAGE_QUIT] = { "while sending QUIT", "QUIT" },
    [SMTP_STAGE_DONE] = { "after the session", "QUIT" },
};

struct session {
    const struct smtp_params *p;
    const struct smtp_message *m;
    struct smtp_outcome *out;
    struct conn *conn;
    struct smtp_reply_limits lim;
    struct smtp_timeouts to;
    enum smtp_stage stage;
    char peer[320];             /* "host[addr]" */
    char port[8];
    uint8_t *buf;               /* received, unparsed bytes */
    size_t bufsize, blen, bused;
    struct smtp_reply reply;
    struct smtp_reply final;    /* the reply to the end of data */
    const uint8_t *raw;         /* bytes of the last reply (valid until the
                                 * next read) */
    size_t raw_len;
    int utf8;                   /* SMTPUTF8 needed */
    size_t accepted;            /* recipients accepted by RCPT */
    int failed;                 /* the session has a final outcome */
    int out_of_step;            /* a protocol error: no reply of this
                                 * session can be trusted to be whose it
                                 * seems */
    struct session_cache *cache;    /* NULL: no session cache */
    int resume;                 /* offer the cached session on this run */
    int resume_failed;          /* a resumed session failed verification */
    struct mime8 *mime8;        /* 8BITMIME downgrade of this session, or
                                 * NULL: the message goes as it is */
    unsigned uses;              /* transactions on this connection, this
                                 * one included */
    int io_failed;              /* the connection failed (EOF, timeout, I/O) */
};

const char *smtp_stage_name(enum smtp_stage stage)
{
    if ((size_t)stage >= sizeof(stage_text) / sizeof(stage_text[0]))
        abort();
    return stage_text[stage].while_text;
}

const char *smtp_peer_status_name(enum smtp_peer_status status)
{
    switch (status) {
    case SMTP_PEER_VERIFIED: return "Verified";
    case SMTP_PEER_TRUSTED: return "Trusted";
    case SMTP_PEER_UNTRUSTED: return "Untrusted";
    case SMTP_PEER_ANONYMOUS: return "Anonymous";
    case SMTP_PEER_FAIL: return "failed";
    case SMTP_PEER_NONE: return "none";
    }
    abort();
}

/* ---- outcome helpers ---- */

static uint64_t deadline_in(const struct session *s, unsigned ms)
{
    uint64_t d = clock_now_ms() + ms;

    return s->p->deadline_ms != 0 && s->p->deadline_ms < d ? s->p->deadline_ms : d;
}

/* fail_v - the session's final outcome (first failure wins): class,
 * enhanced code and RFC 8460 type from the classifier (failure.h) */
static void fail_v(struct session *s, enum failure_cause cause, int code,
                   const char *enhanced, const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

static void fail_v(struct session *s, enum failure_cause cause, int code,
                   const char *enhanced, const char *fmt, va_list ap)
{
    if (s->failed)
        return;
    s->failed = 1;
    s->out_of_step = cause == FAILURE_PROTOCOL;
    s->out->result = failure_class_of(cause, code) == FAILURE_BOUNCE ? SMTP_BOUNCE
                                                                     : SMTP_DEFER;
    s->out->stage = s->stage;
    failure_enhanced(cause, code, enhanced, s->out->enhanced);
    if (s->out->rfc8460 == NULL)
        s->out->rfc8460 = failure_rfc8460(cause);
    vsnprintf(s->out->reason, sizeof(s->out->reason), fmt, ap);
}

/* fail - a failure of our side or of the connection */
static void fail(struct session *s, enum failure_cause cause, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct session *s, enum failure_cause cause, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fail_v(s, cause, 0, NULL, fmt, ap);
    va_end(ap);
}

/* fail_with_reply - a failure the current reply decides or explains */
static void fail_with_reply(struct session *s, enum failure_cause cause,
                            const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void fail_with_reply(struct session *s, enum failure_cause cause,
                            const char *fmt, ...)
{
    va_list ap;

    s->out->code = s->reply.code;
    va_start(ap, fmt);
    fail_v(s, cause, s->reply.code, s->reply.enhanced, fmt, ap);
    va_end(ap);
}

/* fail_usage - nothing can be sent: the caller's input is unusable */
static void fail_usage(struct session *s, const char *enhanced, const char *why)
{
    s->failed = 1;
    s->out->result = SMTP_USAGE;
    s->out->stage = s->stage;
    snprintf(s->out->enhanced, sizeof(s->out->enhanced), "%s", enhanced);
    snprintf(s->out->reason, sizeof(s->out->reason), "%s", why);
}

/* reply_dsn - the reply's enhanced code, else X.0.0 from its first digit */
static void reply_dsn(const struct smtp_reply *r, char out[SMTP_ENHANCED_MAX])
{
    if (r->enhanced[0] != '\0')
        memcpy(out, r->enhanced, SMTP_ENHANCED_MAX);
    else
        snprintf(out, SMTP_ENHANCED_MAX, "%c.0.0", r->code >= 500 ? '5'
                 : r->code >= 400 ? '4' : '2');
}

/* fail_reply - the server said no: "host H[A] said: 550 5.1.1 text (in reply
 * to X command)" */
static void fail_reply(struct session *s)
{
    fail_with_reply(s, FAILURE_REPLY, "host %s said: %d %s%s%s (in reply to %s command)",
                    s->peer, s->reply.code, s->reply.enhanced,
                    s->reply.enhanced[0] ? " " : "", s->reply.text,
                    stage_text[s->stage].in_reply_to);
}

/* fail_protocol - RFC 5321 §4.2, RFC 2920 §3: a reply that cannot belong to
 * the command it follows; the stream is out of step, nothing more is sent */
static void fail_protocol(struct session *s, const char *what)
{
    fail_with_reply(s, FAILURE_PROTOCOL, "protocol error: host %s %s %s", s->peer, what,
                    stage_text[s->stage].while_text);
}

/* fail_unexpected_reply - a reply of the wrong kind for the stage */
static void fail_unexpected_reply(struct session *s)
{
    char what[SMTP_REPLY_TEXT_MAX + 64];

    snprintf(what, sizeof(what), "sent an unexpected reply %d %s%s%.200s", s->reply.code,
             s->reply.enhanced, s->reply.enhanced[0] ? " " : "", s->reply.text);
    fail_protocol(s, what);
}

/* is_2xx, is_refusal - reply classes */
static int is_2xx(const struct smtp_reply *r)
{
    return r->code / 100 == 2;
}

static int is_refusal(const struct smtp_reply *r)
{
    return r->code / 100 == 4 || r->code / 100 == 5;
}

/* is_421 - RFC 5321 §3.8: the server is closing the session */
static int is_421(const struct session *s)
{
    return s->reply.code == 421;
}

/* fail_io - a connection-level failure in the current stage */
static void fail_io(struct session *s, enum conn_status st, const char *why)
{
    s->io_failed = 1;
    if (st == CONN_TIMEOUT)
        fail(s, FAILURE_TIMEOUT, "conversation with %s timed out %s", s->peer,
             stage_text[s->stage].while_text);
    else if (st == CONN_EOF)
        fail(s, FAILURE_LOST, "lost connection with %s %s", s->peer,
             stage_text[s->stage].while_text);
    else
        fail(s, FAILURE_IO, "%s with %s %s", why, s->peer, stage_text[s->stage].while_text);
}

/* ---- transcript (probe) ---- */

static void transcript(struct session *s, const char *dir, const uint8_t *p,
                       size_t len)
{
    struct smtp_outcome *o = s->out;
    size_t start = 0;

    if (!s->p->probe)
        return;
    if (o->transcript == NULL) {
        o->transcript = malloc(TRANSCRIPT_MAX);
        if (o->transcript == NULL)
            return;
        o->transcript[0] = '\0';
    }
    for (size_t i = 0; i <= len; i++) {
        if (i < len && p[i] != '\n')
            continue;
        size_t l = i - start;
        if (l > 0 && p[start + l - 1] == '\r')
            l--;
        if (start < len && o->transcript_len + l + 4 < TRANSCRIPT_MAX) {
            memcpy(o->transcript + o->transcript_len, dir, 2);
            o->transcript_len += 2;
            o->transcript_len += smtp_printable(p + start, l,
                o->transcript + o->transcript_len, TRANSCRIPT_MAX - o->transcript_len - 1);
            o->transcript[o->transcript_len++] = '\n';
            o->transcript[o->transcript_len] = '\0';
        }
        start = i + 1;
    }
}

/* ---- I/O ---- */

/* take_input - append what the server has sent, without waiting; the
 * connection's status (CONN_OK also when nothing came). Consumed replies
 * are dropped first, so a full buffer never hides input. */
static enum conn_status take_input(struct session *s, const char **why)
{
    if (s->blen == s->bused)
        s->blen = s->bused = 0;
    while (s->blen < s->bufsize) {
        size_t n = 0;
        enum conn_status st = conn_read_now(s->conn, s->buf + s->blen,
                                            s->bufsize - s->blen, &n, why);
        if (st != CONN_OK)
            return st;
        if (n == 0)
            break;
        s->blen += n;
    }
    return CONN_OK;
}

/* unexpected_input - input that answers no command is a protocol error;
 * the server's words go into the reason when they parse as a reply, and a
 * 421 (the server closing, RFC 5321 §3.8) is reported as the server's */
static void unexpected_input(struct session *s, const char *what)
{
    const uint8_t *p = s->buf + s->bused;
    size_t len = s->blen - s->bused;
    const char *why = NULL;

    transcript(s, "< ", p, len);
    if (smtp_reply_parse(p, len, &s->lim, &s->reply, &why) != SMTP_REPLY_DONE) {
        fail(s, FAILURE_PROTOCOL, "protocol error: host %s sent a reply to no command %s",
             s->peer, what);
        return;
    }
    if (is_421(s)) {
        fail_reply(s);
        return;
    }
    fail_with_reply(s, FAILURE_PROTOCOL, "protocol error: host %s sent a reply to no "
                    "command %s: %d %s%s%.200s", s->peer, what, s->reply.code,
                    s->reply.enhanced, s->reply.enhanced[0] ? " " : "", s->reply.text);
}

/* in_step - RFC 5321 §4.2, RFC 2920 §3.1: before a command (or the body) is
 * sent, every reply received so far must have been consumed; anything more
 * is a reply to no command (early, surplus) and the session is out of step */
static int in_step(struct session *s, const char *what)
{
    const char *why = "read error";
    enum conn_status st = take_input(s, &why);

    if (s->blen > s->bused) {
        unexpected_input(s, what);
        return -1;
    }
    if (st != CONN_OK) {
        fail_io(s, st, why);
        return -1;
    }
    return 0;
}

/* send_raw - write bytes; a command is only sent in step (in_step) */
static int send_raw(struct session *s, const char *cmd, size_t len, unsigned ms)
{
    const char *why = "write error";
    enum conn_status st;

    if (in_step(s, stage_text[s->stage].while_text) != 0)
        return -1;
    st = conn_write(s->conn, (const uint8_t *)cmd, len, deadline_in(s, ms), &why);
    transcript(s, "> ", (const uint8_t *)cmd, len);
    if (st != CONN_OK) {
        fail_io(s, st, why);
        return -1;
    }
    return 0;
}

/* read_reply - the next complete reply into s->reply (any code) */
static int read_reply(struct session *s, unsigned ms)
{
    uint64_t deadline = deadline_in(s, ms);

    /* drop the previous reply's bytes */
    memmove(s->buf, s->buf + s->bused, s->blen - s->bused);
    s->blen -= s->bused;
    s->bused = 0;
    for (;;) {
        const char *why = NULL;
        size_t n = 0;
        enum conn_status st;

        switch (smtp_reply_parse(s->buf, s->blen, &s->lim, &s->reply, &why)) {
        case SMTP_REPLY_DONE:
            s->raw = s->buf;
            s->raw_len = s->reply.raw_len;
            s->bused = s->reply.raw_len;
            transcript(s, "< ", s->raw, s->raw_len);
            return 0;
        case SMTP_REPLY_BAD:
            fail(s, FAILURE_MALFORMED, "malformed reply from %s %s: %s", s->peer,
                 stage_text[s->stage].while_text, why);
            return -1;
        case SMTP_REPLY_MORE:
            break;
        }
        st = conn_read(s->conn, s->buf + s->blen, s->bufsize - s->blen, &n, deadline, &why);
        if (st != CONN_OK) {
            fail_io(s, st, why);
            return -1;
        }
        s->blen += n;
    }
}

/* command - send one line and read its reply */
static int command(struct session *s, unsigned ms, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int command(struct session *s, unsigned ms, const char *fmt, ...)
{
    char cmd[CMD_MAX];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(cmd, sizeof(cmd) - 2, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(cmd) - 2)
        abort();    /* programmer error: envelope_check bounds every field */
    memcpy(cmd + n, "\r\n", 2);
    if (send_raw(s, cmd, (size_t)n + 2, ms) != 0)
        return -1;
    return read_reply(s, ms);
}

/* ---- states ---- */

static enum smtp_stage enter_connect(struct session *s)
{
    enum conn_status st;
    const char *why = "connect failed";
    uint64_t t0 = clock_now_ms();

    s->conn = conn_connect(s->p->addr, s->p->addrlen, deadline_in(s, s->to.connect_ms),
                           &st, &why);
    s->out->connect_ms = (unsigned)(clock_now_ms() - t0);
    if (s->conn == NULL) {
        fail(s, FAILURE_CONNECT, "connect to %s:%s: %s", s->peer, s->port, why);
        return SMTP_STAGE_DONE;
    }
    s->out->connected = 1;
    (void)conn_local_address(s->conn, s->out->local_address, sizeof(s->out->local_address));
    return SMTP_STAGE_GREETING;
}

/* fail_refused - a 4xx/5xx greeting, EHLO or HELO: this server will not
 * talk to us, another may (Postfix smtp_skip_5xx_greeting): deferred */
static enum smtp_stage fail_refused(struct session *s)
{
    fail_with_reply(s, FAILURE_REFUSED, "host %s refused to talk to me: %d %s%s%s", s->peer,
                    s->reply.code, s->reply.enhanced, s->reply.enhanced[0] ? " " : "",
                    s->reply.text);
    return is_421(s) ? SMTP_STAGE_DONE : SMTP_STAGE_QUIT;
}

/* accepted - the stage after a greeting or HELO reply: next for a 2xx, the
 * refusal's stage for a 4xx/5xx, DONE for anything else */
static enum smtp_stage accepted(struct session *s, enum smtp_stage next)
{
    if (is_refusal(&s->reply))
        return fail_refused(s);
    if (!is_2xx(&s->reply)) {
        fail_unexpected_reply(s);
        return SMTP_STAGE_DONE;
    }
    return next;
}

static enum smtp_stage enter_greeting(struct session *s)
{
    if (read_reply(s, s->to.greeting_ms) != 0)
        return SMTP_STAGE_DONE;
    return accepted(s, SMTP_STAGE_EHLO);
}

/* ehlo - EHLO and its keywords; 1 accepted, 0 refused (4xx/5xx), -1 failed
 * (including a reply that is neither) */
static int ehlo(struct session *s)
{
    struct smtp_ehlo e;
    const char *why = NULL;

    if (command(s, s->to.helo_ms, "EHLO %s", s->p->helo_name) != 0)
        return -1;
    if (is_refusal(&s->reply))
        return 0;
    if (!is_2xx(&s->reply)) {
        fail_unexpected_reply(s);
        return -1;
    }
    if (smtp_ehlo_parse(s->raw, s->raw_len, &s->lim, &e, &why) != 0)
        memset(&e, 0, sizeof(e));   /* a 2xx other than 250: no keywords */
    s->out->ext = e.ext;
    s->out->size_limit = e.size_limit;
    return 1;
}

static enum smtp_stage enter_ehlo(struct session *s)
{
    int r = ehlo(s);

    if (r < 0)
        return SMTP_STAGE_DONE;
    if (r > 0)
        return s->p->tls == SMTP_TLS_NONE ? SMTP_STAGE_MAIL : SMTP_STAGE_STARTTLS;
    if (is_421(s))
        return fail_refused(s);
    if (s->p->tls == SMTP_TLS_REQUIRED) {
        fail_with_reply(s, FAILURE_STARTTLS_ABSENT,
                        "TLS is required, but host %s refused EHLO: %d %s", s->peer,
                        s->reply.code, s->reply.text);
        return SMTP_STAGE_QUIT;
    }
    return SMTP_STAGE_HELO;
}

static enum smtp_stage enter_helo(struct session *s)
{
    if (command(s, s->to.helo_ms, "HELO %s", s->p->helo_name) != 0)
        return SMTP_STAGE_DONE;
    s->out->ext = 0;            /* HELO: no extensions */
    s->out->size_limit = 0;
    return accepted(s, SMTP_STAGE_MAIL);
}

/* tls_failed - TLS did not come up: required fails 4.7.x; opportunistic ends
 * the session too, but the caller may retry in cleartext */
static void tls_failed(struct session *s, const char *why)
{
    if (s->p->tls == SMTP_TLS_OPPORTUNISTIC)
        s->out->cleartext_retry_ok = 1;
    fail(s, FAILURE_TLS, "Cannot start TLS with %s: %s", s->peer, why);
}

static enum smtp_stage enter_starttls(struct session *s)
{
    if (!(s->out->ext & SMTP_EXT_STARTTLS)) {
        if (s->p->tls == SMTP_TLS_OPPORTUNISTIC)
            return SMTP_STAGE_MAIL;
        fail(s, FAILURE_STARTTLS_ABSENT, "TLS is required, but was not offered by host %s",
             s->peer);
        return SMTP_STAGE_QUIT;
    }
    if (command(s, s->to.starttls_ms, "STARTTLS") != 0)
        return SMTP_STAGE_DONE;
    if (is_421(s)) {
        fail_reply(s);
        return SMTP_STAGE_DONE;
    }
    if (is_refusal(&s->reply)) {
        if (s->p->tls == SMTP_TLS_OPPORTUNISTIC)
            return SMTP_STAGE_MAIL;     /* the session goes on in cleartext */
        fail_with_reply(s, FAILURE_STARTTLS_REFUSED, "TLS is required, but host %s "
                        "refused to start TLS: %d %s", s->peer, s->reply.code,
                        s->reply.text);
        return SMTP_STAGE_QUIT;
    }
    if (!is_2xx(&s->reply)) {      /* RFC 3207 §4: 220 (Postfix: any 2xx) */
        fail_unexpected_reply(s);
        return SMTP_STAGE_DONE;
    }
    /* RFC 3207 §4.2: bytes after the 220 were not protected: injection */
    if (s->blen > s->bused) {
        tls_failed(s, "plaintext received after the 220 reply to STARTTLS "
                   "(possible injection)");
        return SMTP_STAGE_DONE;
    }
    return SMTP_STAGE_HANDSHAKE;
}

/* starttls - the handshake, offering the cached session on this run */
static enum conn_status starttls(struct session *s, const char **why)
{
    uint64_t deadline = deadline_in(s, s->to.starttls_ms);
    int refused = 0;
    enum conn_status st = conn_starttls(s->conn, s->p->tls_ctx, s->p->sni, s->cache,
                                        s->resume, &refused, deadline, why);

    /* a refused resumption (e.g. "binder does not verify") costs nothing but
     * this connection: smtp_session() runs once more with a full handshake */
    if (refused)
        s->resume_failed = 1;
    return st;
}

/* store_session - keep the session for the next process: only after a
 * verification that passed, once the EHLO reply over TLS was read (TLS 1.3
 * tickets arrive after the handshake, RFC 8446 §4.6.1) */
static void store_session(struct session *s)
{
    enum smtp_peer_status peer = s->out->peer;

    if (peer == SMTP_PEER_VERIFIED || peer == SMTP_PEER_TRUSTED || peer == SMTP_PEER_UNTRUSTED)
        conn_remember(s->conn);
}

static enum smtp_stage enter_handshake(struct session *s)
{
    const char *why = "TLS handshake failed";
    uint64_t t0 = clock_now_ms();
    enum conn_status st = starttls(s, &why);

    s->out->tls_ms = (unsigned)(clock_now_ms() - t0);
    s->blen = s->bused = 0;     /* nothing from before the handshake survives */
    if (st == CONN_TIMEOUT) {
        if (s->p->tls == SMTP_TLS_OPPORTUNISTIC)
            s->out->cleartext_retry_ok = 1;
        fail_io(s, st, why);
        return SMTP_STAGE_DONE;
    }
    if (st != CONN_OK) {
        tls_failed(s, why);
        return SMTP_STAGE_DONE;
    }
    s->out->tls = 1;
    conn_tls_facts(s->conn, &s->out->facts);
    s->out->chain = dane_chain_new();
    if (s->out->chain == NULL || conn_peer_chain(s->conn, s->out->chain, &why) != 0) {
        tls_failed(s, s->out->chain == NULL ? "out of memory" : why);
        return SMTP_STAGE_QUIT;
    }
    return SMTP_STAGE_VERIFY;
}

static enum smtp_stage enter_verify(struct session *s)
{
    const char *why = "server certificate not verified";
    enum smtp_peer_status st;

    if (s->p->verify != NULL)
        st = s->p->verify(s->p->verify_arg, s->out->chain, &s->out->facts, &why);
    else
        st = s->out->facts.anonymous ? SMTP_PEER_ANONYMOUS : SMTP_PEER_UNTRUSTED;
    /* an anonymous suite completes without any certificate: nothing can
     * have been authenticated, whatever the callback says */
    if (s->out->facts.anonymous && st != SMTP_PEER_ANONYMOUS && st != SMTP_PEER_FAIL) {
        st = SMTP_PEER_FAIL;
        why = "the server presented no certificate";
    }
    /* only sessions with a certificate are cached: a resumed session must
     * bring back the chain its verification needs */
    if (s->out->facts.resumed && s->out->facts.anonymous) {
        st = SMTP_PEER_FAIL;
        why = "resumed TLS session without the server certificate chain";
    }
    s->out->peer = st;
    if (st == SMTP_PEER_FAIL && s->out->facts.resumed) {
        conn_forget(s->conn);
        s->resume_failed = 1;
    }
    if (st == SMTP_PEER_FAIL) {
        /* never mail over an unauthenticated session where authentication
         * is required; the caller's level decides (no cleartext retry) */
        fail(s, FAILURE_AUTH, "TLS authentication failed for %s: %s", s->peer, why);
        return SMTP_STAGE_QUIT;
    }
    return SMTP_STAGE_EHLO_TLS;
}

static enum smtp_stage enter_ehlo_tls(struct session *s)
{
    int r;

    /* RFC 3207 §4.2: forget what was learnt before TLS */
    s->out->ext = 0;
    s->out->size_limit = 0;
    r = ehlo(s);
    if (r < 0)
        return SMTP_STAGE_DONE;
    if (r == 0)
        return fail_refused(s);
    store_session(s);
    return SMTP_STAGE_MAIL;
}

/* body_source - the next bytes of the message; returns bytes, 0 at the end,
 * -1 on a read error */
static ssize_t body_source(struct session *s, uint64_t off, uint8_t *buf, size_t cap)
{
    if (s->m->fd < 0) {
        size_t n = off >= s->m->len ? 0 : s->m->len - (size_t)off;
        n = n < cap ? n : cap;
        if (n > 0)
            memcpy(buf, s->m->buf + off, n);
        return (ssize_t)n;
    }
    return pread(s->m->fd, buf, cap, (off_t)off);
}

/* mail_cmd - "MAIL FROM:<...> SIZE= BODY= SMTPUTF8 REQUIRETLS" into buf */
static int mail_cmd(struct session *s, char *buf, size_t size)
{
    char sz[32] = "";
    const char *body = "", *utf8 = "";
    const char *requiretls = s->m->requiretls ? " REQUIRETLS" : "";  /* RFC 8689 §2 */

    if (s->out->ext & SMTP_EXT_SIZE)
        snprintf(sz, sizeof(sz), " SIZE=%llu", (unsigned long long)s->m->size);
    if (s->m->body_8bit && (s->out->ext & SMTP_EXT_8BITMIME))
        body = " BODY=8BITMIME";    /* RFC 6152 §3 */
    if (s->utf8)
        utf8 = " SMTPUTF8";         /* RFC 6531 §3.4 */
    return snprintf(buf, size, "MAIL FROM:<%s>%s%s%s%s\r\n", s->m->sender, sz, body, utf8,
                    requiretls);
}

/* plan_downgrade - RFC 6152 §3: 8-bit data goes only to a server that
 * offers 8BITMIME; to another it is converted (mime8.h) when it can be,
 * which a first pass over the message tells before MAIL, else bounced */
static int plan_downgrade(struct session *s)
{
    const char *why = NULL;
    uint8_t *buf;
    uint64_t off = 0;
    ssize_t got;

    if (!s->m->body_8bit || (s->out->ext & SMTP_EXT_8BITMIME))
        return 0;
    s->mime8 = mime8_new();
    buf = malloc(BODY_CHUNK);
    if (s->mime8 == NULL || buf == NULL) {
        free(buf);
        fail(s, FAILURE_RESOURCE, "out of memory");
        return -1;
    }
    while ((got = body_source(s, off, buf, BODY_CHUNK)) > 0) {
        mime8_scan(s->mime8, buf, (size_t)got);
        off += (uint64_t)got;
    }
    free(buf);
    if (got < 0) {
        fail(s, FAILURE_MESSAGE, "error reading the message file");
        return -1;
    }
    if (mime8_scan_end(s->mime8, &why) != 0) {
        fail(s, FAILURE_8BIT, "host %s does not offer 8BITMIME, and the 8-bit message "
             "cannot be converted: %s", s->peer, why);
        return -1;
    }
    return 0;
}

/* requiretls_precheck - RFC 8689 §4.2.1: a REQUIRETLS message goes only
 * over TLS to a Verified peer that offers REQUIRETLS (after STARTTLS: the
 * capabilities seen before TLS were discarded); else QUIT and the next MX */
static int requiretls_precheck(struct session *s)
{
    const char *missing = NULL;

    if (!s->m->requiretls)
        return 0;
    if (!s->out->tls)
        missing = "no TLS with host";
    else if (s->out->peer != SMTP_PEER_VERIFIED)
        missing = "no Verified TLS with host";
    else if (!(s->out->ext & SMTP_EXT_REQUIRETLS))
        missing = "REQUIRETLS not offered by host";
    if (missing == NULL)
        return 0;
    s->out->requiretls_unmet = 1;
    fail(s, FAILURE_REQUIRETLS, "REQUIRETLS is required, but %s %s", missing, s->peer);
    return -1;
}

/* mail_precheck - refuse early what the server announced it cannot take */
static int mail_precheck(struct session *s)
{
    if (requiretls_precheck(s) != 0)
        return -1;
    if (s->utf8 && !(s->out->ext & SMTP_EXT_SMTPUTF8)) {
        fail(s, FAILURE_SMTPUTF8, "SMTPUTF8 is required, but was not offered by host %s",
             s->peer);
        return -1;
    }
    /* RFC 1870 §6.2: do not send what the server said it will refuse */
    if ((s->out->ext & SMTP_EXT_SIZE) && s->out->size_limit > 0 &&
        s->m->size > s->out->size_limit) {
        fail(s, FAILURE_SIZE, "message size %llu exceeds size limit %llu of server %s",
             (unsigned long long)s->m->size, (unsigned long long)s->out->size_limit, s->peer);
        return -1;
    }
    return plan_downgrade(s);
}

/* rcpt_set - one recipient's result from the current reply (2xx, 4xx or
 * 5xx: the caller has refused any other) */
static void rcpt_set(struct session *s, size_t i)
{
    struct smtp_rcpt_result *r = &s->out->recipients[i];

    r->code = s->reply.code;
    snprintf(r->text, sizeof(r->text), "%s", s->reply.text);
    if (is_2xx(&s->reply)) {
        reply_dsn(&s->reply, r->enhanced);
        r->result = SMTP_DEFER;     /* accepted; sent only after the dot */
        s->accepted++;
        r->code = -r->code;         /* marks "accepted", see finish_rcpts */
        return;
    }
    r->result = failure_class_of(FAILURE_REPLY, s->reply.code) == FAILURE_BOUNCE
        ? SMTP_BOUNCE : SMTP_DEFER;
    failure_enhanced(FAILURE_REPLY, s->reply.code, s->reply.enhanced, r->enhanced);
    snprintf(r->reason, sizeof(r->reason), "host %s said: %d %s%s%s (in reply to RCPT TO "
             "command)", s->peer, s->reply.code, s->reply.enhanced,
             s->reply.enhanced[0] ? " " : "", s->reply.text);
}

/* send_envelope - MAIL and RCPT commands in one write (PIPELINING) or MAIL alone */
static int send_envelope(struct session *s, int pipelined)
{
    size_t cap = CMD_MAX * (pipelined ? 1 + s->m->nrecipients : 1), n;
    char *buf = malloc(cap);
    int rc;

    if (buf == NULL) {
        fail(s, FAILURE_RESOURCE, "out of memory");
        return -1;
    }
    n = (size_t)mail_cmd(s, buf, CMD_MAX);
    for (size_t i = 0; pipelined && i < s->m->nrecipients; i++)
        n += (size_t)snprintf(buf + n, CMD_MAX, "RCPT TO:<%s>\r\n", s->m->recipients[i]);
    rc = send_raw(s, buf, n, s->to.mail_ms);
    free(buf);
    return rc;
}

/* after_reply - the verdict on a reply to MAIL, DATA or the end of data:
 * the wanted class (2 or 3) goes on to next; 4xx/5xx is the server's refusal
 * (then QUIT, but not after 421); any other reply is out of step */
static enum smtp_stage after_reply(struct session *s, int want_class,
                                   enum smtp_stage next)
{
    if (s->reply.code / 100 == want_class)
        return next;
    if (!is_refusal(&s->reply)) {
        fail_unexpected_reply(s);
        return SMTP_STAGE_DONE;
    }
    fail_reply(s);
    return is_421(s) ? SMTP_STAGE_DONE : SMTP_STAGE_QUIT;
}

static enum smtp_stage enter_mail(struct session *s)
{
    int pipelined = (s->out->ext & SMTP_EXT_PIPELINING) != 0;
    enum smtp_stage next;

    if (s->p->probe)
        return SMTP_STAGE_QUIT;
    if (mail_precheck(s) != 0)
        return SMTP_STAGE_QUIT;
    if (send_envelope(s, pipelined) != 0 || read_reply(s, s->to.mail_ms) != 0)
        return SMTP_STAGE_DONE;
    next = after_reply(s, 2, SMTP_STAGE_RCPT);
    /* refused: RFC 2920 §3.1, the pipelined RCPT replies still come; the
     * outcome is known, so they get as long as QUIT would */
    for (size_t i = 0; next == SMTP_STAGE_QUIT && pipelined && i < s->m->nrecipients; i++)
        if (read_reply(s, QUIT_WAIT_MS) != 0)
            return SMTP_STAGE_DONE;
    return next;
}

static enum smtp_stage enter_rcpt(struct session *s)
{
    int pipelined = (s->out->ext & SMTP_EXT_PIPELINING) != 0;

    for (size_t i = 0; i < s->m->nrecipients; i++) {
        int rc = pipelined ? read_reply(s, s->to.rcpt_ms)
                           : command(s, s->to.rcpt_ms, "RCPT TO:<%s>", s->m->recipients[i]);
        if (rc != 0)
            return SMTP_STAGE_DONE;
        if (is_421(s)) {
            fail_reply(s);
            return SMTP_STAGE_DONE;
        }
        if (!is_2xx(&s->reply) && !is_refusal(&s->reply)) {
            fail_unexpected_reply(s);
            return SMTP_STAGE_DONE;
        }
        rcpt_set(s, i);
    }
    if (s->accepted == 0) {
        /* nobody accepted: finish_rcpts() takes the recipients' verdicts */
        fail(s, FAILURE_REPLY, "no recipient accepted by %s", s->peer);
        return SMTP_STAGE_QUIT;
    }
    return SMTP_STAGE_DATA;
}

static enum smtp_stage enter_data(struct session *s)
{
    if (command(s, s->to.data_ms, "DATA") != 0)
        return SMTP_STAGE_DONE;
    /* 354 (RFC 5321 §4.3.2); a 2xx to DATA answers no command */
    return after_reply(s, 3, SMTP_STAGE_BODY);
}

/* The DATA pipeline: message bytes -> [8BITMIME downgrade] -> body.h (CRLF,
 * dot-stuffing) -> the connection. Buffers are fixed; nothing grows with the
 * message. */
struct pipeline {
    struct body *body;
    uint8_t *in;                /* BODY_CHUNK: read from the message */
    uint8_t *mid;               /* BODY_CHUNK: downgraded bytes */
    uint8_t *out;               /* BODY_OUT: DATA bytes */
};

#define BODY_OUT (BODY_CHUNK * 4)

/* emit - DATA bytes of p[0..len) to the server */
static int emit(struct session *s, struct pipeline *pl, const uint8_t *p, size_t len)
{
    const char *why = "write error";
    size_t used = 0;

    while (used < len) {
        size_t u = 0, n = body_feed(pl->body, p + used, len - used, pl->out, BODY_OUT, &u);
        enum conn_status st = conn_write(s->conn, pl->out, n,
                                         deadline_in(s, s->to.data_xfer_ms), &why);
        used += u;
        if (st != CONN_OK) {
            fail_io(s, st, why);
            return -1;
        }
    }
    return 0;
}

/* downgrade - message bytes through the 8BITMIME downgrade (mime8.h), then
 * emit(); len 0 ends the message */
static int downgrade(struct session *s, struct pipeline *pl, const uint8_t *p, size_t len)
{
    size_t used = 0, n;

    while (used < len) {
        size_t u = 0;

        n = mime8_feed(s->mime8, p + used, len - used, pl->mid, BODY_CHUNK, &u);
        used += u;
        if (emit(s, pl, pl->mid, n) != 0)
            return -1;
    }
    while (len == 0 && (n = mime8_finish(s->mime8, pl->mid, BODY_CHUNK)) > 0)
        if (emit(s, pl, pl->mid, n) != 0)
            return -1;
    return 0;
}

/* send_body - stream the message through the pipeline; a reply while the
 * body is sent answers no command (in_step before every chunk) */
static int send_body(struct session *s, struct pipeline *pl)
{
    uint64_t off = 0;

    for (;;) {
        ssize_t got = body_source(s, off, pl->in, BODY_CHUNK);

        if (got < 0) {
            /* the dot is never sent: the server discards the transaction */
            fail(s, FAILURE_MESSAGE, "error reading the message file");
            return -1;
        }
        if (in_step(s, stage_text[s->stage].while_text) != 0)
            return -1;
        if (s->mime8 != NULL ? downgrade(s, pl, pl->in, (size_t)got) != 0
                             : emit(s, pl, pl->in, (size_t)got) != 0)
            return -1;
        if (got == 0)
            return 0;
        off += (uint64_t)got;
    }
}

/* send_dot - the end of data; from here on a failure may mean the message
 * was delivered */
static int send_dot(struct session *s, struct pipeline *pl)
{
    const char *why = "write error";
    size_t n = body_finish(pl->body, pl->out, BODY_OUT);
    enum conn_status st;

    if (in_step(s, stage_text[s->stage].while_text) != 0)
        return -1;
    s->stage = SMTP_STAGE_DOT;
    st = conn_write(s->conn, pl->out, n, deadline_in(s, s->to.data_xfer_ms), &why);
    if (st != CONN_OK) {
        fail_io(s, st, why);
        return -1;
    }
    return 0;
}

static enum smtp_stage enter_body(struct session *s)
{
    struct pipeline pl = { body_new(BODY_LINE_LIMIT_DEFAULT), malloc(BODY_CHUNK),
                           malloc(BODY_CHUNK), malloc(BODY_OUT) };
    int rc = -1;

    if (pl.body == NULL || pl.in == NULL || pl.mid == NULL || pl.out == NULL)
        fail(s, FAILURE_RESOURCE, "out of memory");
    else if (send_body(s, &pl) == 0)
        rc = send_dot(s, &pl);
    body_free(pl.body);
    free(pl.in);
    free(pl.mid);
    free(pl.out);
    return rc == 0 ? SMTP_STAGE_DOT : SMTP_STAGE_DONE;
}

/* enter_dot - only a 2xx read after the end of data was sent delivers */
static enum smtp_stage enter_dot(struct session *s)
{
    if (read_reply(s, s->to.data_done_ms) != 0)
        return SMTP_STAGE_DONE;
    const char *why = "read error";

    s->out->code = s->reply.code;
    s->final = s->reply;
    if (!is_2xx(&s->reply))
        return after_reply(s, 2, SMTP_STAGE_QUIT);
    /* a second reply already there: the 2xx may have come before the dot */
    (void)take_input(s, &why);
    if (s->blen > s->bused) {
        unexpected_input(s, "after the end of data -- message may be sent more than once");
        return SMTP_STAGE_DONE;
    }
    return SMTP_STAGE_QUIT;
}

/* refused_after_data - a refusal of the command after an accepted end of
 * data is the real answer to the data: the 2xx taken for it came early */
static void refused_after_data(struct session *s, const char *command)
{
    fail_with_reply(s, FAILURE_PROTOCOL, "protocol error: host %s answered %s with %d %s%s%.200s "
                    "after the end of data -- message may be sent more than once", s->peer,
                    command, s->reply.code, s->reply.enhanced, s->reply.enhanced[0] ? " " : "",
                    s->reply.text);
}

/* send_quit - a courtesy whose failure changes nothing (RFC 5321
 * §4.1.1.10); the outcome is known, so it waits a few seconds at most. One
 * exception: a refusal in reply to QUIT after the message was accepted is
 * the real answer to the end of data, the 2xx taken for it came early. */
static enum smtp_stage send_quit(struct session *s)
{
    static const char quit[] = "QUIT\r\n";
    const char *why = NULL;
    uint64_t deadline = deadline_in(s, s->to.quit_ms < QUIT_WAIT_MS ? s->to.quit_ms
                                                                    : QUIT_WAIT_MS);
    int delivered = !s->failed, answered = 0;

    s->failed = 1;
    s->bused = s->blen;
    if (conn_write(s->conn, (const uint8_t *)quit, sizeof(quit) - 1, deadline, &why)
        == CONN_OK) {
        uint64_t now = clock_now_ms();

        transcript(s, "> ", (const uint8_t *)quit, sizeof(quit) - 1);
        answered = read_reply(s, now < deadline ? (unsigned)(deadline - now) : 0) == 0;
    }
    s->failed = !delivered;
    if (delivered && answered && is_refusal(&s->reply))
        refused_after_data(s, "QUIT");
    return SMTP_STAGE_DONE;
}

/* link_of - the session's connection and what it learnt, moved into a
 * link for the next transaction; NULL when out of memory */
static struct smtp_link *link_of(struct session *s)
{
    struct smtp_link *l = calloc(1, sizeof(*l));

    if (l == NULL)
        return NULL;
    l->conn = s->conn;
    l->ext = s->out->ext;
    l->size_limit = s->out->size_limit;
    l->tls = s->out->tls;
    l->facts = s->out->facts;
    l->peer = s->out->peer;
    memcpy(l->local_address, s->out->local_address, sizeof(l->local_address));
    l->uses = s->uses;
    s->conn = NULL;
    return l;
}

/* keep_or_quit - after a delivered message, RSET instead of QUIT (as
 * Postfix does before it caches a connection): on its 250, with nothing
 * more from the server, the connection goes into out->link; a refusal is
 * QUIT's exception (send_quit); a broken connection is closed */
static enum smtp_stage keep_or_quit(struct session *s)
{
    static const char rset[] = "RSET\r\n";
    uint64_t deadline = deadline_in(s, QUIT_WAIT_MS);
    const char *why = NULL;
    int answered = 0, written;

    s->failed = 1;      /* the message is sent: no failure of RSET undoes it */
    written = s->bused == s->blen
              && conn_write(s->conn, (const uint8_t *)rset, sizeof(rset) - 1, deadline,
                            &why) == CONN_OK;
    if (written) {
        uint64_t now = clock_now_ms();

        transcript(s, "> ", (const uint8_t *)rset, sizeof(rset) - 1);
        answered = read_reply(s, now < deadline ? (unsigned)(deadline - now) : 0) == 0;
    }
    s->failed = 0;
    if (answered && is_refusal(&s->reply)) {
        refused_after_data(s, "RSET");
        return SMTP_STAGE_DONE;
    }
    if (answered && s->reply.code == 250 && s->bused == s->blen
        && (s->out->link = link_of(s)) != NULL)
        return SMTP_STAGE_DONE;
    return written && !s->io_failed ? send_quit(s) : SMTP_STAGE_DONE;
}

static enum smtp_stage enter_quit(struct session *s)
{
    if (s->p->keep && !s->p->probe && !s->failed && !s->out_of_step)
        return keep_or_quit(s);
    return send_quit(s);
}

/* enter - the entry action of a state; returns the next state */
static enum smtp_stage enter(struct session *s)
{
    switch (s->stage) {
    case SMTP_STAGE_CONNECT: return enter_connect(s);
    case SMTP_STAGE_GREETING: return enter_greeting(s);
    case SMTP_STAGE_EHLO: return enter_ehlo(s);
    case SMTP_STAGE_HELO: return enter_helo(s);
    case SMTP_STAGE_STARTTLS: return enter_starttls(s);
    case SMTP_STAGE_HANDSHAKE: return enter_handshake(s);
    case SMTP_STAGE_VERIFY: return enter_verify(s);
    case SMTP_STAGE_EHLO_TLS: return enter_ehlo_tls(s);
    case SMTP_STAGE_MAIL: return enter_mail(s);
    case SMTP_STAGE_RCPT: return enter_rcpt(s);
    case SMTP_STAGE_DATA: return enter_data(s);
    case SMTP_STAGE_BODY: return enter_body(s);
    case SMTP_STAGE_DOT: return enter_dot(s);
    case SMTP_STAGE_QUIT: return enter_quit(s);
    case SMTP_STAGE_DONE: break;
    }
    abort();
}

/* ---- recipients' verdicts ---- */

/* sent_verdict - an accepted recipient after the 2xx to the end of data */
static void sent_verdict(const struct smtp_reply *f, struct smtp_rcpt_result *r)
{
    r->result = SMTP_SENT;
    r->code = f->code;
    reply_dsn(f, r->enhanced);
    snprintf(r->text, sizeof(r->text), "%s", f->text);
    snprintf(r->reason, sizeof(r->reason), "%d %s%s%s", f->code, f->enhanced,
             f->enhanced[0] ? " " : "", f->text);
}

/* session_verdict - a recipient that shares the session's failure */
static void session_verdict(const struct smtp_outcome *o, struct smtp_rcpt_result *r)
{
    r->result = o->result == SMTP_BOUNCE ? SMTP_BOUNCE : SMTP_DEFER;
    r->code = o->code;
    r->text[0] = '\0';
    memcpy(r->enhanced, o->enhanced, sizeof(r->enhanced));
    snprintf(r->reason, sizeof(r->reason), "%s", o->reason);
}

/* nobody_accepted - every recipient was refused: the session defers when
 * one of them was deferred, and takes that recipient's code */
static void nobody_accepted(struct smtp_outcome *o)
{
    enum smtp_result want = SMTP_BOUNCE;

    for (size_t i = 0; i < o->nrecipients; i++)
        if (o->recipients[i].result == SMTP_DEFER)
            want = SMTP_DEFER;
    o->result = want;
    for (size_t i = 0; i < o->nrecipients; i++)
        if (o->recipients[i].result == want) {
            memcpy(o->enhanced, o->recipients[i].enhanced, sizeof(o->enhanced));
            return;
        }
}

/* finish_rcpts - every recipient gets a final result: accepted ones follow
 * the end of data (or the session failure), others keep their RCPT reply or
 * get the session's reason; after a protocol error no RCPT reply is trusted
 * and every recipient shares the session's deferral */
static void finish_rcpts(struct session *s)
{
    struct smtp_outcome *o = s->out;

    for (size_t i = 0; i < o->nrecipients; i++) {
        struct smtp_rcpt_result *r = &o->recipients[i];
        int accepted = r->code < 0;

        if (accepted)
            r->code = -r->code;
        if (accepted && !s->failed)
            sent_verdict(&s->final, r);
        else if (accepted || r->code == 0 || s->out_of_step)
            session_verdict(o, r);
    }
    if (!s->failed)
        o->result = SMTP_SENT;
    else if (s->accepted == 0 && o->stage == SMTP_STAGE_RCPT && !s->out_of_step)
        nobody_accepted(o);
}

int smtp_envelope_check(const struct smtp_message *m, const char **why)
{
    const char *inner;
    size_t len;

    if (m->sender == NULL || m->nrecipients == 0 || m->recipients == NULL) {
        *why = "no sender or no recipient";
        return -1;
    }
    if (envelope_check(m->sender, strlen(m->sender), ENVELOPE_SENDER, &inner, &len, why) != 0)
        return -1;
    if (len != strlen(m->sender)) {
        *why = "sender address must be given without angle brackets";
        return -1;
    }
    for (size_t i = 0; i < m->nrecipients; i++) {
        const char *r = m->recipients[i];
        if (r == NULL ||
            envelope_check(r, strlen(r), ENVELOPE_RECIPIENT, &inner, &len, why) != 0)
            return -1;
        if (len != strlen(r)) {
            *why = "recipient address must be given without angle brackets";
            return -1;
        }
    }
    return 0;
}

/* peer_name - "host[addr]" and the port, for reasons */
static void peer_name(struct session *s)
{
    char addr[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    const struct sockaddr *sa = s->p->addr;

    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
        port = ntohs(in->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
        port = ntohs(in6->sin6_port);
    }
    snprintf(s->peer, sizeof(s->peer), "%s[%s]", s->p->host ? s->p->host : addr, addr);
    snprintf(s->port, sizeof(s->port), "%u", port);
}

static unsigned or_default(unsigned v, unsigned dflt)
{
    return v != 0 ? v : dflt;
}

/* setup - limits, timeouts, buffers; -1 on a usage error or ENOMEM */
static int setup(struct session *s)
{
    const struct smtp_params *p = s->p;
    const char *why = NULL;

    s->lim.max_line = p->limits.max_line ? p->limits.max_line : SMTP_REPLY_LINE_MAX_DEFAULT;
    s->lim.max_lines = p->limits.max_lines ? p->limits.max_lines : SMTP_REPLY_LINES_MAX_DEFAULT;
    s->to.connect_ms = or_default(p->timeouts.connect_ms, 30000);
    s->to.greeting_ms = or_default(p->timeouts.greeting_ms, 300000);
    s->to.helo_ms = or_default(p->timeouts.helo_ms, 300000);
    s->to.starttls_ms = or_default(p->timeouts.starttls_ms, 300000);
    s->to.mail_ms = or_default(p->timeouts.mail_ms, 300000);
    s->to.rcpt_ms = or_default(p->timeouts.rcpt_ms, 300000);
    s->to.data_ms = or_default(p->timeouts.data_ms, 120000);
    s->to.data_xfer_ms = or_default(p->timeouts.data_xfer_ms, 180000);
    s->to.data_done_ms = or_default(p->timeouts.data_done_ms, 600000);
    s->to.quit_ms = or_default(p->timeouts.quit_ms, 300000);
    peer_name(s);
    if (!p->probe && smtp_envelope_check(s->m, &why) != 0) {
        fail_usage(s, "5.1.3", why);
        return -1;
    }
    if (p->tls != SMTP_TLS_NONE && p->tls_ctx == NULL)
        abort();    /* programmer error: TLS wanted without a context */
    if (p->helo_name == NULL || envelope_needs_smtputf8(p->helo_name, strlen(p->helo_name)) ||
        strlen(p->helo_name) > 255 || strpbrk(p->helo_name, " \t\r\n") != NULL) {
        fail_usage(s, "5.3.5", "bad EHLO name");
        return -1;
    }
    /* room for a whole reply: lines * (line + CRLF) */
    s->bufsize = s->lim.max_lines * (s->lim.max_line + 2);
    s->buf = malloc(s->bufsize);
    s->out->nrecipients = p->probe ? 0 : s->m->nrecipients;
    s->out->recipients = calloc(s->out->nrecipients + 1, sizeof(*s->out->recipients));
    if (s->buf == NULL || s->out->recipients == NULL) {
        fail(s, FAILURE_RESOURCE, "out of memory");
        return -1;
    }
    return 0;
}

/* needs_utf8 - RFC 6531: non-ASCII addresses or headers */
static int needs_utf8(const struct smtp_message *m)
{
    if (m->smtputf8 || envelope_needs_smtputf8(m->sender, strlen(m->sender)))
        return 1;
    for (size_t i = 0; i < m->nrecipients; i++)
        if (envelope_needs_smtputf8(m->recipients[i], strlen(m->recipients[i])))
            return 1;
    return 0;
}

/* drop_link - close a kept connection without a word (it is not in step
 * with us, or gone) */
static void drop_link(struct smtp_link *l)
{
    conn_close(l->conn);
    free(l);
}

/* adopt - a kept connection (p->reuse, taken over) as this session's: the
 * transaction starts at MAIL with what the first session learnt */
static void adopt(struct session *s, struct smtp_link *l)
{
    s->conn = l->conn;
    s->uses = l->uses + 1;
    s->out->connected = 1;
    s->out->ext = l->ext;
    s->out->size_limit = l->size_limit;
    s->out->tls = l->tls;
    s->out->facts = l->facts;
    s->out->peer = l->peer;
    memcpy(s->out->local_address, l->local_address, sizeof(l->local_address));
    s->stage = SMTP_STAGE_MAIL;
    free(l);
}

/* quiet - a kept connection on which the server has said nothing since
 * the 250 to RSET (no bytes, no end of file): only such a one carries a
 * message; anything else would be taken for the reply to MAIL */
static int quiet(struct smtp_link *l)
{
    uint8_t byte[1];
    const char *why = NULL;
    size_t n = 0;

    return conn_read_now(l->conn, byte, sizeof(byte), &n, &why) == CONN_OK && n == 0;
}

/* stale - a kept connection that the server had closed, or closes at MAIL
 * (421): nothing was accepted on it, a new connection may carry the message */
static int stale(const struct session *s)
{
    return s->uses > 1 && s->out->result != SMTP_SENT && s->out->stage == SMTP_STAGE_MAIL
           && (s->io_failed || s->out->code == 421);
}

/* run - one session; resume: offer the cached session; 1 when a resumed
 * session failed verification or the resumption handshake failed, or a
 * kept connection was stale */
static int run(const struct smtp_params *p, const struct smtp_message *m,
               struct smtp_outcome *out, int resume)
{
    struct session s = { .p = p, .m = m, .out = out, .stage = SMTP_STAGE_CONNECT,
                         .cache = p->session_cache, .resume = resume, .uses = 1 };
    struct smtp_link *link = p->reuse;  /* taken over by this run */
    uint64_t t0 = clock_now_ms();
    int again;

    memset(out, 0, sizeof(*out));
    if (setup(&s) == 0) {
        if (link != NULL && quiet(link))
            adopt(&s, link);
        else if (link != NULL)
            drop_link(link);        /* closed or chattering: a new one */
        link = NULL;
        s.utf8 = !p->probe && needs_utf8(m);
        while (s.stage != SMTP_STAGE_DONE) {
            enum smtp_stage next = enter(&s);
            if (next < s.stage)
                abort();    /* states never move backwards */
            s.stage = next;
        }
    }
    if (!s.failed) {
        out->result = SMTP_SENT;
        out->stage = SMTP_STAGE_DONE;
    }
    if (out->recipients != NULL && !p->probe)
        finish_rcpts(&s);
    again = s.resume_failed || stale(&s);
    out->conn_use = s.uses;
    smtp_link_free(link);   /* setup failed before it was taken */
    conn_close(s.conn);
    mime8_free(s.mime8);
    free(s.buf);
    out->total_ms = (unsigned)(clock_now_ms() - t0);
    return again;
}

void smtp_session(const struct smtp_params *p, const struct smtp_message *m,
                  struct smtp_outcome *out)
{
    struct smtp_params fresh;

    /* a kept connection the server has closed meanwhile: a new one */
    if (p->reuse != NULL) {
        if (!run(p, m, out, 0))
            return;
        smtp_outcome_free(out);
        fresh = *p;
        fresh.reuse = NULL;
        p = &fresh;
    }
    /* the restored chain may be stale (a renewed certificate), or the server
     * refused the resumption: once more with a full handshake; either way it
     * failed before any mail command */
    if (run(p, m, out, 1)) {
        smtp_outcome_free(out);
        (void)run(p, m, out, 0);
    }
}

void smtp_link_free(struct smtp_link *l)
{
    static const char quit[] = "QUIT\r\n";
    uint64_t deadline = clock_now_ms() + LINK_QUIT_WAIT_MS;
    uint8_t reply[512];
    const char *why = NULL;
    size_t n = 0;

    if (l == NULL)
        return;
    if (conn_write(l->conn, (const uint8_t *)quit, sizeof(quit) - 1, deadline, &why)
        == CONN_OK)
        (void)conn_read(l->conn, reply, sizeof(reply), &n, deadline, &why);
    conn_close(l->conn);
    free(l);
}

void smtp_outcome_free(struct smtp_outcome *out)
{
    smtp_link_free(out->link);
    dane_chain_free(out->chain);
    free(out->recipients);
    free(out->transcript);
    memset(out, 0, sizeof(*out));
}
