/* dns_reply.h - convert one getdns response into a struct dns_answer
 *               (internal to the DNS code of the agent module)
 *
 * The response is untrusted data: names are checked as wire format, record
 * counts are bounded (DNS_MAX_RRS kept, DNS_MAX_CNAMES links followed), TLSA
 * rdata goes through tlsa_set_add_rdata(), TXT rdata is read from its raw
 * octets within DNS_MAX_TXT and DNS_TXT_MAX_LEN, whole or not at all
 * (dns_answer.h). Nothing here blocks or logs.
 */
#ifndef DANE_AGENT_DNS_REPLY_H
#define DANE_AGENT_DNS_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "dns_answer.h"

struct getdns_dict;

/* dns_reply_convert - fill out (already cleared) from one getdns response
 * dict of a query for (qname, qtype), asked with dnssec_return_all_statuses */
void dns_reply_convert(const struct getdns_dict *response, const char *qname,
                       uint16_t qtype, struct dns_answer *out);

/* dns_reply_from_wire - the same for a DNS message in wire format, as if
 * getdns had returned it with the given dnssec_status (400..403); tests and
 * fuzzing. out is cleared first. 0, or -1 with out->why when the message
 * does not parse. */
int dns_reply_from_wire(const uint8_t *msg, size_t len, uint32_t dnssec_status,
                        const char *qname, uint16_t qtype,
                        struct dns_answer *out);

/* dns_reply_rr_owner - the owner name of one RR dict as text; 0 or -1 */
int dns_reply_rr_owner(const struct getdns_dict *rr, char *out, size_t size);

/* dns_reply_count_type - records of type in the first reply's answer */
size_t dns_reply_count_type(const struct getdns_dict *response, uint16_t type);

/* dns_wire_name_text - wire-format name (uncompressed) to presentation text:
 * lower case, no trailing dot ("" for the root), bytes outside LDH and "_"
 * as \DDD; 0, or -1 when malformed or longer than size allows */
int dns_wire_name_text(const uint8_t *p, size_t len, char *out, size_t size);

#endif
