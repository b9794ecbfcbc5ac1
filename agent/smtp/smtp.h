/* smtp.h - one SMTP client session to one server address: greeting, EHLO,
 *          STARTTLS (RFC 3207), TLS verification by the caller, EHLO again,
 *          MAIL/RCPT (PIPELINING, RFC 2920; SIZE, RFC 1870; 8BITMIME,
 *          RFC 6152; SMTPUTF8, RFC 6531), DATA (RFC 5321 §4.1.1.4), QUIT;
 *          or, in probe mode, everything up to the second EHLO and QUIT
 *
 * The caller (cmd_deliver: MX loop, policy, DNS, report; cmd_probe) decides
 * which address to try and with which TLS demands; this module talks to that
 * one address and says what happened, in Postfix's words, without deciding
 * failover: struct smtp_outcome gives the stage reached, a temporary or
 * permanent classification and the per-recipient results.
 *
 * Guarantees:
 * - Nothing is sent when the envelope is unusable (smtp_envelope_check()):
 *   result SMTP_USAGE, no connection made.
 * - A recipient is SMTP_SENT only after a 2xx reply to the end of data. A
 *   timeout or a lost connection after the dot defers with "-- message may be
 *   sent more than once": never reported sent.
 * - With SMTP_TLS_REQUIRED no mail command is ever sent in cleartext: a
 *   missing STARTTLS, a refused or failed handshake, a suite without forward
 *   secrecy, or a verification failure ends the session (4.7.4/4.7.5).
 * - Bytes the server sends after "220" to STARTTLS and before the handshake
 *   abort the session (RFC 3207 §4.2); the pre-TLS EHLO capabilities are
 *   discarded and EHLO is sent again over TLS.
 * - Every stage has its own timeout, and a whole reply must arrive within it
 *   (a server dripping bytes is cut off); params->deadline_ms caps them all.
 * - message->requiretls (RFC 8689 §4.2.1): MAIL is sent only over TLS to a
 *   peer the caller's verification found Verified and that offers
 *   REQUIRETLS in its EHLO reply over TLS; else QUIT, 4.7.30, and
 *   outcome.requiretls_unmet. The caller decides whether that bounces.
 * - Replies are bounded by params->limits; server text is made printable.
 * - TLS resumption (params->session_cache, session_cache.h): the cached
 *   session is offered in the handshake; a resumed session's restored peer
 *   chain goes through params->verify like a new one (a resumed session
 *   without a chain fails). Only a session whose verification passed
 *   (Verified, Trusted or Untrusted, never Anonymous or failed) is stored,
 *   after the EHLO reply over TLS (TLS 1.3 tickets arrive after the
 *   handshake). A failed resumption drops the entry; when the verification
 *   of a resumed session fails, the session is run once more with a full
 *   handshake, and only that second session is in the outcome.
 *
 * Ownership: params and message are borrowed for the duration of the call.
 * The outcome is the caller's struct, filled by smtp_session(); the arrays
 * and the chain it points to are owned by it and released with
 * smtp_outcome_free() (which leaves a zeroed struct; safe to call twice).
 * The message body is read with pread() from offset 0 of message->fd (a
 * regular file, so that another address can be tried with the same fd), or
 * taken from message->buf when fd < 0.
 *
 * Folder agent/smtp: the SMTP session, replies, envelope, message spool and
 * DATA encoding, the failure classifier; may use tls, dane, util.
 */
#ifndef DANE_AGENT_SMTP_H
#define DANE_AGENT_SMTP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "smtp_reply.h"
#include "tls.h"

struct dane_chain;
struct session_cache;

/* An open connection kept after a delivered message for the next one to
 * the same server (connection reuse): RSET was answered 250 and nothing
 * else is pending. It keeps what its session learnt: the EHLO keywords
 * after TLS, the TLS facts and the peer status. Owned by its holder;
 * smtp_link_free() ends it with QUIT. */
struct smtp_link;

enum smtp_tls_mode {
    SMTP_TLS_NONE = 0,          /* level none: never STARTTLS */
    SMTP_TLS_OPPORTUNISTIC,     /* level may: STARTTLS when offered; a TLS
                                 * failure ends the session and sets
                                 * outcome.cleartext_retry_ok */
    SMTP_TLS_REQUIRED,          /* encrypt and above */
};

/* What the caller's verification (verify.h, dane.h) concluded. */
enum smtp_peer_status {
    SMTP_PEER_NONE = 0,         /* no TLS */
    SMTP_PEER_ANONYMOUS,
    SMTP_PEER_UNTRUSTED,
    SMTP_PEER_TRUSTED,
    SMTP_PEER_VERIFIED,
    SMTP_PEER_FAIL,             /* the level's demands are not met: abort */
};

/* smtp_verify_fn - called once after each handshake with the peer chain
 * (leaf first; empty for an anonymous suite) and the connection facts; on
 * SMTP_PEER_FAIL sets *why to a static reason. Pointers are valid for the
 * call only (the chain also stays in the outcome). */
typedef enum smtp_peer_status (*smtp_verify_fn)(void *arg,
                                                const struct dane_chain *chain,
                                                const struct tls_facts *facts,
                                                const char **why);

/* Per-stage timeouts in milliseconds (0: the Postfix default in brackets). */
struct smtp_timeouts {
    unsigned connect_ms;        /* TCP connect [30 s] */
    unsigned greeting_ms;       /* initial 220 [300 s] */
    unsigned helo_ms;           /* EHLO/HELO reply [300 s] */
    unsigned starttls_ms;       /* STARTTLS reply + handshake [300 s] */
    unsigned mail_ms;           /* MAIL FROM reply [300 s] */
    unsigned rcpt_ms;           /* each RCPT TO reply [300 s] */
    unsigned data_ms;           /* DATA reply (354) [120 s] */
    unsigned data_xfer_ms;      /* each write of the body [180 s] */
    unsigned data_done_ms;      /* reply to the end of data [600 s] */
    unsigned quit_ms;           /* QUIT reply [300 s] */
};

struct smtp_params {
    const struct sockaddr *addr;    /* the server address and port */
    socklen_t addrlen;
    const char *host;               /* server name for reasons: "host[addr]" */
    const char *helo_name;          /* our EHLO name */
    enum smtp_tls_mode tls;
    struct tls_ctx *tls_ctx;        /* borrowed; needed unless SMTP_TLS_NONE */
    const char *sni;                /* NULL: none */
    smtp_verify_fn verify;          /* NULL: Untrusted/Anonymous, never FAIL */
    void *verify_arg;
    struct smtp_reply_limits limits;/* zeros: the smtp_reply.h defaults */
    struct smtp_timeouts timeouts;
    uint64_t deadline_ms;           /* absolute (clock_now_ms()); 0: none */
    int probe;                      /* stop after the (second) EHLO, QUIT;
                                     * keep a transcript */
    struct session_cache *session_cache;    /* borrowed; NULL: no resumption */
    struct smtp_link *reuse;        /* NULL: connect. Else taken over (the
                                     * caller no longer owns it): the
                                     * transaction starts at MAIL on it; a
                                     * link the server has closed or spoken
                                     * on unasked since RSET (closed unused),
                                     * or that gets 421 to MAIL, is replaced
                                     * by a new connection to addr */
    int keep;                       /* after a delivered message, RSET and
                                     * keep the connection (outcome.link)
                                     * instead of QUIT */
};

/* the most recipients of one message (one request, one transaction) */
#define SMTP_MAX_RCPTS 1000u

struct smtp_message {
    const char *sender;             /* "" for bounces */
    const char *const *recipients;
    size_t nrecipients;             /* >= 1 */
    int fd;                         /* body (RFC 5322 text, LF or CRLF) */
    const uint8_t *buf;             /* body when fd < 0 */
    size_t len;
    uint64_t size;                  /* body size for SIZE= (RFC 1870) */
    int body_8bit;                  /* send BODY=8BITMIME when offered */
    int smtputf8;                   /* headers need SMTPUTF8 (non-ASCII
                                     * addresses are detected here too) */
    int tls_required_no;            /* "TLS-Required: No" (RFC 8689 §5): the
                                     * delivery loop may relax TLS policy */
    int requiretls;                 /* RFC 8689: MAIL FROM ... REQUIRETLS,
                                     * only over TLS to a Verified peer
                                     * that offers REQUIRETLS after TLS */
};

enum smtp_result {
    SMTP_SENT = 0,      /* probe: the session completed */
    SMTP_DEFER,         /* temporary (4.x.x) */
    SMTP_BOUNCE,        /* permanent (5.x.x) */
    SMTP_USAGE,         /* bad envelope: nothing was sent (exit 64) */
};

/* Where the session was when it ended (never moves backwards). */
enum smtp_stage {
    SMTP_STAGE_CONNECT = 0,
    SMTP_STAGE_GREETING,
    SMTP_STAGE_EHLO,
    SMTP_STAGE_HELO,
    SMTP_STAGE_STARTTLS,
    SMTP_STAGE_HANDSHAKE,
    SMTP_STAGE_VERIFY,
    SMTP_STAGE_EHLO_TLS,
    SMTP_STAGE_MAIL,
    SMTP_STAGE_RCPT,
    SMTP_STAGE_DATA,
    SMTP_STAGE_BODY,
    SMTP_STAGE_DOT,
    SMTP_STAGE_QUIT,
    SMTP_STAGE_DONE,
};

#define SMTP_REASON_MAX 1536u   /* room for "host H[A] said: " + reply text */

struct smtp_rcpt_result {
    enum smtp_result result;
    int code;                           /* server reply code; 0: none */
    char enhanced[SMTP_ENHANCED_MAX];   /* "2.0.0", "4.4.2", ... */
    char text[SMTP_REPLY_TEXT_MAX];     /* server text, printable */
    char reason[SMTP_REASON_MAX];       /* Postfix-style status text */
};

struct smtp_outcome {
    enum smtp_result result;    /* session: SENT when the mail transaction
                                 * completed (some recipient sent) or the
                                 * probe finished; see recipients[] */
    enum smtp_stage stage;      /* stage reached (where it failed) */
    int code;                   /* last relevant server reply code, or 0 */
    char enhanced[SMTP_ENHANCED_MAX];   /* session DSN code, e.g. "4.7.5" */
    char reason[SMTP_REASON_MAX];       /* e.g. "lost connection with
                                 * mx.example[192.0.2.1] while sending end of
                                 * data -- message may be sent more than once" */
    const char *rfc8460;        /* "starttls-not-supported" (no STARTTLS,
                                 * refused), "validation-failure" (handshake,
                                 * injection); NULL otherwise, including a
                                 * verification failure: the caller's
                                 * verification knows the precise type */
    int connected;              /* TCP connection was established */
    char local_address[46];     /* our address on it (INET6_ADDRSTRLEN) */
    int requiretls_unmet;       /* message.requiretls, and this peer was
                                 * not Verified or did not offer REQUIRETLS:
                                 * QUIT before MAIL, every recipient deferred
                                 * (RFC 8689 §4.2.1: try the next MX) */
    int cleartext_retry_ok;     /* opportunistic TLS failed before any mail
                                 * command: the caller may retry this
                                 * address with SMTP_TLS_NONE (Postfix may) */
    int tls;                    /* TLS was established */
    struct tls_facts facts;
    enum smtp_peer_status peer;
    struct dane_chain *chain;   /* peer chain (owned), or NULL */
    unsigned ext;               /* SMTP_EXT_* of the last EHLO */
    uint64_t size_limit;
    struct smtp_rcpt_result *recipients;    /* nrecipients entries (owned) */
    size_t nrecipients;
    struct smtp_link *link;     /* params.keep and kept: the connection for
                                 * the next message (owned; take it and set
                                 * NULL, or smtp_outcome_free() closes it) */
    unsigned conn_use;          /* transactions on this connection, this one
                                 * included (Postfix conn_use): 1 when new */
    char *transcript;           /* probe: "> cmd" / "< reply" lines (owned) */
    size_t transcript_len;
    unsigned connect_ms, tls_ms, total_ms;  /* timings */
};

/* smtp_session - run one session; fills out (always: result, stage, reason
 * on failure, one entry per recipient unless probe) */
void smtp_session(const struct smtp_params *params,
                  const struct smtp_message *message,
                  struct smtp_outcome *out);

/* smtp_envelope_check - envelope_check() over sender and recipients; 0 or
 * -1 with *why (also done by smtp_session, which then sends nothing) */
int smtp_envelope_check(const struct smtp_message *message, const char **why);

/* smtp_link_free - QUIT (a second at most) and close; NULL is a no-op */
void smtp_link_free(struct smtp_link *link);

/* smtp_outcome_free - release what the outcome owns; zeroes it */
void smtp_outcome_free(struct smtp_outcome *out);

/* smtp_stage_name - "while sending RCPT TO" style text of a stage */
const char *smtp_stage_name(enum smtp_stage stage);
/* smtp_peer_status_name - "Verified", "Trusted", "Untrusted", "Anonymous" */
const char *smtp_peer_status_name(enum smtp_peer_status status);

#endif
