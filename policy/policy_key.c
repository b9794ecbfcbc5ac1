/* policy_key.c - destination keys and next-hops in normalised form
 *
 * SYNOPSIS
 *   pkey_parse(text, len, allow_parent, out, why)
 *
 * DESCRIPTION
 *   A key or next-hop is parsed by nexthop_parse() (nexthop.h: the syntax,
 *   its checks and its normal form); keys may also be `.parent`, a domain
 *   after one dot, without a port. The normalised key is the lookup string:
 *   `[` `]` around a bracketed host, then `:port` unless it is 25 (the SMTP
 *   port, the default of Postfix's smtp(8)), so `example.com:25` and
 *   `example.com` are the same key.
 */
#include <stdio.h>
#include <string.h>

#include "nexthop.h"
#include "policy_int.h"

#define SMTP_PORT 25

/* normalise - out's lookup string and offsets for a parsed next-hop */
static void normalise(struct pkey *out, const struct nexthop *nh, int parent)
{
    const char *open = parent ? "." : nh->bracketed ? "[" : "";
    int n;

    out->kind = parent ? PKEY_PARENT
                       : nh->bracketed ? PKEY_BRACKET : PKEY_DOMAIN;
    out->port = nh->port;
    out->host_off = strlen(open);
    out->host_len = strlen(nh->name);
    n = snprintf(out->norm, sizeof(out->norm), "%s%s%s", open, nh->name,
                 nh->bracketed ? "]" : "");
    out->noport_len = (size_t)n;
    if (nh->port != SMTP_PORT)
        snprintf(out->norm + n, sizeof(out->norm) - (size_t)n, ":%u",
                 (unsigned)nh->port);
}

/* pkey_parse - see policy_int.h */
int pkey_parse(const char *text, size_t len, int allow_parent,
               struct pkey *out, const char **why)
{
    int parent = allow_parent && len > 0 && text[0] == '.';
    struct nexthop nh;

    memset(out, 0, sizeof(*out));
    if (len == (size_t)parent) {
        *why = "empty destination";
        return -1;
    }
    if (parent && memchr(text, ':', len) != NULL) {
        *why = "a .parent key takes no port";
        return -1;
    }
    if (nexthop_parse(text + parent, len - (size_t)parent, &nh, why) < 0)
        return -1;
    if (parent && nh.bracketed) {
        *why = "a .parent key is a domain, not a [host]";
        return -1;
    }
    normalise(out, &nh, parent);
    return 0;
}
