/* fuzz_dns_reply.c - drives dns_reply_from_wire() (agent/dns/dns_reply.h): a DNS
 * message in wire format, parsed by getdns_wire2msg_dict(), converted into a
 * struct dns_answer as if getdns had validated it with some DNSSEC status;
 * the MX answers then go through mxplan_domain(). A TXT answer holds no
 * record or the whole RRset, each record within DNS_TXT_MAX_LEN.
 *
 * Input: byte 0 selects the DNSSEC status (400..403 and one unknown value),
 * byte 1 the query type, byte 2 the query name; the rest is the message.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dns_reply.h"
#include "mxplan.h"

static const uint32_t statuses[] = { 400, 401, 402, 403, 999 };
static const uint16_t qtypes[] = { DNS_TYPE_MX, DNS_TYPE_A, DNS_TYPE_AAAA,
                                   DNS_TYPE_TLSA, DNS_TYPE_CNAME, DNS_TYPE_TXT };
static const char *const qnames[] = { "dane.test", "mx.dane.test",
                                      "_25._tcp.mx.dane.test", "mx.cname.test",
                                      "_mta-sts.dane.test" };

/* txt_bounded - no TXT record, or as many as the RRset has, each bounded */
static int txt_bounded(const struct dns_answer *a)
{
    if (a->ntxt == 0)
        return a->txt == NULL;
    if (a->ntxt > DNS_MAX_TXT || a->ntxt != a->nrr_seen || a->qtype != DNS_TYPE_TXT)
        return 0;
    for (size_t i = 0; i < a->ntxt; i++)
        if (a->txt[i].len > DNS_TXT_MAX_LEN)
            return 0;
    return 1;
}

/* pick_first - mxplan's random choice, fixed */
static uint32_t pick_first(uint32_t bound)
{
    (void)bound;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dns_answer answer;
    static struct mxplan_domain domain;
    uint16_t qtype;

    if (size < 3)
        return 0;
    qtype = qtypes[data[1] % (sizeof qtypes / sizeof qtypes[0])];
    dns_reply_from_wire(data + 3, size - 3,
                        statuses[data[0] % (sizeof statuses / sizeof statuses[0])],
                        qnames[data[2] % (sizeof qnames / sizeof qnames[0])],
                        qtype, &answer);
    if (answer.nrr > DNS_MAX_RRS || answer.ncnames > DNS_MAX_CNAMES
        || strnlen(answer.owner, sizeof answer.owner) >= sizeof answer.owner
        || !txt_bounded(&answer))
        __builtin_trap();
    if (qtype == DNS_TYPE_MX)
        mxplan_domain(answer.qname, &answer, 10, pick_first, &domain);
    dns_answer_clear(&answer);
    return 0;
}
