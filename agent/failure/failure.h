/* failure.h - the one failure classifier: every way a delivery attempt can
 *             fail is a cause, and one table gives each cause its class
 *             (deferred or bounced), its RFC 3463 enhanced status code and
 *             its RFC 8460 §4.3.2 result type, as Postfix's smtp_trouble.c
 *             is the one place that decides
 *
 * Nothing is classified by matching message text. Where the server's reply
 * decides (FAILURE_REPLY), its code gives the class and its enhanced code the
 * subject and detail; the class digit of the enhanced code is always that of
 * the outcome, so that the exit status and the code a queue manager reads
 * agree (75 with 4.X.X, 69 with 5.X.X).
 *
 * Folder agent/failure: below every folder that classifies (plan, smtp,
 * delivery, cli); uses libc only.
 */
#ifndef DANE_AGENT_FAILURE_H
#define DANE_AGENT_FAILURE_H

#include <stddef.h>

#define FAILURE_ENHANCED_MAX 16u    /* "5.123.456" and a NUL */

enum failure_class {
    FAILURE_DEFER = 0,      /* temporary: try later or elsewhere */
    FAILURE_BOUNCE,         /* permanent */
};

enum failure_cause {
    FAILURE_CONNECT = 0,    /* TCP connect failed */
    FAILURE_TIMEOUT,        /* a stage's timeout or the total deadline */
    FAILURE_LOST,           /* the server closed the connection */
    FAILURE_IO,             /* another read or write error */
    FAILURE_MALFORMED,      /* bytes that are not an SMTP reply */
    FAILURE_PROTOCOL,       /* a reply out of sequence: early, surplus, or
                             * of a kind the command cannot have */
    FAILURE_REPLY,          /* the server's 4xx/5xx to MAIL, RCPT, DATA or
                             * the end of data: class from the reply */
    FAILURE_REFUSED,        /* 4xx/5xx greeting, EHLO or HELO: this host is
                             * skipped (Postfix smtp_skip_5xx_greeting) */
    FAILURE_STARTTLS_ABSENT,    /* STARTTLS required, not offered */
    FAILURE_STARTTLS_REFUSED,   /* STARTTLS required, refused */
    FAILURE_TLS,            /* handshake or injection before the handshake */
    FAILURE_AUTH,           /* the peer's certificate failed verification
                             * (RFC 8460 validation-failure) */
    FAILURE_AUTH_TLSA,      /* no usable TLSA record (tlsa-invalid) */
    FAILURE_AUTH_EXPIRED,   /* a certificate of the path has expired */
    FAILURE_AUTH_NAME,      /* the leaf matches no reference name */
    FAILURE_AUTH_UNTRUSTED, /* no trust anchor vouches for the chain, or no
                             * certificate at all */
    FAILURE_DNSSEC,         /* a bogus DNSSEC answer ruled the hosts out */
    FAILURE_DANE_REQUIRED,  /* dane-only, and no usable TLSA */
    FAILURE_STS_FETCH,      /* the MTA-STS policy could not be fetched */
    FAILURE_STS_INVALID,    /* the fetched MTA-STS policy is invalid */
    FAILURE_STS_WEBPKI,     /* the MTA-STS policy host's certificate or
                             * handshake failed */
    FAILURE_REQUIRETLS,     /* RFC 8689: REQUIRETLS message, and this host
                             * is not authenticated or does not offer it
                             * (the delivery bounces 5.7.30 when no host
                             * does, RFC 8689 §4.2.1) */
    FAILURE_SMTPUTF8,       /* SMTPUTF8 needed, not offered */
    FAILURE_SIZE,           /* over the server's announced SIZE */
    FAILURE_8BIT,           /* 8-bit message, no 8BITMIME, not convertible */
    FAILURE_MESSAGE,        /* the message could not be read */
    FAILURE_RESOURCE,       /* out of memory */
    FAILURE_DEADLINE,       /* the delivery's total time limit */
    FAILURE_CAUSES,
};

/* failure_class_of - the class a cause gives; reply_code (3 digits, or 0)
 * only matters for FAILURE_REPLY */
enum failure_class failure_class_of(enum failure_cause cause, int reply_code);

/* failure_enhanced - the enhanced status code of a failure into out: the
 * server's (reply_enhanced, "X.Y.Z" or "") where the cause takes it, else the
 * table's; its class digit is always that of failure_class_of() */
void failure_enhanced(enum failure_cause cause, int reply_code,
                      const char *reply_enhanced,
                      char out[FAILURE_ENHANCED_MAX]);

/* failure_rfc8460 - RFC 8460 §4.3.2.1 result type, or NULL where none
 * applies; the only place that names one */
const char *failure_rfc8460(enum failure_cause cause);

/* failure_dsn_for - enhanced code "X.Y.Z" with its class digit made that of
 * class (a 5.7.1 refusal that only defers is 4.7.1); "" gives X.0.0 */
void failure_dsn_for(enum failure_class cls, const char *enhanced,
                     char out[FAILURE_ENHANCED_MAX]);

#endif
