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
    {"probe", cmd_probe,
     "probe -c POLICY [--level LEVEL] [--dns-only] [--json] DESTINATION"},
    {"tlsa-match", cmd_tlsa_match,
     "tlsa-match --chain CHAIN.pem --tlsa \"U S M HEX\" [--tlsa ...] "
     "[--name NAME ...] [--json]"},
    {"verify-chain", cmd_verify_chain,
     "verify-chain --chain CHAIN.pem [--ca-file FILE] [--tlsa \"U S M HEX\"]... "
     "[--name NAME]... [--level LEVEL] [--at UNIXTIME] [--json]"},
    {"policy-check", cmd_policy_check, "policy-check POLICY"},
};

/* usage - the synopsis of every subcommand */
static int usage(FILE *out, int status)
{
    fputs("usage:\n", out);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  dane-agent %s\n", commands[i].synopsis);
    return status;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr, EX_USAGE);
    /* Writes to a closed peer must fail with EPIPE, not kill the delivery. */
    signal(SIGPIPE, SIG_IGN);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
        return usage(stdout, 0);
    if (strcmp(argv[1], "--version") == 0) {
        puts("dane-agent " DANE_AGENT_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "dane-agent: unknown subcommand: %s\n", argv[1]);
    return usage(stderr, EX_USAGE);
}
