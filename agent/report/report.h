/* report.h - what one delivery attempt reports: the TLS line in Postfix's
 *            format (FORWARD_SECRECY_README), a Postfix-style delivery line
 *            per recipient, syslog (facility mail, ident dane-agent) with an
 *            optional copy on stderr, and one JSON Lines record per attempt
 *            (dane-agent(8) LOGGING; RFC 8460 result types)
 *
 * The input is plain data, struct report_attempt, filled by the caller from
 * the SMTP session, DNS and policy results (level names from
 * policy_level_name(), DNSSEC statuses from dns_status_name(), verification
 * from verify_status_name()). Every pointer in it is borrowed for the
 * duration of a call; NULL strings are "unknown": JSON null, and omitted or
 * "none" in log lines as Postfix does.
 *
 * Peer text is untrusted: server replies, reasons quoting them and TLS names
 * are made printable (bytes outside 0x20..0x7e become '?') before they reach
 * a log line or a JSON string. Envelope addresses keep valid UTF-8
 * (SMTPUTF8, RFC 6531); their control bytes become '?' as well.
 *
 * Lines are bounded: REPORT_LINE_MAX bytes including the NUL; longer lines
 * are cut (at a character boundary) and end in "...". A JSON record is
 * bounded by REPORT_JSON_MAX.
 *
 * Delays (Postfix's delay=, delays=a/b/c/d, log_adhoc.c): delay is the time
 * since the request started; a the time before this connection (reading the
 * message, policy, DNS, earlier hosts); b is always 0 (no queue manager in
 * this process); c the connection setup (TCP, greeting, EHLO, STARTTLS,
 * EHLO); d the transaction (MAIL through the reply to the end of data).
 * Formatted like Postfix: two significant digits, at most two decimals,
 * whole seconds from 10 s on.
 *
 * Folder agent/report: log lines, syslog and JSON records; may use util.
 */
#ifndef DANE_AGENT_REPORT_H
#define DANE_AGENT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define REPORT_LINE_MAX 4096u
#define REPORT_JSON_MAX (4u * 1024u * 1024u)

enum report_result {
    REPORT_SENT = 0,
    REPORT_DEFERRED,
    REPORT_BOUNCED,
};

struct report_tls {
    const char *version;            /* "TLSv1.3"; NULL or "": no TLS */
    const char *cipher;             /* "TLS_AES_256_GCM_SHA384" */
    int bits;                       /* cipher bits used */
    int alg_bits;                   /* algorithm bits; 0: same as bits */
    const char *key_exchange;       /* "X25519", "ECDHE (P-256)",
                                     * "DHE (2048 bits)"; NULL/"": unknown */
    const char *server_signature;   /* "ECDSA (P-256)", "RSA-PSS (2048 bits)";
                                     * NULL/"": none (anonymous, resumed) */
    const char *server_digest;      /* "SHA256"; NULL/"": none (Ed25519) */
    int resumed;                    /* session resumed: JSON only; the log
                                     * line says "established" either way,
                                     * as Postfix does */
};

struct report_tlsa_match {
    int matched;                    /* 0: no TLSA record matched (JSON null) */
    unsigned usage, selector, mtype, depth;
};

struct report_dnssec {              /* dns_status_name() of each RRset, or
                                     * NULL when not looked up */
    const char *mx;
    const char *address;
    const char *tlsa;
};

struct report_rcpt {
    const char *address;            /* envelope recipient, no brackets */
    enum report_result result;
    int code;                       /* server reply code; 0: no reply */
    const char *enhanced;           /* DSN "2.0.0"; NULL/"": from result
                                     * (2.0.0, 4.0.0, 5.0.0) */
    const char *text;               /* the server's reply text, or NULL */
    const char *status;             /* Postfix's text in "status=... (…)",
                                     * e.g. "host mx[…] said: 550 5.1.1 … (in
                                     * reply to RCPT TO command)"; NULL:
                                     * "CODE ENHANCED TEXT" of the reply */
};

struct report_timings {             /* milliseconds */
    unsigned total_ms;              /* request start to now */
    unsigned dns_ms;                /* DNS lookups for this destination */
    unsigned connect_ms;            /* TCP connect of this attempt */
    unsigned tls_ms;                /* STARTTLS handshake */
    unsigned setup_ms;              /* connection setup (delays c) */
    unsigned transfer_ms;           /* MAIL..end of data (delays d) */
};

struct report_policy {             /* RFC 8460 §4.4: what governed this host */
    const char *type;               /* "tlsa", "sts", "no-policy-found";
                                     * NULL: not decided (JSON null) */
    const char *domain;             /* the policy domain */
    const char *const *strings;     /* the policy's lines (sts) or TLSA
                                     * records (tlsa) */
    size_t nstrings;
    const char *mx_host_pattern;    /* sts: the mx pattern matched */
};

struct report_attempt {
    time_t when;                    /* 0: no "time" member */
    const char *destination;        /* the next-hop as given */
    const char *mx;                 /* server host name */
    const char *address;            /* server address (numeric) */
    const char *sending_ip;         /* our address; NULL: not connected */
    unsigned port;
    int connected;                  /* 0: relay=none in delivery lines */
    unsigned conn_use;              /* transactions on the connection, this
                                     * one included (Postfix conn_use: in the
                                     * delivery line when above 1) */
    const char *level;              /* configured level (Postfix name) */
    const char *effective_level;    /* enforced on this host */
    struct report_dnssec dnssec;
    const char *tlsa_base_domain;   /* NULL: no TLSA in play */
    const char *sni;                /* NULL: none sent */
    struct report_tls tls;
    const char *verification;       /* "Verified", "Trusted", "Untrusted",
                                     * "Anonymous"; NULL: "none" */
    const char *authenticated_by;   /* Verified by what: "dane", "mta-sts",
                                     * "pkix", "fingerprint"; else NULL */
    struct report_tlsa_match tlsa_match;
    const struct report_rcpt *rcpts;
    size_t nrcpts;
    enum report_result result;
    const char *reason;             /* why not sent; NULL when sent */
    const char *rfc8460;            /* RFC 8460 §4.3 result type on a TLS
                                     * failure ("certificate-expired", ...);
                                     * NULL otherwise */
    struct report_policy policy;
    int requiretls;                 /* the message asked for REQUIRETLS
                                     * (RFC 8689, deliver --requiretls) */
    int tls_required_no;            /* the host's DANE or MTA-STS policy was
                                     * not enforced: the message said
                                     * "TLS-Required: No" (RFC 8689 §5) */
    struct report_timings timings;
};

/* report_result_name - "sent", "deferred", "bounced" */
const char *report_result_name(enum report_result result);

/* report_tls_line - "Verified TLS connection established to
 * mx[addr]:port: TLSv1.3 with cipher ... (256/256 bits) key-exchange ...
 * server-signature ... server-digest ..." into out (size > 0); returns the
 * length, 0 when the attempt had no TLS (out is then "") */
size_t report_tls_line(const struct report_attempt *a, char *out, size_t size);

/* report_auth_line - "mx[addr]:port: Verified via DANE (TLSA 3 1 1 at depth
 * 0)", "... via MTA-STS policy of D (mx pattern P)", "... via PKIX", "...
 * via fingerprint" into out; returns the length, 0 when the attempt has no
 * authenticated_by (out is then "") */
size_t report_auth_line(const struct report_attempt *a, char *out, size_t size);

/* report_delivery_line - "to=<rcpt>, relay=mx[addr]:port, delay=0.53,
 * delays=0.01/0/0.3/0.22, dsn=2.0.0, status=sent (250 2.0.0 Ok)" for
 * recipient i into out (size > 0); returns the length */
size_t report_delivery_line(const struct report_attempt *a, size_t i,
                            char *out, size_t size);

/* report_format_delay - Postfix's delay notation of ms into out (size >=
 * 16): "0", "0.01", "0.53", "1.2", "13" */
void report_format_delay(unsigned ms, char *out, size_t size);

/* report_json - the attempt as one JSON object followed by "\n", in an
 * owned buffer (free() it); NULL with *why when over REPORT_JSON_MAX or out
 * of memory */
char *report_json(const struct report_attempt *a, size_t *len,
                  const char **why);

/* report_open - open FILE for --report: append, create (mode 0644 less the
 * umask), close-on-exec, without blocking (a FIFO without a reader fails at
 * once); only a regular file is accepted. An fd, or -1 with err naming the
 * path and the errno text (NUL-terminated, truncated to errsize) */
int report_open(const char *path, char *err, size_t errsize);

/* report_write_json - append the attempt's record to fd with one write()
 * (O_APPEND keeps concurrent writers' lines whole); 0, or -1 with *why */
int report_write_json(int fd, const struct report_attempt *a,
                      const char **why);

/* report_log_open - openlog("dane-agent", LOG_PID, LOG_MAIL) */
void report_log_open(void);

/* report_log_line - one line to syslog (facility mail; priority a syslog
 * level such as LOG_INFO) and, when err is not NULL, "dane-agent: LINE\n"
 * to err; the line is made printable first */
void report_log_line(int priority, const char *line, FILE *err);

/* report_log_attempt - the TLS line (when TLS was used) and one delivery
 * line per recipient, at LOG_INFO (sent) or LOG_WARNING (else) */
void report_log_attempt(const struct report_attempt *a, FILE *err);

/* Where the reports of one request go: syslog always, and these. */
struct report_sink {
    FILE *log_err;                  /* a copy of every log line (--log-stderr,
                                     * probe's stdout), or NULL */
    int json_fd;                    /* --report FILE, or -1 */
    int json_stdout;                /* --json: records on stdout too */
};

/* report_emit - the one way an attempt is reported: its log lines, then its
 * JSON record to each JSON sink; a record that cannot be written is a
 * logged warning, never a failure of the delivery */
void report_emit(const struct report_sink *sink, const struct report_attempt *a);

#endif
