/* test_spool.c - the message spool (agent/smtp/spool.h): small messages stay in
 * memory, larger ones go to an unlinked file in the configured directory
 * that reads back byte for byte as often as asked (failover); size and
 * 8-bit octets (RFC 6152) counted on the way; max_size bounces; input that
 * never ends times out at the deadline; a file that cannot be written
 * fails with the directory and the errno text named. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "conn.h"
#include "spool.h"
#include "test_helpers.h"

static char dir[64];

static void setup(void)
{
    test_tmpdir(dir, sizeof(dir), "test_spool");
}

static void teardown(void)
{
    rmdir(dir);     /* fails, and the test notices, if a file was left */
}

TestSuite(spool, .init = setup, .fini = teardown);

/* feed - a pipe whose read end delivers len bytes of p, then end of file
 * (a child writes them, so any size works) */
static int feed(const uint8_t *p, size_t len)
{
    int fds[2];
    pid_t pid;

    cr_assert_eq(pipe(fds), 0);
    pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        while (len > 0) {
            ssize_t n = write(fds[1], p, len);
            if (n <= 0)
                _exit(1);
            p += n;
            len -= (size_t)n;
        }
        _exit(0);
    }
    close(fds[1]);
    return fds[0];
}

/* pattern - len bytes of text lines, with one 8-bit octet at eight_at
 * (len: none) */
static uint8_t *pattern(size_t len, size_t eight_at)
{
    uint8_t *p = malloc(len + 1);

    cr_assert_not_null(p);
    for (size_t i = 0; i < len; i++)
        p[i] = i % 73 == 72 ? '\n' : (uint8_t)('a' + i % 26);
    if (eight_at < len)
        p[eight_at] = 0xc3;
    return p;
}

/* read_back - the whole spool file with pread() from offset 0 */
static void expect_file(const struct spool *s, const uint8_t *want, size_t len)
{
    uint8_t *got = malloc(len + 1);
    size_t off = 0;
    ssize_t n;

    cr_assert_not_null(got);
    while ((n = pread(spool_fd(s), got + off, len + 1 - off, (off_t)off)) > 0)
        off += (size_t)n;
    cr_assert_eq(off, len, "file holds %zu bytes, want %zu", off, len);
    cr_assert_eq(memcmp(got, want, len), 0, "file content differs");
    free(got);
}

Test(spool, small_message_in_memory)
{
    static const uint8_t msg[] = "Subject: x\n\nhello\n";
    struct spool_params p = {.dir = dir};
    struct spool *s = NULL;
    char err[256] = "";
    int fd = feed(msg, sizeof(msg) - 1);

    cr_assert_eq(spool_read(fd, &p, &s, err, sizeof(err)), SPOOL_OK, "%s", err);
    close(fd);
    cr_assert_eq(spool_fd(s), -1, "at most memory_max bytes: no file");
    cr_assert_eq(spool_size(s), sizeof(msg) - 1);
    cr_assert_eq(memcmp(spool_data(s), msg, sizeof(msg) - 1), 0);
    cr_assert_eq(spool_8bit(s), 0);
    spool_free(s);
}

Test(spool, empty_message)
{
    struct spool_params p = {.dir = dir};
    struct spool *s = NULL;
    char err[256] = "";
    int fd = feed((const uint8_t *)"", 0);

    cr_assert_eq(spool_read(fd, &p, &s, err, sizeof(err)), SPOOL_OK, "%s", err);
    close(fd);
    cr_assert_eq(spool_size(s), 0);
    cr_assert_eq(spool_8bit(s), 0);
    spool_free(s);
}

Test(spool, large_message_in_unlinked_file_read_twice)
{
    size_t len = 3 * SPOOL_MEMORY_MAX + 12345;
    uint8_t *msg = pattern(len, len);
    struct spool_params p = {.dir = dir};
    struct spool *s = NULL;
    char err[256] = "";
    struct stat st;
    int fd = feed(msg, len);

    cr_assert_eq(spool_read(fd, &p, &s, err, sizeof(err)), SPOOL_OK, "%s", err);
    close(fd);
    cr_assert(spool_fd(s) >= 0, "more than memory_max bytes: a file");
    cr_assert_null(spool_data(s));
    cr_assert_eq(fstat(spool_fd(s), &st), 0);
    cr_assert(S_ISREG(st.st_mode), "a regular file, for pread()");
    cr_assert_eq(st.st_nlink, 0, "unlinked: nothing is left on disk");
    cr_assert_eq(spool_size(s), len);
    cr_assert_eq(spool_8bit(s), 0);
    expect_file(s, msg, len);
    expect_file(s, msg, len);   /* a second attempt reads it all again */
    spool_free(s);
    free(msg);
}

Test(spool, memory_threshold_is_inclusive)
{
    uint8_t *msg = pattern(100, 100);
    struct spool_params p = {.dir = dir, .memory_max = 100};
    struct spool *s = NULL;
    char err[256] = "";
    int fd = feed(msg, 100);

    cr_assert_eq(spool_read(fd, &p, &s, err, sizeof(err)), SPOOL_OK, "%s", err);
    close(fd);
    cr_assert_eq(spool_fd(s), -1, "exactly memory_max bytes stay in memory");
    spool_free(s);
    fd = feed(msg, 100);
    p.memory_max = 99;
    cr_assert_eq(spool_read(fd, &p, &s, err, sizeof(err)), SPOOL_OK, "%s", err);
    close(fd);
    cr_assert(spool_fd(s) >= 0, "memory_max + 1 bytes go to a file");
    expect_file(s, msg, 100);
    spool_free(s);
    free(msg);
}

Test(spool, rfc6152_8bit_octet_in_memory)
{
    uint8_t *msg = pattern(500, 499);
    struct spool_params p = {.dir = dir};
    struct spool *s = NULL;
    char err[256] = "";
    int fd = feed(msg, 500);

    cr_assert_eq(spool_read(fd, &p, &s, err, sizeof(err)), SPOOL_OK, "%s", err);
    close(fd);
    cr_assert_eq(spool_8bit(s), 1);
    spool_free(s);
    free(msg);
}

Test(spool, rfc6152_8bit_octet_in_last_chunk_of_file)
{
    size_t len = 5 * SPOOL_MEMORY_MAX;
    uint8_t *msg = pattern(len, len - 1);
    struct spool_params p = {.dir = dir};
    struct spool *s = NULL;
    char err[256] = "";
    int fd = feed(msg, len);

    cr_assert_eq(spool_read(fd, &p, &s, err, sizeof(err)), SPOOL_OK, "%s", err);
    close(fd);
    cr_assert_eq(spool_8bit(s), 1);
    expect_file(s, msg, len);
    spool_free(s);
    free(msg);
}

Test(spool, max_size_exact_is_accepted)
{
    size_t len = 2 * SPOOL_MEMORY_MAX;
    uint8_t *msg = pattern(len, len);
    struct spool_params p = {.dir = dir, .max_size = len};
    struct spool *s = NULL;
    char err[256] = "";
    int fd = feed(msg, len);

    cr_assert_eq(spool_read(fd, &p, &s, err, sizeof(err)), SPOOL_OK, "%s", err);
    close(fd);
    cr_assert_eq(spool_size(s), len);
    spool_free(s);
    free(msg);
}

Test(spool, rfc1870_max_size_plus_one_is_too_big)
{
    size_t len = 2 * SPOOL_MEMORY_MAX + 1;
    uint8_t *msg = pattern(len, len);
    struct spool_params p = {.dir = dir, .max_size = len - 1};
    struct spool *s = NULL;
    char err[256] = "";
    int fd = feed(msg, len);

    cr_assert_eq(spool_read(fd, &p, &s, err, sizeof(err)), SPOOL_TOO_BIG);
    close(fd);
    cr_assert_null(s);
    cr_assert_neq(strstr(err, "larger than"), NULL, "err: %s", err);
    free(msg);
}

Test(spool, input_without_end_times_out_at_deadline)
{
    int fds[2];
    struct spool_params p = {.dir = dir};
    struct spool *s = NULL;
    char err[256] = "";
    uint64_t t0;

    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(write(fds[1], "partial", 7), 7);   /* writer stays open */
    t0 = clock_now_ms();
    p.deadline_ms = t0 + 300;
    cr_assert_eq(spool_read(fds[0], &p, &s, err, sizeof(err)), SPOOL_TIMEOUT);
    cr_assert_geq(clock_now_ms() - t0, 290);
    cr_assert_lt(clock_now_ms() - t0, 2000, "returns at the deadline");
    cr_assert_null(s);
    cr_assert_neq(strstr(err, "end of file"), NULL, "err: %s", err);
    close(fds[0]);
    close(fds[1]);
}

Test(spool, endless_input_stops_at_deadline)
{
    struct spool_params p = {.dir = dir, .deadline_ms = clock_now_ms() + 300};
    struct spool *s = NULL;
    char err[256] = "";
    int fd = open("/dev/zero", O_RDONLY);   /* always ready, never ends */

    cr_assert(fd >= 0);
    cr_assert_eq(spool_read(fd, &p, &s, err, sizeof(err)), SPOOL_TIMEOUT);
    close(fd);
}

Test(spool, missing_directory_names_it)
{
    uint8_t *msg = pattern(2 * SPOOL_MEMORY_MAX, 0);
    struct spool_params p = {.dir = "/nonexistent/spool"};
    struct spool *s = NULL;
    char err[256] = "";
    int fd = feed(msg, 2 * SPOOL_MEMORY_MAX);

    cr_assert_eq(spool_read(fd, &p, &s, err, sizeof(err)), SPOOL_FAILED);
    close(fd);
    cr_assert_null(s);
    cr_assert_neq(strstr(err, "/nonexistent/spool"), NULL, "err: %s", err);
    cr_assert_neq(strstr(err, strerror(ENOENT)), NULL, "err: %s", err);
    free(msg);
}

/* A file size limit makes write() fail as a full disk does. */
Test(spool, write_error_names_directory_and_errno)
{
    size_t len = 8 * SPOOL_MEMORY_MAX;
    uint8_t *msg = pattern(len, 0);
    struct rlimit rl = {.rlim_cur = 3 * SPOOL_MEMORY_MAX,
                        .rlim_max = RLIM_INFINITY};
    struct spool_params p = {.dir = dir};
    struct spool *s = NULL;
    char err[256] = "";
    int fd = feed(msg, len);

    signal(SIGXFSZ, SIG_IGN);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
    cr_assert_eq(spool_read(fd, &p, &s, err, sizeof(err)), SPOOL_FAILED);
    close(fd);
    cr_assert_null(s);
    cr_assert_neq(strstr(err, dir), NULL, "err: %s", err);
    cr_assert_neq(strstr(err, strerror(EFBIG)), NULL, "err: %s", err);
    free(msg);
}

Test(spool, read_error_fails)
{
    struct spool_params p = {.dir = dir};
    struct spool *s = NULL;
    char err[256] = "";
    int fd = open(dir, O_RDONLY | O_DIRECTORY);     /* read(): EISDIR */

    cr_assert(fd >= 0);
    cr_assert_eq(spool_read(fd, &p, &s, err, sizeof(err)), SPOOL_FAILED);
    close(fd);
    cr_assert_neq(strstr(err, strerror(EISDIR)), NULL, "err: %s", err);
}

Test(spool, default_directory_is_tmpdir)
{
    uint8_t *msg = pattern(2 * SPOOL_MEMORY_MAX, 0);
    struct spool_params p = {.dir = NULL};
    struct spool *s = NULL;
    char err[256] = "", link[64], target[512];
    ssize_t n;
    int fd = feed(msg, 2 * SPOOL_MEMORY_MAX);

    cr_assert_eq(setenv("TMPDIR", dir, 1), 0);
    cr_assert_eq(spool_read(fd, &p, &s, err, sizeof(err)), SPOOL_OK, "%s", err);
    close(fd);
    snprintf(link, sizeof(link), "/proc/self/fd/%d", spool_fd(s));
    n = readlink(link, target, sizeof(target) - 1);
    cr_assert(n > 0);
    target[n] = '\0';
    cr_assert_eq(strncmp(target, dir, strlen(dir)), 0, "file %s not in %s", target, dir);
    spool_free(s);
    free(msg);
}

Test(spool, free_null_is_noop)
{
    spool_free(NULL);
}

Test(spool, rfc8689_s5_tls_required_no_in_the_header)
{
    static const uint8_t with[] = "Subject: x\r\nTLS-Required: No\r\n\r\nhello\r\n";
    static const uint8_t in_body[] = "Subject: x\r\n\r\nTLS-Required: No\r\n";
    struct spool_params p = {.dir = dir};
    struct spool *s = NULL;
    char err[256] = "";
    int fd = feed(with, sizeof(with) - 1);

    cr_assert_eq(spool_read(fd, &p, &s, err, sizeof(err)), SPOOL_OK, "%s", err);
    close(fd);
    cr_assert_eq(spool_tls_required_no(s), 1);
    spool_free(s);
    fd = feed(in_body, sizeof(in_body) - 1);
    cr_assert_eq(spool_read(fd, &p, &s, err, sizeof(err)), SPOOL_OK, "%s", err);
    close(fd);
    cr_assert_eq(spool_tls_required_no(s), 0, "a body line is no header field");
    spool_free(s);
}

/* append_all - msg appended in pieces of step bytes */
static enum spool_status append_all(struct spool *s, const uint8_t *msg, size_t len,
                                    size_t step, char *err, size_t errsize)
{
    enum spool_status st = SPOOL_OK;

    for (size_t off = 0; off < len && st == SPOOL_OK; off += step)
        st = spool_append(s, msg + off, len - off < step ? len - off : step, err, errsize);
    return st;
}

Test(spool, appended_small_message_stays_in_memory)
{
    static const uint8_t msg[] = "Subject: x\r\n\r\nhello\r\n";
    struct spool_params p = {.dir = dir};
    char err[256] = "";
    struct spool *s = spool_new(&p, err, sizeof(err));

    cr_assert_not_null(s, "%s", err);
    cr_assert_eq(append_all(s, msg, sizeof(msg) - 1, 5, err, sizeof(err)), SPOOL_OK);
    cr_assert_eq(spool_end(s, err, sizeof(err)), SPOOL_OK, "%s", err);
    cr_assert_eq(spool_fd(s), -1);
    cr_assert_eq(spool_size(s), sizeof(msg) - 1);
    cr_assert_eq(memcmp(spool_data(s), msg, sizeof(msg) - 1), 0);
    spool_free(s);
}

Test(spool, appended_large_message_goes_to_a_file_with_its_8bit_octet)
{
    size_t len = 2 * SPOOL_MEMORY_MAX + 999;
    uint8_t *msg = pattern(len, len - 3);
    struct spool_params p = {.dir = dir};
    char err[256] = "";
    struct spool *s = spool_new(&p, err, sizeof(err));

    cr_assert_not_null(s, "%s", err);
    cr_assert_eq(append_all(s, msg, len, 4097, err, sizeof(err)), SPOOL_OK, "%s", err);
    cr_assert_eq(spool_end(s, err, sizeof(err)), SPOOL_OK, "%s", err);
    cr_assert(spool_fd(s) >= 0, "more than memory_max bytes: a file");
    cr_assert_eq(spool_size(s), len);
    cr_assert_eq(spool_8bit(s), 1);
    expect_file(s, msg, len);
    spool_free(s);
    free(msg);
}

Test(spool, appended_past_max_size_is_too_big)
{
    static const uint8_t msg[] = "0123456789";
    struct spool_params p = {.dir = dir, .max_size = 9};
    char err[256] = "";
    struct spool *s = spool_new(&p, err, sizeof(err));

    cr_assert_not_null(s, "%s", err);
    cr_assert_eq(spool_append(s, msg, 9, err, sizeof(err)), SPOOL_OK);
    cr_assert_eq(spool_append(s, msg, 1, err, sizeof(err)), SPOOL_TOO_BIG);
    cr_assert_str_eq(err, "message is larger than 9 bytes");
    spool_free(s);
}
