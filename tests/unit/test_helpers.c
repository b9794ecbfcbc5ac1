/* test_helpers.c - fixtures shared by the unit tests (test_helpers.h) */
#define _XOPEN_SOURCE 700       /* nftw */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_helpers.h"

#define PEER_SCRIPT DANE_TEST_SRCDIR "/tests/testbed/peer.py"
#define PEER_MAX_ARGS 24
#define PEER_START_POLLS 300    /* of 50 ms: 15 s */

extern char **environ;

/* test_tmpdir - mkdtemp on /tmp/NAME.XXXXXX */
void test_tmpdir(char *dir, size_t size, const char *name)
{
    int n = snprintf(dir, size, "/tmp/%s.XXXXXX", name);

    cr_assert(n > 0 && (size_t)n < size, "test_tmpdir: %s: name too long", name);
    cr_assert_not_null(mkdtemp(dir), "mkdtemp %s: %s", dir, strerror(errno));
}

/* remove_entry - nftw callback: one file, link or (emptied) directory */
static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    (void)remove(path);
    return 0;
}

/* test_rm_tree - depth first, links not followed */
void test_rm_tree(const char *path)
{
    (void)nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* write_all - len bytes of buf to fd */
static void write_all(int fd, const void *buf, size_t len)
{
    const uint8_t *p = buf;

    while (len > 0) {
        ssize_t n = write(fd, p, len);

        cr_assert_gt(n, 0, "write: %s", strerror(errno));
        p += n;
        len -= (size_t)n;
    }
}

/* test_tmpfile - mkstemp on /tmp/NAME.XXXXXX, then the bytes */
void test_tmpfile(char *path, size_t size, const char *name, const void *buf, size_t len)
{
    int n = snprintf(path, size, "/tmp/%s.XXXXXX", name);
    int fd;

    cr_assert(n > 0 && (size_t)n < size, "test_tmpfile: %s: name too long", name);
    fd = mkstemp(path);
    cr_assert_geq(fd, 0, "mkstemp %s: %s", path, strerror(errno));
    write_all(fd, buf, len);
    close(fd);
}

/* test_unlinked_file - mkstemp, unlink, then the bytes */
int test_unlinked_file(const void *buf, size_t len)
{
    char path[] = "/tmp/dane-test-file.XXXXXX";
    int fd = mkstemp(path);

    cr_assert_geq(fd, 0, "mkstemp %s: %s", path, strerror(errno));
    unlink(path);
    write_all(fd, buf, len);
    return fd;
}

/* test_write_file - create or truncate, then the bytes */
void test_write_file(const char *path, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

    cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
    write_all(fd, buf, len);
    close(fd);
}

/* test_read_file - read until end of file or cap */
size_t test_read_file(const char *path, void *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    size_t got = 0;
    ssize_t n;

    cr_assert_geq(fd, 0, "open %s: %s", path, strerror(errno));
    while (got < cap && (n = read(fd, (uint8_t *)buf + got, cap - got)) > 0)
        got += (size_t)n;
    close(fd);
    cr_assert_gt(got, 0, "%s is empty", path);
    return got;
}

/* test_slurp - the size from the end offset, then one read */
char *test_slurp(const char *path, size_t *len)
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

/* test_put_be - most significant byte first */
void test_put_be(uint8_t *p, uint64_t v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/* test_run_script - posix_spawnp bash and wait */
void test_run_script(const char *script, const char *dir, const char *test)
{
    char *argv[] = { "bash", (char *)script, (char *)dir, NULL };
    pid_t pid;
    int status = 0;

    if (posix_spawnp(&pid, "bash", NULL, NULL, argv, environ) != 0 ||
        waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0) {
        fprintf(stderr, "%s: %s failed\n", test, script);
        exit(1);
    }
}

/* peer_exec - in the child: exec peer.py with its options; never returns */
static void peer_exec(const struct test_peer *peer, const char *addr, const char *port,
                      const char *scenario, const char *const *extra)
{
    const char *argv[PEER_MAX_ARGS] = { "python3", PEER_SCRIPT, "--addr", addr,
                                        "--port", port, "--scenario", scenario,
                                        "--dir", peer->dir };
    size_t n = 10;

    for (size_t k = 0; extra != NULL && extra[k] != NULL && n < PEER_MAX_ARGS - 1; k++)
        argv[n++] = extra[k];
    execvp("python3", (char *const *)argv);
    _exit(127);
}

/* peer_wait_ready - until the peer wrote DIR/ready; fails if it exits first */
static void peer_wait_ready(const struct test_peer *peer)
{
    struct timespec tick = { 0, 50 * 1000 * 1000 };
    char ready[128];

    snprintf(ready, sizeof(ready), "%s/ready", peer->dir);
    for (int i = 0; i < PEER_START_POLLS && access(ready, F_OK) != 0; i++) {
        cr_assert_eq(waitpid(peer->pid, NULL, WNOHANG), 0, "peer.py exited early");
        nanosleep(&tick, NULL);
    }
    cr_assert_eq(access(ready, F_OK), 0, "peer.py did not start");
}

/* test_peer_start - directory, child, wait, address */
void test_peer_start(struct test_peer *peer, const char *addr, unsigned port,
                     const char *scenario, const char *const *extra)
{
    char portstr[16];

    snprintf(portstr, sizeof(portstr), "%u", port);
    test_tmpdir(peer->dir, sizeof(peer->dir), "dane-peer");
    peer->pid = fork();
    cr_assert(peer->pid >= 0);
    if (peer->pid == 0)
        peer_exec(peer, addr, portstr, scenario, extra);
    peer_wait_ready(peer);
    memset(&peer->addr, 0, sizeof(peer->addr));
    peer->addr.sin_family = AF_INET;
    peer->addr.sin_port = htons((uint16_t)port);
    cr_assert_eq(inet_pton(AF_INET, addr, &peer->addr.sin_addr), 1, "address %s", addr);
}

/* test_peer_file - one read into a static buffer */
const char *test_peer_file(const struct test_peer *peer, const char *name)
{
    static char buf[65536];
    char path[128];
    int fd;
    ssize_t n;

    snprintf(path, sizeof(path), "%s/%s", peer->dir, name);
    buf[0] = '\0';
    fd = open(path, O_RDONLY);
    if (fd < 0)
        return buf;
    n = read(fd, buf, sizeof(buf) - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(fd);
    return buf;
}

/* test_peer_stop - SIGTERM, reap, remove the directory */
void test_peer_stop(struct test_peer *peer)
{
    if (peer->pid > 0) {
        kill(peer->pid, SIGTERM);
        waitpid(peer->pid, NULL, 0);
        peer->pid = 0;
    }
    if (peer->dir[0] != '\0') {
        test_rm_tree(peer->dir);
        peer->dir[0] = '\0';
    }
}
