/* dns_answer.c - the DNS answer values (dns_answer.h): status names and
 *                classes, clearing what answers own, TLSA query names, and
 *                one status for a host's addresses
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_answer.h"
#include "tlsa.h"

static const char *const status_names[] = {
    [DNS_SECURE] = "secure",
    [DNS_INSECURE] = "insecure",
    [DNS_NODATA_SECURE] = "nodata-secure",
    [DNS_NODATA_INSECURE] = "nodata-insecure",
    [DNS_NXDOMAIN_SECURE] = "nxdomain-secure",
    [DNS_NXDOMAIN_INSECURE] = "nxdomain-insecure",
    [DNS_BOGUS] = "bogus",
    [DNS_INDETERMINATE] = "indeterminate",
    [DNS_SERVFAIL] = "servfail",
    [DNS_TIMEOUT] = "timeout",
};

const char *dns_status_name(enum dns_status status)
{
    if ((unsigned)status >= sizeof status_names / sizeof status_names[0])
        return "invalid";
    return status_names[status];
}

int dns_status_is_error(enum dns_status status)
{
    return status == DNS_BOGUS || status == DNS_INDETERMINATE
           || status == DNS_SERVFAIL || status == DNS_TIMEOUT;
}

int dns_status_is_secure(enum dns_status status)
{
    return status == DNS_SECURE || status == DNS_NODATA_SECURE
           || status == DNS_NXDOMAIN_SECURE;
}

void dns_answer_clear(struct dns_answer *answer)
{
    tlsa_set_free(answer->tlsa);
    free(answer->txt);
    memset(answer, 0, sizeof *answer);
}

void dns_host_clear(struct dns_host *host)
{
    dns_answer_clear(&host->a);
    dns_answer_clear(&host->aaaa);
    dns_answer_clear(&host->tlsa_expanded);
    dns_answer_clear(&host->tlsa_original);
    memset(host, 0, sizeof *host);
}

int dns_tlsa_qname(uint16_t port, const char *base, char *out, size_t size)
{
    int n = snprintf(out, size, "_%u._tcp.%s", (unsigned)port, base);

    return n < 0 || (size_t)n >= size || n > DNS_NAME_MAX ? -1 : 0;
}

/* dns_host_address_status - see dns_answer.h */
enum dns_status dns_host_address_status(const struct dns_host *host,
                                        const struct dns_answer **via)
{
    const struct dns_answer *fam[2] = { &host->a, &host->aaaa };
    const struct dns_answer *data = NULL, *error = NULL, *negative = NULL;
    int insecure = 0;

    for (size_t i = 0; i < 2; i++) {
        const struct dns_answer *a = fam[i];

        if (!a->asked)
            continue;
        if (a->status == DNS_BOGUS) {       /* never overlooked */
            *via = a;
            return DNS_BOGUS;
        }
        if (a->status == DNS_SECURE || a->status == DNS_INSECURE) {
            insecure |= a->status == DNS_INSECURE;
            if (data == NULL)
                data = a;
        } else if (dns_status_is_error(a->status)) {
            if (error == NULL)
                error = a;
        } else if (negative == NULL) {
            negative = a;
        }
    }
    *via = data != NULL ? data : error != NULL ? error : negative;
    if (data != NULL)
        return insecure ? DNS_INSECURE : DNS_SECURE;
    if (*via == NULL)
        return DNS_SERVFAIL;                /* nothing asked */
    return (*via)->status;
}
