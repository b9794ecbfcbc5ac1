/* cli_io.c - the offline subcommands' command-line input and JSON output
 *            (cli_io.h) */
#include "cli_io.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "dane.h"
#include "io.h"
#include "json.h"
#include "tlsa.h"

#define EXCERPT_MAX 40u

const char *cli_option_value(int argc, char **argv, int *i, const char *opt,
                             int *missing)
{
    size_t n = strlen(opt);

    if (strncmp(argv[*i], opt, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

void cli_print_excerpt(FILE *out, const char *text)
{
    size_t i;

    for (i = 0; text[i] != '\0' && i < EXCERPT_MAX; i++)
        fputc(text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?', out);
    if (text[i] != '\0')
        fputs("...", out);
}

int cli_usage_error(const char *cmd, const char *what, const char *arg)
{
    fprintf(stderr, "dane-agent: %s: %s", cmd, what);
    if (arg != NULL) {
        fputs(": ", stderr);
        cli_print_excerpt(stderr, arg);
    }
    fprintf(stderr, " (see dane-agent %s --help)\n", cmd);
    return EX_USAGE;
}

/* read_file - the whole file, at most max_bytes, NUL not added */
static int read_file(const char *cmd, const char *path, size_t max_bytes, char **text,
                     size_t *len)
{
    enum io_status status;

    *text = io_read_file(path, max_bytes, len, &status);
    switch (status) {
    case IO_OK:
        return 0;
    case IO_OPEN_FAILED:
        fprintf(stderr, "dane-agent: %s: cannot open %s: %s\n", cmd, path, strerror(errno));
        return EX_NOINPUT;
    case IO_READ_FAILED:
        fprintf(stderr, "dane-agent: %s: cannot read %s: %s\n", cmd, path, strerror(errno));
        return EX_NOINPUT;
    case IO_TOO_BIG:
        fprintf(stderr, "dane-agent: %s: %s: chain file larger than %zu bytes\n", cmd, path,
                max_bytes);
        return EX_DATAERR;
    case IO_NO_MEMORY:
        break;
    }
    fprintf(stderr, "dane-agent: %s: out of memory\n", cmd);
    return EX_SOFTWARE;
}

int cli_load_chain(const char *cmd, const char *path, size_t max_bytes,
                   struct dane_chain *chain)
{
    const char *why = NULL;
    char *text = NULL;
    size_t len = 0;
    int status = read_file(cmd, path, max_bytes, &text, &len);

    if (status != 0)
        return status;
    if (dane_chain_add_pem(chain, text, len, &why) < 0) {
        fprintf(stderr, "dane-agent: %s: %s: %s\n", cmd, path, why);
        status = EX_DATAERR;
    }
    free(text);
    return status;
}

int cli_load_records(const char *cmd, const char *const *records, size_t n,
                     struct tlsa_set *set)
{
    const char *why = NULL;

    for (size_t i = 0; i < n; i++) {
        if (tlsa_set_add_text(set, records[i], strlen(records[i]), &why) == 0)
            continue;
        fprintf(stderr, "dane-agent: %s: bad --tlsa record \"", cmd);
        cli_print_excerpt(stderr, records[i]);
        fprintf(stderr, "\": %s\n", why);
        return EX_DATAERR;
    }
    return 0;
}

int cli_print_json(const char *cmd, struct json *j)
{
    const char *text = NULL, *err = "out of memory";
    size_t len = 0;

    if (j != NULL)
        text = json_text(j, &len, &err);
    if (text == NULL) {
        fprintf(stderr, "dane-agent: %s: %s\n", cmd, err);
        json_free(j);
        return EX_SOFTWARE;
    }
    fwrite(text, 1, len, stdout);
    fputc('\n', stdout);
    json_free(j);
    return 0;
}

/* cli_certs_begin - dane_library_init(), then the set and the chain */
int cli_certs_begin(const char *cmd, struct tlsa_set **set, struct dane_chain **chain)
{
    *set = NULL;
    *chain = NULL;
    if (dane_library_init() != 0) {
        fprintf(stderr, "dane-agent: %s: the certificate library cannot be initialised\n", cmd);
        return EX_SOFTWARE;
    }
    *set = tlsa_set_new();
    *chain = dane_chain_new();
    if (*set == NULL || *chain == NULL) {
        fprintf(stderr, "dane-agent: %s: out of memory\n", cmd);
        return EX_SOFTWARE;
    }
    return 0;
}

/* cli_certs_end - the reverse of cli_certs_begin() */
void cli_certs_end(struct tlsa_set *set, struct dane_chain *chain)
{
    dane_chain_free(chain);
    tlsa_set_free(set);
    dane_library_cleanup();
}
