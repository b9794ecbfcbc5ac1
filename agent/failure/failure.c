/* failure.c - the failure classifier (failure.h)
 *
 * SYNOPSIS
 *   failure_class_of(cause, reply_code)
 *   failure_enhanced(cause, reply_code, reply_enhanced, out)
 *   failure_rfc8460(cause)
 *   failure_dsn_for(cls, enhanced, out)
 *
 * DESCRIPTION
 *   rules[] is the whole policy: one row per cause. A row with from_reply
 *   takes the class from the server's reply code and the subject.detail from
 *   its enhanced code (RFC 3463 §2); a row with keep_detail keeps the server's
 *   subject.detail but not its class (a refused greeting only defers).
 */
#include "failure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct rule {
    enum failure_class cls;
    const char *enhanced;       /* the code when the server gives none */
    const char *rfc8460;        /* RFC 8460 §4.3.2.1 result type */
    int from_reply;             /* class and detail from the reply */
    int keep_detail;            /* detail from the reply, class from here */
} rules[FAILURE_CAUSES] = {
    [FAILURE_CONNECT] = { FAILURE_DEFER, "4.4.1", NULL, 0, 0 },
    [FAILURE_TIMEOUT] = { FAILURE_DEFER, "4.4.2", NULL, 0, 0 },
    [FAILURE_LOST] = { FAILURE_DEFER, "4.4.2", NULL, 0, 0 },
    [FAILURE_IO] = { FAILURE_DEFER, "4.4.2", NULL, 0, 0 },
    [FAILURE_MALFORMED] = { FAILURE_DEFER, "4.5.0", NULL, 0, 0 },
    /* RFC 5321 §4.2, RFC 2920 §3: a reply that belongs to no command */
    [FAILURE_PROTOCOL] = { FAILURE_DEFER, "4.5.0", NULL, 0, 0 },
    [FAILURE_REPLY] = { FAILURE_DEFER, "4.0.0", NULL, 1, 1 },
    [FAILURE_REFUSED] = { FAILURE_DEFER, "4.0.0", NULL, 0, 1 },
    [FAILURE_STARTTLS_ABSENT] = { FAILURE_DEFER, "4.7.4", "starttls-not-supported", 0, 0 },
    [FAILURE_STARTTLS_REFUSED] = { FAILURE_DEFER, "4.7.5", "starttls-not-supported", 0, 0 },
    [FAILURE_TLS] = { FAILURE_DEFER, "4.7.5", "validation-failure", 0, 0 },
    [FAILURE_AUTH] = { FAILURE_DEFER, "4.7.5", "validation-failure", 0, 0 },
    [FAILURE_AUTH_TLSA] = { FAILURE_DEFER, "4.7.5", "tlsa-invalid", 0, 0 },
    [FAILURE_AUTH_EXPIRED] = { FAILURE_DEFER, "4.7.5", "certificate-expired", 0, 0 },
    [FAILURE_AUTH_NAME] = { FAILURE_DEFER, "4.7.5", "certificate-host-mismatch", 0, 0 },
    [FAILURE_AUTH_UNTRUSTED] = { FAILURE_DEFER, "4.7.5", "certificate-not-trusted", 0, 0 },
    /* RFC 4033 §5: bogus data is a failure to look up, not an absence */
    [FAILURE_DNSSEC] = { FAILURE_DEFER, "4.4.3", "dnssec-invalid", 0, 0 },
    [FAILURE_DANE_REQUIRED] = { FAILURE_DEFER, "4.7.5", "dane-required", 0, 0 },
    /* RFC 8460 §4.3.2.2; a discovery failure alone never fails a delivery
     * (RFC 8461 §5): these only name what a report says */
    [FAILURE_STS_FETCH] = { FAILURE_DEFER, "4.7.5", "sts-policy-fetch-error", 0, 0 },
    [FAILURE_STS_INVALID] = { FAILURE_DEFER, "4.7.5", "sts-policy-invalid", 0, 0 },
    [FAILURE_STS_WEBPKI] = { FAILURE_DEFER, "4.7.5", "sts-webpki-invalid", 0, 0 },
    /* RFC 8689 §5: 5.7.30 "REQUIRETLS support required"; one host that
     * lacks it only moves the delivery on to the next */
    [FAILURE_REQUIRETLS] = { FAILURE_DEFER, "4.7.30", NULL, 0, 0 },
    [FAILURE_SMTPUTF8] = { FAILURE_BOUNCE, "5.6.7", NULL, 0, 0 },
    [FAILURE_SIZE] = { FAILURE_BOUNCE, "5.3.4", NULL, 0, 0 },
    [FAILURE_8BIT] = { FAILURE_BOUNCE, "5.6.3", NULL, 0, 0 },
    [FAILURE_MESSAGE] = { FAILURE_DEFER, "4.3.0", NULL, 0, 0 },
    [FAILURE_RESOURCE] = { FAILURE_DEFER, "4.3.0", NULL, 0, 0 },
    [FAILURE_DEADLINE] = { FAILURE_DEFER, "4.4.7", NULL, 0, 0 },
};

static const struct rule *rule_of(enum failure_cause cause)
{
    if ((unsigned)cause >= FAILURE_CAUSES)
        abort();    /* programmer error: a cause without a row */
    return &rules[cause];
}

enum failure_class failure_class_of(enum failure_cause cause, int reply_code)
{
    const struct rule *r = rule_of(cause);

    if (r->from_reply)
        return reply_code >= 500 && reply_code <= 599 ? FAILURE_BOUNCE : FAILURE_DEFER;
    return r->cls;
}

void failure_dsn_for(enum failure_class cls, const char *enhanced,
                     char out[FAILURE_ENHANCED_MAX])
{
    const char *dot = enhanced != NULL ? strchr(enhanced, '.') : NULL;

    snprintf(out, FAILURE_ENHANCED_MAX, "%c%s", cls == FAILURE_BOUNCE ? '5' : '4',
             dot != NULL && dot[1] != '\0' ? dot : ".0.0");
}

void failure_enhanced(enum failure_cause cause, int reply_code,
                      const char *reply_enhanced, char out[FAILURE_ENHANCED_MAX])
{
    const struct rule *r = rule_of(cause);
    int server = r->keep_detail && reply_enhanced != NULL && reply_enhanced[0] != '\0';

    failure_dsn_for(failure_class_of(cause, reply_code),
                    server ? reply_enhanced : r->enhanced, out);
}

const char *failure_rfc8460(enum failure_cause cause)
{
    return rule_of(cause)->rfc8460;
}
