/* tlsrpt_uri.h - rua URIs and host names of TLSRPT (inside agent/tlsrpt)
 *
 * The rules are tlsrpt.h's (rua URIs, §3). A host name is RFC 5321 §4.1.2
 * Domain: LDH labels of 1-63 octets, no hyphen at either end of a label,
 * at most TLSRPT_HOST_MAX octets, and a last label that is not all digits
 * (RFC 3696 §2), so a dotted IPv4 address is never taken for a name. The
 * normal form is lower case without a trailing dot.
 */
#ifndef DANE_AGENT_TLSRPT_URI_H
#define DANE_AGENT_TLSRPT_URI_H

#include <stddef.h>

#include "tlsrpt.h"

/* tlsrpt_uri_check - one rua URI u[0..n): 0 with out filled, or -1 with
 * *why (static), out then unspecified */
int tlsrpt_uri_check(const char *u, size_t n, struct tlsrpt_rua *out,
                     const char **why);

/* tlsrpt_host_normal - s[0..n) as a host name (one trailing dot tolerated
 * when dot_ok), its normal form NUL-terminated in out; 0, or -1 */
int tlsrpt_host_normal(const char *s, size_t n, int dot_ok,
                       char out[TLSRPT_HOST_MAX + 1]);

#endif
