/* sts_name.h - host names and mx patterns of MTA-STS (inside agent/sts)
 *
 * One syntax for both: RFC 5321 §4.1.2 Domain (LDH labels of 1-63 octets,
 * no hyphen at either end of a label, at most STS_NAME_MAX octets), one
 * trailing dot tolerated; a pattern may also be "*." and such a name
 * (RFC 8461 §3.2). The normal form is lower case without the trailing dot.
 * Reasons name the mx pattern: only a pattern's rejection is reported
 * (sts_mx_match() says no match for an invalid host name).
 */
#ifndef DANE_AGENT_STS_NAME_H
#define DANE_AGENT_STS_NAME_H

#include <stddef.h>

#include "sts.h"

/* sts_name_normal - check s[0..len) (a pattern when wildcard_ok) and write
 * its normal form NUL-terminated to out; 0, or -1 with *why */
int sts_name_normal(const char *s, size_t len, int wildcard_ok,
                    char out[STS_NAME_MAX + 1], const char **why);

#endif
