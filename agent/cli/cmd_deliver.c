/* cmd_deliver.c - `dane-agent deliver`: one message from a queue manager
 *
 * deliver -c POLICY -f SENDER -n NEXTHOP [--report FILE] [--json]
 *         [--log-stderr] -- RCPT...
 *
 * Order of work: the deadline (armed first), arguments and envelope (64,
 * nothing sent), policy (78), the message from stdin into the spool (69
 * when larger than max_message_size, 75 when stdin does not end by the
 * deadline or cannot be kept), the report file (78), DNS resolver and its
 * capability check (75; none for an address literal), the RFC 7672 §2 plan
 * (69 null MX / no such domain, 75 lookup failure), then the delivery loop
 * (0 sent, 75 deferred, 69 bounced). Exactly one line with the reason goes
 * to stderr when not everything was sent, led by an enhanced status code of
 * the exit status's class (75: 4.X.X, 69: 5.X.X; 78: 4.3.5, so that pipe(8)
 * defers): pipe(8) puts it into the defer or bounce notice.
 *
 * One total deadline from process start (policy delivery_timeout; the
 * built-in default until the policy is loaded) bounds every step: reading
 * stdin, opening the report file (non-blocking), DNS, SMTP. An alarm a few
 * seconds later is the last resort that defers instead of hanging, because
 * pipe(8) bounces a command that exceeds its own time limit.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "clock.h"
#include "delivery.h"
#include "dnsplan.h"
#include "failure.h"
#include "policy.h"
#include "privdrop.h"
#include "report.h"
#include "request.h"
#include "spool.h"

#define ALARM_GRACE_S 5u

/* on_alarm - the total deadline passed and something did not return */
static void on_alarm(int sig)
{
    static const char msg[] =
        "4.4.7 dane-agent: delivery time limit exceeded, deferred\n";

    (void)sig;
    (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
    _exit(EX_TEMPFAIL);
}

/* fail - the one stderr line, and the exit status */
static int fail(int status, const char *enhanced, const char *what,
                const char *detail)
{
    char code[FAILURE_ENHANCED_MAX] = "";

    /* pipe(8) takes the DSN class from the code: it must be the status's
     * (75 and 78 defer: 4.X.X; 69 and 64 bounce: 5.X.X) */
    if (enhanced != NULL)
        failure_dsn_for(status == EX_TEMPFAIL || status == EX_CONFIG ? FAILURE_DEFER
                                                                     : FAILURE_BOUNCE,
                        enhanced, code);
    fprintf(stderr, "%s%s%s%s%s\n", code, enhanced ? " " : "", what, detail ? ": " : "",
            detail ? detail : "");
    return status;
}

/* arm_deadline - (re)arm the last-resort alarm for the deadline start +
 * timeout_ms; returns that absolute deadline */
static uint64_t arm_deadline(uint64_t start, unsigned timeout_ms)
{
    uint64_t deadline = start + timeout_ms, now = clock_now_ms();
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    alarm((unsigned)((deadline > now ? deadline - now : 0) / 1000u)
          + ALARM_GRACE_S);
    return deadline;
}

/* spool_stdin - the message into the spool; 0, or the exit status after
 * the stderr line */
static int spool_stdin(const struct policy *policy,
                       const struct policy_entry *entry, uint64_t deadline,
                       struct spool **out)
{
    struct spool_params p = {
        .dir = policy_spool_dir(policy),
        .max_size = entry->max_message_size,
        .deadline_ms = deadline,
    };
    char err[512];

    switch (spool_read(STDIN_FILENO, &p, out, err, sizeof(err))) {
    case SPOOL_OK:
        return 0;
    case SPOOL_TOO_BIG:     /* RFC 3463: 5.3.4 message too big for system */
        return fail(EX_UNAVAILABLE, "5.3.4", "message too big", err);
    case SPOOL_TIMEOUT:
        return fail(EX_TEMPFAIL, "4.4.7", err, NULL);
    case SPOOL_FAILED:
        break;
    }
    return fail(EX_TEMPFAIL, "4.3.0", err, NULL);
}

/* plan_enhanced - the DSN code of dnsplan_exit()'s reason: the domain's
 * (5.1.10, 5.1.2, 4.4.3), else that of the last host ruled out */
static const char *plan_enhanced(const struct dnsplan *plan)
{
    if (plan->domain.result != MXPLAN_DOMAIN_HOSTS)
        return plan->domain.enhanced;
    return plan->nhosts > 0 ? plan->hosts[plan->nhosts - 1].enhanced : NULL;
}

/* plan_rfc8460 - RFC 8460 §4.3.2 result type of a plan that rules out
 * delivery: dnssec-invalid for a bogus answer, dane-required when dane-only
 * found no usable TLSA; NULL otherwise */
static const char *plan_rfc8460(const struct dnsplan *plan)
{
    const struct mxplan_host *last = plan->nhosts > 0
        ? &plan->hosts[plan->nhosts - 1] : NULL;

    if (plan->domain.result == MXPLAN_DOMAIN_DEFER)
        return plan->mx.status == DNS_BOGUS ? "dnssec-invalid" : NULL;
    if (plan->domain.result != MXPLAN_DOMAIN_HOSTS || last == NULL)
        return NULL;
    if (last->effective == MXPLAN_DEFER)
        return "dane-required";
    if (last->address_status == DNS_BOGUS || last->tlsa_status == DNS_BOGUS)
        return "dnssec-invalid";
    return NULL;
}

/* report_plan - a request that DNS alone decided (no server contacted) is
 * still reported: Postfix logs such a delivery with relay=none, and the
 * JSON record says why (RFC 8460 type where one applies) */
static void report_plan(const struct deliver_request *req,
                        const struct policy_entry *entry,
                        const struct dnsplan *plan, int status,
                        const char *reason, int report_fd, uint64_t start)
{
    struct report_rcpt rcpts[SMTP_MAX_RCPTS];
    struct report_attempt a;
    enum report_result result = status == EX_UNAVAILABLE ? REPORT_BOUNCED
                                                        : REPORT_DEFERRED;
    const char *why;
    size_t n = req->nrcpts < SMTP_MAX_RCPTS ? req->nrcpts : SMTP_MAX_RCPTS;

    memset(&a, 0, sizeof(a));
    memset(rcpts, 0, sizeof(rcpts));
    a.when = time(NULL);
    a.destination = req->nexthop_text;
    a.port = plan->nexthop.port;
    a.level = policy_level_name(entry->level);
    a.dnssec.mx = plan->mx.asked ? dns_status_name(plan->mx.status) : NULL;
    for (size_t i = 0; i < n; i++) {
        rcpts[i].address = req->rcpts[i];
        rcpts[i].result = result;
        rcpts[i].enhanced = plan_enhanced(plan);
        rcpts[i].status = reason;
    }
    a.rcpts = rcpts;
    a.nrcpts = n;
    a.result = result;
    a.reason = reason;
    a.rfc8460 = plan_rfc8460(plan);
    a.timings.total_ms = (unsigned)(clock_now_ms() - start);
    a.timings.dns_ms = plan->lookup_ms;
    report_log_attempt(&a, req->log_stderr ? stderr : NULL);
    if (report_fd >= 0 && report_write_json(report_fd, &a, &why) != 0)
        report_log_line(LOG_WARNING, why, req->log_stderr ? stderr : NULL);
    if (req->json && report_write_json(STDOUT_FILENO, &a, &why) != 0)
        report_log_line(LOG_WARNING, why, req->log_stderr ? stderr : NULL);
}

/* smtp_message_of - the message as smtp.h reads it: from the spool file,
 * or from memory */
static void smtp_message_of(const struct deliver_request *req,
                            const struct spool *sp, struct smtp_message *m)
{
    memset(m, 0, sizeof(*m));
    m->sender = req->sender;
    m->recipients = req->rcpts;
    m->nrecipients = req->nrcpts;
    m->fd = spool_fd(sp);
    m->buf = spool_data(sp);
    m->len = (size_t)spool_size(sp);
    m->size = spool_size(sp);
    m->body_8bit = spool_8bit(sp);
    m->smtputf8 = req->smtputf8;
}

/* run - everything after the policy is loaded */
static int run(const struct deliver_request *req, const struct policy *policy,
               uint64_t start)
{
    const struct policy_entry *entry = policy_lookup(policy, req->nexthop_text);
    struct delivery_input in;
    struct delivery_result res;
    struct smtp_message smsg;
    struct spool *sp = NULL;
    struct dns_resolver *resolver;
    struct dnsplan *plan;
    const char *why, *reason;
    char err[1024];
    int status, report_fd = -1;

    memset(&in, 0, sizeof(in));
    in.deadline_ms = arm_deadline(start, entry->delivery_timeout_ms);
    status = spool_stdin(policy, entry, in.deadline_ms, &sp);
    if (status != 0)
        return status;
    if (req->report_path != NULL
        && (report_fd = report_open(req->report_path, err, sizeof(err))) < 0) {
        spool_free(sp);
        return fail(EX_CONFIG, "4.3.5", "cannot open report file", err);
    }
    if (privdrop(entry->user, &why) != 0) {     /* before any network input */
        status = fail(EX_CONFIG, "4.3.5", "refusing to run as root", why);
        goto out;
    }
    /* an address literal needs no DNS (dnsplan.c): no resolver, no check,
     * so a [192.0.2.1] relay keeps working while DNS is down */
    resolver = req->nexthop.literal ? NULL
        : dnsplan_resolver(policy_dns(policy), in.deadline_ms, err, sizeof(err));
    if (resolver == NULL && !req->nexthop.literal) {
        status = fail(EX_TEMPFAIL, "4.4.3", err, NULL);
        goto out;
    }
    if (dnsplan_cache_warning(resolver, policy_dns(policy), err, sizeof(err)))
        report_log_line(LOG_WARNING, err, req->log_stderr ? stderr : NULL);
    plan = dnsplan_resolve(resolver, &req->nexthop, entry->level,
                           entry->insecure_mx_policy, entry->max_mx_hosts);
    if (plan == NULL) {
        status = fail(EX_TEMPFAIL, "4.3.0", "out of memory", NULL);
        goto out_resolver;
    }
    status = dnsplan_exit(plan, &reason);
    if (status != 0) {
        report_plan(req, entry, plan, status, reason, report_fd, start);
        fail(status, plan_enhanced(plan) ? plan_enhanced(plan) : "", reason, NULL);
        goto out_plan;
    }
    smtp_message_of(req, sp, &smsg);
    in.entry = entry;
    in.plan = plan;
    in.nexthop_text = req->nexthop_text;
    in.message = &smsg;
    in.start_ms = start;
    in.report_fd = report_fd;
    in.json_stdout = req->json;
    in.log_err = req->log_stderr ? stderr : NULL;
    delivery_run(&in, &res);
    status = res.status == DELIVERY_SENT ? 0
        : res.status == DELIVERY_BOUNCED ? EX_UNAVAILABLE : EX_TEMPFAIL;
    if (status != 0)
        fail(status, NULL, res.reason, NULL);
out_plan:
    dnsplan_free(plan);
out_resolver:
    dns_resolver_free(resolver);
out:
    if (report_fd >= 0)
        close(report_fd);
    spool_free(sp);
    return status;
}

/* cmd_deliver - deliver one message from stdin (queue-manager transport) */
int cmd_deliver(int argc, char **argv)
{
    struct deliver_request req;
    enum policy_status pst;
    struct policy *policy;
    const char *why = NULL;
    char err[1024];
    uint64_t start = clock_now_ms();
    int status;

    arm_deadline(start, POLICY_DELIVERY_TIMEOUT_DEFAULT_MS);
    if (request_parse(argc, argv, &req, &why) != 0)
        return fail(EX_USAGE, "5.5.4", "dane-agent deliver", why);
    policy = policy_load_status(req.policy_path, &pst, err, sizeof(err));
    if (policy == NULL)     /* 78 also when unreadable: pipe(8) defers it */
        return fail(EX_CONFIG, "4.3.5", "invalid policy", err);
    report_log_open();
    status = run(&req, policy, start);
    policy_free(policy);
    return status;
}
