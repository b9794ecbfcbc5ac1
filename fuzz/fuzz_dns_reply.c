/* fuzz_dns_reply.c - drives dns_reply_from_wire() (agent/dns/dns_reply.h): a DNS
 * message in wire format, parsed by getdns_wire2msg_dict(), converted into a
 * struct dns_answer as if getdns had validated it with some DNSSEC status;
 * the MX answers then go through mxplan_domain().
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
                                   DNS_TYPE_TLSA, DNS_TYPE_CNAME };
static const char *const qnames[] = { "dane.test", "mx.dane.test",
                                      "_25._tcp.mx.dane.test", "mx.cname.test" };

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
        || strnlen(answer.owner, sizeof answer.owner) >= sizeof answer.owner)
        __builtin_trap();
    if (qtype == DNS_TYPE_MX)
        mxplan_domain(answer.qname, &answer, 10, pick_first, &domain);
    dns_answer_clear(&answer);
    return 0;
}
