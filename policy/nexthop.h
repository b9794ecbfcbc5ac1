/* nexthop.h - the next-hop syntax of Postfix (dane-agent(8)): `domain`,
 *             `domain:port`, `[host]`, `[host]:port`; the one parser of
 *             deliver's and probe's next-hop and of the policy table's
 *             keys and lookups (policy_key.c)
 *
 * Brackets suppress the MX lookup (RFC 5321 §5.1 behaviour of Postfix's
 * smtp(8)); `[host]` may also be an address literal: `[192.0.2.1]`,
 * `[IPv6:2001:db8::1]` (RFC 5321 §4.1.3; the tag in any case, as ABNF
 * strings are, RFC 5234 §2.3) or `[2001:db8::1]`, which Postfix accepts
 * too. An address outside brackets is refused. Names are checked as LDH
 * labels (RFC 1035 §2.3.1, underscores tolerated as in real zones), ASCII
 * only (a U-label is refused with a reason asking for its A-label, RFC 5890
 * §2.3.2.1), at most 253 octets without the one trailing dot allowed.
 * The result is normalised: names lower case without the trailing dot,
 * addresses as inet_ntop() writes them, port 25 when none is given.
 *
 * Ownership: struct nexthop is a plain value owned by the caller; nothing
 * is allocated or kept, and every *why is a static string.
 */
#ifndef DANE_AGENT_NEXTHOP_H
#define DANE_AGENT_NEXTHOP_H

#include <stddef.h>
#include <stdint.h>

#define NEXTHOP_NAME_MAX 253

struct nexthop {
    char name[NEXTHOP_NAME_MAX + 1];    /* domain, host or address, normal */
    uint16_t port;                      /* 25 unless given */
    int bracketed;                      /* 1: no MX lookup */
    int literal;                        /* 1: name is an IPv4/IPv6 address */
};

/* nexthop_parse - parse len bytes of text; 0, or -1 with *why */
int nexthop_parse(const char *text, size_t len, struct nexthop *out,
                  const char **why);

/* nexthop_check_name - len bytes are an LDH host name as above (one
 * trailing dot allowed); 0, or -1 with *why */
int nexthop_check_name(const char *name, size_t len, const char **why);

/* nexthop_parse_port - len bytes of a decimal port 1..65535; 0, or -1 with
 * *why */
int nexthop_parse_port(const char *s, size_t len, uint16_t *port,
                       const char **why);

#endif
