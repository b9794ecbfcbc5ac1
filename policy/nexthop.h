/* nexthop.h - the next-hop syntax of Postfix (dane-agent(8)): `domain`,
 *             `domain:port`, `[host]`, `[host]:port`
 *
 * Brackets suppress the MX lookup (RFC 5321 §5.1 behaviour of Postfix's
 * smtp(8)); `[host]` may also be an address literal, `[192.0.2.1]` or
 * `[ipv6:2001:db8::1]`. Names are checked as LDH labels (RFC 1035 §2.3.1,
 * underscores tolerated as in real zones), at most 253 octets, lower-cased,
 * a trailing dot removed.
 */
#ifndef DANE_AGENT_NEXTHOP_H
#define DANE_AGENT_NEXTHOP_H

#include <stdint.h>

#define NEXTHOP_NAME_MAX 253

struct nexthop {
    char name[NEXTHOP_NAME_MAX + 1];    /* domain or host, lower case */
    uint16_t port;                      /* 25 unless given */
    int bracketed;                      /* 1: no MX lookup */
    int literal;                        /* 1: name is an IPv4/IPv6 address */
};

/* nexthop_parse - parse text; 0, or -1 with *why */
int nexthop_parse(const char *text, struct nexthop *out, const char **why);

#endif
