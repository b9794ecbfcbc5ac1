/* test_helpers.h - fixtures shared by the unit tests: scratch directories and
 * files, reading and writing files, running a setup script, and the scripted
 * SMTP peer (tests/testbed/peer.py). Compiled once (test_helpers.c) and
 * linked into every unit test. Each function that can fail fails the test
 * (Criterion assertions), except test_run_script, which runs before any. */
#ifndef DANE_AGENT_TEST_HELPERS_H
#define DANE_AGENT_TEST_HELPERS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* test_tmpdir - a new directory /tmp/NAME.XXXXXX (mode 0700), its path in dir */
void test_tmpdir(char *dir, size_t size, const char *name);

/* test_rm_tree - remove path: a file, or a directory and all below it;
 * symbolic links are removed, never followed */
void test_rm_tree(const char *path);

/* test_tmpfile - a new file /tmp/NAME.XXXXXX holding len bytes of buf, its
 * path in path; the caller unlinks it */
void test_tmpfile(char *path, size_t size, const char *name, const void *buf, size_t len);

/* test_unlinked_file - a descriptor of a temporary file, already unlinked,
 * holding len bytes of buf; its offset is at the end */
int test_unlinked_file(const void *buf, size_t len);

/* test_write_file - path (created mode 0600, or truncated) holds len bytes of buf */
void test_write_file(const char *path, const void *buf, size_t len);

/* test_read_file - at most cap bytes of path into buf; at least one byte */
size_t test_read_file(const char *path, void *buf, size_t cap);

/* test_slurp - a whole file, NUL-terminated (not counted in *len); the
 * caller frees */
char *test_slurp(const char *path, size_t *len);

/* test_put_be - v as n big-endian bytes at p */
void test_put_be(uint8_t *p, uint64_t v, size_t n);

/* test_run_script - "bash SCRIPT DIR"; when it fails, says so naming the
 * test and exits the test run (for ReportHook(PRE_ALL), before any case) */
void test_run_script(const char *script, const char *dir, const char *test);

/* A scripted SMTP peer: tests/testbed/peer.py in a child process. */
struct test_peer {
    pid_t pid;                  /* 0: not started */
    char dir[64];               /* its files: ready, commands, data, ... */
    struct sockaddr_in addr;    /* where it listens */
};

/* test_peer_start - peer.py --scenario SCENARIO on addr:port, with extra
 * options (NULL-terminated, may be NULL), its files in a new directory;
 * returns once it listens */
void test_peer_start(struct test_peer *peer, const char *addr, unsigned port,
                     const char *scenario, const char *const *extra);

/* test_peer_file - the peer's file NAME as a string ("" when absent), in a
 * buffer the next call overwrites */
const char *test_peer_file(const struct test_peer *peer, const char *name);

/* test_peer_stop - stop the peer (if started) and remove its directory */
void test_peer_stop(struct test_peer *peer);

#endif
