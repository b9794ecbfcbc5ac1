/* serve.h - one LMTP connection of `dane-agent serve` (cmd_serve.c owns the
 *           listening socket, the worker processes and the signals)
 *
 * serve_connection() runs the LMTP engine (lmtp.h) over one accepted
 * socket until QUIT, end of file, the idle timeout or a stop request. Each
 * transaction's body is spooled as it streams in (spool.h: bounded memory),
 * its recipients are grouped by domain, each group is delivered to its
 * domain by deliver_spooled() (deliver.h), and each recipient is answered
 * only once its outcome is known (RFC 2033 §4.2): 250 after the remote 2xx
 * to the final dot, 4xx deferred, 5xx bounced, with deliver's enhanced code
 * and reason. Ownership: the socket is the callee's (closed on return),
 * everything else the caller's; the worker's warm state (the DNS resolver,
 * TLS contexts, PKIX stores) is used and grown, never freed, here.
 */
#ifndef DANE_AGENT_SERVE_H
#define DANE_AGENT_SERVE_H

#include <signal.h>

#include "deliver.h"
#include "lmtp.h"
#include "policy.h"

struct serve_config {
    const struct policy *policy;
    const char *hostname;           /* in the 220 greeting */
    struct lmtp_limits limits;
    unsigned idle_timeout_s;        /* waiting for the client, either way */
    int log_stderr;                 /* delivery log lines to stderr too */
    struct deliver_warm *warm;      /* the worker's, kept across its
                                     * connections (deliver.h) */
};

/* serve_connection - serve one client on the non-blocking socket fd; when
 * *stop becomes non-zero, the session ends with 421 4.3.2 once no
 * transaction is under way (one that is runs to its last reply: a delivery
 * is finished and answered) */
void serve_connection(const struct serve_config *cfg, int fd,
                      const volatile sig_atomic_t *stop);

#endif
