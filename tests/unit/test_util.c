/* test_util.c - agent/util helpers: hex digits and encoding, whole reads
 * and writes, strict UTF-8 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hex.h"
#include "io.h"
#include "utf8.h"

/* every byte value survives hex_encode and decoding with hex_value */
Test(hex, round_trip_all_bytes)
{
    uint8_t in[256], back[256];
    char lower[513], upper[513];

    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (uint8_t)i;
    hex_encode(in, sizeof(in), lower, HEX_LOWER);
    hex_encode(in, sizeof(in), upper, HEX_UPPER);
    cr_assert_eq(strlen(lower), 512);
    cr_expect_eq(strncmp(lower + 2 * 0xab, "ab", 2), 0);
    cr_expect_eq(strncmp(upper + 2 * 0xab, "AB", 2), 0);
    for (size_t i = 0; i < sizeof(back); i++) {
        int hi = hex_value(upper[2 * i]), lo = hex_value(lower[2 * i + 1]);

        cr_assert(hi >= 0 && lo >= 0, "byte %zu", i);
        back[i] = (uint8_t)(hi << 4 | lo);
    }
    cr_expect_eq(memcmp(in, back, sizeof(in)), 0);
}

Test(hex, encode_empty_is_empty_string)
{
    char out[1] = { 'x' };

    hex_encode((const uint8_t *)"", 0, out, HEX_LOWER);
    cr_expect_eq(out[0], '\0');
}

Test(hex, digit_uses_low_nibble_only)
{
    cr_expect_eq(hex_digit(0x0a, HEX_LOWER), 'a');
    cr_expect_eq(hex_digit(0x0a, HEX_UPPER), 'A');
    cr_expect_eq(hex_digit(0xf3, HEX_LOWER), '3');
}

Test(hex, value_rejects_non_digits)
{
    static const char bad[] = "gG/:@`xz -\n";

    for (size_t i = 0; i + 1 < sizeof(bad); i++)
        cr_expect_eq(hex_value(bad[i]), -1, "char 0x%02x", (unsigned)bad[i]);
    cr_expect_eq(hex_value('\0'), -1);
    cr_expect_eq(hex_value((char)0xe9), -1);
    cr_expect_eq(hex_value('0'), 0);
    cr_expect_eq(hex_value('9'), 9);
    cr_expect_eq(hex_value('f'), 15);
    cr_expect_eq(hex_value('F'), 15);
}

/* ---- io ---- */

#define PIPE_BYTES (1024u * 1024u)

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

/* write_interrupted - child: io_write_all of data while SIGALRM (no
 * SA_RESTART) interrupts write(2) every millisecond, so that it returns
 * short counts and EINTR; exits 0 when all was written and it was
 * interrupted */
static void write_interrupted(int fd, const uint8_t *data, size_t len)
{
    struct sigaction sa = { .sa_handler = on_alarm };
    struct itimerval every_ms = { { 0, 1000 }, { 0, 1000 } };
    int rc;

    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    setitimer(ITIMER_REAL, &every_ms, NULL);
    rc = io_write_all(fd, data, len);
    _exit(rc == 0 && alarms > 0 ? 0 : 1);
}

/* bytes_pattern - len bytes that are not all alike */
static uint8_t *bytes_pattern(size_t len)
{
    uint8_t *p = malloc(len);

    cr_assert_not_null(p);
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(i * 31 + i / 251);
    return p;
}

Test(io, write_all_read_all_across_pipe_with_short_writes)
{
    uint8_t *data = bytes_pattern(PIPE_BYTES), *got = malloc(PIPE_BYTES), extra;
    int fds[2], status;
    pid_t pid;

    cr_assert_not_null(got);
    cr_assert_eq(pipe(fds), 0);
    pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        write_interrupted(fds[1], data, PIPE_BYTES);
    }
    close(fds[1]);
    usleep(50 * 1000);          /* the writer waits on a full pipe meanwhile */
    cr_assert_eq(io_read_all(fds[0], got, PIPE_BYTES), 0, "errno %d", errno);
    cr_expect_eq(memcmp(got, data, PIPE_BYTES), 0);
    cr_expect_eq(io_read_all(fds[0], &extra, 1), -1);
    cr_expect_eq(errno, ENODATA);
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer status %d", status);
    close(fds[0]);
    free(data);
    free(got);
}

Test(io, read_all_reports_early_end)
{
    uint8_t buf[8];
    int fds[2];

    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(io_write_all(fds[1], "abc", 3), 0);
    close(fds[1]);
    cr_expect_eq(io_read_all(fds[0], buf, sizeof(buf)), -1);
    cr_expect_eq(errno, ENODATA);
    close(fds[0]);
}

Test(io, write_all_reports_full_device)
{
    int fd = open("/dev/full", O_WRONLY);

    if (fd < 0)
        cr_skip_test("no /dev/full");
    cr_expect_eq(io_write_all(fd, "x", 1), -1);
    cr_expect_eq(errno, ENOSPC);
    close(fd);
}

/* scratch_file - a new temporary file holding len pattern bytes */
static void scratch_file(char *path, size_t len)
{
    uint8_t *data = bytes_pattern(len + 1);
    int fd = mkstemp(path);

    cr_assert_geq(fd, 0);
    cr_assert_eq(io_write_all(fd, data, len), 0);
    close(fd);
    free(data);
}

Test(io, read_file_of_exactly_cap_bytes)
{
    char path[] = "/tmp/test_util.XXXXXX";
    enum io_status status;
    size_t len = 1;
    uint8_t *want = bytes_pattern(100), *buf;

    scratch_file(path, 100);
    buf = io_read_file(path, 100, &len, &status);
    unlink(path);
    cr_assert_not_null(buf);
    cr_expect_eq(status, IO_OK);
    cr_expect_eq(len, 100);
    cr_expect_eq(memcmp(buf, want, 100), 0);
    free(buf);
    free(want);
}

Test(io, read_file_of_cap_plus_one_bytes_is_too_big)
{
    char path[] = "/tmp/test_util.XXXXXX";
    enum io_status status;
    size_t len = 1;
    void *buf;

    scratch_file(path, 101);
    buf = io_read_file(path, 100, &len, &status);
    unlink(path);
    cr_expect_null(buf);
    cr_expect_eq(status, IO_TOO_BIG);
    cr_expect_eq(len, 0);
}

Test(io, read_file_empty_with_cap_zero)
{
    char path[] = "/tmp/test_util.XXXXXX";
    enum io_status status;
    size_t len = 1;
    void *buf;

    scratch_file(path, 0);
    buf = io_read_file(path, 0, &len, &status);
    unlink(path);
    cr_expect_not_null(buf);
    cr_expect_eq(status, IO_OK);
    cr_expect_eq(len, 0);
    free(buf);
}

Test(io, read_file_failures_keep_errno)
{
    enum io_status status;
    size_t len;

    cr_expect_null(io_read_file("/nonexistent/test_util", 10, &len, &status));
    cr_expect_eq(status, IO_OPEN_FAILED);
    cr_expect_eq(errno, ENOENT);
    cr_expect_null(io_read_file("/", 10, &len, &status));
    cr_expect_eq(status, IO_READ_FAILED);
    cr_expect_eq(errno, EISDIR);
}

Test(io, read_to_end_across_pipe)
{
    uint8_t buf[16];
    size_t len;
    int fds[2];

    cr_assert_eq(pipe(fds), 0);
    cr_assert_eq(io_write_all(fds[1], "0123456789abcdef", 16), 0);
    close(fds[1]);
    cr_expect_eq(io_read_to_end(fds[0], buf, sizeof(buf), &len), IO_OK);
    cr_expect_eq(len, 16);
    cr_expect_eq(memcmp(buf, "0123456789abcdef", 16), 0);
    close(fds[0]);
}

/* ---- utf8 ---- */

struct utf8_case {
    const char *name;
    const char *bytes;
    size_t n;
    size_t want_len;        /* 0: no valid sequence */
    uint32_t want_cp;
};

static const struct utf8_case utf8_cases[] = {
    { "ascii", "A", 1, 1, 0x41 },
    { "ascii_nul", "\0", 1, 1, 0 },
    { "ascii_then_more", "ab", 2, 1, 0x61 },
    { "two_least", "\xc2\x80", 2, 2, 0x80 },
    { "two_most", "\xdf\xbf", 2, 2, 0x7ff },
    { "three_least", "\xe0\xa0\x80", 3, 3, 0x800 },
    { "three_before_surrogates", "\xed\x9f\xbf", 3, 3, 0xd7ff },
    { "three_after_surrogates", "\xee\x80\x80", 3, 3, 0xe000 },
    { "three_most", "\xef\xbf\xbf", 3, 3, 0xffff },
    { "four_least", "\xf0\x90\x80\x80", 4, 4, 0x10000 },
    { "four_most", "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff },
    { "euro_then_ascii", "\xe2\x82\xacx", 4, 3, 0x20ac },
    { "overlong_two_c0", "\xc0\x80", 2, 0, 0 },
    { "overlong_two_c1", "\xc1\xbf", 2, 0, 0 },
    { "overlong_three", "\xe0\x9f\xbf", 3, 0, 0 },
    { "overlong_three_nul", "\xe0\x80\x80", 3, 0, 0 },
    { "overlong_four", "\xf0\x8f\xbf\xbf", 4, 0, 0 },
    { "surrogate_first", "\xed\xa0\x80", 3, 0, 0 },
    { "surrogate_last", "\xed\xbf\xbf", 3, 0, 0 },
    { "above_max_f4", "\xf4\x90\x80\x80", 4, 0, 0 },
    { "above_max_f5", "\xf5\x80\x80\x80", 4, 0, 0 },
    { "above_max_f7", "\xf7\xbf\xbf\xbf", 4, 0, 0 },
    { "five_byte_lead", "\xf8\x88\x80\x80\x80", 5, 0, 0 },
    { "byte_ff", "\xff", 1, 0, 0 },
    { "stray_continuation", "\x80", 1, 0, 0 },
    { "bad_continuation", "\xc3\x28", 2, 0, 0 },
    { "truncated_two", "\xc3", 1, 0, 0 },
    { "truncated_three", "\xe2\x82", 2, 0, 0 },
    { "truncated_four", "\xf0\x9f\x98", 3, 0, 0 },
    { "truncated_by_n", "\xe2\x82\xac", 2, 0, 0 },
    { "empty", "", 0, 0, 0 },
};

Test(utf8, decode_table)
{
    for (size_t i = 0; i < sizeof(utf8_cases) / sizeof(utf8_cases[0]); i++) {
        const struct utf8_case *c = &utf8_cases[i];
        uint32_t cp = 0xdeadbeef;
        size_t len = utf8_decode((const uint8_t *)c->bytes, c->n, &cp);

        cr_expect_eq(len, c->want_len, "%s: length %zu", c->name, len);
        cr_expect_eq(utf8_len((const uint8_t *)c->bytes, c->n), c->want_len, "%s", c->name);
        if (c->want_len > 0)
            cr_expect_eq(cp, c->want_cp, "%s: U+%04X", c->name, (unsigned)cp);
        else
            cr_expect_eq(cp, 0xdeadbeef, "%s: code point written", c->name);
    }
}

Test(utf8, decode_without_code_point)
{
    cr_expect_eq(utf8_decode((const uint8_t *)"\xc3\xa9", 2, NULL), 2);
}
