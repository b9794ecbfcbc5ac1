/* main.c - dane-agent: dispatch to a subcommand (agent.h) */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "agent.h"

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *synopsis;
};

static const struct command commands[] = {
    {"deliver", cmd_deliver,
     "deliver -c POLICY -f SENDER -n NEXTHOP [--report FILE] [--json] "
     "[--log-stderr] [--requiretls] -- RCPT..."},
    {"qmail-remote", cmd_qmail_remote, "qmail-remote HOST SENDER RECIPIENT..."},
    {"serve", cmd_serve,
     "serve -c POLICY --listen unix:PATH|inet:ADDRESS:PORT [--workers N] "
     "[--connections N] [--idle-timeout SECONDS] [--max-line OCTETS] "
     "[--max-recipients N] [--max-size OCTETS] [--reuse-time-limit SECONDS] "
     "[--reuse-count-limit N] [--log-stderr]"},
    {"probe", cmd_probe,
     "probe -c POLICY [--level LEVEL] [--dns-only] [--json] DESTINATION"},
    {"tlsa-match", cmd_tlsa_match,
     "tlsa-match --chain CHAIN.pem --tlsa \"U S M HEX\" [--tlsa ...] "
     "[--name NAME ...] [--json]"},
    {"verify-chain", cmd_verify_chain,
     "verify-chain --chain CHAIN.pem [--ca-file FILE] [--tlsa \"U S M HEX\"]... "
     "[--name NAME]... [--level LEVEL] [--at UNIXTIME] [--json]"},
    {"tlsrpt", cmd_tlsrpt,
     "tlsrpt -c POLICY [--dry-run] [--day YYYY-MM-DD] RECORDS..."},
    {"policy-check", cmd_policy_check, "policy-check [--syntax] POLICY"},
};

/* is_help - "--help" or "-h" */
static int is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* command_named - the subcommand called name, or NULL */
static const struct command *command_named(const char *name)
{
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(name, commands[i].name) == 0)
            return &commands[i];
    return NULL;
}

/* usage - the synopsis of every subcommand */
static int usage(FILE *out, int status)
{
    fputs("usage: dane-agent help [SUBCOMMAND] | --version | SUBCOMMAND ...\n", out);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  dane-agent %s\n", commands[i].synopsis);
    return status;
}

/* help - "dane-agent help [SUBCOMMAND]" and "dane-agent SUBCOMMAND --help":
 * the synopsis on standard output, exit 0 */
static int help(const char *name)
{
    const struct command *c = name != NULL ? command_named(name) : NULL;

    if (name == NULL)
        return usage(stdout, 0);
    if (c == NULL) {
        fprintf(stderr, "dane-agent: unknown subcommand: %s\n", name);
        return usage(stderr, EX_USAGE);
    }
    printf("usage: dane-agent %s\nSee dane-agent(8).\n", c->synopsis);
    return 0;
}

int main(int argc, char **argv)
{
    const struct command *c;

    if (argc < 2)
        return usage(stderr, EX_USAGE);
    /* Writes to a closed peer must fail with EPIPE, not kill the delivery. */
    signal(SIGPIPE, SIG_IGN);
    if (is_help(argv[1]))
        return usage(stdout, 0);
    if (strcmp(argv[1], "help") == 0)
        return help(argc > 2 ? argv[2] : NULL);
    if (strcmp(argv[1], "--version") == 0) {
        puts("dane-agent " DANE_AGENT_VERSION);
        return 0;
    }
    if ((c = command_named(argv[1])) != NULL)
        return argc > 2 && is_help(argv[2]) ? help(c->name) : c->run(argc - 1, argv + 1);
    fprintf(stderr, "dane-agent: unknown subcommand: %s\n", argv[1]);
    return usage(stderr, EX_USAGE);
}
