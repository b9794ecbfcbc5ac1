/* test_tlsrpt_mail.c - a TLSRPT report gzip-compressed and wrapped in the
 * RFC 8460 §5.3 message (agent/tlsrpt/tlsrpt.h: tlsrpt_gzip, tlsrpt_mail);
 * the attachment is decoded and inflated back with zlib */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "test_helpers.h"
#include "tlsrpt.h"

static const char report[] =
    "{\"organization-name\":\"Example\",\"policies\":[]}";

/* inflate_all - gz[0..n) inflated (gzip wrapper only) into out, its length */
static size_t inflate_all(const unsigned char *gz, size_t n, char *out, size_t cap)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    cr_assert_eq(inflateInit2(&z, 16 + 15), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)gz;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    cr_assert_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
    size_t got = z.total_out;
    inflateEnd(&z);
    return got;
}

/* unbase64 - the base64 text in[0..n) (LF line breaks) into out, its length */
static size_t unbase64(const char *in, size_t n, unsigned char *out)
{
    static const char abc[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint32_t v = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n && in[i] != '='; i++) {
        if (in[i] == '\n')
            continue;
        const char *p = strchr(abc, in[i]);
        cr_assert(p != NULL && *p != '\0', "not base64: 0x%02x", in[i]);
        v = (v << 6) | (uint32_t)(p - abc);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(v >> bits);
        }
    }
    return o;
}

static struct tlsrpt_mail sample(void)
{
    struct tlsrpt_mail m = {
        .report_domain = "company-y.example",
        .submitter = "mail.sender.example",
        .from = "tlsrpt@mail.sender.example",
        .to = "reports@company-y.example",
        .report_id = "2016-08-01.company-y.example@mail.sender.example",
        .begin = 1470009600, .end = 1470096000, .now = 1470013207,
    };
    return m;
}

Test(tlsrpt_gzip, round_trip)
{
    const char *why = NULL;
    size_t n = 0;
    unsigned char *gz = tlsrpt_gzip(report, strlen(report), &n, &why);
    cr_assert_not_null(gz, "%s", why);
    cr_assert(n > 18 && gz[0] == 0x1f && gz[1] == 0x8b, "not a gzip member");
    char back[256];
    size_t got = inflate_all(gz, n, back, sizeof back);
    cr_assert_eq(got, strlen(report));
    cr_assert(memcmp(back, report, got) == 0);
    free(gz);
}

Test(tlsrpt_mail, headers_and_attachment)
{
    const char *why = NULL;
    size_t gzlen = 0, len = 0;
    unsigned char *gz = tlsrpt_gzip(report, strlen(report), &gzlen, &why);
    cr_assert_not_null(gz, "%s", why);
    struct tlsrpt_mail m = sample();
    char *msg = tlsrpt_mail(&m, gz, gzlen, &len, &why);
    cr_assert_not_null(msg, "%s", why);
    cr_assert_eq(strlen(msg), len);
    static const char *const want[] = {
        "From: tlsrpt@mail.sender.example\n",
        "To: reports@company-y.example\n",
        "Date: Mon, 01 Aug 2016 01:00:07 +0000\n",
        "Message-ID: <2016-08-01.company-y.example@mail.sender.example>\n",
        "Subject: Report Domain: company-y.example\n Submitter: mail.sender.example\n"
        " Report-ID: <2016-08-01.company-y.example@mail.sender.example>\n",
        "TLS-Report-Domain: company-y.example\n",
        "TLS-Report-Submitter: mail.sender.example\n",
        "TLS-Required: No\n",
        "Content-Type: multipart/report; report-type=\"tlsrpt\";\n",
        "Content-Type: application/tlsrpt+gzip\n",
        " filename=\"mail.sender.example!company-y.example!1470009600!1470096000!"
        "2016-08-01.company-y.example@mail.sender.example.json.gz\"\n\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert_not_null(strstr(msg, want[i]), "missing: %s", want[i]);
    /* the header ends before the first blank line, the parts after it */
    cr_assert(strstr(msg, "TLS-Required: No\n") < strstr(msg, "\n\n"));
    const char *b64 = strstr(msg, ".json.gz\"\n\n") + strlen(".json.gz\"\n\n");
    const char *end = strstr(b64, "\n--=_tlsrpt_");
    cr_assert_not_null(end);
    cr_assert_str_eq(end, "\n--=_tlsrpt_1470009600_1470013207--\n");
    unsigned char raw[512];
    cr_assert(gzlen < sizeof raw);
    cr_assert_eq(unbase64(b64, (size_t)(end - b64), raw), gzlen);
    cr_assert(memcmp(raw, gz, gzlen) == 0);
    char back[256];
    size_t got = inflate_all(raw, gzlen, back, sizeof back);
    cr_assert(got == strlen(report) && memcmp(back, report, got) == 0);
    free(msg);
    free(gz);
}

Test(tlsrpt_mail, long_attachment_lines_are_76_columns)
{
    unsigned char gz[1000];
    for (size_t i = 0; i < sizeof gz; i++)
        gz[i] = (unsigned char)(i * 7);
    struct tlsrpt_mail m = sample();
    const char *why = NULL;
    size_t len = 0;
    char *msg = tlsrpt_mail(&m, gz, sizeof gz, &len, &why);
    cr_assert_not_null(msg, "%s", why);
    const char *b64 = strstr(msg, ".json.gz\"\n\n") + strlen(".json.gz\"\n\n");
    const char *end = strstr(b64, "\n--=_tlsrpt_");
    for (const char *p = b64; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p) + 1);
        cr_assert(nl - p <= 76 && nl > p, "line of %td columns", nl - p);
        p = nl + 1;
    }
    unsigned char raw[sizeof gz];
    cr_assert_eq(unbase64(b64, (size_t)(end - b64), raw), sizeof gz);
    cr_assert(memcmp(raw, gz, sizeof gz) == 0);
    free(msg);
}

/* a value that could inject a header or break an address is refused */
Test(tlsrpt_mail, hostile_values_refused)
{
    static const struct { int field; const char *value; } cases[] = {
        { 0, "company-y.example\nBcc: victim@example.org" },
        { 0, "company-y.example\r" },
        { 0, "" },
        { 1, "mail sender.example" },
        { 2, "tlsrpt" },
        { 2, "a@b@c" },
        { 3, "<reports@company-y.example>" },
        { 3, "reports@company-y.example\n" },
        { 3, "@company-y.example" },
        { 4, "no-at-sign" },
        { 4, NULL },
    };
    unsigned char gz[4] = { 0 };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tlsrpt_mail m = sample();
        const char **f[] = { &m.report_domain, &m.submitter, &m.from, &m.to,
                             &m.report_id };
        *f[cases[i].field] = cases[i].value;
        const char *why = NULL;
        size_t len = 0;
        char *msg = tlsrpt_mail(&m, gz, sizeof gz, &len, &why);
        cr_expect_null(msg, "case %zu accepted", i);
        cr_expect(why != NULL && strncmp(why, "mail: ", 6) == 0, "case %zu", i);
        free(msg);
    }
}

/* ---- tlsrpt_sendmail: the command's argv, stdin and exit status ---- */

/* a stand-in sendmail that keeps its arguments and its input, then exits
 * with the status its directory's "exit" file names (or does not read) */
static const char fake_sendmail[] =
    "#!/bin/sh\n"
    "d=$(dirname \"$0\")\n"
    "printf '%s\\n' \"$@\" > \"$d/argv\"\n"
    "if [ -e \"$d/noread\" ]; then exit 0; fi\n"
    "cat > \"$d/stdin\"\n"
    "exit $(cat \"$d/exit\")\n";

static void sendmail_dir(char *dir, size_t size, const char *status)
{
    char path[512];
    test_tmpdir(dir, size, "tlsrpt-sendmail");
    snprintf(path, sizeof path, "%s/sendmail", dir);
    test_write_file(path, fake_sendmail, strlen(fake_sendmail));
    cr_assert_eq(chmod(path, 0700), 0);
    snprintf(path, sizeof path, "%s/exit", dir);
    test_write_file(path, status, strlen(status));
    signal(SIGPIPE, SIG_IGN);   /* as main() does */
}

static int run_sendmail(const char *dir, const char *rcpt, const char *msg,
                        size_t len, const char **why)
{
    char path[512];
    snprintf(path, sizeof path, "%s/sendmail", dir);
    return tlsrpt_sendmail(path, "tlsrpt@mail.sender.example", rcpt, msg, len, why);
}

Test(tlsrpt_sendmail, message_on_stdin_argv_exact)
{
    char dir[256], path[512], got[256];
    sendmail_dir(dir, sizeof dir, "0\n");
    static const char msg[] = "Subject: x\n\nline\n.\nafter the dot\n";
    const char *why = NULL;
    cr_assert_eq(run_sendmail(dir, "-oQ@company-y.example", msg, strlen(msg), &why),
                 0, "%s", why);
    snprintf(path, sizeof path, "%s/argv", dir);
    size_t n = test_read_file(path, got, sizeof got - 1);
    got[n] = '\0';
    cr_assert_str_eq(got, "-oi\n-f\ntlsrpt@mail.sender.example\n--\n"
                          "-oQ@company-y.example\n");
    snprintf(path, sizeof path, "%s/stdin", dir);
    n = test_read_file(path, got, sizeof got - 1);
    got[n] = '\0';
    cr_assert_str_eq(got, msg);
    test_rm_tree(dir);
}

Test(tlsrpt_sendmail, nonzero_exit_fails)
{
    char dir[256];
    sendmail_dir(dir, sizeof dir, "75\n");
    const char *why = NULL;
    cr_assert_eq(run_sendmail(dir, "r@company-y.example", "x\n", 2, &why), -1);
    cr_assert_str_eq(why, "sendmail: the command exited non-zero");
    test_rm_tree(dir);
}

Test(tlsrpt_sendmail, missing_command_fails)
{
    const char *why = NULL;

    signal(SIGPIPE, SIG_IGN);   /* as main() does: the child may exit first */
    cr_assert_eq(tlsrpt_sendmail("/nonexistent/sendmail", "a@b.example",
                                 "r@company-y.example", "x\n", 2, &why), -1);
    cr_assert_str_eq(why, "sendmail: the command could not be run");
}

/* a command that exits 0 without reading a message larger than any pipe
 * buffer has not taken it */
Test(tlsrpt_sendmail, unread_message_fails)
{
    char dir[256], path[512];
    sendmail_dir(dir, sizeof dir, "0\n");
    snprintf(path, sizeof path, "%s/noread", dir);
    test_write_file(path, "", 0);
    size_t len = 4u << 20;
    char *msg = malloc(len);
    cr_assert_not_null(msg);
    memset(msg, 'a', len);
    const char *why = NULL;
    cr_assert_eq(run_sendmail(dir, "r@company-y.example", msg, len, &why), -1);
    cr_assert_str_eq(why, "sendmail: the command did not read the whole message");
    free(msg);
    test_rm_tree(dir);
}
