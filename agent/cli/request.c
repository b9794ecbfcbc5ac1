/* request.c - deliver's command line (request.h) */
#include <getopt.h>
#include <string.h>
#include <strings.h>

#include "envelope.h"
#include "request.h"

enum { OPT_REPORT = 256, OPT_JSON, OPT_LOG_STDERR, OPT_REQUIRETLS };

static const struct option options[] = {
    {"config", required_argument, NULL, 'c'},
    {"sender", required_argument, NULL, 'f'},
    {"nexthop", required_argument, NULL, 'n'},
    {"report", required_argument, NULL, OPT_REPORT},
    {"json", no_argument, NULL, OPT_JSON},
    {"log-stderr", no_argument, NULL, OPT_LOG_STDERR},
    {"requiretls", no_argument, NULL, OPT_REQUIRETLS},
    {NULL, 0, NULL, 0},
};

/* unbracket - check addr and strip one surrounding pair of angle brackets in
 * place (argv's strings are writable): the address, NUL-terminated, within
 * addr; NULL with *why when the address is unusable */
static char *unbracket(char *addr, enum envelope_role role, int *smtputf8,
                       const char **why)
{
    const char *inner;
    size_t len;
    char *bare;

    if (envelope_check(addr, strlen(addr), role, &inner, &len, why) != 0)
        return NULL;
    bare = addr + (inner - addr);
    bare[len] = '\0';
    *smtputf8 |= envelope_needs_smtputf8(bare, len);
    return bare;
}

/* check_envelope - every address safe to put on an SMTP command line, and
 * handed on bare: "<>" is the null sender, "<a@b>" is a@b */
static int check_envelope(struct deliver_request *req, char *sender,
                          char **rcpts, const char **why)
{
    /* pipe(8) without null_sender= passes the null sender as MAILER-DAEMON */
    if (strcasecmp(sender, "MAILER-DAEMON") == 0)
        req->sender = "";
    else if ((req->sender = unbracket(sender, ENVELOPE_SENDER, &req->smtputf8,
                                      why)) == NULL)
        return -1;
    for (size_t i = 0; i < req->nrcpts; i++)
        if ((rcpts[i] = unbracket(rcpts[i], ENVELOPE_RECIPIENT,
                                  &req->smtputf8, why)) == NULL)
            return -1;
    return 0;
}

/* request_parse - parse deliver's arguments; 0, or -1 with *why (exit 64) */
int request_parse(int argc, char **argv, struct deliver_request *req,
                  const char **why)
{
    char *sender = NULL;
    int opt;

    memset(req, 0, sizeof(*req));
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "+c:f:n:", options, NULL)) != -1) {
        switch (opt) {
        case 'c': req->policy_path = optarg; break;
        case 'f': sender = optarg; break;
        case 'n': req->nexthop_text = optarg; break;
        case OPT_REPORT: req->report_path = optarg; break;
        case OPT_JSON: req->json = 1; break;
        case OPT_LOG_STDERR: req->log_stderr = 1; break;
        case OPT_REQUIRETLS: req->requiretls = 1; break;
        default:
            *why = "unknown option or missing option argument";
            return -1;
        }
    }
    if (req->policy_path == NULL || sender == NULL
        || req->nexthop_text == NULL) {
        *why = "-c POLICY, -f SENDER and -n NEXTHOP are required";
        return -1;
    }
    req->rcpts = (const char *const *)argv + optind;
    req->nrcpts = (size_t)(argc - optind);
    if (req->nrcpts == 0 || req->nrcpts > SMTP_MAX_RCPTS) {
        *why = "give 1 to 1000 recipients after --";
        return -1;
    }
    if (nexthop_parse(req->nexthop_text, strlen(req->nexthop_text),
                      &req->nexthop, why) != 0)
        return -1;
    return check_envelope(req, sender, argv + optind, why);
}
