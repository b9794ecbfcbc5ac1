/* deliver.h - one delivery request run to its end, for the subcommands that
 *             take a message from a queue manager: deliver (pipe(8): exit
 *             status and one stderr line) and qmail-remote (qmail-rspawn:
 *             reports on stdout, exit 0)
 *
 * Ownership: everything is the caller's; rcpts, when not NULL, has
 * req->nrcpts entries.
 */
#ifndef DANE_AGENT_DELIVER_H
#define DANE_AGENT_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "delivery.h"
#include "policy.h"
#include "request.h"
#include "spool.h"

struct dns_resolver;

/* The one reason line: an enhanced status code, the reason */
#define DELIVER_LINE_MAX (SMTP_REASON_MAX + 1024u)

/* deliver_arm_default - the last-resort alarm for the built-in deadline
 * from start (clock_now_ms()), until the policy gives its own */
void deliver_arm_default(uint64_t start);

/* deliver_on_alarm - what the last-resort alarm writes (msg, len bytes, to
 * fd) before it exits with status; default: the deferral line on stderr
 * and 75 */
void deliver_on_alarm(int fd, const char *msg, size_t len, int status);

/* deliver_run - policy, the message from stdin, the plan, the delivery;
 * the sysexits status (0 all sent, 75 deferred, 69 bounced, 78 bad
 * configuration); line (DELIVER_LINE_MAX) gets the reason, led by an
 * enhanced status code of the status's class, when not all was sent; each
 * recipient's verdict into rcpts when not NULL and the delivery ran */
int deliver_run(const struct deliver_request *req, uint64_t start,
                struct delivery_rcpt *rcpts, char *line);

/* What a serve worker keeps across its deliveries under one policy: the
 * DNS resolver with its getdns context (dnsplan_for(): made on first need)
 * and the TLS contexts and PKIX stores (delivery.h). Zeroed to start. */
struct deliver_warm {
    struct dns_resolver *resolver;
    struct delivery_warm *delivery;     /* delivery_warm_new() */
};

/* deliver_warm_free - release what it holds, and zero it */
void deliver_warm_free(struct deliver_warm *warm);

/* deliver_spooled - what deliver_run() does after the policy is loaded and
 * the message spooled: the entry's size limit (69, 5.3.4), the deadline
 * from start (the last-resort alarm stays armed: the caller disarms it),
 * the switch of user (a no-op when not root), the plan and the delivery;
 * same status, line and rcpts. serve calls it once per destination domain
 * of an LMTP transaction, with its worker's warm state (NULL: none, made
 * and freed by this call). */
int deliver_spooled(const struct deliver_request *req, const struct policy *policy,
                    uint64_t start, const struct spool *sp,
                    struct delivery_rcpt *rcpts, struct deliver_warm *warm, char *line);

#endif
