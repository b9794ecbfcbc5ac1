/* cmd_deliver.c - `dane-agent deliver`: one message from a queue manager
 *
 * deliver -c POLICY -f SENDER -n NEXTHOP [--report FILE] [--json]
 *         [--log-stderr] [--requiretls] -- RCPT...
 *
 * Order of work: the deadline (armed first), arguments and envelope (64,
 * nothing sent), policy (78), the message from stdin into the spool (69
 * when larger than max_message_size, 75 when stdin does not end by the
 * deadline or cannot be kept), the report file (78), the switch to the
 * policy's user and the files it must read (78 naming the user, or the key
 * and path of dns.trust_anchors or ca_file), DNS resolver and its
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
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <syslog.h>
#include <unistd.h>

#include "agent.h"
#include "clock.h"
#include "deliver.h"
#include "dns.h"
#include "delivery.h"
#include "delivery_warm.h"
#include "dnsplan.h"
#include "failure.h"
#include "policy.h"
#include "privdrop.h"
#include "report.h"
#include "request.h"
#include "spool.h"

#define ALARM_GRACE_S 5u

static const char deliver_alarm_msg[] =
    "4.4.7 dane-agent: delivery time limit exceeded, deferred\n";
static int alarm_fd = STDERR_FILENO;
static const char *alarm_msg = deliver_alarm_msg;
static size_t alarm_len = sizeof(deliver_alarm_msg) - 1;
static int alarm_status = EX_TEMPFAIL;

/* on_alarm - the total deadline passed and something did not return */
static void on_alarm(int sig)
{
    (void)sig;
    (void)!write(alarm_fd, alarm_msg, alarm_len);
    _exit(alarm_status);
}

void deliver_on_alarm(int fd, const char *msg, size_t len, int status)
{
    alarm_fd = fd;
    alarm_msg = msg;
    alarm_len = len;
    alarm_status = status;
}

/* fail - the one reason line into line (DELIVER_LINE_MAX), and the exit
 * status */
static int fail(char *line, int status, const char *enhanced, const char *what,
                const char *detail)
{
    char code[FAILURE_ENHANCED_MAX] = "";

    /* pipe(8) takes the DSN class from the code: it must be the status's
     * (75 and 78 defer: 4.X.X; 69 and 64 bounce: 5.X.X) */
    if (enhanced != NULL)
        failure_dsn_for(status == EX_TEMPFAIL || status == EX_CONFIG ? FAILURE_DEFER
                                                                     : FAILURE_BOUNCE,
                        enhanced, code);
    snprintf(line, DELIVER_LINE_MAX, "%s%s%s%s%s", code, enhanced ? " " : "", what,
             detail ? ": " : "", detail ? detail : "");
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

void deliver_arm_default(uint64_t start)
{
    arm_deadline(start, POLICY_DELIVERY_TIMEOUT_DEFAULT_MS);
}

/* spool_stdin - the message into the spool; 0, or the exit status after
 * the stderr line */
static int spool_stdin(const struct policy *policy,
                       const struct policy_entry *entry, uint64_t deadline,
                       struct spool **out, char *line)
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
        return fail(line, EX_UNAVAILABLE, "5.3.4", "message too big", err);
    case SPOOL_TIMEOUT:
        return fail(line, EX_TEMPFAIL, "4.4.7", err, NULL);
    case SPOOL_FAILED:
        break;
    }
    return fail(line, EX_TEMPFAIL, "4.3.0", err, NULL);
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
    m->tls_required_no = spool_tls_required_no(sp);
    m->requiretls = req->requiretls;
    m->smtputf8 = req->smtputf8;
}

/* exit_status - the sysexits status of a delivery's result */
static int exit_status(const struct delivery_result *res)
{
    if (res->status == DELIVERY_SENT)
        return 0;
    return res->status == DELIVERY_BOUNCED ? EX_UNAVAILABLE : EX_TEMPFAIL;
}

/* resolve_and_deliver - the RFC 7672 §2 plan, then the delivery loop; the
 * exit status, and the reason line when not all was sent */
static int resolve_and_deliver(const struct deliver_request *req,
                               const struct policy *policy, struct deliver_warm *warm,
                               struct delivery_input *in, char *line)
{
    struct delivery_result res;
    char err[1024], warning[1024];

    in->plan = dnsplan_for(policy_dns(policy), warm ? &warm->resolver : NULL, &req->nexthop,
                           in->entry, in->deadline_ms, warning, err, sizeof(err));
    if (warning[0] != '\0')
        report_log_line(LOG_WARNING, warning, in->report.log_err);
    /* no resolver (4.4.3), or out of memory (the only failure of a literal) */
    if (in->plan == NULL)
        return fail(line, EX_TEMPFAIL, req->nexthop.literal ? "4.3.0" : "4.4.3", err, NULL);
    delivery_run(in, &res);
    dnsplan_free(in->plan);
    if (res.status != DELIVERY_SENT)
        fail(line, exit_status(&res), NULL, res.reason, NULL);
    return exit_status(&res);
}

/* check_file - 0 when path (a policy key's file) opens for reading as the
 * user we now run as; else the 78 stderr line naming key and path */
static int check_file(char *line, const char *key, const char *path)
{
    char what[1100];
    int fd;

    if (path == NULL)
        return 0;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    snprintf(what, sizeof(what), "policy %.32s %.1024s", key, path);
    return fail(line, EX_CONFIG, "4.3.5", what, strerror(errno));
}

/* drop_and_check - leave root, then the files the delivery reads; 0, or
 * 78 (a configuration problem, pipe(8) defers) after the stderr line */
static int drop_and_check(char *line, const struct policy *policy,
                          const struct policy_entry *entry)
{
    char what[128];
    const char *why;
    int status;

    if (privdrop(entry->user, &why) != 0) {     /* before any network input */
        snprintf(what, sizeof(what), "cannot run as user %.64s", entry->user);
        return fail(line, EX_CONFIG, "4.3.5", what, why);
    }
    status = check_file(line, "dns.trust_anchors", policy_dns(policy)->trust_anchors);
    return status != 0 ? status : check_file(line, "ca_file", entry->ca_file);
}

/* spooled_to - the spooled message to the next-hop: the report file, the
 * switch of user, the plan and the delivery */
static int spooled_to(const struct deliver_request *req, const struct policy *policy,
                      const struct spool *sp, struct deliver_warm *warm,
                      struct delivery_input *in, char *line)
{
    struct smtp_message smsg;
    char err[1024];
    int status;

    in->report.json_fd = -1;
    in->report.json_stdout = req->json;
    in->report.log_err = req->log_stderr ? stderr : NULL;
    if (req->report_path != NULL
        && (in->report.json_fd = report_open(req->report_path, err, sizeof(err))) < 0)
        status = fail(line, EX_CONFIG, "4.3.5", "cannot open report file", err);
    else if ((status = drop_and_check(line, policy, in->entry)) == 0) {
        smtp_message_of(req, sp, &smsg);
        in->nexthop_text = req->nexthop_text;
        in->message = &smsg;
        status = resolve_and_deliver(req, policy, warm, in, line);
    }
    if (in->report.json_fd >= 0)
        close(in->report.json_fd);
    return status;
}

void deliver_warm_free(struct deliver_warm *warm)
{
    dns_resolver_free(warm->resolver);
    delivery_warm_free(warm->delivery);
    warm->resolver = NULL;
    warm->delivery = NULL;
}

int deliver_spooled(const struct deliver_request *req, const struct policy *policy,
                    uint64_t start, const struct spool *sp,
                    struct delivery_rcpt *rcpts, struct deliver_warm *warm, char *line)
{
    struct delivery_input in;
    char what[64];

    memset(&in, 0, sizeof(in));
    line[0] = '\0';
    in.entry = policy_lookup(policy, req->nexthop_text);
    in.deadline_ms = arm_deadline(start, in.entry->delivery_timeout_ms);
    in.start_ms = start;
    in.rcpts = rcpts;
    in.warm = warm != NULL ? warm->delivery : NULL;
    if (in.entry->max_message_size != 0 && spool_size(sp) > in.entry->max_message_size) {
        snprintf(what, sizeof(what), "message is larger than %llu bytes",
                 (unsigned long long)in.entry->max_message_size);
        return fail(line, EX_UNAVAILABLE, "5.3.4", "message too big", what);
    }
    return spooled_to(req, policy, sp, warm, &in, line);
}

/* run - everything after the policy is loaded */
static int run(const struct deliver_request *req, const struct policy *policy,
               uint64_t start, struct delivery_rcpt *rcpts, char *line)
{
    const struct policy_entry *entry = policy_lookup(policy, req->nexthop_text);
    struct spool *sp = NULL;
    int status;

    status = spool_stdin(policy, entry, arm_deadline(start, entry->delivery_timeout_ms),
                         &sp, line);
    if (status != 0)
        return status;
    status = deliver_spooled(req, policy, start, sp, rcpts, NULL, line);
    spool_free(sp);
    return status;
}

int deliver_run(const struct deliver_request *req, uint64_t start,
                struct delivery_rcpt *rcpts, char *line)
{
    enum policy_status pst;
    struct policy *policy;
    char err[1024];
    int status;

    line[0] = '\0';
    policy = policy_load_status(req->policy_path, &pst, err, sizeof(err));
    if (policy == NULL)     /* 78 also when unreadable: pipe(8) defers it */
        return fail(line, EX_CONFIG, "4.3.5", "invalid policy", err);
    report_log_open();
    status = run(req, policy, start, rcpts, line);
    policy_free(policy);
    return status;
}

/* cmd_deliver - deliver one message from stdin (queue-manager transport) */
int cmd_deliver(int argc, char **argv)
{
    struct deliver_request req;
    const char *why = NULL;
    char line[DELIVER_LINE_MAX];
    uint64_t start = clock_now_ms();
    int status;

    deliver_arm_default(start);
    if (request_parse(argc, argv, &req, &why) != 0)
        status = fail(line, EX_USAGE, "5.5.4", "dane-agent deliver", why);
    else
        status = deliver_run(&req, start, NULL, line);
    if (status != 0)
        fprintf(stderr, "%s\n", line);
    return status;
}
