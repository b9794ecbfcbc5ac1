/* request.h - one delivery request as a queue manager hands it over:
 *             `deliver -c POLICY -f SENDER -n NEXTHOP [--report FILE]
 *             [--json] [--log-stderr] [--requiretls] -- RCPT...` (the
 *             message on stdin:
 *             spool.h)
 *
 * request_parse() borrows argv's strings (they live as long as the process)
 * and strips one surrounding pair of angle brackets from each address in
 * place, so that every address reaches the rest of the program bare and
 * NUL-terminated: "<>" is the null sender, "<a@b>" is a@b.
 * Envelope addresses are checked here, before any network activity: CR, LF,
 * NUL, spaces or unbalanced brackets are a usage error and nothing is sent.
 */
#ifndef DANE_AGENT_REQUEST_H
#define DANE_AGENT_REQUEST_H

#include <stddef.h>

#include "nexthop.h"
#include "smtp.h"

struct deliver_request {
    const char *policy_path;
    const char *sender;             /* without brackets; "" for bounces */
    const char *nexthop_text;       /* as given */
    struct nexthop nexthop;
    const char *const *rcpts;       /* without brackets */
    size_t nrcpts;
    const char *report_path;        /* NULL: no report file */
    int json;                       /* JSON records to stdout */
    int log_stderr;                 /* log lines to stderr as well */
    int smtputf8;                   /* an address needs SMTPUTF8 */
    int requiretls;                 /* --requiretls: the message was received
                                     * with REQUIRETLS (RFC 8689) */
};

/* request_parse - parse deliver's arguments; 0, or -1 with *why (exit 64) */
int request_parse(int argc, char **argv, struct deliver_request *req,
                  const char **why);

#endif
