/* certs_fixture.h - test certificates from tests/certs/mkcerts.sh, made once
 * per test run into a directory of the test's own (before Criterion forks
 * the cases: call it from ReportHook(PRE_ALL)). Header-only: the unit tests
 * are separate executables. */
#ifndef DANE_AGENT_CERTS_FIXTURE_H
#define DANE_AGENT_CERTS_FIXTURE_H

#include <criterion/criterion.h>
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

#define CERTS_FIXTURE_SCRIPT DANE_TEST_SRCDIR "/tests/certs/mkcerts.sh"

/* certs_fixture_make - (re)generate dir when absent or older than the
 * script; exits the test run when mkcerts.sh fails */
static inline void certs_fixture_make(const char *dir, const char *test)
{
    char stamp_path[4096];
    struct stat script, stamp;
    char *argv[] = { "bash", CERTS_FIXTURE_SCRIPT, (char *)dir, NULL };
    pid_t pid;
    int status = 0;

    snprintf(stamp_path, sizeof(stamp_path), "%s/server/ecdsa/chain.pem", dir);
    if (stat(stamp_path, &stamp) == 0 && stat(CERTS_FIXTURE_SCRIPT, &script) == 0
        && stamp.st_mtime >= script.st_mtime)
        return;
    if (posix_spawnp(&pid, "bash", NULL, NULL, argv, environ) != 0 ||
        waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        fprintf(stderr, "%s: %s failed\n", test, CERTS_FIXTURE_SCRIPT);
        exit(1);
    }
}

/* fixture_slurp - a whole file, NUL-terminated (not counted in *len); the
 * caller frees; fails the test when it cannot be read */
static inline char *fixture_slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf;
    long n;

    cr_assert_not_null(fp, "open %s: %s", path, strerror(errno));
    fseek(fp, 0, SEEK_END);
    n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    buf = malloc((size_t)n + 1);
    cr_assert_not_null(buf);
    cr_assert_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
    fclose(fp);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

#endif
