/* cli_io.h - what the offline subcommands (tlsa-match, verify-chain) read
 *            from their command line (`--opt VALUE` options, a PEM chain
 *            file, TLSA records in presentation form) and how they print a
 *            JSON result
 *
 * Errors are one line on standard error, "dane-agent: SUBCOMMAND: ...", and
 * a sysexits.h status: 64 usage, 65 bad data, 66 no input, 70 out of memory.
 * Untrusted text is quoted as a short excerpt with non-printable bytes as
 * '?'. Everything is borrowed for the call; the chain and the set are the
 * caller's and receive what was read.
 */
#ifndef DANE_AGENT_CLI_IO_H
#define DANE_AGENT_CLI_IO_H

#include <stddef.h>
#include <stdio.h>

struct dane_chain;
struct json;
struct tlsa_set;

/* cli_option_value - the value of `--opt VALUE` or `--opt=VALUE`; NULL when
 * argv[*i] is not this option; *missing set when the value is absent */
const char *cli_option_value(int argc, char **argv, int *i, const char *opt,
                             int *missing);

/* cli_print_excerpt - the start of untrusted text, non-printable bytes as '?' */
void cli_print_excerpt(FILE *out, const char *text);

/* cli_usage_error - "dane-agent: CMD: what: arg (see dane-agent CMD --help)";
 * arg may be NULL; returns 64 */
int cli_usage_error(const char *cmd, const char *what, const char *arg);

/* cli_certs_begin - the certificate library started and an empty TLSA set
 * and chain made; 0, or 70 after "dane-agent: CMD: ..." on stderr (then
 * cli_certs_end() is still called) */
int cli_certs_begin(const char *cmd, struct tlsa_set **set, struct dane_chain **chain);
/* cli_certs_end - free what cli_certs_begin() made and stop the library */
void cli_certs_end(struct tlsa_set *set, struct dane_chain *chain);

/* cli_load_chain - the PEM certificates of the file path (at most max_bytes)
 * appended to chain; 0 or a sysexits status after the message */
int cli_load_chain(const char *cmd, const char *path, size_t max_bytes,
                   struct dane_chain *chain);

/* cli_load_records - n TLSA records ("U S M HEX") added to set; 0 or 65
 * after the message */
int cli_load_records(const char *cmd, const char *const *records, size_t n,
                     struct tlsa_set *set);

/* cli_print_json - the JSON text of j and a newline on standard output;
 * frees j (NULL: out of memory); 0, or 70 after the message */
int cli_print_json(const char *cmd, struct json *j);

#endif
