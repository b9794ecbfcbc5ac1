/* certs_fixture.c - test certificates by name (certs_fixture.h) */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "certs_fixture.h"
#include "test_helpers.h"

#define CERTS_FIXTURE_SCRIPT DANE_TEST_SRCDIR "/tests/certs/mkcerts.sh"

/* certs_fixture_make - run mkcerts.sh unless dir is newer than it */
void certs_fixture_make(const char *dir, const char *test)
{
    char stamp_path[4096];
    struct stat script, stamp;

    snprintf(stamp_path, sizeof(stamp_path), "%s/server/ecdsa/chain.pem", dir);
    if (stat(stamp_path, &stamp) == 0 && stat(CERTS_FIXTURE_SCRIPT, &script) == 0
        && stamp.st_mtime >= script.st_mtime)
        return;
    test_run_script(CERTS_FIXTURE_SCRIPT, dir, test);
}

/* certs_fixture_file - DIR/certs/NAME.EXT, whole */
uint8_t *certs_fixture_file(const char *dir, const char *name, const char *ext, size_t *len)
{
    char path[512];
    uint8_t *bytes;

    snprintf(path, sizeof(path), "%s/certs/%s.%s", dir, name, ext);
    bytes = (uint8_t *)test_slurp(path, len);
    cr_assert_gt(*len, 0, "%s is empty", path);
    return bytes;
}

/* certs_fixture_chain - add each named certificate's DER, in order */
struct dane_chain *certs_fixture_chain(const char *dir, const char *names)
{
    struct dane_chain *chain;
    char tok[64];
    const char *p = names, *sp, *why = NULL;
    uint8_t *der;
    size_t len, n;

    if (names == NULL)
        return NULL;
    chain = dane_chain_new();
    cr_assert_not_null(chain);
    while (*p != '\0') {
        sp = strchr(p, ' ');
        n = sp ? (size_t)(sp - p) : strlen(p);
        cr_assert_lt(n, sizeof(tok));
        memcpy(tok, p, n);
        tok[n] = '\0';
        der = certs_fixture_file(dir, tok, "der", &len);
        cr_assert_eq(dane_chain_add_der(chain, der, len, &why), 0, "%s: %s", tok, why);
        free(der);
        p += n + (sp != NULL);
    }
    return chain;
}
