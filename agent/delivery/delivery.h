/* delivery.h - one message to one next-hop: the host and address loop over a
 *              resolved plan (dnsplan.h), one SMTP session per address
 *              (smtp.h) under the level the RFC 7672 §2 decision gives each
 *              host, verification per connection (verify.h), per-recipient
 *              results, a report per attempt (report.h)
 *
 * Failover (Postfix smtp(8)): every address of every host in order; a
 * temporary failure (connect, 4xx or 5xx greeting, TLS failure, failed
 * authentication) moves on to the next address; recipients deferred by one
 * server are offered to the next; a permanent reply to MAIL, RCPT or the
 * data is final. At level may, a TLS failure before any mail command is
 * retried in cleartext on the same address, as Postfix does; at every other
 * level there is never a cleartext retry.
 *
 * Every attempt, and a plan that alone decides, is reported through
 * report_emit(): one log line set and one JSON record each.
 *
 * Ownership: everything in struct delivery_input is borrowed for the call;
 * struct delivery_result is the caller's and holds only static or inline
 * text.
 *
 * Folder agent/delivery: the failover loop, verification, the attempt
 * records; may use plan, smtp, report, tls, dane, tlsa, pkix, policy, util.
 */
#ifndef DANE_AGENT_DELIVERY_H
#define DANE_AGENT_DELIVERY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"
#include "smtp.h"

struct dnsplan;
struct policy_entry;
struct verify_result;

/* The session runner: smtp_session() unless the caller gives another (a unit
 * test of the failover loop scripts the outcomes). */
typedef void delivery_session_fn(const struct smtp_params *params,
                                 const struct smtp_message *message,
                                 struct smtp_outcome *out);

/* Called after every session with its outcome and verification (vr NULL
 * when none ran): probe prints the transcript there. */
typedef void delivery_seen_fn(void *arg, const struct smtp_outcome *o,
                              const struct verify_result *vr);

enum delivery_status {
    DELIVERY_SENT = 0,
    DELIVERY_DEFERRED,
    DELIVERY_BOUNCED,
};

/* One recipient's verdict (delivery_input.rcpts): sent only after the
 * server's 2xx to the final dot; reason "X.Y.Z text" when not sent, its
 * class that of the status */
struct delivery_rcpt {
    enum delivery_status status;
    char reason[SMTP_REASON_MAX];
};

/* What a resident worker keeps across deliveries (delivery_warm.h) */
struct delivery_warm;

struct delivery_input {
    const struct policy_entry *entry;
    struct dnsplan *plan;               /* resolved, with hosts to try */
    const char *nexthop_text;           /* as given, for reports */
    const struct smtp_message *message; /* probe: NULL */
    uint64_t start_ms;                  /* clock_now_ms() at request start */
    uint64_t deadline_ms;               /* absolute; the total deadline */
    struct report_sink report;          /* where every attempt is reported */
    int probe;                          /* stop after EHLO over TLS */
    delivery_session_fn *run_session;   /* NULL: smtp_session */
    delivery_seen_fn *seen;             /* NULL: nobody watches */
    void *seen_arg;
    struct delivery_rcpt *rcpts;        /* NULL, or one per message recipient
                                         * (caller's): each one's verdict */
    struct delivery_warm *warm;         /* NULL: contexts made and freed by
                                         * this call */
};

struct delivery_result {
    enum delivery_status status;        /* of the whole request */
    char reason[SMTP_REASON_MAX];       /* "4.7.5 ..." when not all sent */
    size_t nsent, ndeferred, nbounced;
    size_t attempts;                    /* SMTP sessions run */
};

/* delivery_run - deliver (or probe) through every host of the plan; a plan
 * that rules every host out (dnsplan_exit() not 0) is reported as one
 * attempt with no server (Postfix: relay=none) and decides the result */
void delivery_run(const struct delivery_input *in, struct delivery_result *out);

#endif
