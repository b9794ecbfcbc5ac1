/* agent.h - dane-agent's subcommands (contracts in README.md and man/dane-agent.8)
 *
 * Each entry point takes the arguments after the subcommand name (argv[0] is
 * the subcommand) and returns a sysexits.h exit status: 0 done, 75 deferred,
 * 69 bounced, 64 usage, 65 bad data, 66 no input, 78 bad configuration,
 * 70 internal error, 71 (serve) cannot listen. Each writes its one-line
 * reason to standard error.
 * Internal headers of the agent module live beside their .c files.
 *
 * Folder agent/cli (the top): the process, its exit status and deadline;
 * may use every folder below it (docs/architecture.md).
 */
#ifndef DANE_AGENT_AGENT_H
#define DANE_AGENT_AGENT_H

/* cmd_deliver - deliver one message from stdin (queue-manager transport) */
int cmd_deliver(int argc, char **argv);
/* cmd_probe - resolve, connect, STARTTLS, verify, report (posttls-finger) */
int cmd_probe(int argc, char **argv);
/* cmd_tlsa_match - offline: does a PEM chain satisfy TLSA records? */
int cmd_tlsa_match(int argc, char **argv);
/* cmd_verify_chain - offline: what would a delivery decide about a chain? */
int cmd_verify_chain(int argc, char **argv);
/* cmd_qmail_remote - qmail-remote(8): message on stdin, NUL-terminated
 * reports on stdout, always exit 0 */
int cmd_qmail_remote(int argc, char **argv);
/* cmd_tlsrpt - RFC 8460 daily reports from deliver's JSON records */
int cmd_tlsrpt(int argc, char **argv);
/* cmd_serve - the resident LMTP delivery service (Postfix lmtp(8)) */
int cmd_serve(int argc, char **argv);
/* cmd_policy_check - validate a policy file */
int cmd_policy_check(int argc, char **argv);

#endif
