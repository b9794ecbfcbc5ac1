/* cmd_qmail_remote.c - `dane-agent qmail-remote HOST SENDER RECIPIENT...`:
 * qmail-remote(8) for qmail-rspawn (notqmail, netqmail)
 *
 * The message on stdin (LF line ends, not dot-stuffed, as from a pipe(8)
 * transport), HOST the next-hop as deliver's -n (a domain: MX lookup), ""
 * the null sender. The policy: $DANE_AGENT_POLICY, else
 * /etc/dane-agent/policy.yaml. The result is the qmail.h report stream on
 * stdout and the exit status is always 0: qmail-rspawn bounces a message
 * when qmail-remote exits otherwise, so a bad policy, a bad argument or the
 * deadline is a Z report (deferred), never an exit status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "agent.h"
#include "clock.h"
#include "deliver.h"
#include "qmail.h"

#define QMAIL_POLICY_DEFAULT "/etc/dane-agent/policy.yaml"

/* each with its terminating NUL */
static const char alarm_report[] =
    "Z4.4.7 dane-agent: delivery time limit exceeded, deferred\n";
static const char oom_report[] = "Z4.3.0 dane-agent: out of memory\n";

/* write_all - the whole buffer to stdout; qmail-rspawn reads to EOF */
static void write_all(const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(STDOUT_FILENO, p, len);

        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

/* emit - the report stream for the result; a recipient that got no verdict
 * (the delivery did not run: bad policy, message too big, ...) takes the
 * request's status and reason */
static void emit(struct delivery_rcpt *rcpts, size_t n, int status,
                 const char *nexthop, const char *line)
{
    char accepted[512], *buf;
    size_t len = 0;

    for (size_t i = 0; i < n; i++)
        if (rcpts[i].status != DELIVERY_SENT && rcpts[i].reason[0] == '\0') {
            rcpts[i].status = status == EX_UNAVAILABLE ? DELIVERY_BOUNCED : DELIVERY_DEFERRED;
            snprintf(rcpts[i].reason, sizeof(rcpts[i].reason), "%s", line);
        }
    snprintf(accepted, sizeof(accepted), "dane-agent: %s accepted message.", nexthop);
    buf = qmail_report(rcpts, n, accepted, line, &len);
    if (buf == NULL)
        write_all(oom_report, sizeof(oom_report));
    else
        write_all(buf, len);
    free(buf);
}

/* request_of - deliver's arguments for HOST SENDER RECIPIENT... into args
 * (argc + 5 entries), parsed into req, which borrows args */
static int request_of(int argc, char **argv, char **args,
                      struct deliver_request *req, const char **why)
{
    const char *policy = getenv("DANE_AGENT_POLICY");
    int n = 0;

    args[n++] = argv[0];
    args[n++] = "-c";
    args[n++] = policy != NULL && policy[0] != '\0' ? (char *)policy
                                                      : QMAIL_POLICY_DEFAULT;
    args[n++] = "-f";
    /* qmail's null sender is "": request_parse takes it as the null
     * reverse-path (RFC 5321 §4.5.5: MAIL FROM:<>) */
    args[n++] = argv[2];
    args[n++] = "-n";
    args[n++] = argv[1];
    args[n++] = "--";
    for (int i = 3; i < argc; i++)
        args[n++] = argv[i];
    return request_parse(n, args, req, why);
}

/* cmd_qmail_remote - qmail-remote(8): deliver, report to qmail-rspawn */
int cmd_qmail_remote(int argc, char **argv)
{
    struct deliver_request req;
    struct delivery_rcpt *rcpts = NULL;
    const char *why = NULL;
    char line[DELIVER_LINE_MAX], **args = calloc((size_t)argc + 5u, sizeof(*args));
    uint64_t start = clock_now_ms();
    int status;

    deliver_on_alarm(STDOUT_FILENO, alarm_report, sizeof(alarm_report), 0);
    deliver_arm_default(start);
    if (args == NULL || (argc >= 4 && (rcpts = calloc((size_t)argc - 3u,
                                                      sizeof(*rcpts))) == NULL)) {
        write_all(oom_report, sizeof(oom_report));
        free(args);
        return 0;
    }
    if (argc < 4 || request_of(argc, argv, args, &req, &why) != 0) {
        snprintf(line, sizeof(line), "4.3.5 dane-agent qmail-remote invoked improperly: %s",
                 why != NULL ? why : "give HOST SENDER RECIPIENT...");
        emit(NULL, 0, EX_TEMPFAIL, "", line);
        free(args);
        free(rcpts);
        return 0;
    }
    for (size_t i = 0; i < req.nrcpts; i++)
        rcpts[i].status = DELIVERY_DEFERRED;
    status = deliver_run(&req, start, rcpts, line);
    emit(rcpts, req.nrcpts, status, req.nexthop_text, line);
    free(rcpts);
    free(args);
    return 0;
}
